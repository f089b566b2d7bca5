"""A local stand-in for BSrE's esign client service (API v2), for tests: it speaks the documented calls on
loopback, answers with realistic latency, refuses like the real service, and signs with a test CA of its own.

- `POST /api/v2/sign/pdf`, `POST /api/v2/user/check/status`, `POST /api/v2/verify/pdf`, HTTP Basic auth.
- The CA is a separate "BSrE test" chain (root, issuing CA, TSA) made with the signing/pki helpers; each user
  gets a certificate from it. Signatures are real PAdES (pyHanko) with a time stamp and the CRL embedded (B-LT),
  invisible or visible (the caller's PNG as the appearance).
- Refusals: not registered (2011), no certificate (2021), certificate expired (2022) or revoked (2023), wrong
  passphrase / TOTP (2031), each as HTTP 400 JSON {error, status_code}; wrong Basic auth is HTTP 401.
- `outage("503")` answers every call with 503, `outage("drop")` closes connections without an answer, and
  `outage(None)` brings the service back. `calls` records (path, identity) of every call, never secrets.
"""
from __future__ import annotations

import base64
import io
import json
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.stamp import TextStampStyle

from sisumaker.signing import (KeyAlgorithm, TrustAnchors, current_crl, generate_kek, init_pki,
                               issue_official_certificate, load_pki, make_timestamper, revoke, validate_pdf)
from sisumaker.signing.sign import CachedSigner, validation_context

USERNAME, PASSWORD = "esign", "stand-in-basic-auth"


def make_ca(directory: Path) -> Path:
    """Create the stand-in's own CA once (copied per test by `StandIn`): a "BSrE test" chain, not the regency's."""
    kek = generate_kek()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "kek").write_text(kek.hex())
    init_pki(directory / "pki", kek, "Balai Sertifikasi Elektronik (BSrE test)",
             crl_url="http://127.0.0.1/bsre-test/crl.der", key_algorithm=KeyAlgorithm.EC_P256)
    return directory


@dataclass
class TestUser:
    name: str
    secret: str
    status: str = "ISSUE"  # ISSUE | NO_CERTIFICATE | EXPIRED | REVOKED
    signer: CachedSigner | None = None
    serial: int = 0


class StandIn:
    """The server: started on 127.0.0.1 with a random port in its own thread; `close()` stops it."""

    def __init__(self, ca_template: Path, workdir: Path, latency: float = 0.02):
        shutil.copytree(ca_template, workdir)
        self.pki = load_pki(workdir / "pki", bytes.fromhex((workdir / "kek").read_text()))
        self.tsa = make_timestamper(self.pki)
        self.root_pem_path = workdir / "bsre-root.pem"
        from cryptography.hazmat.primitives.serialization import Encoding

        self.root_pem_path.write_bytes(self.pki.root_cert.public_bytes(Encoding.PEM))
        self.latency = latency
        self.users: dict[str, TestUser] = {}
        self.calls: list[tuple[str, str]] = []
        self.received: list[bytes] = []  # the files signing calls brought, as received
        self.hits: list[str] = []  # every request's path, answered or not (outages included)
        self.mode: str | None = None
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="bsre-standin", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add_user(self, key: str, name: str, secret: str, status: str = "ISSUE") -> TestUser:
        """Register a signer by NIK or e-mail; with status ISSUE (or EXPIRED/REVOKED) a certificate is issued."""
        user = TestUser(name=name, secret=secret, status=status)
        if status != "NO_CERTIFICATE":
            email = key if "@" in key else None
            issued = issue_official_certificate(self.pki, common_name=name, nip_or_id=key if email is None else
                                                uuid.uuid5(uuid.NAMESPACE_DNS, key).hex[:16], email=email,
                                                position_title="Pejabat", organisation="Uji BSrE")
            user.signer = CachedSigner(issued.certificate, issued.private_key, self.pki.chain)
            user.serial = issued.certificate.serial_number
        if status == "REVOKED":
            self.revoke(key)
        self.users[key] = user
        return user

    def revoke(self, key: str) -> None:
        user = self.users.get(key)
        if user is not None:
            user.status = "REVOKED"
        serial = user.serial if user is not None else 0
        if serial:
            revoke(self.pki, serial, "key_compromise")

    def outage(self, mode: str | None) -> None:
        """"503": every call answered 503; "drop": connections closed unanswered; None: back to normal."""
        self.mode = mode

    def sign_calls(self) -> int:
        return sum(1 for path, _ in self.calls if path.endswith("/sign/pdf"))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ the service's logic

    def refusal(self, key: str, body: dict) -> tuple[int, dict] | None:
        user = self.users.get(key)
        if user is None:
            return 400, {"error": "User tidak terdaftar", "status_code": 2011}
        if user.status == "NO_CERTIFICATE":
            return 400, {"error": "User belum memiliki sertifikat", "status_code": 2021}
        if user.status == "EXPIRED":
            return 400, {"error": "Sertifikat user sudah kedaluwarsa", "status_code": 2022}
        if user.status == "REVOKED":
            return 400, {"error": "Sertifikat user sudah dicabut", "status_code": 2023}
        if (body.get("passphrase") or body.get("totp")) != user.secret:
            return 400, {"error": "Passphrase anda salah", "status_code": 2031}
        return None

    def sign(self, key: str, body: dict) -> tuple[int, dict]:
        refused = self.refusal(key, body)
        if refused:
            return refused
        files, props = body.get("file") or [], body.get("signatureProperties") or [{}]
        if not files or len(props) not in (1, len(files)):
            return 400, {"error": "file dan signatureProperties tidak sesuai", "status_code": 2051}
        started = time.monotonic()
        out = []
        for i, b64 in enumerate(files):
            try:
                pdf = base64.b64decode(b64, validate=True)
                self.received.append(pdf)
                out.append(base64.b64encode(self._sign_one(self.users[key], pdf, props[min(i, len(props) - 1)]))
                           .decode())
            except Exception as exc:  # noqa: BLE001 - the real service answers 500 to a broken file
                return 500, {"timestamp": int(time.time() * 1000), "status": 500, "error": "Internal Server Error",
                             "message": type(exc).__name__, "path": "/api/v2/sign/pdf"}
        return 200, {"time": int((time.monotonic() - started) * 1000), "file": out}

    def _sign_one(self, user: TestUser, pdf: bytes, prop: dict) -> bytes:
        crl = current_crl(self.pki)
        name = f"BSrE-{uuid.uuid4().hex[:12]}"
        visible = prop.get("tampilan") == "VISIBLE"
        spec = fields.SigFieldSpec(sig_field_name=name)
        style = None
        if visible:
            x, y = float(prop.get("originX", 0)), float(prop.get("originY", 0))
            w, h = float(prop.get("width", 0)), float(prop.get("height", 0))
            spec = fields.SigFieldSpec(sig_field_name=name, on_page=int(prop.get("page", 1)) - 1,
                                       box=(int(x), int(y), int(x + w), int(y + h)))
            image = None
            if prop.get("imageBase64"):
                from PIL import Image

                image = PdfImage(Image.open(io.BytesIO(base64.b64decode(prop["imageBase64"]))))
            style = TextStampStyle(stamp_text="" if image else "Ditandatangani secara elektronik\n%(signer)s",
                                   background=image, background_opacity=1, border_width=0)
        meta = signers.PdfSignatureMetadata(
            field_name=name, reason=prop.get("reason"), location=prop.get("location"), md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES, embed_validation_info=True, use_pades_lta=False,
            validation_context=validation_context(TrustAnchors.from_pki(self.pki), [crl]),
            dss_settings=DSSContentSettings(placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
                                            include_vri=False))
        pdf_signer = signers.PdfSigner(meta, signer=user.signer, timestamper=self.tsa, stamp_style=style,
                                       new_field_spec=spec)
        out = io.BytesIO()
        pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False), output=out,
                            appearance_text_params={"signer": user.name} if visible else None)
        return out.getvalue()

    def status(self, key: str) -> tuple[int, dict]:
        user = self.users.get(key)
        if user is None:
            return 200, {"status_code": 2011, "message": "User tidak terdaftar", "status": "NOT_REGISTERED"}
        code = {"ISSUE": 1111, "NO_CERTIFICATE": 2021, "EXPIRED": 2022, "REVOKED": 2023}[user.status]
        return 200, {"status_code": code, "message": f"Status sertifikat {user.status}", "status": user.status}

    def verify(self, body: dict) -> tuple[int, dict]:
        try:
            pdf = base64.b64decode(body.get("file") or "", validate=True)
            if not pdf.startswith(b"%PDF-"):
                raise ValueError("not a PDF")
        except ValueError:
            return 500, {"timestamp": int(time.time() * 1000), "status": 500, "error": "Internal Server Error",
                         "path": "/api/v2/verify/pdf"}
        report = validate_pdf(pdf, [self.pki.root_cert], crls=[current_crl(self.pki)],
                              intermediates=[self.pki.issuing_cert])
        conclusion = ("NO_SIGNATURE" if not report.signatures else "VALID" if report.ok else "INVALID")
        infos = [{"fieldName": s.field_name, "signerName": s.signer_cn, "integrityValid": s.intact and s.valid,
                  "certificateTrusted": s.trusted, "signatureFormat": "PAdES-BASELINE-LT",
                  "signatureDate": s.signing_time.isoformat() if s.signing_time else None, "ltv": True,
                  "lastSignature": False, "reason": None, "location": None} for s in report.signatures]
        return 200, {"signatureCount": len(infos), "conclusion": conclusion, "description": report.verdict,
                     "signatureInformations": infos}


def _handler(service: StandIn):
    expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            service.hits.append(self.path)
            if service.mode == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            time.sleep(service.latency)
            if service.mode == "503":
                return self._send(503, {"timestamp": 0, "status": 503, "error": "Service Unavailable",
                                        "path": self.path})
            if self.headers.get("Authorization") != expected:
                return self._send(401, {"timestamp": 0, "status": 401, "error": "Unauthorized", "path": self.path})
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return self._send(400, {"error": "JSON tidak sah", "status_code": 2050})
            key = str(body.get("nik") or body.get("email") or "")
            with service._lock:
                service.calls.append((self.path, key))
            if self.path == "/api/v2/sign/pdf":
                return self._send(*service.sign(key, body))
            if self.path == "/api/v2/user/check/status":
                return self._send(*service.status(key))
            if self.path == "/api/v2/verify/pdf":
                return self._send(*service.verify(body))
            return self._send(404, {"timestamp": 0, "status": 404, "error": "Not Found", "path": self.path})

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
