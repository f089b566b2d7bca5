"""Bulk export of a period's signed documents, each file with a manifest line (number, date, jenis, signers,
SHA-256, verification URL), into a folder or a zip.

Rule: the server operator (the CLI, no acting user) exports everything; an administrator exports from the UI
every signed document except Rahasia and Sangat Rahasia ones, which no user without a position in their chain
may read. Every export writes an audit event.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import CONFIDENTIAL, JENIS, SignDocument, User
from sisumaker.models.org import as_utc
from sisumaker.services import audit
from sisumaker.services.errors import Conflict, PermissionDenied, ValidationError
from sisumaker.services.files import FileStore

MANIFEST_COLUMNS = ("berkas", "nomor", "tanggal", "jenis", "sifat", "penanda_tangan", "status", "sha256",
                    "url_verifikasi")
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class ManifestLine:
    berkas: str
    nomor: str
    tanggal: str
    jenis: str
    sifat: str
    penanda_tangan: str
    status: str
    sha256: str
    url_verifikasi: str


def check_range(date_from: date | None, date_to: date | None) -> None:
    errors = {}
    if date_from is None:
        errors["dari"] = "Tanggal awal wajib diisi."
    if date_to is None:
        errors["sampai"] = "Tanggal akhir wajib diisi."
    if date_from and date_to and date_from > date_to:
        errors["sampai"] = "Tanggal akhir tidak boleh sebelum tanggal awal."
    elif date_from and date_to and (date_to - date_from).days > MAX_DAYS:
        errors["sampai"] = "Periode paling panjang tiga tahun; ekspor per tahun."
    if errors:
        raise ValidationError(errors)


def signed_documents(date_from: date, date_to: date, include_confidential: bool) -> list[SignDocument]:
    """The finally signed documents dated in the period (the signing day when a document has no date)."""
    day = func.coalesce(SignDocument.doc_date, func.date(SignDocument.signed_at))  # date(): SQLite and PG
    stmt = select(SignDocument).where(SignDocument.is_final.is_(True), SignDocument.signed_at.is_not(None),
                                      day.between(date_from, date_to))
    if not include_confidential:
        stmt = stmt.where(SignDocument.sifat.not_in(CONFIDENTIAL))
    return list(db.session.scalars(stmt.order_by(SignDocument.signed_at, SignDocument.id)))


def _file_name(doc: SignDocument, day: date, used: set[str]) -> str:
    label = re.sub(r"[^A-Za-z0-9.-]+", "-", doc.number or doc.code).strip("-.")[:80] or "dokumen"
    name = f"{day.isoformat()}_{label}_{doc.code}.pdf"
    n = 2
    while name in used:
        name, n = f"{day.isoformat()}_{label}_{doc.code}-{n}.pdf", n + 1
    used.add(name)
    return name


def export_signed(actor: User | None, store: FileStore, base_url: str, date_from: date | None,
                  date_to: date | None, put: Callable[[str, bytes], None]) -> list[ManifestLine]:
    """Rule (module docstring). Calls `put(name, bytes)` for each PDF, then manifest.csv and manifest.json;
    refuses a file whose bytes no longer match its recorded SHA-256."""
    if actor is not None and actor.role != "admin":
        raise PermissionDenied("Ekspor arsip hanya untuk administrator.")
    check_range(date_from, date_to)
    lines, used = [], set()
    for doc in signed_documents(date_from, date_to, include_confidential=actor is None):
        data = store.read(doc.current_file)
        digest = hashlib.sha256(data).hexdigest()
        if digest != doc.current_file.sha256:
            raise Conflict(f"Berkas dokumen {doc.number or doc.code} tidak cocok dengan SHA-256 tercatat.")
        day = doc.doc_date or as_utc(doc.signed_at).date()
        name = _file_name(doc, day, used)
        put(name, data)
        signers = "; ".join(f"{r.signer_name} ({f'{r.capacity_prefix} {r.signer_title}'.strip()})"
                            for r in doc.requests if r.status == "signed")
        lines.append(ManifestLine(name, doc.number or "", day.isoformat(), JENIS.get(doc.jenis, doc.jenis),
                                  doc.sifat, signers, doc.status, digest, f"{base_url.rstrip('/')}/v/{doc.token}"))
    put("manifest.csv", manifest_csv(lines))
    put("manifest.json", json.dumps({"dari": date_from.isoformat(), "sampai": date_to.isoformat(),
                                     "dokumen": [asdict(x) for x in lines]}, ensure_ascii=False,
                                    indent=1).encode("utf-8"))
    audit.record(actor, "archive.export", "sign_document", None,
                 {"from": date_from.isoformat(), "to": date_to.isoformat(), "documents": len(lines),
                  "confidential": actor is None})
    return lines


def manifest_csv(lines: list[ManifestLine]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    for line in lines:
        writer.writerow([getattr(line, c) for c in MANIFEST_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def folder_writer(folder: Path) -> Callable[[str, bytes], None]:
    """Write into an empty (or new) folder; never overwrite an earlier export."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise ValidationError({"out": f"Folder {folder} tidak kosong; pilih folder baru."})
    return lambda name, data: (folder / name).write_bytes(data)


def zip_writer(archive: zipfile.ZipFile) -> Callable[[str, bytes], None]:
    return lambda name, data: archive.writestr(name, data)
