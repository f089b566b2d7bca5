"""Login, CSRF, rate limits, session safety, security headers and cookie flags (through the real form)."""
from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import AuditEvent, User
from sisumaker.services import auth
from sisumaker.services.errors import ValidationError
from tests.helpers import DEFAULT, DEMO_PASSWORD, csrf_token, location, login, text

WRONG = "Nama pengguna atau kata sandi salah."
CSRF_REFUSED = "Formulir kedaluwarsa atau tidak sah (token keamanan tidak cocok)."
TOO_MANY = "Terlalu banyak percobaan. Tunggu beberapa menit lalu coba lagi."


def set_user(app, username: str, **values) -> None:
    with app.app_context():
        found = db.session.scalar(select(User).where(User.username == username))
        for key, value in values.items():
            setattr(found, key, value)
        db.session.commit()


@pytest.mark.parametrize(("username", "password", "status", "message"), [
    ("bupati", DEMO_PASSWORD, 302, None),
    ("  Bupati ", DEMO_PASSWORD, 302, None),  # usernames are trimmed and case-insensitive
    ("bupati", "sisumaker-demo ", 401, WRONG),
    ("bupati", "salah-sekali", 401, WRONG),
    ("tidak.ada", DEMO_PASSWORD, 401, WRONG),
    ("wabup", DEMO_PASSWORD, 401, "Akun Anda dinonaktifkan. Hubungi admin Diskominfo."),  # disabled below
    ("", DEMO_PASSWORD, 422, "Nama pengguna wajib diisi."),
    ("bupati", "", 422, "Kata sandi wajib diisi."),
], ids=["right", "trimmed-uppercase", "trailing-space", "wrong-password", "unknown-user", "disabled", "no-username",
        "no-password"])
def test_login(demo_app, username, password, status, message):
    set_user(demo_app, "wabup", is_enabled=False)
    client = demo_app.test_client()
    response = login(client, username, password)
    assert response.status_code == status
    inbox = client.get("/")
    if message is None:
        assert location(response)[1] == "/"
        assert inbox.status_code == 200 and "Kotak Masuk" in text(inbox) and "Bupati" in text(inbox)
    else:
        assert message in text(response)
        assert inbox.status_code == 302 and location(inbox)[1] == "/masuk"


def test_failed_and_successful_logins_are_audited(demo_app):
    client = demo_app.test_client()
    login(client, "sekda", "salah-sekali")
    login(client, "sekda")
    with demo_app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions[-2:] == ["auth.login_failed", "auth.login"]


def test_anonymous_inbox_redirects_to_login_with_next(demo_client):
    response = demo_client.get("/?tab=baru")
    assert response.status_code == 302
    netloc, path, query = location(response)
    assert (netloc, path, query["next"]) == ("", "/masuk", ["/?tab=baru"])
    assert "Silakan masuk terlebih dahulu." in text(demo_client.get(response.headers["Location"]))


def test_login_follows_a_local_next(demo_client):
    response = login(demo_client, "sekda", next="/?tab=baru")
    assert response.headers["Location"] == "/?tab=baru"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "http:evil.example", "/\\evil.example",
                                    "//evil.example/%2F..", "javascript:alert(1)"])
def test_login_refuses_open_redirects(demo_client, target):
    response = login(demo_client, "sekda", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logged_in_user_visiting_login_goes_to_inbox(demo_client):
    login(demo_client, "sekda")
    response = demo_client.get("/masuk")
    assert response.status_code == 302 and location(response)[1] == "/"


# --------------------------------------------------------------------------------------------- CSRF

def test_post_without_csrf_token_is_refused(demo_client):
    demo_client.get("/masuk")
    response = demo_client.post("/masuk", data={"username": "bupati", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert CSRF_REFUSED in text(response)
    assert demo_client.get("/").status_code == 302  # not logged in


@pytest.mark.parametrize("kind", ["garbage", "other-session", "other-secret-key"])
def test_post_with_a_wrong_csrf_token_is_refused(demo_app, make_app, demo_db_url, kind):
    client = demo_app.test_client()
    csrf_token(client)  # this client now has a session with its own CSRF secret
    if kind == "garbage":
        token = "not-a-token"
    elif kind == "other-session":
        token = csrf_token(demo_app.test_client())
    else:
        token = csrf_token(make_app(demo_db_url, schema=False, SECRET_KEY="another-secret-key").test_client())
    response = client.post("/masuk", data={"csrf_token": token, "username": "bupati", "password": DEMO_PASSWORD})
    assert response.status_code == 400 and CSRF_REFUSED in text(response)


def test_logout_needs_a_csrf_token_in_the_form_or_the_htmx_header(demo_client):
    login(demo_client, "sekda")
    assert demo_client.post("/keluar").status_code == 400
    assert demo_client.get("/").status_code == 200  # still logged in
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(demo_client.get("/"))).group(1)
    response = demo_client.post("/keluar", headers={"X-CSRFToken": token})
    assert response.status_code == 302 and location(response)[1] == "/masuk"
    assert demo_client.get("/").status_code == 302


def test_logout_by_get_is_not_allowed(demo_client):
    login(demo_client, "sekda")
    assert demo_client.get("/keluar").status_code == 405
    assert demo_client.get("/").status_code == 200


# --------------------------------------------------------------------------------------------- rate limits

def test_login_is_limited_per_account_across_addresses(demo_app):
    client = demo_app.test_client()
    for i in range(5):
        response = login(client, "sekda", "salah-sekali", environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"})
        assert response.status_code == 401, f"attempt {i + 1}"
    # the sixth attempt is refused even with the right password, from yet another address
    response = login(client, "sekda", environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert response.status_code == 429 and TOO_MANY in text(response)
    assert client.get("/").status_code == 302
    # other accounts are unaffected
    response = login(client, "wabup", environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert response.status_code == 302


def test_successful_logins_do_not_use_up_the_account_limit(demo_app):
    for i in range(6):
        client = demo_app.test_client()
        assert login(client, "sekda", environ_base={"REMOTE_ADDR": f"10.1.0.{i + 1}"}).status_code == 302


def test_login_is_limited_per_address(demo_app):
    limit = 4
    demo_app.config["LOGIN_LIMIT_PER_ADDRESS"] = f"{limit} per 10 minutes"  # read at request time
    client = demo_app.test_client()
    here = {"environ_base": {"REMOTE_ADDR": "192.0.2.7"}}
    for i in range(limit):  # different accounts, so only the address limit can trip
        assert login(client, f"tidak.ada{i}", "salah", **here).status_code == 401
    response = login(client, "bupati", **here)
    assert response.status_code == 429 and TOO_MANY in text(response)
    assert login(client, "bupati", environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 302


def test_default_limits_are_configured(demo_app):
    assert demo_app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "5 per 10 minutes"
    assert int(demo_app.config["LOGIN_LIMIT_PER_ADDRESS"].split()[0]) <= 30


# --------------------------------------------------------------------------------------------- session safety

@pytest.mark.parametrize(("idle_minutes", "still_in"), [(29, True), (31, False)])
def test_idle_session_times_out(demo_client, idle_minutes, still_in):
    login(demo_client, "bupati")
    assert demo_client.get("/").status_code == 200
    with demo_client.session_transaction() as session:
        assert "seen" in session
        session["seen"] = int(time.time()) - idle_minutes * 60
    response = demo_client.get("/")
    if still_in:
        assert response.status_code == 200
        return
    assert response.status_code == 302 and location(response)[1] == "/masuk"
    page = text(demo_client.get(response.headers["Location"]))
    assert "Sesi Anda berakhir karena tidak aktif lebih dari 30 menit. Silakan masuk kembali." in page
    assert demo_client.get("/").status_code == 302  # really logged out, not just redirected once


def test_changing_the_password_ends_older_sessions(demo_app):
    old, new = demo_app.test_client(), "kata-sandi-baru-2026"
    assert login(old, "kadis.dinkes").status_code == 302
    assert old.get("/").status_code == 200
    with demo_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "kadis.dinkes"))
        with pytest.raises(ValidationError) as caught:
            auth.change_password(user, user, "pendek")
        assert caught.value.errors == {"password": "Kata sandi minimal 10 karakter."}
        db.session.rollback()
    assert old.get("/").status_code == 200  # a refused change ends nothing
    with demo_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "kadis.dinkes"))
        auth.change_password(user, user, new)
        db.session.commit()
    assert old.get("/").status_code == 302
    assert login(demo_app.test_client(), "kadis.dinkes").status_code == 401
    assert login(demo_app.test_client(), "kadis.dinkes", new).status_code == 302


def test_disabling_an_account_ends_its_session(demo_app):
    client = demo_app.test_client()
    login(client, "sekda")
    set_user(demo_app, "sekda", is_enabled=False)
    assert client.get("/").status_code == 302


def test_login_starts_a_fresh_session(demo_client):
    demo_client.get("/masuk")
    with demo_client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    login(demo_client, "sekda")
    with demo_client.session_transaction() as session:
        assert "planted" not in session


# --------------------------------------------------------------------------------------------- headers, cookies

def test_security_headers(demo_client):
    login(demo_client, "bupati")
    response = demo_client.get("/")
    csp = dict((d.strip().split(" ", 1) + [""])[:2] for d in response.headers["Content-Security-Policy"].split(";"))
    assert "'self'" in csp["script-src"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp.get("style-src", "")
    assert csp["object-src"] == "'none'" and "frame-ancestors" in csp
    assert response.headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    assert "HX-Request" in response.headers["Vary"]
    html = text(response)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script would be blocked by the CSP"
    assert " style=" not in html, "inline style attributes would be blocked by the CSP"


def test_login_page_has_headers_too(demo_client):
    response = demo_client.get("/masuk")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers.get("Strict-Transport-Security") is None  # only over https


def session_cookie_header(response) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("sisumaker_session=")]
    assert headers, "no session cookie set"
    return headers[-1]


def test_session_cookie_flags_in_development(demo_client):
    header = session_cookie_header(login(demo_client, "bupati"))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header
    cookie = demo_client.get_cookie("sisumaker_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_session_cookie_is_secure_with_the_production_default(demo_db_url, make_app):
    app = make_app(demo_db_url, schema=False, SESSION_COOKIE_SECURE=DEFAULT, REMEMBER_COOKIE_SECURE=DEFAULT)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    client = app.test_client()
    response = login(client, "bupati", base_url="https://localhost")
    assert response.status_code == 302
    header = session_cookie_header(response)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    inbox = client.get("/", base_url="https://localhost")
    assert inbox.status_code == 200
    assert inbox.headers["Strict-Transport-Security"].startswith("max-age=")


def test_public_verification_is_limited_per_address_and_pages_without_limits_skip_the_limiter(demo_app):
    """Only views that declare a limit go through the limiter (the request filter in extensions.py): the public
    verification page still refuses the 61st request a minute from one address, the inbox never."""
    from sisumaker.extensions import _no_limit_declared

    client = demo_app.test_client()
    here = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    statuses = [client.get("/v/token-yang-tidak-ada", **here).status_code for _ in range(61)]
    assert set(statuses[:60]) == {404} and statuses[60] == 429
    assert client.get("/v/token-yang-tidak-ada", environ_base={"REMOTE_ADDR": "198.51.100.8"}).status_code == 404
    with demo_app.test_request_context("/v/x"):
        assert _no_limit_declared() is False
    with demo_app.test_request_context("/"):
        assert _no_limit_declared() is True
    login(client, "sekda", **here)
    assert all(client.get("/", **here).status_code == 200 for _ in range(70))
