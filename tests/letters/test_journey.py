"""The issue-3 journey in a phone-sized Chromium (390x844): a kecamatan clerk registers a scanned letter for the
Bupati, the Bupati disposes it to two OPD heads in at most three taps, a kepala dinas reads it (the Bupati sees
the tick) and disposes it to a kabid, who reports it done; the Bupati sees the whole tree. Every page is checked
for horizontal scrolling and photographed into /tmp/journey-*.png. The disposing step also runs without
JavaScript."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.letters.support import make_pdf, pos, register, root_item

pytestmark = pytest.mark.browser

WIDTH = 390
PERIHAL = "Permohonan dukungan posyandu XJ-PERIHAL"
REPORT = "Posyandu sudah dikunjungi, laporan terlampir XJ-LAPORAN"


class Phone:
    """One official's browser page, with the checks every page gets."""

    def __init__(self, page, base_url: str, name: str):
        self.page, self.base, self.name = page, base_url, name
        self.taps = 0
        self.shots = 0

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def login(self, username: str) -> None:
        self.goto("/masuk")
        self.page.fill("#username", username)
        self.page.fill("#password", "sisumaker-demo")
        self.page.get_by_role("button", name="Masuk").click()
        self.page.wait_for_url(re.compile(r"/$"))

    def tap(self, locator) -> None:
        self.taps += 1
        locator.click()

    def check_page(self, label: str) -> None:
        """No horizontal scroll on a 390 px wide screen, and a full-page screenshot."""
        self.page.wait_for_load_state("networkidle")
        width = self.page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        assert width <= WIDTH, f"{self.name}/{label}: page is {width}px wide (horizontal scroll)"
        self.shots += 1
        self.page.screenshot(path=f"/tmp/journey-{self.name}-{self.shots:02d}-{label}.png", full_page=True)


@pytest.fixture
def phone(web_app, serve_app, phone_context):
    server = serve_app(web_app)

    def open_phone(name: str, username: str, **context) -> Phone:
        p = Phone(phone_context(**context).new_page(), server.url, name)
        p.login(username)
        return p

    return open_phone


def _node(page, title: str):
    """The tracking-tree node of a position (its own head line, not its descendants')."""
    return page.locator("#lacak li.node").filter(has=page.locator(":scope > .node-head", has_text=title))


def test_register_dispose_read_report_journey(ctx, phone, tmp_path):
    scan = tmp_path / "surat-masuk.pdf"
    scan.write_bytes(make_pdf("PEMERINTAH DESA MEKARJAYA", "Perihal: Permohonan dukungan posyandu", pages=2))

    # the kecamatan clerk registers the paper letter, addressed to the Bupati
    clerk = phone("clerk", "tu.kec.pulo-ampel")
    clerk.goto("/surat-masuk/baru")
    clerk.check_page("form")
    page = clerk.page
    page.fill("#sender", "Kepala Desa Mekarjaya")
    page.fill("#number", "140/27/Ds-MKJ/2026")
    page.fill("#letter_date", (date.today() - timedelta(days=1)).isoformat())
    page.fill("#received_on", date.today().isoformat())
    page.fill("#perihal", PERIHAL)
    page.get_by_label("Bupati", exact=True).check()
    page.set_input_files("#scan", str(scan))
    page.get_by_role("button", name="Simpan dan beri nomor agenda").click()
    page.wait_for_url(re.compile(r"/surat-masuk$"))
    assert f"nomor agenda 1/{date.today().year}" in page.locator(".flashes").inner_text()
    assert PERIHAL in page.locator("#agenda").inner_text()
    clerk.check_page("register")

    # the Bupati opens it from his inbox and disposes it to DINKES and DISHUB
    bupati = phone("bupati", "bupati")
    bupati.check_page("inbox")
    bupati.page.get_by_text(PERIHAL).click()
    bupati.page.wait_for_url(re.compile(r"/disposisi/\d+$"))
    bupati_url = bupati.page.url
    assert bupati.page.locator("img.scan-page").count() == 2  # both scan pages previewed as images
    assert bupati.page.get_by_role("checkbox", name="Untuk ditindaklanjuti").is_checked()
    bupati.check_page("letter")
    bupati.tap(bupati.page.get_by_text("DINKES", exact=True))
    bupati.tap(bupati.page.get_by_text("DISHUB", exact=True))
    bupati.tap(bupati.page.get_by_role("button", name="Kirim disposisi"))
    tree = bupati.page.locator("#lacak")
    tree.get_by_text("Kepala Dinas Perhubungan").wait_for()
    assert bupati.taps <= 3, f"disposing took {bupati.taps} taps"
    assert bupati.page.url == bupati_url  # swapped in place by htmx, no page load
    for title in ("Kepala Dinas Kesehatan", "Kepala Dinas Perhubungan"):
        assert "Diterima" in _node(bupati.page, title).inner_text()
    assert "Untuk ditindaklanjuti" in tree.inner_text()
    bupati.check_page("disposed")

    # the kepala dinas kesehatan opens it: the Bupati's tree shows the read tick
    kadis = phone("kadis", "kadis.dinkes")
    kadis.page.get_by_text(PERIHAL).click()
    kadis.page.wait_for_url(re.compile(r"/disposisi/\d+$"))
    assert "Dibaca" in kadis.page.locator("#panel").inner_text()
    kadis.check_page("opened")
    bupati.page.reload()
    dinkes_node = _node(bupati.page, "Kepala Dinas Kesehatan")
    assert "Dibaca" in dinkes_node.inner_text() and "✔" in dinkes_node.locator(".tick").first.inner_text()
    assert "Diterima" in _node(bupati.page, "Kepala Dinas Perhubungan").inner_text()
    bupati.check_page("read-tick")

    # ... and disposes it to the kabid
    kadis.page.get_by_role("checkbox", name="Kepala Bidang 1 Dinas Kesehatan").check()
    kadis.page.get_by_role("button", name="Kirim disposisi").click()
    kadis.page.locator("#lacak").get_by_text("Kepala Bidang 1 Dinas Kesehatan").wait_for()
    kadis.check_page("disposed")

    # the kabid reports it done
    kabid = phone("kabid", "kabid1.dinkes")
    kabid.page.get_by_text(PERIHAL).click()
    kabid.page.wait_for_url(re.compile(r"/disposisi/\d+$"))
    kabid.page.fill("#report", REPORT)
    kabid.page.get_by_role("button", name="Tandai selesai").click()
    kabid.page.get_by_text("Surat ditandai selesai.").wait_for()
    kabid.check_page("done")

    # the Bupati sees the full tree: three levels, the kabid's Selesai and the report
    bupati.page.reload()
    third = bupati.page.locator("#lacak li.node li.node li.node")
    assert third.count() == 1
    text = third.inner_text()
    assert "Kepala Bidang 1 Dinas Kesehatan" in text and "Selesai" in text and REPORT in text
    assert "Diproses" in _node(bupati.page, "Kepala Dinas Kesehatan").locator(":scope > .node-body").first.inner_text()
    bupati.check_page("full-tree")
    print(f"Bupati's taps after opening the letter: {bupati.taps}")


def test_disposing_works_with_javascript_off(ctx, phone):
    entry = register("tu.kec.pulo-ampel", perihal=PERIHAL)
    item = root_item(entry.letter_id, "bupati").id
    bupati = phone("nojs", "bupati", java_script_enabled=False)
    bupati.page.get_by_text(PERIHAL).click()
    bupati.page.wait_for_url(re.compile(rf"/disposisi/{item}$"))
    bupati.check_page("letter")
    bupati.tap(bupati.page.get_by_text("DINKES", exact=True))
    bupati.tap(bupati.page.get_by_text("DISHUB", exact=True))
    bupati.tap(bupati.page.get_by_role("button", name="Kirim disposisi"))
    bupati.page.get_by_text("Disposisi terkirim kepada").wait_for()  # after the 303 and a full page load
    assert bupati.taps <= 3
    assert bupati.page.url.endswith(f"/disposisi/{item}")
    for title in ("Kepala Dinas Kesehatan", "Kepala Dinas Perhubungan"):
        assert "Diterima" in _node(bupati.page, title).inner_text()
    bupati.check_page("disposed")
    # the recipients really got it
    from sisumaker.extensions import db
    db.session.rollback()
    assert root_item(entry.letter_id, "kadis.dinkes").from_position_id == pos("bupati")
    assert root_item(entry.letter_id, "kadis.dishub").instructions == '["Untuk ditindaklanjuti"]'
