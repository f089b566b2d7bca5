"""The regency PKI as the app uses it: where it lives in the instance folder, loaded once per process."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from flask import Flask, current_app

from sisumaker.signing import (Pki, RegencyTimeStamper, TrustAnchors, export_root_pem, generate_kek, init_pki,
                               load_pki, make_timestamper)
from sisumaker.signing.backends import SigningPolicy
from sisumaker.signing.bsre import BsreClient, BsreConfig
from sisumaker.signing.errors import PkiError


@dataclass(frozen=True)
class PkiContext:
    """Everything a signing or verification service needs, passed explicitly."""

    pki: Pki
    trust: TrustAnchors
    tsa: RegencyTimeStamper
    base_url: str
    location: str
    certified_roots: tuple[x509.Certificate, ...] = ()  # SIGNING_TRUST_ROOTS: the BSrE chain's roots

    @property
    def all_roots(self) -> list[x509.Certificate]:
        """The regency root first, then the certified (BSrE) roots: what verification trusts."""
        return [self.pki.root_cert, *self.certified_roots]

    def verification_url(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/v/{token}"

    @property
    def root_pem(self) -> bytes:
        return export_root_pem(self.pki)


def keys_dir(app: Flask) -> Path:
    return Path(app.config.get("KEYS_DIR") or Path(app.instance_path) / "keys")


def _kek(app: Flask, create: bool) -> bytes:
    path = keys_dir(app) / "kek"
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    if not create:
        raise PkiError("PKI kabupaten belum dibuat. Jalankan: flask --app sisumaker pki init")
    path.parent.mkdir(parents=True, exist_ok=True)
    kek = generate_kek()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(kek.hex())
    return kek


def pki_exists(app: Flask | None = None) -> bool:
    app = app or current_app
    return (keys_dir(app) / "pki").exists()


def create_pki(app: Flask, regency_name: str) -> Path:
    """`pki init`: a root CA, an issuing CA and a TSA key under instance/keys (keys encrypted by the KEK)."""
    kek = _kek(app, create=True)
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    paths = init_pki(keys_dir(app) / "pki", kek, regency_name, crl_url=f"{base}/pki/crl.der",
                     ca_issuers_url=f"{base}/pki/issuing.pem")
    app.extensions.pop("sisumaker_pki", None)
    return paths.directory


def pki_context(app: Flask | None = None) -> PkiContext:
    """Loaded once per process (the worker and each web process) and reused for every signature."""
    app = app or current_app._get_current_object()
    ctx = app.extensions.get("sisumaker_pki")
    if ctx is None:
        pki = load_pki(keys_dir(app) / "pki", _kek(app, create=False))
        ctx = PkiContext(pki=pki, trust=TrustAnchors.from_pki(pki), tsa=make_timestamper(pki),
                         base_url=app.config["PUBLIC_BASE_URL"], location=app.config.get("SIGNING_LOCATION", "Serang"),
                         certified_roots=load_trust_roots(app.config.get("SIGNING_TRUST_ROOTS") or []))
        app.extensions["sisumaker_pki"] = ctx
    return ctx


def load_trust_roots(paths) -> tuple[x509.Certificate, ...]:
    """Every certificate in the configured PEM files (a file may hold a whole chain; only CA roots are kept)."""
    if isinstance(paths, str):
        paths = [paths]
    roots = []
    for path in paths:
        try:
            certs = x509.load_pem_x509_certificates(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            raise PkiError(f"Akar kepercayaan {path} tidak dapat dibaca (SIGNING_TRUST_ROOTS).") from exc
        roots += [c for c in certs if c.issuer == c.subject]
    return tuple(roots)


def bsre_client(app: Flask | None = None) -> BsreClient | None:
    """The BSrE client of this installation, or None when BSRE_URL is not configured."""
    app = app or current_app._get_current_object()
    cfg = app.config
    if not cfg.get("BSRE_URL"):
        return None
    return BsreClient(BsreConfig(base_url=cfg["BSRE_URL"], username=cfg.get("BSRE_USERNAME") or "",
                                 password=cfg.get("BSRE_PASSWORD") or "", timeout=float(cfg.get("BSRE_TIMEOUT", 60)),
                                 retries=int(cfg.get("BSRE_RETRIES", 2)),
                                 backoff=float(cfg.get("BSRE_BACKOFF", 0.5))))


def signing_policy(app: Flask | None = None) -> SigningPolicy:
    """Which jenis naskah must go through BSrE (only when BSrE is configured)."""
    app = app or current_app._get_current_object()
    required = app.config.get("SIGNING_BSRE_REQUIRED_JENIS") or []
    return SigningPolicy.build(bool(app.config.get("BSRE_URL")), [required] if isinstance(required, str) else required)
