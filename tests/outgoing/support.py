"""Helpers for the outgoing-letter tests (importable as tests.outgoing.support); they run in an app context on a
copy of the demo regency and commit as the routes do (write transaction first)."""
from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import func, select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import (
    AgendaCounter,
    Draft,
    InboxItem,
    Letter,
    Notification,
    NumberCounter,
    Position,
    RegisterEntry,
    Unit,
    User,
)
from sisumaker.services import outgoing
from sisumaker.services.access import Viewer, viewer_for

COUNTED = (Letter, RegisterEntry, AgendaCounter, InboxItem, Notification, NumberCounter)


def user(username: str) -> User:
    found = db.session.scalar(select(User).where(User.username == username))
    assert found is not None, f"demo user {username!r} missing"
    return found


def pos(username: str) -> int:
    return user(username).position_id


def unit(code: str) -> Unit:
    found = db.session.scalar(select(Unit).where(Unit.code == code))
    assert found is not None, f"unit {code!r} missing"
    return found


def viewer(username: str, on: date | None = None) -> Viewer:
    return viewer_for(user(username), on)


def holder(position_id: int) -> str:
    """The username of the definitive holder of a position."""
    return db.session.scalar(select(User.username).where(User.position_id == position_id).order_by(User.id))


def counts() -> dict[str, int]:
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def naive(value: datetime) -> datetime:
    """SQLite gives timestamps back without a zone; compare everything as naive UTC."""
    return value.replace(tzinfo=None)


CONTENT = outgoing.DraftContent(
    jenis="surat_edaran", perihal="Penggunaan Aplikasi Sisumaker",
    body="Dalam rangka **SPBE**, diminta kepada Saudara untuk:\n\n1. menggunakan Sisumaker\n2. melapor",
    classification_code="000")


def content(**overrides) -> outgoing.DraftContent:
    return replace(CONTENT, **overrides)


def routing(reviewers=("kabag.umum",), signer="sekda", groups=(), to=(), cc=(), capacity="definitif",
            on_behalf=None) -> outgoing.Routing:
    if not (groups or to):
        to = ("kadis.dinkes",)
    return outgoing.Routing(
        reviewer_ids=tuple(pos(u) for u in reviewers), signer_id=pos(signer), capacity=capacity,
        on_behalf_id=pos(on_behalf) if on_behalf else None, to_ids=tuple(pos(u) for u in to),
        cc_ids=tuple(pos(u) for u in cc), groups=tuple(groups))


def save(drafter: str = "staf.umum", c: outgoing.DraftContent | None = None, r: outgoing.Routing | None = None,
         draft_id: int | None = None, send: bool = True) -> int:
    """Save (and by default submit) a draft as `drafter`; returns its id."""
    begin_write()
    draft = outgoing.save_draft(viewer(drafter), c or CONTENT, r or routing(), draft_id)
    if send:
        outgoing.submit(viewer(drafter), draft.id)
    db.session.commit()
    return draft.id


def act(username: str, action, draft_id: int, *args) -> Draft:
    """Run a chain action (outgoing.approve / outgoing.return_draft / outgoing.submit) and commit."""
    begin_write()
    draft = action(viewer(username), draft_id, *args)
    db.session.commit()
    return draft


def approve_all(draft_id: int) -> Draft:
    """Every remaining paraf, in order, by the holders of the reviewing positions."""
    draft = db.session.get(Draft, draft_id)
    while draft.status == "review":
        step = outgoing.current_step(draft)
        draft = act(holder(step.position_id), outgoing.approve, draft_id)
    return draft


def prepare(pki, draft_id: int, signer: str = "sekda", passphrase: str | None = None, today: date | None = None):
    """The signer's passphrase step: number, date and final rendering. Returns the draft (committed)."""
    from sisumaker.services.outgoing_signing import prepare_drafts
    from sisumaker.storage import file_store_for
    from tests.outgoing.conftest import PASSPHRASE

    begin_write()
    prepare_drafts(viewer(signer), pki, file_store_for(), [draft_id], passphrase or PASSPHRASE, today)
    db.session.commit()
    return db.session.get(Draft, draft_id)


def send(pki, draft_id: int, signer: str = "sekda") -> Letter:
    """Prepare and deliver without the cryptographic signature (tests of delivery, not of signing)."""
    from sisumaker.services.delivery import deliver_signed

    draft = prepare(pki, draft_id, signer)
    begin_write()
    letter = deliver_signed(draft.sign_document)
    db.session.commit()
    return letter


def broadcast(pki, groups=("semua-opd", "semua-kecamatan"), **content_overrides) -> tuple[int, Letter]:
    """A Surat Edaran from the Bagian Umum, paraf by the Kabag, signed by the Sekda, delivered to `groups`."""
    draft_id = save(c=content(**content_overrides), r=routing(groups=groups))
    approve_all(draft_id)
    return draft_id, send(pki, draft_id)


def heads_of(unit_ids) -> dict[int, int]:
    """unit id -> head position id (as the delivery picks it)."""
    from sisumaker.services.delivery import unit_heads

    return unit_heads(list(unit_ids))


def head_position(unit_code: str) -> Position:
    u = unit(unit_code)
    return db.session.get(Position, heads_of([u.id])[u.id])


def pdf_text(pdf: bytes) -> str:
    """The text layer of a PDF (poppler's pdftotext), whitespace collapsed."""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())
