"""Shared fixtures for the whole suite.

Databases: a test that asks for a database (`db_url`, `schema_db_url`, `demo_db_url`) or an app on one (`app`,
`demo_app`) runs on SQLite, and on PostgreSQL too when SISUMAKER_TEST_POSTGRES_URL is set (databases there are
named after the xdist worker, the process and a random token, and dropped at the end). `db_url` is a fresh empty
database; the schema and the demo regency are built once per backend and worker into templates, and each test
gets a private copy (see tests/databases.py), so tests may write freely.
Redis: SISUMAKER_TEST_REDIS_URL, else a throwaway redis-server on a unix socket. Browser: Debian's Chromium
driven by Playwright on a phone-sized viewport.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.databases import PostgresServer, build_template, sqlite_copy
from tests.helpers import DEMO_PASSWORD, RELAXED_LIMITS, login as login_helper, test_config

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("SISUMAKER_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("SISUMAKER_TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2, locale="id-ID")


def pytest_report_header(config):
    redis = REDIS_URL or ("throwaway redis-server" if shutil.which("redis-server") else "none (queue tests skip)")
    browser = CHROMIUM if os.path.exists(CHROMIUM) else "none (browser tests skip)"
    return f"sisumaker: databases {', '.join(BACKENDS)}; redis {redis}; browser {browser}"


# --------------------------------------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def pg_server():
    if not POSTGRES_URL:
        pytest.skip("SISUMAKER_TEST_POSTGRES_URL is not set")
    server = PostgresServer(POSTGRES_URL)
    yield server
    server.close()


@pytest.fixture(scope="session", params=BACKENDS)
def db_backend(request) -> str:
    """"sqlite" always; "postgresql" when SISUMAKER_TEST_POSTGRES_URL is set."""
    return request.param


@pytest.fixture
def db_url(request, db_backend, tmp_path):
    """A fresh, empty database (no tables) for one test."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'sisumaker.sqlite'}"
        return
    server = request.getfixturevalue("pg_server")
    url = server.create()
    yield url
    server.drop(url)


def _template(request, db_backend: str, tmp_path_factory, *, seed: bool) -> str:
    if db_backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite'}"
    else:
        url = request.getfixturevalue("pg_server").create()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SISUMAKER_INSTANCE_PATH", str(tmp_path_factory.mktemp("template-instance")))
        build_template(url, seed=seed)
    if db_backend == "postgresql":
        request.getfixturevalue("pg_server").snapshot(url)
    return url


def _private_copy(request, db_backend: str, template: str, target: Path) -> str:
    if db_backend == "sqlite":
        return sqlite_copy(template, target)
    request.getfixturevalue("pg_server").reset(template)
    return template


@pytest.fixture(scope="session")
def schema_template(request, db_backend, tmp_path_factory) -> str:
    """The schema without rows, built once per backend and worker."""
    return _template(request, db_backend, tmp_path_factory, seed=False)


@pytest.fixture(scope="session")
def demo_template(request, db_backend, tmp_path_factory) -> str:
    """The demo regency, seeded once per backend and worker; tests use copies (`demo_db_url`)."""
    return _template(request, db_backend, tmp_path_factory, seed=True)


@pytest.fixture
def schema_db_url(request, db_backend, schema_template, tmp_path) -> str:
    """A private database with every table and no rows, for one test."""
    return _private_copy(request, db_backend, schema_template, tmp_path / "schema.sqlite")


@pytest.fixture
def demo_db_url(request, db_backend, demo_template, tmp_path) -> str:
    """A private copy of the seeded demo regency for one test (password hashes are cheap PBKDF2 here).

    On PostgreSQL it is the same database for every test of a worker, reset before each test: it must not be
    used after the test ends, and other sessions on it are ended by the next reset.
    """
    return _private_copy(request, db_backend, demo_template, tmp_path / "demo.sqlite")


# --------------------------------------------------------------------------------------------- apps


@pytest.fixture
def instance_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    monkeypatch.setenv("SISUMAKER_INSTANCE_PATH", str(path))
    return path


@pytest.fixture
def make_app(instance_path):
    """`make_app(db_url, schema=True, **config)` builds an app (tables by create_all, tests only).

    A config value of `tests.helpers.DEFAULT` keeps the production default instead of the test value.
    Engines are disposed at teardown.
    """
    from sisumaker import create_app
    from sisumaker.extensions import db

    apps = []

    def factory(db_url: str, *, schema: bool = True, **overrides):
        app = create_app(test_config(db_url, **overrides))
        apps.append(app)
        if schema:
            with app.app_context():
                db.create_all()
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(schema_db_url, make_app):
    """An app on a private database with the schema in place and no rows."""
    return make_app(schema_db_url, schema=False)


@pytest.fixture
def demo_app(demo_db_url, make_app):
    """An app on a private copy of the demo regency (every demo password is DEMO_PASSWORD)."""
    return make_app(demo_db_url, schema=False)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def login():
    """`login(client, username, password=DEMO_PASSWORD, next=None, **request_kwargs)` through the real form."""
    return login_helper


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD


# --------------------------------------------------------------------------------------------- redis


@pytest.fixture(scope="session")
def redis_url():
    """SISUMAKER_TEST_REDIS_URL, else a throwaway redis-server (no persistence) on a unix socket."""
    if REDIS_URL:
        yield REDIS_URL
        return
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not on PATH and SISUMAKER_TEST_REDIS_URL is not set "
                    "(apt-get install redis-server)")
    from redis import Redis

    workdir = Path(tempfile.mkdtemp(prefix="sisu-redis-"))  # short path: unix sockets allow ~100 chars
    socket_path = workdir / "redis.sock"
    proc = subprocess.Popen(
        [exe, "--port", "0", "--unixsocket", str(socket_path), "--unixsocketperm", "700", "--save", "",
         "--appendonly", "no", "--dir", str(workdir), "--logfile", str(workdir / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"unix://{socket_path}"
    deadline = time.monotonic() + 10
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"redis-server exited with {proc.returncode}: {(workdir / 'redis.log').read_text()}")
            try:
                Redis.from_url(url, socket_connect_timeout=1).ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not answer within 10 s")
                time.sleep(0.02)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------------------------- live server


class LiveServer:
    """A WSGI app served by werkzeug on a free loopback port, in a background thread."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def serve_app():
    """`serve_app(app)` starts a LiveServer (with `.url`); all are stopped at teardown."""
    servers: list[LiveServer] = []

    def start(app) -> LiveServer:
        server = LiveServer(app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def live_server(demo_app, serve_app) -> LiveServer:
    """The demo regency served over HTTP on 127.0.0.1."""
    return serve_app(demo_app)


# --------------------------------------------------------------------------------------------- browser


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's sync API keeps an event loop running in this thread while it is
    started, and pyHanko's signing (asyncio.run) cannot run in a thread that has one."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per browser-test module, stopped after it (so no event loop outlives the module)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium); browser tests need Debian's Chromium")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def phone_context(chromium):
    """`phone_context(**overrides)` opens a 390x844 mobile browser context; all are closed at teardown."""
    contexts = []

    def factory(**overrides):
        context = chromium.new_context(**{**PHONE, **overrides})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(phone_context):
    """A page in a fresh phone-sized context (JavaScript on)."""
    return phone_context().new_page()


# --------------------------------------------------------------------------------------------- two apps, one db

@pytest.fixture
def web_app(demo_db_url, make_app):
    """The demo regency for test clients; the login limits are lifted (one test logs in many officials)."""
    return make_app(demo_db_url, schema=False, **RELAXED_LIMITS)


@pytest.fixture
def ctx(demo_db_url, make_app):
    """An app context of a separate app on the same database, for calling services; yields that app.

    A separate app, because a test-client request reuses an already pushed context of its own app (its `g`,
    the logged-in user, the viewer)."""
    from sisumaker.extensions import db

    service_app = make_app(demo_db_url, schema=False)
    with service_app.app_context():
        yield service_app
        db.session.remove()


@pytest.fixture
def client_for(web_app):
    """`client_for(username)`: a test client logged in through the real form (cached per username)."""
    clients = {}

    def factory(username: str):
        if username not in clients:
            client = web_app.test_client()
            response = login_helper(client, username)
            assert response.status_code in (302, 303), f"login of {username} failed ({response.status_code})"
            clients[username] = client
        return clients[username]

    return factory
