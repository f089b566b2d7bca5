"""The confidentiality rule on every read path: Rahasia and Sangat Rahasia letters are seen only by their
addressees and the positions they are disposed to; Biasa letters also by the registering unit's clerk."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from sisumaker.extensions import db
from sisumaker.models import InboxItem
from sisumaker.services import inbox
from sisumaker.services.access import can_view_letter
from sisumaker.services.dispositions import open_item, report_progress
from tests.helpers import csrf_token, text
from tests.letters.support import bell_count, dispose, register, root_item, tab_counts, viewer

INBOX_PAGES = ("/", "/?f=semua", "/?f=belum-dibaca", "/?f=perlu-disposisi", "/?f=tenggat", "/?f=rahasia")


@dataclass
class Secret:
    letter_id: int
    agenda: str
    bupati_item: int
    kadis_item: int
    words: tuple[str, ...]  # perihal, sender, number, summary, scan text, report: none may leak

    def letter_paths(self) -> list[str]:
        base = f"/surat/{self.letter_id}"
        return [base, f"{base}/pindaian", f"{base}/pindaian/1.png"]

    def item_paths(self) -> list[str]:
        paths = []
        for item in (self.bupati_item, self.kadis_item):
            paths += [f"/disposisi/{item}", f"/disposisi/{item}/lembar.pdf"]
        return paths + [f"/disposisi/{self.kadis_item}/lampiran"]


def _snapshot(client) -> dict:
    """What a user's inbox counts and bell say."""
    return {"tabs": tab_counts(text(client.get("/"))), "bell": bell_count(text(client.get("/notifikasi/jumlah")))}


def _assert_hidden(client, path: str, secret: Secret) -> None:
    response = client.get(path)
    assert response.status_code in (403, 404), f"{path} answered {response.status_code}"
    body = response.get_data()
    for word in secret.words:
        assert word.encode() not in body, f"{word!r} leaked on {path}"


def _assert_no_words(html: str, secret: Secret, where: str) -> None:
    for word in secret.words:
        assert word not in html, f"{word!r} leaked on {where}"


CASES = [("R", "tu.setda"), ("SR", "tu.kec.pulo-ampel")]
OUTSIDERS = ("tu.setda", "tu.kec.pulo-ampel", "kadis.dlh", "admin", "kabid1.dinkes", "sekda", "camat.pulo-ampel")


@pytest.mark.parametrize("sifat,clerk", CASES, ids=[c[0] for c in CASES])
def test_confidential_letter_is_hidden_on_every_read_path(ctx, client_for, stored_pdf, sifat, clerk):
    tag = f"X{sifat}7731"
    outsiders = {u: client_for(u) for u in OUTSIDERS}
    before = {u: _snapshot(c) for u, c in outsiders.items()}
    bupati, kadis = client_for("bupati"), client_for("kadis.dinkes")
    bupati_before = _snapshot(bupati)

    scan = stored_pdf(f"Isi pindaian {tag}-SCAN")
    entry = register(clerk, scan=scan, sifat=sifat, perihal=f"Penyelidikan {tag}-PERIHAL",
                     sender=f"Kejaksaan Negeri {tag}-SENDER", number=f"R-{tag}-NUM", summary=f"Ringkasan {tag}-SUM")
    bupati_item = root_item(entry.letter_id, "bupati")
    letter_path = f"/surat/{entry.letter_id}"
    assert kadis.get(letter_path).status_code == 404  # not yet disposed to him

    kadis_item = dispose("bupati", bupati_item.id, ("kadis.dinkes",))[0]
    open_item(viewer("kadis.dinkes"), kadis_item.id)
    report_progress(viewer("kadis.dinkes"), kadis_item.id, done=False, report=f"Laporan {tag}-REPORT",
                    attachment=stored_pdf(f"Lampiran {tag}-ATTACH"))
    db.session.commit()
    secret = Secret(entry.letter_id, entry.agenda_label, bupati_item.id, kadis_item.id,
                    (f"{tag}-PERIHAL", f"{tag}-SENDER", f"{tag}-NUM", f"{tag}-SUM", f"{tag}-REPORT"))

    # the addressee and the recipient see it everywhere
    for client, own in ((bupati, bupati_item.id), (kadis, kadis_item.id)):
        page = client.get(letter_path)
        assert page.status_code == 200 and f"{tag}-PERIHAL" in text(page)
        assert client.get(f"{letter_path}/pindaian").data.startswith(b"%PDF-")
        assert client.get(f"{letter_path}/pindaian/1.png").data.startswith(b"\x89PNG")
        assert client.get(f"/disposisi/{own}").status_code == 200
        assert client.get(f"/disposisi/{own}/lembar.pdf").data.startswith(b"%PDF-")
        assert client.get(f"/disposisi/{kadis_item.id}/lampiran").data.startswith(b"%PDF-")
        assert f"{tag}-PERIHAL" in text(client.get("/?f=rahasia"))
    assert _snapshot(bupati)["tabs"]["rahasia"] == bupati_before["tabs"]["rahasia"] + 1

    # nobody else, on any path
    for username, client in outsiders.items():
        for path in secret.letter_paths() + secret.item_paths():
            _assert_hidden(client, path, secret)
        for page in INBOX_PAGES + (f"/?f=rahasia&jabatan={bupati_item.position_id}", "/notifikasi",
                                   "/notifikasi/jumlah"):
            _assert_no_words(text(client.get(page)), secret, f"{page} of {username}")
        assert _snapshot(client) == before[username], f"counts of {username} changed"
        v = viewer(username)
        assert not can_view_letter(v, entry.letter_id)
        assert inbox.inbox_counts(v)["rahasia"] == 0
        assert all(i.letter_id != entry.letter_id for i in inbox.inbox_items(v, "semua")[0])

    # the clerk's register keeps the line, masked: number and date only
    register_page = text(outsiders[clerk].get("/surat-masuk"))
    assert f"No. {secret.agenda}" in register_page and "isi hanya untuk penerima" in register_page
    _assert_no_words(register_page, secret, "the register")
    fragment = text(outsiders[clerk].get("/surat-masuk", headers={"HX-Request": "true"}))
    assert f"No. {secret.agenda}" in fragment
    _assert_no_words(fragment, secret, "the register fragment")

    # nobody's look ticked anything
    db.session.rollback()
    assert db.session.get(InboxItem, bupati_item.id).status == "diproses"
    assert db.session.get(InboxItem, kadis_item.id).read_by_id == viewer("kadis.dinkes").user.id


def test_biasa_letter_is_visible_to_the_registering_clerk_only_among_clerks(ctx, client_for, stored_pdf):
    entry = register("tu.setda", scan=stored_pdf("Pindaian surat biasa"), perihal="Permohonan data XB-PERIHAL")
    path = f"/surat/{entry.letter_id}"
    own = client_for("tu.setda")
    assert "XB-PERIHAL" in text(own.get(path))
    assert own.get(f"{path}/pindaian").data.startswith(b"%PDF-")
    assert own.get(f"{path}/pindaian/1.png").data.startswith(b"\x89PNG")
    assert "XB-PERIHAL" in text(own.get("/surat-masuk"))
    other = client_for("tu.dinkes")
    for p in (path, f"{path}/pindaian", f"{path}/pindaian/1.png"):
        assert other.get(p).status_code == 404
    assert "XB-PERIHAL" not in text(other.get("/surat-masuk"))
    # seeing a letter is not holding it: the clerk cannot open the Bupati's item
    bupati_item = root_item(entry.letter_id, "bupati")
    assert own.get(f"/disposisi/{bupati_item.id}").status_code == 404
    assert db.session.get(InboxItem, bupati_item.id).status == "diterima"


def test_a_recalled_disposition_hides_the_letter_again(ctx, client_for):
    dishub = client_for("kadis.dishub")
    before = _snapshot(dishub)
    entry = register("tu.setda", sifat="R", perihal="Rencana pengamanan XRC-PERIHAL")
    bupati_item = root_item(entry.letter_id, "bupati")
    child = dispose("bupati", bupati_item.id, ("kadis.dishub",))[0]
    path = f"/surat/{entry.letter_id}"
    assert dishub.get(path).status_code == 200
    assert "XRC-PERIHAL" in text(dishub.get("/?f=rahasia"))
    assert _snapshot(dishub)["tabs"]["rahasia"] == before["tabs"]["rahasia"] + 1

    bupati = client_for("bupati")
    response = bupati.post(f"/disposisi/{bupati_item.id}/tarik/{child.id}",
                           data={"csrf_token": csrf_token(bupati, f"/disposisi/{bupati_item.id}")})
    assert response.status_code == 303
    db.session.rollback()  # see the request's commit (SQLite keeps a read snapshot until the transaction ends)
    assert db.session.get(InboxItem, child.id).status == "ditarik"

    for p in (path, f"/disposisi/{child.id}", f"/disposisi/{child.id}/lembar.pdf"):
        assert dishub.get(p).status_code == 404, p
    for page in INBOX_PAGES:
        assert "XRC-PERIHAL" not in text(dishub.get(page))
    assert _snapshot(dishub) == before
    assert not can_view_letter(viewer("kadis.dishub"), entry.letter_id)
    assert can_view_letter(viewer("bupati"), entry.letter_id)


def test_inbox_counts_match_the_filtered_lists(ctx):
    """The counts are summed from (status, kind, confidential) groups and a deadline count; each must equal the
    length of the list its tab shows, and every item must carry its letter's confidentiality."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from sisumaker.models import CONFIDENTIAL, Letter

    soon = date.today() + timedelta(days=2)
    for sifat, cc in (("R", ("sekda",)), ("SR", ()), ("B", ("sekda",)), ("T", ())):
        entry = register("tu.setda", sifat=sifat, cc=cc, perihal=f"Surat hitungan {sifat}")
        item = root_item(entry.letter_id, "bupati")
        dispose("bupati", item.id, ("kadis.dinkes", "sekda"), deadline=soon if sifat in ("R", "B") else None)
    open_item(viewer("kadis.dinkes"), root_item(db.session.scalars(
        select(Letter.id).where(Letter.perihal == "Surat hitungan R")).one(), "kadis.dinkes").id)
    db.session.commit()

    for username in ("bupati", "sekda", "kadis.dinkes", "camat.pulo-ampel"):
        v = viewer(username)
        counts = inbox.inbox_counts(v)
        for key in inbox.FILTERS:
            listed, page, more = 0, 1, True
            while more:
                items, more = inbox.inbox_items(v, key, page=page)
                listed, page = listed + len(items), page + 1
            assert counts[key] == listed, f"{username}: tab {key} counts {counts[key]}, lists {listed}"
    assert inbox.inbox_counts(viewer("kadis.dinkes"))["rahasia"] >= 2
    assert inbox.inbox_counts(viewer("kadis.dinkes"))["tenggat"] >= 2

    wrong = db.session.scalars(select(InboxItem.id).join(Letter, Letter.id == InboxItem.letter_id)
                               .where(InboxItem.confidential != Letter.sifat.in_(CONFIDENTIAL))).all()
    assert wrong == []
