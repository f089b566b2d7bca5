"""Fixtures for the BSrE tests (issue 7): the stand-in BSrE service on loopback with its own test CA, and the TTE
world of tests/tte configured to sign through it.

The stand-in's CA ("BSrE test" root, issuing CA, TSA) is made once per session and copied for every test, so a
revocation in one test never reaches another. Each test gets its own stand-in server (random port, own thread).
"""
from __future__ import annotations

import dataclasses
import secrets

import pytest

from tests.bsre.standin import PASSWORD, USERNAME, StandIn, make_ca
from tests.tte.conftest import make_tte, own_redis, pki_template  # noqa: F401 - fixtures reused here

BSRE_PASSPHRASE = f"Bsre-{secrets.token_hex(5)}-Nasional!"  # random per session
SEKDA_NIK = "3604014507700003"
KADIS_NIK = "3604011203800001"


@pytest.fixture(scope="session")
def bsre_ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("bsre-ca") / "ca")


@pytest.fixture
def standin(bsre_ca, tmp_path):
    server = StandIn(bsre_ca, tmp_path / "standin", latency=0.02)
    yield server
    server.close()


def bsre_config(standin: StandIn, **extra) -> dict:
    """App settings that point at the stand-in and trust its root (short back-off for tests)."""
    return dict(BSRE_URL=standin.url, BSRE_USERNAME=USERNAME, BSRE_PASSWORD=PASSWORD, BSRE_BACKOFF=0.05,
                BSRE_RETRIES=1, SIGNING_TRUST_ROOTS=[str(standin.root_pem_path)],
                BSRE_RETRY_INTERVALS=[1, 1, 2, 2, 2, 3, 3, 3, 3, 3], **extra)


def trust_standin(tte, standin: StandIn) -> None:
    """The preloaded PKI contexts of both apps also trust the stand-in's root (what SIGNING_TRUST_ROOTS does)."""
    from sisumaker.pki_runtime import load_trust_roots

    roots = load_trust_roots([str(standin.root_pem_path)])
    for app in (tte.web, tte.svc):
        ctx = app.extensions["sisumaker_pki"]
        app.extensions["sisumaker_pki"] = dataclasses.replace(ctx, certified_roots=roots)


def sign_through_bsre(tte, username: str, nik: str, backend: str = "bsre") -> None:
    """Set an official's signing backend and NIK as the admin would (committed)."""
    from sisumaker.extensions import db
    from sisumaker.services.signing_choice import set_official_signing

    set_official_signing(tte.user("admin"), username, backend, nik)
    db.session.commit()


@pytest.fixture
def bsre_tte(make_tte, standin):
    """The TTE world (no Redis: batches sign in-process) with the Sekda signing through the stand-in BSrE."""
    tte = make_tte(**bsre_config(standin))
    trust_standin(tte, standin)
    standin.add_user(SEKDA_NIK, tte.user("sekda").full_name, BSRE_PASSPHRASE)
    sign_through_bsre(tte, "sekda", SEKDA_NIK)
    return tte
