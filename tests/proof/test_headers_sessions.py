"""Headers and sessions (issue 8, part 4): CSP without inline script (htmx configured for it), HSTS behind TLS,
frame denial, no-store on confidential content, idle timeout, session rotation on login and on privilege change."""
from __future__ import annotations

import json
import re
import time

from sqlalchemy import select

from tests.helpers import DEMO_PASSWORD, RELAXED_LIMITS, csrf_token, location, login, text

LETTER_PAGES = ("/", "/?f=rahasia", "/notifikasi", "/notifikasi/jumlah", "/surat-keluar/", "/tte/")


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def _first_letter(ctx, username: str) -> tuple[int, int]:
    """A Rahasia letter with a scan, registered for the Bupati and disposed to `username`: (letter id, item id)."""
    from sisumaker.services.files import store_upload
    from sisumaker.storage import file_store_for
    from tests.letters.support import dispose, make_pdf, register, root_item

    scan = store_upload(file_store_for(ctx), make_pdf("Pindaian rahasia"), max_bytes=20 * 1024 * 1024)
    entry = register("tu.setda", scan=scan, sifat="R")
    child = dispose("bupati", root_item(entry.letter_id, "bupati").id, (username,))[0]
    return entry.letter_id, child.id


def test_csp_has_no_inline_script_and_htmx_needs_no_eval(ctx, client_for):
    client = client_for("kadis.dinkes")
    letter_id, item_id = _first_letter(ctx, "kadis.dinkes")
    for path in (*LETTER_PAGES, f"/surat/{letter_id}", f"/disposisi/{item_id}", "/masuk"):
        response = client.get(path) if path != "/masuk" else client.application.test_client().get(path)
        assert response.status_code == 200, path
        csp = _csp(response)
        assert csp["script-src"] == "'self'", path
        assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'" and csp["base-uri"] == "'self'"
        assert "unsafe" not in response.headers["Content-Security-Policy"], path
        html = text(response)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline <script> on {path}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler on {path}"
        assert "javascript:" not in html.lower(), path
    page = text(client.get("/"))
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)
    assert meta, "htmx is not configured by a meta tag"
    config = json.loads(meta.group(1))
    assert config["allowEval"] is False and config["allowScriptTags"] is False
    assert re.search(r"<script src=\"/static/htmx-[\d.]+\.min\.js\"", page)


def test_frame_denial_and_hsts_only_behind_tls(demo_db_url, make_app):
    plain = make_app(demo_db_url, schema=False).test_client()
    response = plain.get("/masuk")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert _csp(response)["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: the header would be ignored
    tls = plain.get("/masuk", base_url="https://sisumaker.serangkab.go.id")
    assert tls.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    proxied = make_app(demo_db_url, schema=False, PROXY_FIX=1).test_client()
    behind = proxied.get("/masuk", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert "max-age=" in behind.headers["Strict-Transport-Security"]
    spoofed = make_app(demo_db_url, schema=False).test_client().get("/masuk", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers  # no proxy configured: the header is not trusted


def test_confidential_content_is_never_cached(ctx, client_for):
    client = client_for("kadis.dinkes")
    letter_id, item_id = _first_letter(ctx, "kadis.dinkes")
    paths = (*LETTER_PAGES, f"/surat/{letter_id}", f"/surat/{letter_id}/pindaian", f"/surat/{letter_id}/pindaian/1.png",
             f"/disposisi/{item_id}", f"/disposisi/{item_id}/lembar.pdf")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), f"{path} may be cached"
        assert "HX-Request" in response.headers.get("Vary", ""), path
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_idle_session_ends(web_app, client_for):
    client = client_for("bupati")
    assert client.get("/").status_code == 200
    idle = int(web_app.config["IDLE_TIMEOUT_MINUTES"]) * 60
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - idle - 5
    response = client.get("/?f=rahasia")
    assert response.status_code == 302
    _, path, query = location(response)
    assert path == "/masuk" and query["next"] == ["/?f=rahasia"]
    assert "tidak aktif" in text(client.get("/masuk"))
    assert client.get("/").status_code == 302  # the session is gone, not only this request
    other = web_app.test_client()
    login(other, "bupati")
    with other.session_transaction() as session:
        session["seen"] = int(time.time()) - idle - 5
    response = other.get("/notifikasi/jumlah", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/masuk")


def _cookie(client) -> str:
    cookie = client.get_cookie("sisumaker_session")
    return cookie.value if cookie else ""


def test_login_rotates_the_session(demo_db_url, make_app):
    app = make_app(demo_db_url, schema=False, **RELAXED_LIMITS)
    client = app.test_client()
    csrf_token(client, "/masuk")
    with client.session_transaction() as session:
        session["planted"] = "fixation"  # what an attacker could have set in the victim's pre-login session
    before = _cookie(client)
    before_token = csrf_token(client, "/masuk")
    assert login(client, "sekda").status_code == 302
    after = _cookie(client)
    assert after and after != before
    with client.session_transaction() as session:
        assert "planted" not in session and session.get("_user_id", "").startswith(tuple("0123456789"))
    assert csrf_token(client, "/") != before_token  # a new CSRF secret too
    replay = app.test_client()
    replay.set_cookie("sisumaker_session", before)
    assert replay.get("/").status_code == 302  # the pre-login session is still anonymous
    again = app.test_client()
    login(again, "sekda")
    assert _cookie(again) != after  # every login makes a new session


def test_privilege_change_ends_older_sessions(ctx, web_app, client_for):
    from sisumaker.database import begin_write
    from sisumaker.extensions import db
    from sisumaker.models import Position, User

    for username, change in (("kadis.dinkes", "role"), ("camat.pulo-ampel", "position"), ("sekda", "disable")):
        client = client_for(username)
        assert client.get("/").status_code == 200
        db.session.rollback()  # SQLite: no stale read snapshot before writing
        begin_write()
        user = db.session.scalar(select(User).where(User.username == username))
        version = user.session_version
        if change == "role":
            user.role = "staf"
        elif change == "position":
            user.position = db.session.scalar(select(Position).where(Position.id != user.position_id).limit(1))
        else:
            user.is_enabled = False
        db.session.commit()
        assert user.session_version == version + 1, change
        response = client.get("/")
        assert response.status_code == 302 and location(response)[1] == "/masuk", f"{username} kept its session"
        if change != "disable":
            fresh = web_app.test_client()
            assert login(fresh, username, DEMO_PASSWORD).status_code == 302  # a new login works again
            assert fresh.get("/").status_code == 200
    db.session.rollback()
    begin_write()
    user = db.session.scalar(select(User).where(User.username == "bupati"))
    version = user.session_version
    user.last_login_at = None
    user.email = "bupati@serangkab.go.id"
    db.session.commit()
    assert user.session_version == version  # other edits keep the sessions


def _limit(app, key: str) -> int:
    """The count of a "N per M minutes" login limit of the app's config."""
    return int(app.config[key].split()[0])


def test_brute_force_is_limited_per_account_and_per_address(demo_db_url, make_app):
    """The account limit cannot be dodged by spelling the username differently or changing address; the address
    limit cannot be dodged by a forged X-Forwarded-For (no proxy configured) and counts the real client behind
    a configured proxy."""
    app = make_app(demo_db_url, schema=False)
    client = app.test_client()
    per_account = _limit(app, "LOGIN_LIMIT_PER_ACCOUNT")
    spellings = ["sekda", "SEKDA", " sekda ", "Sekda", "sekda\t"]
    for i in range(per_account):
        response = login(client, spellings[i % len(spellings)], "tebakan-salah",
                         environ_base={"REMOTE_ADDR": f"198.51.100.{i + 1}"})
        assert response.status_code == 401, f"attempt {i + 1}: {response.status_code}"
    refused = login(client, "sekda", environ_base={"REMOTE_ADDR": "198.51.100.200"})
    assert refused.status_code == 429 and "Terlalu banyak percobaan" in text(refused)
    assert client.get("/").status_code == 302, "the right password after the limit must not log in"

    app = make_app(demo_db_url, schema=False, LOGIN_LIMIT_PER_ADDRESS="4 per 10 minutes")
    client = app.test_client()
    here = {"environ_base": {"REMOTE_ADDR": "203.0.113.5"}}
    for i in range(4):
        forged = {"X-Forwarded-For": f"10.9.9.{i}"}
        assert login(client, f"akun.tebakan{i}", "salah", headers=forged, **here).status_code == 401
    assert login(client, "bupati", headers={"X-Forwarded-For": "10.9.9.99"}, **here).status_code == 429

    proxied = make_app(demo_db_url, schema=False, PROXY_FIX=1, LOGIN_LIMIT_PER_ADDRESS="3 per 10 minutes")
    client = proxied.test_client()
    nginx = {"environ_base": {"REMOTE_ADDR": "127.0.0.1"}}
    for i in range(3):
        response = login(client, f"akun.lain{i}", "salah", headers={"X-Forwarded-For": "192.0.2.50"}, **nginx)
        assert response.status_code == 401
    assert login(client, "bupati", headers={"X-Forwarded-For": "192.0.2.50"}, **nginx).status_code == 429
    other = proxied.test_client()  # another citizen behind the same proxy is not locked out
    assert login(other, "bupati", headers={"X-Forwarded-For": "192.0.2.51"}, **nginx).status_code == 302
