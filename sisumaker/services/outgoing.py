"""Outgoing letters: drafting (every version kept) and the review chain (paraf / return with notes)."""
from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import or_, select

from sisumaker.extensions import db
from sisumaker.models.org import utcnow
from sisumaker.models import (JENIS, SIFAT, URGENSI, Classification, Draft, DraftRecipient, DraftVersion, Position,
                              ReviewStep, User)
from sisumaker.services import audit
from sisumaker.services.access import Viewer
from sisumaker.services.bodytext import clean, lines, parse_body
from sisumaker.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sisumaker.services.notifications import notify
from sisumaker.services.org import command_subtree_ids

DRAFT_KINDS = ("nota_dinas", "surat_dinas", "surat_edaran", "surat_keputusan", "surat_undangan", "surat_tugas")
GROUPS = {"semua-opd": "Semua OPD", "semua-kecamatan": "Semua kecamatan", "semua-desa": "Semua desa dan kelurahan",
          "semua": "Semua unit"}


@dataclass(frozen=True)
class DraftContent:
    """What the drafter types; a snapshot of it is each version."""

    jenis: str
    perihal: str
    body: str
    sifat: str = "B"
    urgensi: str = "biasa"
    classification_code: str | None = None
    lampiran: str = "-"
    external: tuple[str, ...] = ()
    tembusan: tuple[str, ...] = ()
    menimbang: tuple[str, ...] = ()
    mengingat: tuple[str, ...] = ()
    diktum: tuple[str, ...] = ()
    event_date: str | None = None
    event_time: str = ""
    event_place: str = ""
    event_agenda: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("extra")
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "DraftContent":
        data = json.loads(text)
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    def as_text(self) -> list[str]:
        """The version as readable lines, for the reviewer's comparison."""
        out = [f"Jenis: {JENIS.get(self.jenis, self.jenis)}", f"Perihal: {self.perihal}", f"Sifat: {SIFAT.get(self.sifat)}",
               f"Lampiran: {self.lampiran}"]
        out += [f"Kepada (luar): {x}" for x in self.external]
        out += [""] + clean(self.body).split("\n")
        for label, items in (("Menimbang", self.menimbang), ("Mengingat", self.mengingat), ("Diktum", self.diktum)):
            out += [f"{label}: {x}" for x in items]
        if self.event_date:
            out.append(f"Acara: {self.event_date} {self.event_time} {self.event_place} {self.event_agenda}")
        out += [f"Tembusan: {x}" for x in self.tembusan]
        return out


@dataclass(frozen=True)
class Routing:
    """Who reviews, who signs and in which capacity, and who receives."""

    reviewer_ids: tuple[int, ...]
    signer_id: int
    capacity: str = "definitif"
    on_behalf_id: int | None = None
    to_ids: tuple[int, ...] = ()
    cc_ids: tuple[int, ...] = ()
    groups: tuple[str, ...] = ()


def check_content(c: DraftContent) -> dict[str, str]:
    errors: dict[str, str] = {}
    if c.jenis not in DRAFT_KINDS:
        errors["jenis"] = "Pilih jenis naskah."
    if not c.perihal.strip() or len(c.perihal) > 500:
        errors["perihal"] = "Perihal wajib diisi (paling banyak 500 karakter)."
    if c.sifat not in SIFAT:
        errors["sifat"] = "Pilih sifat surat."
    if c.urgensi not in URGENSI:
        errors["urgensi"] = "Pilih urgensi surat."
    if c.classification_code and db.session.get(Classification, c.classification_code) is None:
        errors["classification_code"] = "Kode klasifikasi tidak dikenal."
    try:
        blocks = parse_body(c.body)
    except ValidationError as exc:
        errors.update(exc.errors)
        blocks = [None]
    if not blocks and c.jenis != "surat_keputusan":
        errors["body"] = "Isi surat wajib diisi."
    if c.jenis == "surat_keputusan" and not (c.menimbang and c.mengingat and c.diktum):
        errors["diktum"] = "Surat Keputusan memerlukan Menimbang, Mengingat dan diktum Memutuskan."
    if c.jenis == "surat_undangan":
        try:
            date.fromisoformat(c.event_date or "")
        except ValueError:
            errors["event_date"] = "Undangan memerlukan tanggal acara."
        if not c.event_place.strip():
            errors["event_place"] = "Undangan memerlukan tempat acara."
    return errors


def _check_routing(r: Routing, has_external: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    ids = [*r.reviewer_ids, r.signer_id, *r.to_ids, *r.cc_ids] + ([r.on_behalf_id] if r.on_behalf_id else [])
    known = {p.id for p in db.session.scalars(select(Position).where(Position.id.in_(ids), Position.closed_on.is_(None)))}
    if any(i not in known for i in ids):
        errors["routing"] = "Ada jabatan yang tidak dikenal atau sudah ditutup."
    if r.signer_id in r.reviewer_ids or len(set(r.reviewer_ids)) != len(r.reviewer_ids):
        errors["reviewers"] = "Pemaraf tidak boleh ganda dan tidak boleh sama dengan penanda tangan."
    if r.capacity not in ("definitif", "an", "plt", "plh"):
        errors["capacity"] = "Pilih kedudukan penanda tangan."
    if r.capacity == "an" and not r.on_behalf_id:
        errors["capacity"] = "Untuk a.n., pilih jabatan yang diwakili."
    if r.capacity == "an" and r.on_behalf_id and r.signer_id not in command_subtree_ids(r.on_behalf_id):
        errors["capacity"] = "Penanda tangan a.n. harus bawahan dari jabatan yang diwakili."
    if not (r.to_ids or r.groups or has_external):
        errors["recipients"] = "Pilih paling sedikit satu penerima (jabatan, kelompok, atau alamat luar)."
    if any(g not in GROUPS and not g.startswith("grup-") for g in r.groups):
        errors["recipients"] = "Kelompok penerima tidak dikenal."
    return errors


def _snapshot(draft: Draft, content: DraftContent, author: User) -> None:
    draft.versions.append(DraftVersion(version=draft.version, content=content.to_json(), author_id=author.id))


def save_draft(viewer: Viewer, content: DraftContent, routing: Routing, draft_id: int | None = None) -> Draft:
    """Rule: a drafter with a position writes a letter; every save is a new version, the old ones are kept.
    A draft can be edited only while it is with its drafter (konsep or returned)."""
    if not viewer.position_ids or viewer.user.role == "admin":
        raise PermissionDenied("Hanya pegawai yang memegang jabatan yang dapat membuat konsep surat.")
    drafter_position = viewer.positions[0].position
    errors = {**check_content(content), **_check_routing(routing, bool(content.external))}
    if errors:
        raise ValidationError(errors)
    if draft_id is None:
        draft = Draft(drafter_id=viewer.user.id, drafter_position_id=drafter_position.id, version=1)
        db.session.add(draft)
    else:
        draft = db.session.get(Draft, draft_id)
        if draft is None or draft.drafter_id != viewer.user.id:
            raise NotFound("Konsep tidak ditemukan.")
        if draft.status not in ("konsep", "dikembalikan"):
            raise Conflict("Konsep sedang diperiksa atau sudah ditandatangani; tidak dapat diubah.")
        draft.version += 1
    draft.jenis, draft.perihal, draft.sifat, draft.urgensi = content.jenis, content.perihal.strip(), content.sifat, \
        content.urgensi
    draft.classification_code = content.classification_code or None
    draft.signer_position_id, draft.signer_capacity = routing.signer_id, routing.capacity
    draft.on_behalf_position_id = routing.on_behalf_id if routing.capacity == "an" else None
    draft.group_key = ",".join(routing.groups) or None
    for old in list(draft.recipients):
        db.session.delete(old)
    for kind, ids in (("to", routing.to_ids), ("cc", routing.cc_ids)):
        for pid in ids:
            draft.recipients.append(DraftRecipient(kind=kind, position_id=pid))
    for line in content.external:
        draft.recipients.append(DraftRecipient(kind="to", external=line[:250]))
    seen = {s.position_id: s.seen_version for s in draft.steps}  # what each reviewer saw survives a re-edit
    for old in list(draft.steps):
        db.session.delete(old)
    db.session.flush()
    for n, pid in enumerate(routing.reviewer_ids, start=1):
        draft.steps.append(ReviewStep(step=n, position_id=pid, seen_version=seen.get(pid, 0)))
    _snapshot(draft, content, viewer.user)
    db.session.flush()
    audit.record(viewer.user, "draft.save", "draft", draft.id, {"version": draft.version})
    return draft


def content_of(draft: Draft, version: int | None = None) -> DraftContent:
    wanted = version or draft.version
    row = next((v for v in draft.versions if v.version == wanted), None)
    if row is None:
        raise NotFound("Versi konsep tidak ditemukan.")
    return DraftContent.from_json(row.content)


def current_step(draft: Draft) -> ReviewStep | None:
    return next((s for s in draft.steps if s.status != "disetujui"), None)


def waiting_position_id(draft: Draft) -> int | None:
    """Where the draft waits: the drafter (konsep/returned), a reviewer, or the signer."""
    if draft.status in ("konsep", "dikembalikan"):
        return draft.drafter_position_id
    if draft.status == "review":
        step = current_step(draft)
        return step.position_id if step else draft.signer_position_id
    if draft.status == "siap":
        return draft.signer_position_id
    return None


def submit(viewer: Viewer, draft_id: int) -> Draft:
    """Rule: the drafter sends the draft into the chain; reviewers start again from the first."""
    draft = db.session.get(Draft, draft_id)
    if draft is None or draft.drafter_id != viewer.user.id:
        raise NotFound("Konsep tidak ditemukan.")
    if draft.status not in ("konsep", "dikembalikan"):
        raise Conflict("Konsep sudah dalam proses.")
    for s in draft.steps:
        s.status, s.acted_at, s.acted_by_id = "menunggu", None, None
    draft.status = "review" if draft.steps else "siap"
    draft.waiting_since = utcnow()
    db.session.flush()
    notify(waiting_position_id(draft), None, f"Konsep menunggu {'paraf' if draft.steps else 'TTE'} Anda: "
                                             f"{draft.perihal[:150]}")
    audit.record(viewer.user, "draft.submit", "draft", draft.id, {"version": draft.version})
    return draft


def _own_step(viewer: Viewer, draft_id: int) -> tuple[Draft, ReviewStep]:
    draft = db.session.get(Draft, draft_id)
    step = current_step(draft) if draft is not None and draft.status == "review" else None
    if step is None or not viewer.acts_for(step.position_id):
        raise NotFound("Konsep ini tidak sedang menunggu paraf Anda.")
    return draft, step


def approve(viewer: Viewer, draft_id: int, note: str = "") -> Draft:
    """Rule: the reviewer whose turn it is gives paraf; after the last paraf the signer is next."""
    draft, step = _own_step(viewer, draft_id)
    step.status, step.acted_at, step.acted_by_id = "disetujui", utcnow(), viewer.user.id
    step.note, step.seen_version = (note or "").strip()[:2000], draft.version
    draft.waiting_since = utcnow()
    if current_step(draft) is None:
        draft.status = "siap"
    db.session.flush()
    nxt = waiting_position_id(draft)
    notify(nxt, None, f"Konsep menunggu {'TTE' if draft.status == 'siap' else 'paraf'} Anda: {draft.perihal[:150]}")
    audit.record(viewer.user, "draft.paraf", "draft", draft.id, {"step": step.step, "version": draft.version})
    return draft


def return_draft(viewer: Viewer, draft_id: int, note: str) -> Draft:
    """Rule: a reviewer may return the draft to its drafter, with notes (required)."""
    draft, step = _own_step(viewer, draft_id)
    if len((note or "").strip()) < 3:
        raise ValidationError({"note": "Tuliskan catatan koreksi untuk konseptor."})
    step.status, step.acted_at, step.acted_by_id = "dikembalikan", utcnow(), viewer.user.id
    step.note, step.seen_version = note.strip()[:2000], draft.version
    draft.status, draft.waiting_since = "dikembalikan", utcnow()
    db.session.flush()
    notify(draft.drafter_position_id, None, f"Konsep dikembalikan: {draft.perihal[:120]} — {note.strip()[:100]}")
    audit.record(viewer.user, "draft.return", "draft", draft.id, {"step": step.step, "note": note.strip()[:200]})
    return draft


def changes_since(draft: Draft, seen_version: int) -> list[str]:
    """What changed since the version a reviewer last saw (a unified diff of the readable text)."""
    if not seen_version or seen_version >= draft.version:
        return []
    old, new = content_of(draft, seen_version).as_text(), content_of(draft).as_text()
    return list(difflib.unified_diff(old, new, f"versi {seen_version}", f"versi {draft.version}", lineterm="", n=1))


def visible_drafts(viewer: Viewer) -> list[Draft]:
    """The drafter's own drafts and every draft whose chain includes one of the viewer's positions."""
    return list(db.session.scalars(select(Draft).where(visible_draft_clause(viewer))
                                   .order_by(Draft.waiting_since.desc()).limit(200)))


def visible_draft_clause(viewer: Viewer):
    """SQL condition on Draft: its drafter, and the positions in its chain (reviewers and signer) see it."""
    pids = list(viewer.position_ids) or [-1]
    in_chain = select(ReviewStep.draft_id).where(ReviewStep.position_id.in_(pids))
    return or_(Draft.drafter_id == viewer.user.id, Draft.id.in_(in_chain), Draft.signer_position_id.in_(pids))


def get_visible_draft(viewer: Viewer, draft_id: int) -> Draft:
    """Rule: a draft is seen by its drafter and by the positions in its chain (reviewers and signer)."""
    draft = db.session.get(Draft, draft_id)
    if draft is None or not (draft.drafter_id == viewer.user.id or viewer.acts_for(draft.signer_position_id)
                             or any(viewer.acts_for(s.position_id) for s in draft.steps)):
        raise NotFound("Konsep tidak ditemukan.")
    return draft


__all__ = ["DraftContent", "Routing", "save_draft", "submit", "approve", "return_draft", "changes_since",
           "visible_drafts", "visible_draft_clause", "get_visible_draft", "waiting_position_id", "content_of", "lines", "GROUPS"]
