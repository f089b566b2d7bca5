"""A real phone-sized browser (Debian's Chromium via Playwright) against the live demo server."""
from __future__ import annotations

import re

import pytest

from tests.helpers import DEMO_PASSWORD

# The journey runs on SQLite only: the routes' PostgreSQL behaviour is covered by the other modules.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)]

LAYOUT = """() => {
  const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const small = [...document.querySelectorAll(
      'button, .btn, input:not([type=hidden]), select, textarea, nav a, header a, .tab')]
    .filter(visible)
    .filter(el => el.getBoundingClientRect().height < 44)
    .map(el => `${el.tagName.toLowerCase()} "${(el.textContent || el.name || '').trim().slice(0, 30)}" `
               + `${el.getBoundingClientRect().height}px`);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    bodyFont: parseFloat(getComputedStyle(document.body).fontSize),
    smallTargets: small,
  };
}"""


def check_phone_layout(page) -> dict:
    layout = page.evaluate(LAYOUT)
    assert layout["innerWidth"] == 390
    assert layout["scrollWidth"] <= 390, f"page scrolls sideways: {layout['scrollWidth']}px wide"
    assert layout["bodyFont"] >= 16
    assert layout["smallTargets"] == [], "touch targets under 44px"
    return layout


def collect_errors(page) -> list[str]:
    """Console errors (a CSP violation shows up here), uncaught page errors and failed responses.

    The browser's own /favicon.ico probe is not the page's doing and is left out.
    """
    errors: list[str] = []

    def on_console(msg):
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            errors.append(msg.text)

    def on_response(response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", on_response)
    return errors


def log_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state("load")


def test_bupati_logs_in_on_a_phone(live_server, browser_page):
    page = browser_page
    errors = collect_errors(page)
    page.goto(live_server.url + "/")
    assert re.search(r"/masuk\?next=", page.url), page.url
    check_phone_layout(page)
    button = page.get_by_role("button", name="Masuk").bounding_box()
    assert button["height"] >= 44 and button["width"] >= 44
    assert page.evaluate("getComputedStyle(document.querySelector('input[name=username]')).fontSize") == "16px"

    log_in(page, live_server.url, "bupati")
    assert page.url == live_server.url + "/"
    assert page.get_by_role("heading", name="Kotak Masuk", level=1).is_visible()
    positions = page.locator("#jabatan")
    assert positions.get_by_text("Bupati", exact=True).is_visible()
    check_phone_layout(page)
    assert page.evaluate("typeof htmx") == "object", "vendored htmx did not load"
    assert errors == []

    page.get_by_role("button", name="Keluar").click()
    page.wait_for_load_state("load")
    assert "/masuk" in page.url and page.get_by_text("Anda telah keluar.").is_visible()


def test_wrong_password_is_explained_in_indonesian(live_server, browser_page):
    page = browser_page
    page.goto(live_server.url + "/masuk")
    log_in(page, live_server.url, "bupati", "salah-sekali")
    assert page.get_by_text("Nama pengguna atau kata sandi salah.").is_visible()
    assert page.get_by_label("Kata sandi").get_attribute("aria-invalid") == "true"
    check_phone_layout(page)


def test_login_works_with_javascript_disabled(live_server, phone_context):
    context = phone_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert page.evaluate("typeof htmx") == "undefined"  # the page's scripts really did not run
    log_in(page, live_server.url, "camat.pulo-ampel")
    assert page.url == live_server.url + "/"
    assert page.get_by_role("heading", name="Kotak Masuk", level=1).is_visible()
    assert page.locator("#jabatan").get_by_text("Camat Pulo Ampel", exact=True).is_visible()
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_load_state("load")
    assert "/masuk" in page.url
