"""The admin's rules for outgoing-letter settings: number patterns (services/numbering.py) and saved recipient
groups for broadcasts (services/delivery.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from sisumaker.documents import bulan_romawi
from sisumaker.extensions import db
from sisumaker.models import JENIS, NumberPattern, RecipientGroup, RecipientGroupMember, Unit, User
from sisumaker.services import audit
from sisumaker.services.access import REGISTER_UNIT_KINDS
from sisumaker.services.delivery import unit_heads
from sisumaker.services.errors import NotFound, ValidationError
from sisumaker.services.numbering import check_pattern
from sisumaker.services.org import require_admin


def example_number(pattern: NumberPattern | str, unit_code: str = "DISKOMINFOSATIK", on: date | None = None,
                   number: int = 123) -> str:
    """What a number from the pattern looks like (the same placeholders and clean-up the numbering uses)."""
    on = on or date.today()
    text = pattern.pattern if isinstance(pattern, NumberPattern) else pattern
    value = text.format(nomor=number, tahun=on.year, klasifikasi="800", unit=unit_code, bulan=f"{on.month:02d}",
                        bulan_romawi=bulan_romawi(on.month))
    return value.replace("//", "/").strip("/")


def patterns(actor: User) -> list[NumberPattern]:
    require_admin(actor)
    rows = db.session.scalars(select(NumberPattern).options(joinedload(NumberPattern.unit)))
    return sorted(rows, key=lambda p: (p.jenis is not None, p.jenis or "", p.unit.name if p.unit else ""))


def get_pattern(pattern_id: int) -> NumberPattern:
    found = db.session.get(NumberPattern, pattern_id)
    if found is None:
        raise NotFound("Pola nomor tidak ditemukan.")
    return found


@dataclass(frozen=True)
class PatternInput:
    jenis: str  # "" = every jenis
    unit_id: int | None  # None = every unit
    pattern: str
    legal: bool = False


def save_pattern(actor: User, data: PatternInput, pattern: NumberPattern | None = None) -> NumberPattern:
    """Rule: a pattern passes the numbering's own check (contains {nomor}, known placeholders, balanced braces),
    names a known jenis naskah or all, an open numbering unit (one that keeps a register) or all, and is the only pattern for that jenis and unit (the
    numbering picks the most specific one, so two would be ambiguous). Editing keeps the pattern's sequence."""
    require_admin(actor)
    text = (data.pattern or "").strip()
    errors: dict[str, str] = {}
    try:
        check_pattern(text)
    except ValidationError as exc:
        errors.update(exc.errors)
    if len(text) > 120:
        errors["pattern"] = "Pola nomor paling banyak 120 karakter."
    if data.jenis and data.jenis not in JENIS:
        errors["jenis"] = "Jenis naskah tidak dikenal."
    unit = db.session.get(Unit, data.unit_id) if data.unit_id else None
    if data.unit_id and (unit is None or unit.closed_on is not None):
        errors["unit_id"] = "Pilih unit yang masih aktif."
    elif unit is not None and unit.kind not in REGISTER_UNIT_KINDS:
        errors["unit_id"] = ("Nomor surat diberikan per unit pengolah (OPD, kecamatan, desa/kelurahan, Setda); "
                             "pola untuk unit ini tidak akan pernah dipakai.")
    jenis = data.jenis or None
    same = select(NumberPattern.id).where(
        NumberPattern.jenis.is_(None) if jenis is None else NumberPattern.jenis == jenis,
        NumberPattern.unit_id.is_(None) if unit is None else NumberPattern.unit_id == unit.id,
        NumberPattern.id != (pattern.id if pattern else 0))
    if not errors and db.session.scalar(same.limit(1)):
        errors["jenis"] = "Sudah ada pola untuk jenis naskah dan unit ini; ubah pola yang ada."
    if errors:
        raise ValidationError(errors)
    before = None if pattern is None else {"jenis": pattern.jenis, "unit": pattern.unit_id,
                                           "pattern": pattern.pattern, "legal": pattern.legal}
    if pattern is None:
        pattern = NumberPattern()
        db.session.add(pattern)
    pattern.jenis, pattern.unit, pattern.pattern, pattern.legal = jenis, unit, text, bool(data.legal)
    db.session.flush()
    after = {"jenis": jenis, "unit": unit.id if unit else None, "pattern": text, "legal": bool(data.legal)}
    audit.record(actor, "pattern.create" if before is None else "pattern.update", "number_pattern", pattern.id,
                 {"after": after} if before is None else {"before": before, "after": after})
    return pattern


def groups(actor: User) -> list[tuple[RecipientGroup, int]]:
    """Saved recipient groups with their member counts."""
    require_admin(actor)
    counts = dict(db.session.execute(select(RecipientGroupMember.group_id, func.count())
                                     .group_by(RecipientGroupMember.group_id)).all())
    return [(g, counts.get(g.id, 0)) for g in db.session.scalars(select(RecipientGroup).order_by(RecipientGroup.name))]


def get_group(group_id: int) -> RecipientGroup:
    found = db.session.get(RecipientGroup, group_id)
    if found is None:
        raise NotFound("Grup penerima tidak ditemukan.")
    return found


def member_choices() -> list[Unit]:
    """Units a broadcast can reach: open units that keep a register (the delivery goes to their head)."""
    return list(db.session.scalars(select(Unit).where(Unit.closed_on.is_(None), Unit.kind.in_(REGISTER_UNIT_KINDS))
                                   .order_by(Unit.kind, Unit.name)))


def save_group(actor: User, name: str, unit_ids: tuple[int, ...], group: RecipientGroup | None = None
               ) -> RecipientGroup:
    """Rule: a group has a unique name and at least one member; every member is an open unit with an open head
    position, because a broadcast is delivered to each member's head (delivery.unit_heads)."""
    require_admin(actor)
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 120:
        errors["name"] = "Nama grup wajib diisi, paling banyak 120 karakter."
    elif db.session.scalar(select(RecipientGroup.id).where(func.lower(RecipientGroup.name) == name.lower(),
                                                           RecipientGroup.id != (group.id if group else 0))):
        errors["name"] = "Nama grup sudah dipakai."
    ids = sorted(set(unit_ids))
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))} if ids else {}
    heads = unit_heads(ids) if ids else {}
    if not ids:
        errors["unit_ids"] = "Pilih minimal satu unit penerima."
    elif len(units) != len(ids) or any(u.closed_on is not None for u in units.values()):
        errors["unit_ids"] = "Ada unit yang tidak ada atau sudah ditutup."
    else:
        headless = [units[i].name for i in ids if i not in heads]
        if headless:
            errors["unit_ids"] = ("Unit berikut tidak memiliki jabatan kepala yang aktif sehingga tidak dapat "
                                  f"menerima siaran: {', '.join(headless[:5])}.")
    if errors:
        raise ValidationError(errors)
    before = None
    if group is None:
        group = RecipientGroup(name=name, created_by_id=actor.id)
        db.session.add(group)
    else:
        before = {"name": group.name, "units": sorted(m.unit_id for m in group.members)}
        group.name = name
        for member in list(group.members):
            if member.unit_id not in ids:
                db.session.delete(member)
    db.session.flush()
    have = {m.unit_id for m in group.members}
    db.session.add_all(RecipientGroupMember(group_id=group.id, unit_id=i) for i in ids if i not in have)
    db.session.flush()
    db.session.expire(group, ["members"])
    after = {"name": name, "units": ids}
    audit.record(actor, "group.create" if before is None else "group.update", "recipient_group", group.id,
                 {"after": after} if before is None else {"before": before, "after": after})
    return group
