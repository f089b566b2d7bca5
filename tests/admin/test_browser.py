"""The console on a phone (390x844, Debian's Chromium): no sideways scrolling, touch targets of 44 px, the unit
tree opens branch by branch, the user search swaps its list in with htmx, no CSP or script errors."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.test_browser import check_phone_layout, collect_errors, log_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)]


def test_console_home_and_user_list_fit_a_phone(live_server, browser_page):
    page = browser_page
    errors = collect_errors(page)
    page.goto(live_server.url + "/masuk")
    log_in(page, live_server.url, "admin")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="Konsol Admin", level=1).is_visible()
    check_phone_layout(page)

    page.goto(live_server.url + "/admin/pengguna")
    assert page.get_by_role("heading", name="Pengguna", level=1).is_visible()
    check_phone_layout(page)
    page.get_by_label("Cari nama pengguna, nama atau NIP").fill("kasi11.dinkes")
    expect(page.locator("#daftar-pengguna .item")).to_have_count(1)
    assert "kasi11.dinkes" in page.locator("#daftar-pengguna").inner_text()
    assert "q=kasi11.dinkes" in page.url  # the search is in the address (history, reload)
    check_phone_layout(page)

    page.goto(live_server.url + "/admin/unit")
    check_phone_layout(page)
    page.locator("summary", has_text="Dinas Kesehatan").first.click()
    page.wait_for_selector("text=Bidang 1 Dinas Kesehatan")
    check_phone_layout(page)
    for path in ("/admin/unit/%d" % page_unit_id(page), "/admin/pola", "/admin/audit", "/admin/plt",
                 "/admin/grup/baru", "/admin/pengguna/baru"):
        page.goto(live_server.url + path)
        check_phone_layout(page)
    assert errors == []


def page_unit_id(page) -> int:
    """The id of the Dinas Kesehatan unit, read from its link in the tree."""
    href = page.get_by_role("link", name="Buka Dinas Kesehatan").get_attribute("href")
    return int(href.rstrip("/").rsplit("/", 1)[1])
