"""The adoption dashboard and the records pages on a 390x844 phone in Chromium: no sideways scrolling, touch
targets of 44 px, no console or CSP errors."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.test_browser import check_phone_layout, collect_errors, log_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)]


@pytest.mark.parametrize("username", ["bupati", "kadis.dinkes"])
def test_the_dashboard_fits_a_phone(adoption, live_server, browser_page, username):
    page = browser_page
    errors = collect_errors(page)
    page.goto(live_server.url + "/masuk?next=/dasbor")
    log_in(page, live_server.url, username)
    page.goto(live_server.url + "/dasbor?dari=2026-03-01&sampai=2026-03-31")
    assert page.locator("h1").inner_text().startswith("Dasbor Adopsi")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    check_phone_layout(page)
    if username == "bupati":
        assert page.locator("svg.chart-svg").count() == 2
        page.get_by_role("link", name="Dinas Kesehatan", exact=True).click()
        page.wait_for_load_state("load")
        assert "Dinas Kesehatan" in page.locator("h1").inner_text()
    page.locator(".figure a", has_text="lewat tenggat").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Disposisi lewat tenggat"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []


def test_records_admin_pages_fit_a_phone(live_server, browser_page):
    page = browser_page
    errors = collect_errors(page)
    page.goto(live_server.url + "/masuk")
    log_in(page, live_server.url, "admin")
    for path in ("/admin/hari-libur?tahun=2026", "/admin/klasifikasi", "/arsip/retensi"):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.goto(live_server.url + "/admin/klasifikasi")
    page.get_by_label("Cari kode atau nama").fill("cuti")
    expect(page.locator("#klasifikasi-list tbody tr")).to_have_count(1)  # swapped in by htmx as one types
    assert "800.1.11" in page.locator("#klasifikasi-list").inner_text()
    assert errors == []
