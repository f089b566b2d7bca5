"""Helpers shared by the faces: the request's Viewer, htmx detection, form parsing, the file store."""
from __future__ import annotations

from datetime import date, time

from flask import current_app, g, request
from flask_login import current_user

from sisumaker.services.access import Viewer, register_unit_of, viewer_for
from sisumaker.services.errors import ValidationError, parse_id
from sisumaker.services.files import FileStore


def viewer() -> Viewer:
    """The logged-in user with the positions they act for today (computed once per request)."""
    if "viewer" not in g:
        g.viewer = viewer_for(current_user._get_current_object())
    return g.viewer


def own_register_units() -> set[int]:
    """The units whose register the logged-in user works in (their positions' register units, clerk units):
    a letter page lists only those units' agenda numbers, not every unit a broadcast reached."""
    v = viewer()
    units = (register_unit_of(ap.position) for ap in v.positions)
    return set(v.clerk_unit_ids) | {u.id for u in units if u is not None}


MAX_PAGE = 100_000


def page_number(name: str = "hal") -> int:
    """The requested page of a list, 1..MAX_PAGE whatever was typed (an offset must fit the database)."""
    value = parse_id(request.args.get(name, "1"))
    return min(value or 1, MAX_PAGE)


def is_fragment_request() -> bool:
    """Answer with a fragment only for htmx requests that are not boosted or history restores."""
    return (request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def file_store() -> FileStore:
    from sisumaker.storage import file_store_for

    return file_store_for(current_app)


class FormReader:
    """Parses a submitted form into typed values, collecting Indonesian messages instead of raising early."""

    def __init__(self, form):
        self.form = form
        self.errors: dict[str, str] = {}

    def text(self, name: str, max_len: int = 500) -> str:
        value = (self.form.get(name) or "").replace("\x00", "").strip()
        if len(value) > max_len:
            self.errors[name] = f"Isian terlalu panjang (paling banyak {max_len} karakter)."
            return value[:max_len]
        return value

    def date(self, name: str, required: bool = False) -> date | None:
        raw = (self.form.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[name] = "Tanggal wajib diisi."
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors[name] = "Tanggal tidak valid (gunakan format TTTT-BB-HH)."
            return None

    def time(self, name: str) -> time | None:
        raw = (self.form.get(name) or "").strip()
        if not raw:
            return None
        try:
            return time.fromisoformat(raw)
        except ValueError:
            self.errors[name] = "Jam tidak valid (gunakan format JJ:MM)."
            return None

    def integer(self, name: str, default: int = 0, lo: int = 0, hi: int = 10**9) -> int:
        raw = (self.form.get(name) or "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.errors[name] = "Harus berupa angka."
            return default
        if not lo <= value <= hi:
            self.errors[name] = f"Harus di antara {lo} dan {hi}."
        return value

    def ids(self, name: str) -> tuple[int, ...]:
        out = []
        for raw in self.form.getlist(name):
            value = parse_id(raw)
            if value is None:
                self.errors[name] = "Pilihan tidak valid."
            else:
                out.append(value)
        return tuple(dict.fromkeys(out))

    def choice(self, name: str, allowed, default: str | None = None) -> str:
        value = self.form.get(name) or default or ""
        if value not in allowed:
            self.errors[name] = "Pilihan tidak valid."
        return value

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ValidationError(dict(self.errors))


def read_upload(name: str) -> bytes | None:
    """The uploaded file's bytes, or None when nothing was chosen (size is bounded by MAX_CONTENT_LENGTH)."""
    storage = request.files.get(name)
    if storage is None or not storage.filename:
        return None
    return storage.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
