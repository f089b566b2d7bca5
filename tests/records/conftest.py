"""The hand-counted fixture of the dashboard tests: letters of Dinkes and Dishub with known times in March 2026."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from sisumaker.extensions import db
from sisumaker.models import Certificate, InboxItem, RegisterEntry, SignatureRequest, SignDocument, StoredFile
from tests.letters.support import dispose, pos, register, root_item, user

UTC = timezone.utc
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def at(day: int, hour: float) -> datetime:
    return datetime(2026, 3, day, tzinfo=UTC) + timedelta(hours=hour)


def _letter(clerk, to, key, received, read_after=None, **overrides):
    entry = register(clerk, to=(to,), perihal=f"Surat {key} dasbor", **overrides)
    item = root_item(entry.letter_id, to)
    read = received + timedelta(hours=read_after) if read_after is not None else None
    db.session.execute(update(InboxItem).where(InboxItem.id == item.id).values(
        received_at=received, read_at=read, status="dibaca" if read else "diterima"))
    db.session.execute(update(RegisterEntry).where(RegisterEntry.id == entry.id).values(received_on=received.date()))
    db.session.commit()
    return entry.letter_id, item


def _disposed(item, by, to, after_hours, deadline, status="diterima"):
    [child] = dispose(by, item.id, (to,))
    db.session.execute(update(InboxItem).where(InboxItem.id == child.id).values(
        received_at=item.received_at + timedelta(hours=after_hours), deadline=deadline, status=status))
    db.session.execute(update(InboxItem).where(InboxItem.id == item.id).values(status="diproses"))
    db.session.commit()
    return child


def _certificate(username, serial, status="aktif", days_left=365):
    now = datetime.now(UTC)
    db.session.add(Certificate(user_id=user(username).id, serial=serial, subject=username, issuer="CA uji",
                               not_before=now - timedelta(days=30), not_after=now + timedelta(days=days_left),
                               cert_pem="-", pkcs12=b"-", status=status))


def _signed(username, title, sifat, when, pages):
    f = StoredFile(sha256=(title.encode().hex() * 8)[:64], size=100, mime="application/pdf", pages=pages)
    db.session.add(f)
    db.session.flush()
    doc = SignDocument(token=title[:43], code=title[:12], title=title, jenis="surat_dinas", sifat=sifat,
                       drafter_id=user(username).id, source_file_id=f.id, current_file_id=f.id,
                       status="ditandatangani", is_final=True, signed_at=when)
    db.session.add(doc)
    db.session.flush()
    db.session.add(SignatureRequest(document_id=doc.id, step=1, role="ttd", position_id=pos(username),
                                    status="signed", signed_at=when))


@pytest.fixture
def adoption(ctx):
    """Dinkes: L1 read after 2 h, disposed after 5 h (done); L2 read 4 h, disposed 10 h (open, due Fri 6 March);
    L3 read 6 h, arrived electronically with 2 attachments; L4 an unread surat edaran; L6 Rahasia (never counted).
    Dishub: L5 read 1 h, disposed 3 h, due Fri 20 March (cuti bersama). Certificates: kadis.dinkes active,
    kabid1.dinkes revoked, kadis.dishub expired. Signed: one Biasa document of kadis.dinkes (3 pages) in March;
    one Rahasia and one from February that do not count."""
    ids = {}
    ids["L1"], l1 = _letter("tu.dinkes", "kadis.dinkes", "L1", at(2, 1), 2)
    ids["L2"], l2 = _letter("tu.dinkes", "kadis.dinkes", "L2", at(3, 1), 4)
    ids["L3"], _ = _letter("tu.dinkes", "kadis.dinkes", "L3", at(4, 1), 6, attachments=2)
    ids["L4"], _ = _letter("tu.dinkes", "kadis.dinkes", "L4", at(5, 1), None, jenis="surat_edaran")
    ids["L5"], l5 = _letter("tu.dishub", "kadis.dishub", "L5", at(2, 2), 1)
    ids["L6"], l6 = _letter("tu.dinkes", "kadis.dinkes", "L6", at(6, 1), 100, sifat="R")
    db.session.execute(update(RegisterEntry).where(RegisterEntry.letter_id == ids["L3"]).values(origin="internal"))
    _disposed(l1, "kadis.dinkes", "kabid1.dinkes", 5, date(2026, 3, 6), status="selesai")
    ids["D2"] = _disposed(l2, "kadis.dinkes", "kabid1.dinkes", 10, date(2026, 3, 6)).id
    _disposed(l5, "kadis.dishub", "kabid1.dishub", 3, date(2026, 3, 20))
    _disposed(l6, "kadis.dinkes", "kabid2.dinkes", 1, date(2026, 3, 6))
    _certificate("kadis.dinkes", "01")
    _certificate("kabid1.dinkes", "02", status="dicabut")
    _certificate("kadis.dishub", "03", days_left=-1)
    _signed("kadis.dinkes", "Surat Keputusan Tim Stunting", "B", at(10, 3), 3)
    _signed("kadis.dinkes", "Telaahan Rahasia", "R", at(11, 3), 5)
    _signed("kadis.dinkes", "Surat Februari", "B", datetime(2026, 2, 27, tzinfo=UTC), 2)
    db.session.commit()
    return ids


def unit_id(code: str) -> int:
    from sisumaker.models import Unit

    return db.session.scalar(select(Unit.id).where(Unit.code == code))
