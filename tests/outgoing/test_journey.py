"""The issue-5 journey in a phone-sized Chromium (390x844), signing in-process (no Redis): staf.umum drafts a
Surat Edaran to all OPDs and all kecamatan (paraf Kabag Umum, TTE Sekda) -> the Kabag returns it with a note ->
the drafter fixes it and resends -> the Kabag sees the change highlighted and gives paraf -> the Sekda signs on
/tte with the passphrase -> every OPD and kecamatan register has it with its own agenda number -> kadis.dinkes
opens it -> the sender's matrix shows "Dibaca 1 dari 59". Every page is checked for horizontal scrolling and
photographed into /tmp/out-*.png."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import Draft, RegisterEntry, Unit
from sisumaker.services.delivery import group_units
from sisumaker.services.letters import IncomingLetter, register_incoming
from tests.outgoing.conftest import PASSPHRASE
from tests.outgoing.support import pos, viewer

pytestmark = pytest.mark.browser

WIDTH = 390
PERIHAL = "Penggunaan Aplikasi Sisumaker XJ-EDARAN"
FIX = "Paling lambat 31 Desember 2026 seluruh surat dinas dikirim melalui Sisumaker."


class Phone:
    """One official's browser page, with the checks every page gets."""

    def __init__(self, page, base_url: str, name: str):
        self.page, self.base, self.name, self.shots = page, base_url, name, 0

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def login(self, username: str) -> None:
        self.goto("/masuk")
        self.page.fill("#username", username)
        self.page.fill("#password", "sisumaker-demo")
        self.page.get_by_role("button", name="Masuk").click()
        self.page.wait_for_url(re.compile(r"/$"))

    def check_page(self, label: str) -> None:
        """No horizontal scroll on a 390 px wide screen, and a full-page screenshot."""
        self.page.wait_for_load_state("networkidle")
        self.shots += 1
        self.page.screenshot(path=f"/tmp/out-{self.name}-{self.shots:02d}-{label}.png", full_page=True)
        width = self.page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        assert width <= WIDTH, f"{self.name}/{label}: page is {width}px wide (horizontal scroll)"


@pytest.fixture
def phone(web_app, pki, serve_app, phone_context):
    server = serve_app(web_app)

    def open_phone(name: str, username: str) -> Phone:
        p = Phone(phone_context().new_page(), server.url, name)
        p.login(username)
        return p

    return open_phone


def _paper_letter_at_pulo_ampel() -> None:
    """The kecamatan's clerk registered one paper letter first, so its next agenda number is 2."""
    begin_write()
    entry = register_incoming(viewer("tu.kec.pulo-ampel"), IncomingLetter(
        sender="Kepala Desa Mekarjaya", number="140/27/2026", letter_date=date.today(), received_on=date.today(),
        jenis="surat_dinas", perihal="Permohonan dukungan posyandu", to_position_ids=(pos("camat.pulo-ampel"),)),
        None)
    db.session.commit()
    assert entry.agenda_number == 1


def test_broadcast_journey(ctx, phone):
    _paper_letter_at_pulo_ampel()

    # the drafter writes the circular from the template
    drafter = phone("drafter", "staf.umum")
    page = drafter.page
    drafter.goto("/surat-keluar/")
    page.get_by_role("link", name="+ Konsep baru").click()
    page.get_by_role("link", name="Surat Edaran").click()
    drafter.check_page("form")
    page.fill("#perihal", PERIHAL)
    page.fill("#body", "Dalam rangka percepatan **SPBE**, diminta kepada Saudara untuk:\n\n"
                       "1. menggunakan Sisumaker untuk seluruh naskah dinas;\n2. menunjuk petugas agenda.")
    page.get_by_label("Semua OPD").check()
    page.get_by_label("Semua kecamatan").check()
    page.get_by_label("Paraf Kepala Bagian Umum").check()
    page.get_by_label("Penanda tangan Sekretaris Daerah").check()
    page.get_by_role("button", name="Simpan dan kirim untuk paraf").click()
    page.wait_for_url(re.compile(r"/surat-keluar/\d+$"))
    draft_id = int(page.url.rsplit("/", 1)[1])
    assert "menunggu di Kepala Bagian Umum" in page.inner_text("dl.meta")
    drafter.check_page("sent-for-paraf")

    # the Kabag returns it with a note
    kabag = phone("kabag", "kabag.umum")
    kabag.goto("/surat-keluar/")
    kabag.check_page("list")
    kabag.page.get_by_role("link", name=re.compile(PERIHAL)).click()
    kabag.check_page("review")
    kabag.page.fill("#note", "Cantumkan batas waktu pelaksanaan.")
    kabag.page.get_by_role("button", name="Kembalikan dengan catatan").click()
    assert "Konsep dikembalikan kepada konseptor." in kabag.page.inner_text("main")

    # the drafter sees the note, fixes the letter and resends it
    drafter.goto(f"/surat-keluar/{draft_id}")
    assert "Cantumkan batas waktu pelaksanaan." in page.inner_text("main")
    drafter.check_page("returned")
    page.get_by_role("link", name="Ubah konsep").click()
    page.fill("#body", page.input_value("#body") + "\n\n" + FIX)
    page.get_by_role("button", name="Simpan dan kirim untuk paraf").click()
    page.wait_for_url(re.compile(rf"/surat-keluar/{draft_id}$"))
    drafter.check_page("resent")

    # the Kabag sees what changed since the version returned, highlighted, and gives paraf
    kabag.goto(f"/surat-keluar/{draft_id}")
    added = kabag.page.locator("pre.diff span.add", has_text="Paling lambat 31 Desember 2026")
    assert added.count() == 1
    assert added.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    kabag.check_page("changes")
    kabag.page.get_by_role("button", name="Paraf (setujui)").click()
    assert "Paraf diberikan." in kabag.page.inner_text("main")

    # the Sekda signs on /tte with the passphrase
    sekda = phone("sekda", "sekda")
    sekda.goto("/tte/")
    sekda.check_page("queue")
    assert sekda.page.locator(f'input[name="draft_ids"][value="{draft_id}"]').is_checked()
    sekda.page.fill("#passphrase", PASSPHRASE)
    sekda.page.get_by_role("button", name="Tandatangani yang dipilih").click()
    sekda.page.wait_for_url(re.compile(r"/tte/proses/\d+$"))
    assert re.search(r"1\s+dari\s+1\s+ditandatangani", sekda.page.inner_text("main"))
    sekda.check_page("signed")

    # every OPD and kecamatan register has it, each with its own agenda number
    db.session.rollback()
    draft = db.session.get(Draft, draft_id)
    assert draft.status == "terkirim" and re.fullmatch(rf"000/1/SETDA/{date.today().year}", draft.number)
    entries = dict(db.session.execute(select(Unit.code, RegisterEntry.agenda_number).join(Unit).where(
        RegisterEntry.letter_id == draft.letter_id)).all())
    assert len(entries) == 59 and set(db.session.scalars(select(Unit.id).where(Unit.code.in_(entries)))) == set(
        group_units(["semua-opd", "semua-kecamatan"]))
    assert entries["KEC-PULO-AMPEL"] == 2 and {n for c, n in entries.items() if c != "KEC-PULO-AMPEL"} == {1}
    year = date.today().year
    for clerk, number in (("tu.kec.pulo-ampel", 2), ("tu.dinkes", 1), ("tu.kec.anyar", 1), ("tu.bapenda", 1)):
        p = phone(f"clerk-{clerk.removeprefix('tu.')}", clerk)
        p.goto("/surat-masuk")
        row = p.page.locator("#agenda li", has_text=PERIHAL)
        assert row.count() == 1, clerk
        assert f"No. {number}/{year}" in row.inner_text(), (clerk, row.inner_text())
        p.check_page("register")

    # the head of the health office opens it from the inbox
    kadis = phone("kadis", "kadis.dinkes")
    kadis.check_page("inbox")
    kadis.page.locator("a.item-link", has_text=PERIHAL).click()
    kadis.page.wait_for_url(re.compile(r"/disposisi/\d+$"))
    meta = kadis.page.inner_text("dl.meta")
    assert PERIHAL in kadis.page.inner_text("main")
    assert f"1/{year} · Dinas Kesehatan" in meta and "Kecamatan Anyar" not in meta  # its own register only
    assert re.search(r"Tercatat di\s+59 unit", meta)
    kadis.check_page("letter")

    # the sender's matrix: one tick among 59
    drafter.goto(f"/surat-keluar/{draft_id}")
    assert page.locator("#matriks h2").inner_text() == "Dibaca 1 dari 59"
    assert page.locator("#matriks tr.m-dibaca").count() == 1
    assert "Dinas Kesehatan" in page.locator("#matriks tr.m-dibaca").inner_text()
    drafter.check_page("matrix")
    drafter.goto(f"/surat-keluar/{draft_id}/matriks")
    drafter.check_page("matrix-page")
