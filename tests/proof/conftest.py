"""Fixtures of the proof tests (issue 8: access, hostile input, headers and sessions).

`proof` is one world per test module (and database backend): a private copy of the demo regency with the
objects of `tests/proof/world.py`, a web app answering test clients (each request from a new address, login limits lifted) and a service app for
reading state, sharing one instance folder (files, keys). On PostgreSQL the demo database of the worker is reset
for it, so a module using `proof` must not also use the function-scoped demo fixtures.
"""
from __future__ import annotations

import hashlib
import itertools
import secrets
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.databases import sqlite_copy
from tests.helpers import RELAXED_LIMITS, csrf_token, login, test_config
from tests.pki_support import SessionPki

PASSPHRASE = f"Bukti-{secrets.token_hex(5)}-Serang!"
# Tables whose rows a refused write must leave untouched (every table's row count is compared too).
WATCHED = ("letter", "register_entry", "inbox_item", "notification", "draft", "review_step", "sign_document",
           "signature_request", "sign_batch", "certificate", "unit", "position", "acting_assignment",
           "number_pattern", "recipient_group", "recipient_group_member", "holiday", "classification",
           "official_signing", "user_account")


@pytest.fixture(scope="session")
def proof_keys(tmp_path_factory) -> SessionPki:
    return SessionPki(tmp_path_factory.mktemp("proof-pki"), PASSPHRASE)


class FreshAddressClient(FlaskClient):
    """Every request from another client address: the per-address rate limits (login, public verification)
    must not answer 429 in place of the rule under test (they are proved in test_headers_sessions). Not
    RATELIMIT_ENABLED=False: the limiter is one object, and that setting would stick to every later app."""

    addresses = itertools.count(1)

    def open(self, *args, **kwargs):
        n = next(self.addresses)
        kwargs["environ_base"] = {**(kwargs.get("environ_base") or {}),
                                  "REMOTE_ADDR": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
        return super().open(*args, **kwargs)


class Proof:
    """One module's world: `web` (test clients), `svc` (service calls), `world`, logged-in clients per user."""

    def __init__(self, web, svc, world, files: Path):
        self.web, self.svc, self.world, self.files = web, svc, world, files
        self._clients: dict[str, object] = {}
        self._tokens: dict[str, str] = {}

    def client(self, username: str | None):
        """A test client logged in through the real form (cached); None: a fresh anonymous client."""
        if username is None:
            return self.web.test_client()
        if username not in self._clients:
            client = self.web.test_client()
            response = login(client, username)
            assert response.status_code in (302, 303), f"login of {username} failed ({response.status_code})"
            self._clients[username] = client
        return self._clients[username]

    def forget(self, username: str) -> None:
        self._clients.pop(username, None)
        self._tokens.pop(username, None)

    def token(self, username: str | None, client) -> str:
        """A valid CSRF token of the client's session."""
        key = username or f"anon-{id(client)}"
        if key not in self._tokens:
            self._tokens[key] = csrf_token(client, "/masuk" if username is None else "/")
        return self._tokens[key]

    def snapshot(self, full: bool = True) -> dict:
        """Row counts of every table, a digest of each watched table's rows and the stored files (`full=False`:
        without the digest of the user table, the slowest part)."""
        from sisumaker.extensions import db

        out = self.counts()
        with self.svc.app_context():
            with db.engine.connect() as conn:
                for name in WATCHED if full else WATCHED[:-1]:
                    table = db.metadata.tables[name]
                    rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
                    out[name + "#"] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out

    def counts(self) -> dict:
        """Row counts of every table (one query) and the stored files."""
        from sisumaker.extensions import db

        tables = db.metadata.sorted_tables
        query = select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables))
        with self.svc.app_context():
            with db.engine.connect() as conn:
                out = dict(conn.execute(query).one()._mapping)
        out["files"] = sorted(str(p.relative_to(self.files)) for p in self.files.rglob("*") if p.is_file()) \
            if self.files.exists() else []
        return out


@pytest.fixture(scope="module")
def proof(request, db_backend, demo_template, tmp_path_factory, proof_keys):
    from cryptography import x509

    from sisumaker import create_app
    from sisumaker.extensions import db
    from sisumaker.models import User
    from sisumaker.pki_runtime import pki_context
    from sisumaker.services.certificates import _record
    from sisumaker.storage import file_store_for
    from tests.proof.world import SIGNERS, build_world

    root = tmp_path_factory.mktemp("proof")
    if db_backend == "sqlite":
        url = sqlite_copy(demo_template, root / "demo.sqlite")
    else:
        request.getfixturevalue("pg_server").reset(demo_template)
        url = demo_template
    instance = root / "instance"
    instance.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SISUMAKER_INSTANCE_PATH", str(instance))
        web = create_app(test_config(url, **RELAXED_LIMITS))
        web.test_client_class = FreshAddressClient
        svc = create_app(test_config(url))
        proof_keys.copy_to(instance)
        for app in (web, svc):
            proof_keys.preload(app, instance)
        with svc.app_context():
            for user in db.session.scalars(select(User).where(User.username.in_(SIGNERS))):
                pem, p12 = proof_keys.official(user)
                _record(user, x509.load_pem_x509_certificate(pem.encode()), p12, "regency")
            db.session.commit()
            world = build_world(pki_context(svc), file_store_for(svc), PASSPHRASE)
            db.session.remove()
        yield Proof(web, svc, world, instance / "files")
        for app in (web, svc):
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

