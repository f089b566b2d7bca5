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
    # the refusal concerns the signer, not one document: every other document of the batch would be refused too
    stops_batch = False
    # the signing service could not be reached or answered with a server error: worth trying again later
    transient = False

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


class WrongPassphrase(SigningLibError):
    """The passphrase does not open the PKCS#12 key store (or the store is damaged)."""

    status = 422
    stops_batch = True

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


class SignerRefused(SigningLibError):
    """A remote signing service refused the signer (not registered, no certificate, certificate expired or
    revoked): the same answer would come for every document, so a batch stops at the first one."""

    status = 422
    stops_batch = True

    def __init__(self, message: str, code: str = "", detail: str = ""):
        super().__init__(message, detail)
        self.code = code


class RemoteWrongCredential(SignerRefused):
    """The remote signing service says the passphrase (or TOTP) is wrong. Never retried: a retry with the same
    secret could lock the official's account at the national CA."""


class SigningUnavailable(SigningLibError):
    """The remote signing service did not answer in time, refused the connection or answered 5xx."""

    status = 503
    transient = True

    def __init__(self, message: str = "Layanan tanda tangan BSrE sedang tidak dapat dihubungi; "
                                      "dokumen tetap dalam antrean dan dicoba lagi otomatis.", detail: str = ""):
        super().__init__(message, detail)
