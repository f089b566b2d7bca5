"""Signing backends: one interface, two implementations — the regency's own CA (keys held here, locked by the
official's passphrase) and BSrE, the national CA, which signs remotely with the official's NIK and passphrase.

Rules enforced here:
- A backend signs one prepared document (`SignatureJob`) and returns the whole signed PDF; it never changes what
  the caller rendered.
- For BSrE the QR stamp is drawn into the page *before* the file is sent (the remote service signs the whole
  file and draws nothing of ours). That is only allowed while the document carries no signature yet; when earlier
  signatures exist (paraf first), the stamp travels as the visible appearance image of the BSrE signature instead,
  so the signed revisions stay untouched.
- Which backend signs is decided by `SigningPolicy.backend_for`: the official's own setting, except that the final
  signature of a jenis naskah listed as "BSrE required" goes through BSrE whenever BSrE is configured (parafs
  are internal approvals and keep the official's own backend).
- A NIK is 16 digits: province code 11–94, a day of birth 01–31 (41–71 for women), a month 01–12.
"""
from __future__ import annotations

import datetime as dt
import enum
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.stamp import QRStamp

from .bsre import (Appearance, BsreClient, BsreCredential, BsreIdentity, SignatureProperties)
from .errors import InvalidPdf, SigningLibError
from .sign import TrustAnchors, _check_stamp_position, _reader, sign_pdf
from .stamp import StampSpec, stamp_style, text_params


class BackendKind(str, enum.Enum):
    """Who signs: the regency CA ("CA daerah", uncertified) or BSrE (certified)."""

    REGENCY = "regency"
    BSRE = "bsre"

    @property
    def label(self) -> str:
        return BACKEND_LABELS[self]


BACKEND_LABELS = {BackendKind.REGENCY: "CA daerah (tidak tersertifikasi)",
                  BackendKind.BSRE: "BSrE – BSSN (tersertifikasi)"}


def validate_nik(value: str) -> str:
    """The NIK in canonical form (16 digits), or ValueError with an Indonesian message."""
    nik = "".join(str(value or "").split())
    if len(nik) != 16 or not nik.isdigit():
        raise ValueError("NIK harus 16 angka.")
    province, day, month = int(nik[:2]), int(nik[6:8]), int(nik[8:10])
    if not 11 <= province <= 94:
        raise ValueError("NIK tidak sah: dua angka pertama (kode provinsi) harus 11–94.")
    if not (1 <= day <= 31 or 41 <= day <= 71) or not 1 <= month <= 12:
        raise ValueError("NIK tidak sah: angka ke-7 s.d. ke-10 harus tanggal dan bulan lahir.")
    if nik[12:] == "0000":
        raise ValueError("NIK tidak sah: nomor urut tidak boleh 0000.")
    return nik


@dataclass(frozen=True)
class SigningPolicy:
    """Per-installation rule: which jenis naskah must go through BSrE, and whether BSrE is configured at all."""

    bsre_configured: bool
    bsre_required_jenis: frozenset[str] = frozenset()

    @classmethod
    def build(cls, bsre_configured: bool, required: Iterable[str]) -> "SigningPolicy":
        return cls(bsre_configured=bsre_configured, bsre_required_jenis=frozenset(required or ()))

    def backend_for(self, official: BackendKind, jenis: str, final: bool = True) -> BackendKind:
        """The backend for one signature: BSrE when the official signs through BSrE, or when it is the final
        signature (TTE, not a paraf) of a jenis that requires BSrE and BSrE is configured; otherwise the
        regency CA."""
        if not self.bsre_configured:
            return BackendKind.REGENCY
        if official is BackendKind.BSRE or (final and jenis in self.bsre_required_jenis):
            return BackendKind.BSRE
        return BackendKind.REGENCY


@dataclass(frozen=True)
class SignatureJob:
    """One signature to apply: the rendered document, where the stamp goes, and the PDF signature fields."""

    pdf: bytes
    stamp: StampSpec | None
    field_name: str
    reason: str | None
    location: str | None
    certify_final: bool
    moment: dt.datetime | None = None


class SigningBackend(Protocol):
    kind: BackendKind

    def sign(self, job: SignatureJob) -> bytes:
        """The whole signed PDF; raises SigningLibError (refusals; `transient` ones may be retried later)."""


@dataclass(frozen=True)
class RegencyCaBackend:
    """The existing path: a key store opened with the official's passphrase, PAdES B-LT with the regency TSA."""

    signer: signers.Signer
    trust: TrustAnchors
    tsa: TimeStamper
    crl_der: bytes | Sequence[bytes]
    kind: BackendKind = BackendKind.REGENCY

    def sign(self, job: SignatureJob) -> bytes:
        return sign_pdf(job.pdf, signer=self.signer, pki_trust=self.trust, stamp=job.stamp,
                        field_name=job.field_name, reason=job.reason, location=job.location,
                        certify_final=job.certify_final, tsa=self.tsa, crl_der=self.crl_der, now=job.moment)


@dataclass(frozen=True)
class BsreBackend:
    """Remote signing: the stamp is rendered first, then the file goes to BSrE with the NIK and the secret."""

    client: BsreClient
    identity: BsreIdentity
    credential: BsreCredential = field(repr=False)
    kind: BackendKind = BackendKind.BSRE

    def sign(self, job: SignatureJob) -> bytes:
        prepared, props = prepare_for_remote(job)
        (signed,) = self.client.sign_pdf(self.identity, self.credential, [prepared], [props])
        if not signed.startswith(b"%PDF-") or len(signed) < len(prepared):
            raise SigningLibError("Jawaban BSrE bukan dokumen bertanda tangan.")
        return signed


def prepare_for_remote(job: SignatureJob) -> tuple[bytes, SignatureProperties]:
    """The file to send and its signatureProperties (see the module rules on where the stamp goes)."""
    reader = _reader(job.pdf)
    props = dict(location=job.location, reason=job.reason)
    if job.stamp is None:
        return job.pdf, SignatureProperties(**props)
    _check_stamp_position(reader, job.stamp)
    if not reader.embedded_signatures:
        return bake_stamp(job.pdf, job.stamp, job.moment), SignatureProperties(**props)
    pages = int(reader.root["/Pages"]["/Count"])
    page = job.stamp.page if job.stamp.page >= 0 else pages + job.stamp.page
    x1, y1, x2, y2 = job.stamp.box
    return job.pdf, SignatureProperties(
        appearance=Appearance.VISIBLE, page=page + 1, origin_x=x1, origin_y=y1, width=x2 - x1, height=y2 - y1,
        image_png=stamp_png(job.stamp, job.moment), **props)


def bake_stamp(pdf: bytes, stamp: StampSpec, moment: dt.datetime | None = None) -> bytes:
    """Draw the QR stamp (same look as the regency signature's appearance) into the page content."""
    reader = _reader(pdf)
    if reader.embedded_signatures:
        raise SigningLibError("Cap QR tidak boleh digambar ke halaman dokumen yang sudah ditandatangani.")
    pages = int(reader.root["/Pages"]["/Count"])
    page = stamp.page if stamp.page >= 0 else pages + stamp.page
    x1, y1, x2, y2 = stamp.box
    out = io.BytesIO()
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        QRStamp(writer, stamp.url, stamp_style(stamp), text_params=text_params(stamp, moment),
                box=BoxConstraints(width=x2 - x1, height=y2 - y1)).apply(page, x1, y1)
        writer.write(out)
    except PdfError as exc:
        raise InvalidPdf() from exc
    return out.getvalue()


def stamp_png(stamp: StampSpec, moment: dt.datetime | None = None, scale: int = 4) -> bytes:
    """The stamp as a PNG (QR left, text right) for a remote signer's visible appearance."""
    import qrcode
    from PIL import Image, ImageDraw, ImageFont

    x1, y1, x2, y2 = stamp.box
    width, height = (x2 - x1) * scale, (y2 - y1) * scale
    image = Image.new("RGB", (width, height), "white")
    qr = qrcode.make(stamp.url, border=1).get_image().convert("RGB").resize((height, height))
    image.paste(qr, (0, 0))
    params = text_params(stamp, moment)
    lines = ["Ditandatangani secara elektronik oleh:", *params["signer"].splitlines(),
             *params["position"].splitlines(), params["waktu"], f"Kode verifikasi: {params['code']}"]
    size = max(8, min(7 * scale, height // (len(lines) + 1)))
    font = ImageFont.load_default(size=size)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((height + 2 * scale, scale + i * (size + scale)), line, fill="black", font=font)
    draw.rectangle((0, 0, width - 1, height - 1), outline="black", width=scale)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
