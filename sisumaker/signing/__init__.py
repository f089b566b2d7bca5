"""Flask-free electronic signatures (TTE) for Sisumaker: regency PKI, key stores, RFC 3161 time
stamps, QR-stamped PAdES signing and "valid when signed" validation.

This package imports nothing from Flask or the app (`sisumaker.models`, `.services`,
`.extensions`); the app wires it in. User-facing error messages are in Bahasa Indonesia.
"""
from __future__ import annotations

from .errors import (
    CertificateRevoked,
    DocumentFinal,
    InvalidPdf,
    PkiError,
    SigningLibError,
    WrongPassphrase,
)
from .keystore import (
    KeyStoreContents,
    check_passphrase_strength,
    load_pkcs12,
    make_pkcs12,
    rewrap_pkcs12,
)
from .pki import (
    IssuedCertificate,
    KeyAlgorithm,
    Pki,
    PkiConfig,
    PkiPaths,
    export_root_pem,
    generate_kek,
    init_pki,
    issue_official_certificate,
    load_pki,
)
from .revocation import (
    REASON_LABELS,
    RevocationEntry,
    build_crl,
    crl_lookup,
    current_crl,
    ensure_not_revoked,
    revocation_status,
    revoke,
    revoked_entries,
)
from .sign import (
    CachedSigner,
    TrustAnchors,
    is_final,
    sign_pdf,
    signature_count,
    signer_from_pkcs12,
)
from .stamp import Acting, StampSpec, position_label, wib_time
from .tsa import RegencyTimeStamper, make_timestamper
from .validate import (
    VERDICT_ALTERED,
    VERDICT_NONE,
    VERDICT_OK,
    VERDICT_REVOKED_BEFORE,
    VERDICT_UNREADABLE,
    VERDICT_UNTRUSTED,
    SignatureReport,
    ValidationReport,
    sha256_hex,
    validate_pdf,
)

__all__ = [
    "Acting",
    "CachedSigner",
    "CertificateRevoked",
    "DocumentFinal",
    "InvalidPdf",
    "IssuedCertificate",
    "KeyAlgorithm",
    "KeyStoreContents",
    "Pki",
    "PkiConfig",
    "PkiError",
    "PkiPaths",
    "REASON_LABELS",
    "RegencyTimeStamper",
    "RevocationEntry",
    "SignatureReport",
    "SigningLibError",
    "StampSpec",
    "TrustAnchors",
    "VERDICT_ALTERED",
    "VERDICT_NONE",
    "VERDICT_OK",
    "VERDICT_REVOKED_BEFORE",
    "VERDICT_UNREADABLE",
    "VERDICT_UNTRUSTED",
    "ValidationReport",
    "WrongPassphrase",
    "build_crl",
    "check_passphrase_strength",
    "crl_lookup",
    "current_crl",
    "ensure_not_revoked",
    "export_root_pem",
    "generate_kek",
    "init_pki",
    "is_final",
    "issue_official_certificate",
    "load_pkcs12",
    "load_pki",
    "make_pkcs12",
    "make_timestamper",
    "position_label",
    "revocation_status",
    "revoke",
    "revoked_entries",
    "rewrap_pkcs12",
    "sha256_hex",
    "sign_pdf",
    "signature_count",
    "signer_from_pkcs12",
    "validate_pdf",
    "wib_time",
]
