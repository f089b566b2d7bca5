"""Fixtures for the Flask-free signing library: a throwaway regency PKI (per session, in a
tmp_path_factory directory), officials with PKCS#12 key stores, and one-page letters."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from sisumaker.signing import (
    CachedSigner,
    IssuedCertificate,
    KeyAlgorithm,
    Pki,
    StampSpec,
    TrustAnchors,
    current_crl,
    init_pki,
    issue_official_certificate,
    load_pki,
    make_pkcs12,
    make_timestamper,
    position_label,
    sign_pdf,
    signer_from_pkcs12,
)
from sisumaker.signing.tsa import RegencyTimeStamper

PASSPHRASE = "Kopi-Tubruk-2026!"
VERIFY_URL = "https://e-office.contohkab.go.id/v/q7Jm2ZkP4xW9tR3nB8vL"
CRL_URL = "https://e-office.contohkab.go.id/pki/crl.der"


@dataclass(frozen=True)
class Official:
    issued: IssuedCertificate
    p12: bytes
    signer: CachedSigner

    @property
    def cert(self):
        return self.issued.certificate


@pytest.fixture(scope="session")
def kek() -> bytes:
    return b"test-kek-" + b"x" * 32


@pytest.fixture(scope="session")
def pki(tmp_path_factory, kek) -> Pki:
    directory = tmp_path_factory.mktemp("pki") / "regency"
    init_pki(directory, kek, "Kabupaten Contoh", CRL_URL)
    return load_pki(directory, kek)


@pytest.fixture(scope="session")
def tsa(pki) -> RegencyTimeStamper:
    return make_timestamper(pki)


@pytest.fixture(scope="session")
def trust(pki) -> TrustAnchors:
    return TrustAnchors.from_pki(pki)


def make_official(pki: Pki, name: str = "Drs. Budi Santoso, M.Si.",
                  position: str = "Sekretaris Daerah") -> Official:
    issued = issue_official_certificate(
        pki, common_name=name, nip_or_id="197001012000031001", position_title=position,
        organisation="Sekretariat Daerah")
    assert issued.private_key is not None
    p12 = make_pkcs12(issued.certificate, issued.private_key, pki.chain, PASSPHRASE)
    return Official(issued=issued, p12=p12, signer=signer_from_pkcs12(p12, PASSPHRASE))


@pytest.fixture()
def official(pki) -> Official:
    """A fresh official per test, so revoking one never affects another test."""
    return make_official(pki)


def letter_pdf(text: str = "Surat Edaran Nomor 100.3/17/2026 tentang Apel Pagi") -> bytes:
    """A one-page A4 letter with uncompressed content (so a test can flip a byte of its text)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(72, 770, "PEMERINTAH KABUPATEN CONTOH")
    c.setFont("Helvetica", 11)
    c.drawString(72, 730, text)
    c.drawString(72, 710, "Dalam rangka meningkatkan disiplin pegawai, apel pagi dilaksanakan setiap Senin.")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture()
def letter() -> bytes:
    return letter_pdf()


def stamp_for(official: Official, *, box=(320, 80, 560, 160), paraf: bool = False,
              url: str = VERIFY_URL) -> StampSpec:
    return StampSpec(page=0, box=box, url=url, signer_name="Drs. Budi Santoso, M.Si.",
                     position_label=position_label("Sekretaris Daerah"), code="7K4Q-9XZ2",
                     paraf=paraf)


@pytest.fixture()
def sign(pki, tsa, trust) -> Callable[..., bytes]:
    """sign(pdf, official, final=True, field="TTE-1", stamp=...) with the current CRL."""

    def _sign(pdf: bytes, official: Official, *, final: bool = True, field: str = "TTE-1",
              stamp: StampSpec | None | str = "default") -> bytes:
        spec = stamp_for(official) if isinstance(stamp, str) else stamp
        return sign_pdf(pdf, signer=official.signer, pki_trust=trust, stamp=spec, field_name=field,
                        reason="Penandatanganan naskah dinas", location="Kabupaten Contoh",
                        certify_final=final, tsa=tsa, crl_der=current_crl(pki))

    return _sign


@pytest.fixture(scope="session")
def ec_pki(tmp_path_factory, kek) -> Pki:
    directory = tmp_path_factory.mktemp("pki-ec") / "regency"
    init_pki(directory, kek, "Kabupaten Contoh", CRL_URL, key_algorithm=KeyAlgorithm.EC_P256)
    return load_pki(directory, kek)
