"""A regency PKI made once per test session, copied into each test's instance folder.

RSA key generation costs seconds, so the PKI and each official's certificate with its AES-256 PKCS#12 are made
once; tests copy the folder and hand their apps the already-loaded keys.
"""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

BASE_URL = "http://localhost:5000"


class SessionPki:
    """The session's PKI folder (kek + pki/) plus each official's certificate and key store, issued on first use."""

    def __init__(self, root: Path, passphrase: str):
        from sisumaker.signing import generate_kek, init_pki, load_pki

        self.passphrase = passphrase
        self.keys = root / "keys"
        self.keys.mkdir(parents=True)
        kek = generate_kek()
        (self.keys / "kek").write_text(kek.hex())
        init_pki(self.keys / "pki", kek, "Kabupaten Serang", crl_url=f"{BASE_URL}/pki/crl.der",
                 ca_issuers_url=f"{BASE_URL}/pki/issuing.pem")
        self.pki = load_pki(self.keys / "pki", kek)
        self.officials: dict[str, tuple[str, bytes]] = {}

    def official(self, user) -> tuple[str, bytes]:
        """(certificate PEM, PKCS#12 under the passphrase) for a user, as `certificates.enroll` makes them."""
        from sisumaker.signing import issue_official_certificate, make_pkcs12

        if user.username not in self.officials:
            issued = issue_official_certificate(
                self.pki, common_name=user.full_name, nip_or_id=user.nip or user.username,
                position_title=user.position.title, organisation=self.pki.config.regency_name, email=user.email)
            p12 = make_pkcs12(issued.certificate, issued.private_key, self.pki.chain, self.passphrase,
                              friendly_name=user.full_name)
            self.officials[user.username] = (issued.certificate.public_bytes(Encoding.PEM).decode(), p12)
        return self.officials[user.username]

    def copy_to(self, instance_path: Path) -> None:
        shutil.copytree(self.keys, instance_path / "keys")

    def preload(self, app, instance_path: Path) -> None:
        """Give `app` the PKI of its instance folder without decrypting the keys again (~0.5 s per app): the
        same keys, the copied folder's paths (registry, CRL). Worker subprocesses load it the real way."""
        from sisumaker.pki_runtime import PkiContext
        from sisumaker.signing import PkiPaths, TrustAnchors, make_timestamper

        pki = dataclasses.replace(self.pki, paths=PkiPaths.at(instance_path / "keys" / "pki"))
        app.extensions["sisumaker_pki"] = PkiContext(
            pki=pki, trust=TrustAnchors.from_pki(pki), tsa=make_timestamper(pki),
            base_url=app.config["PUBLIC_BASE_URL"], location=app.config.get("SIGNING_LOCATION", "Serang"))
