"""Uploaded files: checked by content (not by name), stored content-addressed outside the database."""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import StoredFile
from sisumaker.services.errors import ValidationError

MAX_IMAGE_PIXELS = 60_000_000  # a 20 MB upload must not expand into gigabytes (decompression bomb)
KINDS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


@dataclass(frozen=True)
class FileStore:
    """Where files live: `root/ab/cdef…` named by SHA-256."""

    root: Path

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:]

    def read(self, stored: StoredFile) -> bytes:
        return self.path_for(stored.sha256).read_bytes()

    def write(self, data: bytes, sha256: str) -> None:
        target = self.path_for(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".up-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def sniff(data: bytes, field: str = "berkas") -> tuple[str, int | None]:
    """Rule: only real PDF (unencrypted, without scripts), JPEG or PNG are accepted, judged by their content."""
    if data.startswith(b"%PDF-"):
        return "application/pdf", check_pdf(data, field)
    if data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_image(data, field), None
    raise ValidationError({field: "Berkas harus PDF, JPEG atau PNG (isi berkas diperiksa, bukan namanya)."})


def check_pdf(data: bytes, field: str = "berkas") -> int:
    """A PDF must open, must not be encrypted and must not carry JavaScript or launch actions."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    lowered = data.lower()
    if not data.startswith(b"%PDF-"):
        raise ValidationError({field: "Berkas PDF rusak atau tidak dapat dibaca."})
    if _is_polyglot(data, lowered):
        raise ValidationError({field: "Berkas bukan PDF murni (ada isi lain yang disisipkan); simpan ulang sebagai PDF."})
    if b"/javascript" in lowered or b"/js " in lowered or b"/js(" in lowered or b"/js<" in lowered \
            or b"/launch" in lowered:
        raise ValidationError({field: "PDF berisi skrip atau perintah otomatis; simpan ulang sebagai PDF biasa."})
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError({field: "PDF terkunci kata sandi; unggah PDF tanpa kata sandi."})
        pages = len(reader.pages)
        streams: list = []
        if _has_active_content(reader.trailer["/Root"], streams):
            raise ValidationError({field: "PDF berisi skrip; simpan ulang sebagai PDF biasa."})
        if _inflates_beyond(streams, MAX_PDF_INFLATED):
            raise ValidationError({field: "PDF berisi data termampatkan yang terlalu besar setelah dibuka."})
    except ValidationError:
        raise
    except (PdfReadError, Exception):
        raise ValidationError({field: "Berkas PDF rusak atau tidak dapat dibaca."}) from None
    if pages < 1:
        raise ValidationError({field: "PDF tidak memiliki halaman."})
    return pages


MAX_PDF_OBJECTS = 200_000
MAX_PDF_INFLATED = 256 * 1024 * 1024  # decompression-bomb guard: all Flate streams of one PDF, inflated
ACTIVE_ACTIONS = ("/JavaScript", "/Launch")
_FOREIGN_MARKUP = (b"<script", b"<html", b"<!doctype", b"<svg", b"<iframe")


def _is_polyglot(data: bytes, lowered: bytes) -> bool:
    """Rule: a PDF is only a PDF — nothing after its last %%EOF but whitespace (a ZIP or other archive hangs
    there), and no HTML/SVG markup anywhere (a browser or another reader could take it for a page)."""
    end = data.rfind(b"%%EOF")
    if end < 0 or data[end + 5:].strip(b"\r\n\t\x0c\x00 "):
        return True
    return any(marker in lowered for marker in _FOREIGN_MARKUP)


def _inflates_beyond(streams, limit: int) -> bool:
    """True when the Flate streams together inflate to more than `limit` bytes (checked in bounded chunks)."""
    import zlib

    total = 0
    for stream in streams:
        filters = stream.get("/Filter")
        filters = filters if isinstance(filters, list) else [filters]
        if "/FlateDecode" not in [str(f) for f in filters]:
            continue
        inflater = zlib.decompressobj()
        chunk = stream._data  # the raw (still compressed) bytes
        try:
            while chunk and total <= limit:
                out = inflater.decompress(chunk, 1024 * 1024)
                total += len(out)
                chunk = inflater.unconsumed_tail
        except zlib.error:
            continue  # a broken stream is the renderer's problem, not a bomb
        if total > limit:
            return True
    return False


def _has_active_content(root, streams: list | None = None) -> bool:
    """Walk every object reachable from the catalog (names arrive decoded, so `/Java#53cript` is caught too):
    any JavaScript or Launch action, any /JS entry, or a JavaScript name tree — on the catalog, a page's /AA,
    an annotation, or an action's /Next chain alike."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > MAX_PDF_OBJECTS:
                raise ValueError("too many objects")
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # streams too (their dictionaries, not their data)
            if streams is not None and isinstance(obj, StreamObject):
                streams.append(obj)
            action = obj.get("/S")
            action = action.get_object() if isinstance(action, IndirectObject) else action
            if action in ACTIVE_ACTIONS or "/JS" in obj or "/JavaScript" in obj:
                return True
            stack.extend(dict.values(obj))
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))
    return False


def _check_image(data: bytes, field: str) -> str:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError({field: "Gambar terlalu besar (resolusi melebihi batas)."})
            img.verify()
    except ValidationError:
        raise
    except Image.DecompressionBombError:  # Pillow's own guard fires first for the largest images
        raise ValidationError({field: "Gambar terlalu besar (resolusi melebihi batas)."}) from None
    except Exception:
        raise ValidationError({field: "Berkas gambar rusak atau tidak dapat dibaca."}) from None
    if fmt == "JPEG":
        return "image/jpeg"
    if fmt == "PNG":
        return "image/png"
    raise ValidationError({field: "Berkas harus PDF, JPEG atau PNG."})


def size_label(n: int) -> str:
    """20 MB, 512 KB: how a size limit is told to the user."""
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def store_upload(store: FileStore, data: bytes, *, max_bytes: int, field: str = "berkas") -> StoredFile:
    """Rule: an upload within the size limit and of an accepted type is stored once (by SHA-256)."""
    if not data:
        raise ValidationError({field: "Berkas kosong."})
    if len(data) > max_bytes:
        raise ValidationError({field: f"Berkas melebihi batas {size_label(max_bytes)}."})
    mime, pages = sniff(data, field)
    return store_bytes(store, data, mime, pages)


def store_bytes(store: FileStore, data: bytes, mime: str, pages: int | None = None) -> StoredFile:
    """Store generated content (already trusted); returns the existing row when the content is known."""
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(select(StoredFile).where(StoredFile.sha256 == digest))
    store.write(data, digest)
    if existing is not None:
        return existing
    stored = StoredFile(sha256=digest, size=len(data), mime=mime, pages=pages)
    db.session.add(stored)
    db.session.flush()
    return stored


def render_pdf_page(store: FileStore, stored: StoredFile, page: int, width_px: int = 900) -> bytes:
    """A PDF page as PNG for phones (which rarely show PDFs inline); cached next to the file."""
    cache = store.root / "_preview" / stored.sha256[:2] / f"{stored.sha256}-{page}-{width_px}.png"
    if cache.exists():
        return cache.read_bytes()
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(store.path_for(stored.sha256)))
    try:
        pdf.init_forms()  # draw form widgets too: the TTE stamp (QR) is a signature field's appearance
        if not 0 <= page < len(pdf):
            raise ValidationError({"page": "Halaman tidak ada."})
        pg = pdf[page]
        scale = width_px / pg.get_width()
        image = pg.render(scale=scale).to_pil()
        buf = io.BytesIO()
        image.save(buf, format="PNG", optimize=True)
    finally:
        pdf.close()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(buf.getvalue())
    return buf.getvalue()
