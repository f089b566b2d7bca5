"""The issue-4 journey in a phone-sized Chromium (390x844), through a live server, a real Redis and the real
worker: 20 letters wait for the Sekda, who opens Tanda Tangan, finds all 20 pre-checked, types the passphrase
once and watches the progress fragment reach "20 dari 20"; then an anonymous visitor opens the URL read from the
QR of one signed PDF, sees "Berlaku", uploads that PDF and reads "asli dan sah". Every page is checked for
horizontal scrolling and photographed into /tmp/tte-*.png."""
from __future__ import annotations

import re

import pytest

from tests.tte.conftest import PASSPHRASE
from tests.tte.support import NEEDS_TOOLS, WorkerProcess, qr_codes, worker_env

pytestmark = [pytest.mark.browser, pytest.mark.redis]
WIDTH = 390


class Phone:
    def __init__(self, page, base: str, name: str):
        self.page, self.base, self.name, self.shots = page, base, name, 0

    def check(self, label: str) -> None:
        self.page.wait_for_load_state("networkidle")
        width = self.page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        assert width <= WIDTH, f"{self.name}/{label}: page is {width}px wide (horizontal scroll)"
        self.shots += 1
        self.page.screenshot(path=f"/tmp/tte-{self.name}-{self.shots:02d}-{label}.png", full_page=True)


def test_sekda_signs_twenty_letters_and_a_visitor_verifies_one(make_tte, own_redis, serve_app, phone_context,
                                                               tmp_path):
    if NEEDS_TOOLS.args[0]:
        pytest.skip(NEEDS_TOOLS.kwargs["reason"])
    tte = make_tte(REDIS_URL=own_redis.url)
    server = serve_app(tte.web)
    tte.set_base_url(server.url)
    doc_ids = tte.submit(20, signer="sekda", title="Surat Keputusan Tim Posyandu")
    worker = WorkerProcess(worker_env(tte, own_redis.url, tte.web.config["RQ_QUEUE"]), tmp_path / "worker.log")
    try:
        sekda = Phone(phone_context().new_page(), server.url, "sekda")
        page = sekda.page
        page.goto(server.url + "/masuk")
        page.fill("#username", "sekda")
        page.fill("#password", "sisumaker-demo")
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(re.compile(r"/$"))
        page.get_by_role("link", name="Tanda Tangan").click()
        page.wait_for_url(re.compile(r"/tte/$"))
        boxes = page.locator("input[name=request_ids]")
        assert boxes.count() == 20
        assert all(boxes.nth(i).is_checked() for i in range(20)), "not every waiting letter is pre-checked"
        sekda.check("antrean")
        page.fill("#passphrase", PASSPHRASE)
        page.get_by_role("button", name="Tandatangani yang dipilih").click()
        page.wait_for_url(re.compile(r"/tte/proses/\d+$"))
        sekda.check("proses-awal")
        progress = page.locator("#progres .progress-line")
        progress.filter(has_text="20 dari 20").wait_for(timeout=180_000)  # polled by htmx every second
        assert re.search(r"^20 dari 20 ditandatangani", progress.inner_text().strip())
        page.locator("#progres .done").wait_for()
        assert page.locator("#progres .status-selesai").count() == 20
        sekda.check("proses-selesai")
    finally:
        worker.stop()

    signed = tmp_path / "surat.pdf"
    signed.write_bytes(tte.current_pdf(doc_ids[7]))
    (url,) = qr_codes(signed, tmp_path / "qr")
    assert url == f"{server.url}/v/{tte.document(doc_ids[7]).token}"

    visitor = Phone(phone_context().new_page(), server.url, "pengunjung")
    page = visitor.page
    page.goto(url)
    assert page.locator(".verify-status strong").inner_text() == "Berlaku"
    assert "Surat Keputusan Tim Posyandu 8" in page.content()
    visitor.check("verifikasi")
    page.set_input_files("#pdf", str(signed))
    page.get_by_role("button", name="Periksa").click()
    result = page.locator("#hasil h2")
    result.wait_for()
    assert result.inner_text() == "Hasil: asli dan sah"
    page.wait_for_timeout(300)  # let the browser scroll to #hasil
    top = page.evaluate("document.querySelector('#hasil').getBoundingClientRect().top")
    assert 0 <= top < 844, f"the verdict is off screen (at {top}px): the visitor would not see it"
    visitor.check("hasil")
