"""Fixtures for the issue-3 tests.

Two app objects share one private copy of the demo regency: `web_app` answers the test clients, `ctx` pushes an
app context of a second app for calling services directly. They must be different objects: a request reuses an
app context of its own app that is already pushed (and with it `g`, the logged-in user and the session), so
requests made while the test holds a context of the same app would not be isolated from the test or each other.
On SQLite the test's session keeps a read snapshot: end its transaction (rollback/commit) before reading what a
request wrote.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import login as login_helper

RELAXED_LIMITS = dict(LOGIN_LIMIT_PER_ADDRESS="1000 per minute", LOGIN_LIMIT_PER_ACCOUNT="1000 per minute")


@pytest.fixture
def web_app(demo_db_url, make_app):
    """The demo regency for the test clients; the login limits are lifted (one test logs in a dozen users)."""
    return make_app(demo_db_url, schema=False, **RELAXED_LIMITS)


@pytest.fixture
def ctx(demo_db_url, make_app):
    """An app context (of a separate app on the same database) for calling services; yields that app."""
    from sisumaker.extensions import db

    service_app = make_app(demo_db_url, schema=False)
    with service_app.app_context():
        yield service_app
        db.session.remove()


@pytest.fixture
def files_dir(instance_path) -> Path:
    """Where uploads are stored (FileStore root of both apps: instance/files)."""
    return instance_path / "files"


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


@pytest.fixture
def stored_pdf(ctx, files_dir):
    """`stored_pdf(*lines)`: a reportlab PDF stored through the upload path (returns the StoredFile)."""
    from sisumaker.services.files import FileStore, store_upload
    from tests.letters.support import make_pdf

    def factory(*lines: str, pages: int = 1):
        return store_upload(FileStore(files_dir), make_pdf(*lines, pages=pages), max_bytes=20 * 1024 * 1024)

    return factory
