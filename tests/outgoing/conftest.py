"""Fixtures for the outgoing-letter tests (issue 5): drafts, the review chain, numbering, signing, delivery.

Two app objects share one private copy of the demo regency (SQLite, and PostgreSQL too when
SISUMAKER_TEST_POSTGRES_URL is set): `web_app` answers test clients, `ctx` pushes an app context of a second app
for calling services directly (a request would otherwise reuse the test's app context and its `g`/session).

Signing: the regency PKI and the officials' certificates (PKCS#12 under the session's random PASSPHRASE) are made
once per session into a template folder; the `pki` fixture copies it into the test's instance folder, records the
certificates in the test's database and hands both apps the loaded PKI, so no test pays for RSA key generation.
"""
from __future__ import annotations

import secrets

import pytest

from tests.pki_support import SessionPki

PASSPHRASE = f"Keluar-{secrets.token_hex(5)}-Serang!"  # random per session
SIGNERS = ("sekda", "bupati", "asisten3", "kadis.dinkes")  # asisten3 is made Plt/Plh of the Sekda in some tests


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory) -> SessionPki:
    return SessionPki(tmp_path_factory.mktemp("outgoing-pki"), PASSPHRASE)


@pytest.fixture
def pki(ctx, web_app, signing_keys, instance_path):
    """The PKI in this test's instance folder, SIGNERS enrolled; returns the service app's PkiContext."""
    from cryptography import x509
    from sqlalchemy import select

    from sisumaker.extensions import db
    from sisumaker.models import User
    from sisumaker.pki_runtime import pki_context
    from sisumaker.services.certificates import _record

    for user in db.session.scalars(select(User).where(User.username.in_(SIGNERS))):
        pem, p12 = signing_keys.official(user)
        _record(user, x509.load_pem_x509_certificate(pem.encode()), p12, "regency")
    db.session.commit()
    signing_keys.copy_to(instance_path)
    for app in (ctx, web_app):
        signing_keys.preload(app, instance_path)
    return pki_context(ctx)


