"""Client for the national CA's remote signing service (BSrE esign client service, API v2).

The calls, as integrators document them (the service itself cannot be reached from here):
- `POST /api/v2/sign/pdf`  {nik | email, passphrase | totp, signatureProperties: [...], file: [base64, ...]}
  → 200 {time, file: [base64, ...]} (one signed PDF per file, same order);
- `POST /api/v2/user/check/status`  {nik | email} → 200 {status_code, message, status};
- `POST /api/v2/verify/pdf`  {file: base64[, password]} → 200 {signatureCount, conclusion, description,
  signatureInformations: [...]}.
HTTP Basic authenticates the application. A refusal comes back as JSON {error, status_code, ...}, sometimes with
HTTP 400 and sometimes with HTTP 500, so the body is read before the HTTP status is trusted.

Rules enforced here:
- A known refusal (user not registered, no certificate, certificate expired or revoked, wrong passphrase) raises
  `SignerRefused` / `RemoteWrongCredential` with a Bahasa Indonesia message and is never retried.
- Transient failures (connection refused or reset, time-out, HTTP 502/503/504 or a 5xx without a known refusal)
  are retried a few times with back-off for status and verify; a signing call is retried only when the request
  never reached the service (connection refused) or the service said 503, because a time-out after sending leaves
  the outcome unknown. When retries are used up `SigningUnavailable` (transient) is raised for the caller's queue.
- The passphrase is sent in the request body only; it is never logged or put in an exception.
"""
from __future__ import annotations

import base64
import binascii
import enum
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import RemoteWrongCredential, SignerRefused, SigningLibError, SigningUnavailable

SIGN_PATH = "/api/v2/sign/pdf"
STATUS_PATH = "/api/v2/user/check/status"
VERIFY_PATH = "/api/v2/verify/pdf"

# status_code values of the service: 2011/2021/2031 are observed in the field; expired/revoked are named by
# their status word, and 2022/2023 are accepted for them as well.
REFUSALS: dict[str, tuple[str, str]] = {
    "2011": ("NOT_REGISTERED", "NIK atau e-mail penanda tangan belum terdaftar di BSrE. Hubungi admin TTE "
                               "untuk pendaftaran sertifikat elektronik."),
    "2021": ("NO_CERTIFICATE", "Penanda tangan belum memiliki sertifikat elektronik BSrE yang aktif. "
                               "Ajukan penerbitan sertifikat melalui admin TTE."),
    "2022": ("EXPIRED", "Sertifikat elektronik BSrE penanda tangan sudah kedaluwarsa; perpanjang sertifikat "
                        "sebelum menandatangani."),
    "2023": ("REVOKED", "Sertifikat elektronik BSrE penanda tangan sudah dicabut; penandatanganan ditolak."),
    "2031": ("WRONG_PASSPHRASE", "Frasa sandi (passphrase) BSrE salah. Tidak ada dokumen yang ditandatangani; "
                                 "silakan ulangi dengan frasa sandi yang benar."),
}
_BY_WORD = {word: code for code, (word, _) in REFUSALS.items()}
_BY_WORD.update({"REVOKE": "2023", "SUSPEND": "2023", "EXPIRE": "2022", "NOT_FOUND": "2011"})
AUTH_REFUSED = "Aplikasi ditolak oleh layanan BSrE (akun integrasi salah). Hubungi admin TTE."


class Appearance(str, enum.Enum):
    """`tampilan`: whether BSrE draws a visible appearance."""

    VISIBLE = "VISIBLE"
    INVISIBLE = "INVISIBLE"


@dataclass(frozen=True)
class BsreConfig:
    """Where the esign client service lives and how patiently to talk to it."""

    base_url: str
    username: str
    password: str = field(repr=False)
    timeout: float = 60.0          # seconds per signing request (connect + each read)
    status_timeout: float = 10.0   # the status check answers in under a second normally
    verify_timeout: float = 120.0  # verifying a large, many-signature PDF takes tens of seconds
    retries: int = 2               # extra attempts after a transient failure
    backoff: float = 0.5           # seconds before the first retry, doubled each time

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("BSRE_URL harus berupa alamat http(s) lengkap.")


@dataclass(frozen=True)
class BsreIdentity:
    """Who signs: the NIK (16 digits) or the e-mail registered at BSrE; exactly one."""

    nik: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        if bool(self.nik) == bool(self.email):
            raise ValueError("Isi tepat satu: NIK atau e-mail penanda tangan BSrE.")

    def as_json(self) -> dict[str, str]:
        return {"nik": self.nik} if self.nik else {"email": self.email or ""}


@dataclass(frozen=True)
class BsreCredential:
    """The secret the official typed: a passphrase or a TOTP from the BSrE app; exactly one."""

    passphrase: str | None = field(default=None, repr=False)
    totp: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if bool(self.passphrase) == bool(self.totp):
            raise ValueError("Isi tepat satu: passphrase atau TOTP.")

    def as_json(self) -> dict[str, str]:
        return {"passphrase": self.passphrase} if self.passphrase else {"totp": self.totp or ""}


@dataclass(frozen=True)
class SignatureProperties:
    """One `signatureProperties` entry: an invisible signature, or a visible one at (originX, originY) with size
    (width, height) in PDF points on `page` (1-based), optionally drawn from a PNG image."""

    appearance: Appearance = Appearance.INVISIBLE
    page: int = 1
    origin_x: float = 0
    origin_y: float = 0
    width: float = 0
    height: float = 0
    image_png: bytes | None = field(default=None, repr=False)
    location: str | None = None
    reason: str | None = None
    contact_info: str | None = None

    def as_json(self) -> dict:
        out: dict = {"tampilan": self.appearance.value}
        if self.appearance is Appearance.VISIBLE:
            out.update(page=self.page, originX=self.origin_x, originY=self.origin_y, width=self.width,
                       height=self.height)
            if self.image_png:
                out["imageBase64"] = base64.b64encode(self.image_png).decode()
        for key, value in (("location", self.location), ("reason", self.reason),
                           ("contactInfo", self.contact_info)):
            if value:
                out[key] = value
        return out


@dataclass(frozen=True)
class UserStatus:
    """The answer of the status check: `status` is the service's word (ISSUE when the signer can sign)."""

    status: str
    code: str
    message: str

    @property
    def can_sign(self) -> bool:
        return self.status == "ISSUE"

    def refusal(self) -> SignerRefused | None:
        """The refusal a signing call would meet, or None when the signer can sign."""
        if self.can_sign:
            return None
        code = self.code if self.code in REFUSALS else _BY_WORD.get(self.status, "")
        if code:
            return SignerRefused(REFUSALS[code][1], code=code, detail=self.message)
        return SignerRefused(f"BSrE menolak penanda tangan (status {self.status}).", detail=self.message)


@dataclass(frozen=True)
class RemoteSignature:
    """One signature as the verify call reports it."""

    signer_name: str
    integrity_valid: bool
    certificate_trusted: bool
    signature_date: str | None
    signature_format: str | None


@dataclass(frozen=True)
class RemoteVerification:
    conclusion: str  # VALID, NO_SIGNATURE, INVALID, ...
    description: str
    signatures: tuple[RemoteSignature, ...]

    @property
    def valid(self) -> bool:
        return self.conclusion == "VALID"


def refusal_from(body: dict) -> SignerRefused | None:
    """Map a refusal body to its exception (None when the body names no known refusal)."""
    code = str(body.get("status_code") or body.get("code") or "")
    word = str(body.get("status") or "").upper()
    text = str(body.get("error") or body.get("message") or "")
    if code not in REFUSALS:
        code = _BY_WORD.get(word, "")
    if not code and "passphrase" in text.lower() and "salah" in text.lower():
        code = "2031"
    if not code:
        return None
    cls = RemoteWrongCredential if code == "2031" else SignerRefused
    return cls(REFUSALS[code][1], code=code, detail=text[:300])


class BsreClient:
    """The three calls, over HTTP with Basic authentication (stdlib `urllib`, no extra dependency)."""

    def __init__(self, config: BsreConfig):
        self.config = config
        token = base64.b64encode(f"{config.username}:{config.password}".encode()).decode()
        self._auth = f"Basic {token}"

    # ------------------------------------------------------------------ calls

    def sign_pdf(self, identity: BsreIdentity, credential: BsreCredential, files: Sequence[bytes],
                 properties: Sequence[SignatureProperties]) -> list[bytes]:
        """Sign one or many PDFs with one credential; returns the signed PDFs in the same order."""
        if not files:
            raise ValueError("no files")
        if len(properties) not in (1, len(files)):
            raise ValueError("one signatureProperties entry, or one per file")
        payload = {**identity.as_json(), **credential.as_json(),
                   "signatureProperties": [p.as_json() for p in properties],
                   "file": [base64.b64encode(f).decode() for f in files]}
        body = self._call(SIGN_PATH, payload, self.config.timeout, retry_after_send=False)
        signed = body.get("file")
        if not isinstance(signed, list) or len(signed) != len(files):
            raise SigningLibError("Jawaban BSrE tidak berisi dokumen bertanda tangan.",
                                  detail=f"keys={sorted(body)}")
        try:
            return [base64.b64decode(item, validate=True) for item in signed]
        except (binascii.Error, TypeError) as exc:
            raise SigningLibError("Jawaban BSrE tidak berisi PDF yang dapat dibaca.") from exc

    def user_status(self, identity: BsreIdentity) -> UserStatus:
        """Whether the signer is registered and holds a usable certificate."""
        body = self._call(STATUS_PATH, identity.as_json(), self.config.status_timeout, retry_after_send=True,
                          refusals_are_answers=True)
        return UserStatus(status=str(body.get("status") or "").upper(), code=str(body.get("status_code") or ""),
                          message=str(body.get("message") or ""))

    def verify_pdf(self, pdf: bytes, password: str | None = None) -> RemoteVerification:
        """The service's own judgment of a PDF (independent of our validator)."""
        payload = {"file": base64.b64encode(pdf).decode()}
        if password:
            payload["password"] = password
        body = self._call(VERIFY_PATH, payload, self.config.verify_timeout, retry_after_send=True)
        sigs = tuple(RemoteSignature(
            signer_name=str(s.get("signerName") or ""), integrity_valid=bool(s.get("integrityValid")),
            certificate_trusted=bool(s.get("certificateTrusted")), signature_date=s.get("signatureDate"),
            signature_format=s.get("signatureFormat")) for s in body.get("signatureInformations") or [])
        return RemoteVerification(conclusion=str(body.get("conclusion") or ""),
                                  description=str(body.get("description") or ""), signatures=sigs)

    # ------------------------------------------------------------------ transport

    def _call(self, path: str, payload: dict, timeout: float, *, retry_after_send: bool,
              refusals_are_answers: bool = False) -> dict:
        attempts = 1 + max(0, self.config.retries)
        delay = self.config.backoff
        last = "tidak ada jawaban"
        for attempt in range(attempts):
            if attempt:
                time.sleep(delay)
                delay *= 2
            try:
                return self._once(path, payload, timeout, refusals_are_answers)
            except _Transient as exc:
                last = exc.detail
                if not (retry_after_send or exc.before_send):
                    break
        raise SigningUnavailable(detail=f"{path}: {last}")

    def _once(self, path: str, payload: dict, timeout: float, refusals_are_answers: bool) -> dict:
        request = urllib.request.Request(
            self.config.base_url.rstrip("/") + path, data=json.dumps(payload).encode(), method="POST",
            headers={"Authorization": self._auth, "Content-Type": "application/json",
                     "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except urllib.error.URLError as exc:
            refused = isinstance(exc.reason, ConnectionRefusedError)
            raise _Transient(f"URLError {exc.reason}", before_send=refused) from None
        except ConnectionRefusedError:
            raise _Transient("connection refused", before_send=True) from None
        except (TimeoutError, socket.timeout, ConnectionError, OSError) as exc:
            raise _Transient(f"{type(exc).__name__}", before_send=False) from None
        body = _json(raw)
        if status == 200 and body is not None and (refusals_are_answers or not _is_refusal_body(body)):
            return body
        refusal = refusal_from(body) if body is not None else None
        if refusal is not None:
            raise refusal
        if status in (401, 403):
            raise SignerRefused(AUTH_REFUSED, code=str(status))
        if status >= 500 or status == 429:
            raise _Transient(f"HTTP {status}", before_send=status == 503)
        raise SigningLibError("BSrE menolak permintaan tanda tangan.", detail=f"HTTP {status}")


class _Transient(Exception):
    def __init__(self, detail: str, *, before_send: bool):
        super().__init__(detail)
        self.detail, self.before_send = detail, before_send


def _json(raw: bytes) -> dict | None:
    try:
        value = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _is_refusal_body(body: dict) -> bool:
    return "error" in body and "file" not in body and "conclusion" not in body and "status" not in body
