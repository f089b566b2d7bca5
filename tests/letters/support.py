"""Helpers for the issue-3 tests (incoming register, inbox, dispositions); importable as tests.letters.support.

Everything here runs inside an app context on a copy of the demo regency.
"""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import (AgendaCounter, AuditEvent, InboxItem, Letter, LetterAddressee, Notification,
                              RegisterEntry, StoredFile, User)
from sisumaker.services.access import Viewer, viewer_for
from sisumaker.services.dispositions import DispositionInput, dispose_letter
from sisumaker.services.letters import IncomingLetter, register_incoming

COUNTED = (Letter, LetterAddressee, RegisterEntry, AgendaCounter, InboxItem, Notification, AuditEvent, StoredFile)


def user(username: str) -> User:
    found = db.session.scalar(select(User).where(User.username == username))
    assert found is not None, f"demo user {username!r} missing"
    return found


def pos(username: str) -> int:
    """The position id the demo user holds."""
    return user(username).position_id


def viewer(username: str, on: date | None = None) -> Viewer:
    return viewer_for(user(username), on)


def counts() -> dict[str, int]:
    """Row counts of every table a registration or disposition writes to."""
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def incoming(**overrides) -> IncomingLetter:
    """A valid incoming letter addressed to the Bupati; `to`/`cc` take usernames, the rest the dataclass fields."""
    today = date.today()
    to = overrides.pop("to", ("bupati",))
    cc = overrides.pop("cc", ())
    values = dict(
        sender="Kantor Wilayah Kementerian Hukum Banten", number="W29-UM.01.01-123", jenis="surat_dinas",
        letter_date=today - timedelta(days=3), received_on=today, perihal="Undangan rapat koordinasi hukum",
        summary="Rapat koordinasi penyusunan produk hukum daerah.", classification_code="100",
        to_position_ids=tuple(pos(u) for u in to), cc_position_ids=tuple(pos(u) for u in cc),
    )
    values.update(overrides)
    return IncomingLetter(**values)


def register(clerk: str = "tu.setda", scan: StoredFile | None = None, **overrides) -> RegisterEntry:
    """Register and commit as the routes do (write transaction first)."""
    begin_write()
    entry = register_incoming(viewer(clerk), incoming(**overrides), scan)
    db.session.commit()
    return entry


def root_item(letter_id: int, username: str) -> InboxItem:
    """The inbox item the letter occupies in the user's position."""
    item = db.session.scalar(select(InboxItem).where(InboxItem.letter_id == letter_id,
                                                     InboxItem.position_id == pos(username))
                             .order_by(InboxItem.id.desc()))
    assert item is not None, f"letter {letter_id} is not in {username}'s inbox"
    return item


def dispose(username: str, item_id: int, to: tuple[str, ...], instructions=("Untuk ditindaklanjuti",),
            **kwargs) -> list[InboxItem]:
    begin_write()
    children = dispose_letter(viewer(username), item_id,
                              DispositionInput(tuple(pos(u) for u in to), tuple(instructions), **kwargs))
    db.session.commit()
    return children


def make_pdf(*lines: str, pages: int = 1, padding: int = 0) -> bytes:
    """A real PDF (reportlab) with the given lines of text on each page; `padding` appends that many bytes of
    a comment after %%EOF, to make a file larger than an upload limit."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    for n in range(pages):
        y = 780
        for line in lines or ("Surat uji",):
            c.drawString(72, y, line)
            y -= 18
        c.drawString(72, 60, f"Halaman {n + 1}")
        c.showPage()
    c.save()
    data = buf.getvalue()
    if padding:
        data += b"\n%" + b"0" * padding + b"\n"
    return data


def files_under(root: Path) -> set[str]:
    """Every file below `root` (relative names), to prove an upload left nothing behind."""
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


# ----------------------------------------------------------------------------------------------- HTML


_COUNT = re.compile(r'[?&]f=([a-z-]+)[^"]*"[^>]*>[^<]*<span class="count">(\d+)</span>')
_BELL = re.compile(r'<span class="bell-count">(\d+\+?)</span>')


def tab_counts(html: str) -> dict[str, int]:
    """The filter tabs of the inbox page: {"semua": 3, "belum-dibaca": 1, ...}."""
    found = {key: int(n) for key, n in _COUNT.findall(html)}
    assert "semua" in found, "no filter tabs on the page"
    return found


def bell_count(html: str) -> int:
    """The bell's unread count (0 when the badge is absent)."""
    m = _BELL.search(html)
    return int(m.group(1).rstrip("+")) if m else 0


def raw_pdf(*objects: str) -> bytes:
    """A hand-written PDF from object bodies (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
