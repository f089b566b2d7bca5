"""The admin's rules for the organisation tree: units (add, rename, move, close) and positions (add, rename, move,
close). Mail goes to positions, not people (DESIGN §3), so nothing here ever moves an inbox item.

Closing rule (the same for a position and, position by position, for a unit):
- a position can be closed only when no enabled account holds it, no Plt/Plh runs in it today or later, no open
  position reports to it (its bawahan must be moved first), and it has no unfinished mail: inbox items not yet
  finished (diterima, dibaca, diproses), outgoing drafts it must still sign or paraf, signatures it still owes;
- a unit can be closed only when all its child units are closed and each of its open positions could be closed
  by the rule above; closing the unit then closes those (empty) positions the same day. The root unit stays.
Closed units and positions keep their history (registers, letters, audit) and are left out of every choice.
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import (ActingAssignment, Draft, InboxItem, Position, ReviewStep, SignatureRequest, Unit,
                              UNIT_KINDS, User)
from sisumaker.services import audit
from sisumaker.services.errors import NotFound, ValidationError
from sisumaker.services.org import command_subtree_ids, require_admin

UNIT_KIND_LABELS = {
    "pemkab": "Pemerintah Kabupaten", "setda": "Sekretariat Daerah", "asisten": "Asisten", "bagian": "Bagian",
    "badan": "Badan", "dinas": "Dinas", "lembaga": "Lembaga/Inspektorat/RSUD", "sekretariat": "Sekretariat",
    "bidang": "Bidang", "subbag": "Subbagian", "seksi": "Seksi", "tim": "Tim Kerja", "kecamatan": "Kecamatan",
    "kelurahan": "Kelurahan", "desa": "Desa",
}
LEAF_KINDS = ("subbag", "seksi", "tim", "kelurahan", "desa")  # they hold positions but no child units
ECHELONS = ("II.a", "II.b", "III.a", "III.b", "IV.a", "IV.b")
OPEN_ITEM_STATES = ("diterima", "dibaca", "diproses")
OPEN_DRAFT_STATES = ("konsep", "review", "dikembalikan", "siap", "ditandatangani")
OPEN_REQUEST_STATES = ("pending", "queued", "signing")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,59}$")


def get_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("Unit tidak ditemukan.")
    return unit


def get_position(position_id: int) -> Position:
    position = db.session.get(Position, position_id)
    if position is None:
        raise NotFound("Jabatan tidak ditemukan.")
    return position


def unit_ancestors(unit: Unit) -> list[Unit]:
    """The unit's parents from the root down (the breadcrumb)."""
    chain, node = [], unit.parent
    while node is not None and len(chain) < 50:
        chain.append(node)
        node = node.parent
    return chain[::-1]


def unit_descendant_ids(unit_id: int) -> set[int]:
    """The unit and every unit below it (walked level by level)."""
    found, level = {unit_id}, {unit_id}
    while level:
        level = set(db.session.scalars(select(Unit.id).where(Unit.parent_id.in_(level)))) - found
        found |= level
    return found


def child_units(parent_id: int | None, include_closed: bool = False) -> list[tuple[Unit, int, int]]:
    """Child units of a unit (the roots for None) with their number of open child units and open positions."""
    stmt = select(Unit).where(Unit.parent_id.is_(None) if parent_id is None else Unit.parent_id == parent_id)
    if not include_closed:
        stmt = stmt.where(Unit.closed_on.is_(None))
    units = list(db.session.scalars(stmt.order_by(Unit.kind, Unit.name)))
    ids = [u.id for u in units]
    kids = dict(db.session.execute(select(Unit.parent_id, func.count()).where(
        Unit.parent_id.in_(ids), Unit.closed_on.is_(None)).group_by(Unit.parent_id)).all()) if ids else {}
    posts = dict(db.session.execute(select(Position.unit_id, func.count()).where(
        Position.unit_id.in_(ids), Position.closed_on.is_(None)).group_by(Position.unit_id)).all()) if ids else {}
    return [(u, kids.get(u.id, 0), posts.get(u.id, 0)) for u in units]


def parent_choices(exclude_below: Unit | None = None) -> list[Unit]:
    """Open units that may contain units, minus the given unit's own subtree (a unit cannot go under itself)."""
    units = db.session.scalars(select(Unit).where(Unit.closed_on.is_(None), Unit.kind.not_in(LEAF_KINDS))
                               .order_by(Unit.name))
    banned = unit_descendant_ids(exclude_below.id) if exclude_below is not None else set()
    return [u for u in units if u.id not in banned]


def open_units() -> list[Unit]:
    """Every open unit by name (where a position may be moved)."""
    return list(db.session.scalars(select(Unit).where(Unit.closed_on.is_(None)).order_by(Unit.name)))


def _check_unit_fields(name: str, code: str, kind: str, exclude_id: int | None, errors: dict[str, str]) -> None:
    if not name or len(name) > 200:
        errors["name"] = "Nama unit wajib diisi, paling banyak 200 karakter."
    if not _CODE.match(code):
        errors["code"] = "Kode unit wajib diisi: huruf besar, angka, titik atau tanda minus, paling banyak 60."
    elif db.session.scalar(select(Unit.id).where(func.upper(Unit.code) == code, Unit.id != (exclude_id or 0))):
        errors["code"] = "Kode unit sudah dipakai unit lain."
    if kind not in UNIT_KINDS:
        errors["kind"] = "Jenis unit tidak dikenal."


def _check_parent(parent: Unit | None, errors: dict[str, str]) -> None:
    if parent is None:
        errors["parent_id"] = "Pilih unit induk."
    elif parent.closed_on is not None:
        errors["parent_id"] = "Unit induk sudah ditutup."
    elif parent.kind in LEAF_KINDS:
        errors["parent_id"] = f"{UNIT_KIND_LABELS[parent.kind]} tidak dapat membawahi unit lain."


def add_unit(actor: User, *, parent_id: int | None, kind: str, name: str, code: str,
             address: str = "") -> Unit:
    """Rule: a new unit sits under an open unit that may contain units; its code is unique."""
    require_admin(actor)
    name, code, address = (name or "").strip(), (code or "").strip().upper(), (address or "").strip()
    errors: dict[str, str] = {}
    parent = db.session.get(Unit, parent_id) if parent_id else None
    _check_parent(parent, errors)
    _check_unit_fields(name, code, kind, None, errors)
    if len(address) > 300:
        errors["address"] = "Alamat paling banyak 300 karakter."
    if errors:
        raise ValidationError(errors)
    unit = Unit(parent=parent, kind=kind, name=name, code=code, address=address or None)
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "unit.create", "unit", unit.id, {"name": name, "code": code, "kind": kind,
                                                         "parent": parent.code})
    return unit


def rename_unit(actor: User, unit: Unit, *, name: str, code: str) -> None:
    """Rule: an open unit may change its name and code (the code stays unique); letters keep their text."""
    require_admin(actor)
    name, code = (name or "").strip(), (code or "").strip().upper()
    errors: dict[str, str] = {}
    if unit.closed_on is not None:
        errors[""] = "Unit sudah ditutup; namanya tidak dapat diubah."
    _check_unit_fields(name, code, unit.kind, unit.id, errors)
    if errors:
        raise ValidationError(errors)
    before = {"name": unit.name, "code": unit.code}
    unit.name, unit.code = name, code
    db.session.flush()
    audit.record(actor, "unit.rename", "unit", unit.id, {"before": before, "after": {"name": name, "code": code}})


def move_unit(actor: User, unit: Unit, parent_id: int | None) -> None:
    """Rule: a unit moves under another open unit, never under itself or one of its own descendants (no cycle);
    the root unit stays the root."""
    require_admin(actor)
    errors: dict[str, str] = {}
    parent = db.session.get(Unit, parent_id) if parent_id else None
    if unit.parent_id is None:
        errors[""] = "Unit puncak (pemerintah kabupaten) tidak dapat dipindahkan."
    elif unit.closed_on is not None:
        errors[""] = "Unit sudah ditutup."
    else:
        _check_parent(parent, errors)
        if parent is not None and "parent_id" not in errors:
            if parent.id in unit_descendant_ids(unit.id):
                errors["parent_id"] = "Unit tidak dapat dipindahkan ke bawah dirinya sendiri atau unit bawahannya."
            elif parent.id == unit.parent_id:
                errors["parent_id"] = "Unit sudah berada di bawah unit induk itu."
    if errors:
        raise ValidationError(errors)
    old = unit.parent
    unit.parent = parent
    db.session.flush()
    audit.record(actor, "unit.move", "unit", unit.id, {"from": old.code if old else None, "to": parent.code})


def position_blockers(position: Position, today: date | None = None) -> list[str]:
    """Why a position cannot be closed yet (empty when it can): holders, Plt/Plh, bawahan, unfinished mail."""
    today = today or date.today()
    reasons = []
    holders = db.session.scalars(select(User.username).where(User.position_id == position.id,
                                                             User.is_enabled.is_(True))).all()
    if holders:
        reasons.append(f"masih dipegang oleh {', '.join(holders)}")
    acting = db.session.scalar(select(func.count(ActingAssignment.id)).where(
        ActingAssignment.position_id == position.id, ActingAssignment.ends_on >= today))
    if acting:
        reasons.append(f"ada {acting} penugasan Plt/Plh yang berjalan atau akan datang")
    subs = db.session.scalar(select(func.count(Position.id)).where(
        Position.parent_id == position.id, Position.closed_on.is_(None)))
    if subs:
        reasons.append(f"{subs} jabatan bawahan masih melapor kepadanya")
    items = db.session.scalar(select(func.count(InboxItem.id)).where(
        InboxItem.position_id == position.id, InboxItem.status.in_(OPEN_ITEM_STATES)))
    if items:
        reasons.append(f"{items} surat/disposisi di kotak masuknya belum selesai")
    drafts = db.session.scalar(select(func.count(Draft.id)).where(
        Draft.status.in_(OPEN_DRAFT_STATES),
        (Draft.signer_position_id == position.id) | Draft.id.in_(select(ReviewStep.draft_id).where(
            ReviewStep.position_id == position.id, ReviewStep.status == "menunggu"))))
    if drafts:
        reasons.append(f"{drafts} konsep surat keluar masih menunggu paraf atau tanda tangannya")
    requests = db.session.scalar(select(func.count(SignatureRequest.id)).where(
        SignatureRequest.position_id == position.id, SignatureRequest.status.in_(OPEN_REQUEST_STATES)))
    if requests:
        reasons.append(f"{requests} dokumen masih menunggu tanda tangan elektroniknya")
    return reasons


def close_position(actor: User, position: Position, today: date | None = None) -> None:
    """Rule: see the module docstring — only an empty position with no unfinished mail is closed."""
    require_admin(actor)
    if position.closed_on is not None:
        raise ValidationError("Jabatan sudah ditutup.")
    reasons = position_blockers(position, today)
    if reasons:
        raise ValidationError(f"Jabatan belum dapat ditutup: {'; '.join(reasons)}.")
    position.closed_on = today or date.today()
    db.session.flush()
    audit.record(actor, "position.close", "position", position.id, {"title": position.title})


def unit_blockers(unit: Unit, today: date | None = None) -> list[str]:
    """Why a unit cannot be closed yet: open child units, or an open position that cannot be closed."""
    reasons = []
    if unit.parent_id is None:
        reasons.append("unit puncak tidak dapat ditutup")
    kids = db.session.scalar(select(func.count(Unit.id)).where(Unit.parent_id == unit.id, Unit.closed_on.is_(None)))
    if kids:
        reasons.append(f"{kids} unit bawahan masih terbuka")
    inside = [p for p in unit.positions if p.closed_on is None]
    inside_ids = {p.id for p in inside}
    for p in inside:
        own = [r for r in position_blockers(p, today)
               if not (r.endswith("masih melapor kepadanya") and _subordinates_within(p, inside_ids))]
        if own:
            reasons.append(f"{p.title}: {', '.join(own)}")
    return reasons


def _subordinates_within(position: Position, ids: set[int]) -> bool:
    """True when every open bawahan of the position is in `ids` (they close together with it)."""
    subs = set(db.session.scalars(select(Position.id).where(Position.parent_id == position.id,
                                                            Position.closed_on.is_(None))))
    return subs <= ids


def close_unit(actor: User, unit: Unit, today: date | None = None) -> int:
    """Rule: see the module docstring; returns how many empty positions were closed with the unit."""
    require_admin(actor)
    if unit.closed_on is not None:
        raise ValidationError("Unit sudah ditutup.")
    reasons = unit_blockers(unit, today)
    if reasons:
        raise ValidationError(f"Unit belum dapat ditutup: {'; '.join(reasons)}.")
    today = today or date.today()
    closed = [p for p in unit.positions if p.closed_on is None]
    for p in closed:
        p.closed_on = today
    unit.closed_on = today
    db.session.flush()
    audit.record(actor, "unit.close", "unit", unit.id, {"code": unit.code, "positions": [p.id for p in closed]})
    return len(closed)


def _check_position_parent(position: Position | None, parent: Position | None, errors: dict[str, str]) -> None:
    if parent is None:
        return
    if parent.closed_on is not None:
        errors["parent_id"] = "Jabatan atasan sudah ditutup."
    elif position is not None and parent.id in command_subtree_ids(position.id):
        errors["parent_id"] = "Atasan tidak boleh jabatan itu sendiri atau salah satu bawahannya."


def _check_head(unit: Unit, is_head: bool, exclude_id: int | None, errors: dict[str, str]) -> None:
    if is_head and db.session.scalar(select(Position.id).where(
            Position.unit_id == unit.id, Position.is_unit_head.is_(True), Position.closed_on.is_(None),
            Position.id != (exclude_id or 0))):
        errors["is_unit_head"] = "Unit ini sudah memiliki jabatan kepala yang aktif."


def add_position(actor: User, *, unit_id: int, title: str, parent_id: int | None, echelon: str = "",
                 is_unit_head: bool = False) -> Position:
    """Rule: a position belongs to an open unit, has a title, reports to an open atasan (optional only for the
    head of the regency) and a unit has at most one open head position."""
    require_admin(actor)
    title, echelon = (title or "").strip(), (echelon or "").strip()
    errors: dict[str, str] = {}
    unit = db.session.get(Unit, unit_id) if unit_id else None
    parent = db.session.get(Position, parent_id) if parent_id else None
    if unit is None or unit.closed_on is not None:
        errors["unit_id"] = "Pilih unit yang masih aktif."
    if not title or len(title) > 250:
        errors["title"] = "Nama jabatan wajib diisi, paling banyak 250 karakter."
    if echelon and echelon not in ECHELONS:
        errors["echelon"] = "Eselon tidak dikenal."
    if parent_id and parent is None:
        errors["parent_id"] = "Jabatan atasan tidak ditemukan."
    elif parent is None:
        errors["parent_id"] = "Pilih jabatan atasan (rantai komando)."
    _check_position_parent(None, parent, errors)
    if unit is not None and "unit_id" not in errors:
        _check_head(unit, is_unit_head, None, errors)
    if errors:
        raise ValidationError(errors)
    position = Position(unit=unit, title=title, parent=parent, echelon=echelon or None, is_unit_head=is_unit_head)
    db.session.add(position)
    db.session.flush()
    audit.record(actor, "position.create", "position", position.id,
                 {"title": title, "unit": unit.code, "parent": parent.id, "head": is_unit_head})
    return position


def rename_position(actor: User, position: Position, title: str) -> None:
    """Rule: an open position may be renamed; its inbox, history and holders stay."""
    require_admin(actor)
    title = (title or "").strip()
    if position.closed_on is not None:
        raise ValidationError("Jabatan sudah ditutup.")
    if not title or len(title) > 250:
        raise ValidationError({"title": "Nama jabatan wajib diisi, paling banyak 250 karakter."})
    before = position.title
    position.title = title
    db.session.flush()
    audit.record(actor, "position.rename", "position", position.id, {"before": before, "after": title})


def move_position(actor: User, position: Position, *, unit_id: int | None, parent_id: int | None) -> None:
    """Rule: an open position moves to another open unit and/or under another atasan; the atasan may not be the
    position itself or one of its bawahan (no cycle in the command tree). Its inbox moves with it."""
    require_admin(actor)
    errors: dict[str, str] = {}
    if position.closed_on is not None:
        raise ValidationError("Jabatan sudah ditutup.")
    unit = db.session.get(Unit, unit_id) if unit_id else position.unit
    parent = db.session.get(Position, parent_id) if parent_id else position.parent
    if unit is None or unit.closed_on is not None:
        errors["unit_id"] = "Pilih unit yang masih aktif."
    if parent_id and parent is None:
        errors["parent_id"] = "Jabatan atasan tidak ditemukan."
    _check_position_parent(position, parent, errors)
    if unit is not None and "unit_id" not in errors and unit.id != position.unit_id:
        _check_head(unit, position.is_unit_head, position.id, errors)
    if not errors and unit.id == position.unit_id and (parent.id if parent else None) == position.parent_id:
        errors[""] = "Tidak ada perubahan: unit dan atasan sama seperti sebelumnya."
    if errors:
        raise ValidationError(errors)
    before = {"unit": position.unit.code, "parent": position.parent_id}
    position.unit, position.parent = unit, parent
    db.session.flush()
    audit.record(actor, "position.move", "position", position.id,
                 {"before": before, "after": {"unit": unit.code, "parent": parent.id if parent else None}})


def atasan_choices(unit: Unit, exclude: Position | None = None) -> list[Position]:
    """Likely atasan for a position of `unit`: open positions of the unit and of its ancestors' units."""
    unit_ids = [unit.id, *(u.id for u in unit_ancestors(unit))]
    banned = command_subtree_ids(exclude.id) if exclude is not None else set()
    rows = db.session.scalars(select(Position).where(Position.unit_id.in_(unit_ids), Position.closed_on.is_(None))
                              .order_by(Position.is_unit_head.desc(), Position.id))
    return [p for p in rows if p.id not in banned]
