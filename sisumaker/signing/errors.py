"""Errors raised by the signing library.

Every error carries `message`, a sentence in Bahasa Indonesia that may be shown to the user, and
`status`, the HTTP status the app should map it to (mirrors `sisumaker.services.errors.DomainError`
without importing it, so this package stays Flask- and app-free).
"""
from __future__ import annotations


class SigningLibError(Exception):
    """Base class; `message` is user-facing (Bahasa Indonesia); `detail` is an optional technical
    explanation (often pyHanko's English text) for logs and administrators."""

    status = 400

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


class WrongPassphrase(SigningLibError):
    """The passphrase does not open the PKCS#12 key store (or the store is damaged)."""

    status = 422

    def __init__(self, message: str = "Frasa sandi salah, atau berkas kunci tidak dapat dibuka."):
        super().__init__(message)


class CertificateRevoked(SigningLibError):
    """The signer's certificate is revoked (or expired / not yet valid): signing is refused."""

    status = 409

    def __init__(self, message: str = "Sertifikat penanda tangan sudah dicabut; penandatanganan ditolak."):
        super().__init__(message)


class DocumentFinal(SigningLibError):
    """The document already carries a final (locking) signature: no further signature allowed."""

    status = 409

    def __init__(
        self,
        message: str = "Dokumen sudah ditandatangani final dan terkunci; tidak dapat ditandatangani lagi.",
    ):
        super().__init__(message)


class InvalidPdf(SigningLibError):
    """The input is not a PDF that can be signed."""

    status = 422

    def __init__(self, message: str = "Berkas bukan PDF yang dapat ditandatangani."):
        super().__init__(message)


class PkiError(SigningLibError):
    """The regency PKI is missing, damaged, or the key-encryption secret is wrong."""

    status = 500

    def __init__(self, message: str = "PKI kabupaten tidak dapat dibuka."):
        super().__init__(message)
