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



@pytest.fixture
def files_dir(instance_path) -> Path:
    """Where uploads are stored (FileStore root of both apps: instance/files)."""
    return instance_path / "files"


@pytest.fixture
def stored_pdf(ctx, files_dir):
    """`stored_pdf(*lines)`: a reportlab PDF stored through the upload path (returns the StoredFile)."""
    from sisumaker.services.files import FileStore, store_upload
    from tests.letters.support import make_pdf

    def factory(*lines: str, pages: int = 1):
        return store_upload(FileStore(files_dir), make_pdf(*lines, pages=pages), max_bytes=20 * 1024 * 1024)

    return factory
