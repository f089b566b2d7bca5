"""The search page in a phone-sized Chromium: results arrive as one types (htmx, URL kept), and the same page
works with JavaScript off (a plain GET form)."""
from __future__ import annotations

import pytest

from tests.letters.support import register
from tests.test_browser import check_phone_layout, collect_errors, log_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)]


def test_results_follow_typing_on_a_phone(ctx, live_server, browser_page):
    register(perihal="Undangan rapat kesiapsiagaan banjir")
    page = browser_page
    errors = collect_errors(page)
    page.goto(live_server.url + "/cari")
    log_in(page, live_server.url, "bupati")
    assert page.url.endswith("/cari")
    page.get_by_label("Kata kunci").press_sequentially("banji", delay=40)
    page.locator("#hasil mark").first.wait_for(timeout=10_000)
    assert page.locator("#hasil mark").first.inner_text().lower().startswith("banji")
    assert "q=banji" in page.url  # hx-push-url: the address can be shared and reloaded
    check_phone_layout(page)
    assert errors == []


def test_search_works_without_javascript(ctx, live_server, phone_context):
    register(perihal="Undangan rapat kesiapsiagaan banjir")
    page = phone_context(java_script_enabled=False).new_page()
    page.goto(live_server.url + "/cari")
    log_in(page, live_server.url, "bupati")
    page.get_by_label("Kata kunci").fill("banjir")
    page.get_by_role("button", name="Cari", exact=True).click()
    page.wait_for_load_state("load")
    assert "q=banjir" in page.url and page.locator("#hasil mark").count() >= 1
