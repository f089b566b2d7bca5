"""The JRA (jadwal retensi arsip) kept on the classification codes: admins list, add and edit codes with their
active years, inactive years and final disposition; every change is audited."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from sisumaker.extensions import db
from sisumaker.models import Classification, User
from sisumaker.services import audit
from sisumaker.services.errors import NotFound, PermissionDenied, ValidationError

FINAL_DISPOSITIONS = {"musnah": "Musnah", "permanen": "Permanen", "dinilai kembali": "Dinilai kembali"}
CODE_FORMAT = re.compile(r"^\d{3}(\.\d{1,3}){0,4}$")
MAX_YEARS = 100
PAGE_SIZE = 100


@dataclass(frozen=True)
class JraInput:
    name: str
    active_years: int
    inactive_years: int
    final_disposition: str


def _require_admin(actor: User) -> None:
    if actor.role != "admin":
        raise PermissionDenied("Hanya administrator yang dapat mengubah kode klasifikasi dan JRA.")


def list_codes(query: str = "", page: int = 1) -> tuple[list[Classification], bool]:
    """Codes in code order whose code starts with, or whose name contains, the query; (rows, has_more)."""
    q = (query or "").strip()
    stmt = select(Classification)
    if q:
        stmt = stmt.where(or_(Classification.code.startswith(q),
                              func.lower(Classification.name).contains(q.lower())))
    page = max(1, page)
    rows = list(db.session.scalars(stmt.order_by(Classification.code).offset((page - 1) * PAGE_SIZE)
                                   .limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _check(data: JraInput) -> dict[str, str]:
    errors = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "Nama klasifikasi wajib diisi."
    elif len(name) > 250:
        errors["name"] = "Nama klasifikasi paling banyak 250 karakter."
    for field, value in (("active_years", data.active_years), ("inactive_years", data.inactive_years)):
        if not 0 <= value <= MAX_YEARS:
            errors[field] = f"Masa retensi harus di antara 0 dan {MAX_YEARS} tahun."
    if data.final_disposition not in FINAL_DISPOSITIONS:
        errors["final_disposition"] = "Pilih keterangan akhir: musnah, permanen, atau dinilai kembali."
    return errors


def add_code(actor: User, code: str, data: JraInput) -> Classification:
    """Rule: an admin adds a code in the Permendagri 83/2022 form (000, 000.1, 000.1.2 ...) below an existing
    parent code, with its retention; audited."""
    _require_admin(actor)
    code = (code or "").strip()
    errors = _check(data)
    parent = code.rsplit(".", 1)[0] if "." in code else None
    if not CODE_FORMAT.match(code):
        errors["code"] = "Kode tidak valid: tiga angka pokok lalu sub-kode bertitik, mis. 800.1.11."
    elif db.session.get(Classification, code) is not None:
        errors["code"] = "Kode ini sudah ada."
    elif parent and db.session.get(Classification, parent) is None:
        errors["code"] = f"Kode induk {parent} belum ada; tambahkan kode induk terlebih dahulu."
    if errors:
        raise ValidationError(errors)
    row = Classification(code=code, name=data.name.strip(), parent_code=parent, active_years=data.active_years,
                         inactive_years=data.inactive_years, final_disposition=data.final_disposition)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "classification.add", "classification", code, _detail(row))
    return row


def update_code(actor: User, code: str, data: JraInput) -> Classification:
    """Rule: an admin changes a code's name and retention (the code itself never changes: letters carry it);
    the audit event keeps the values before and after."""
    _require_admin(actor)
    row = db.session.get(Classification, code)
    if row is None:
        raise NotFound("Kode klasifikasi tidak ditemukan.")
    errors = _check(data)
    if errors:
        raise ValidationError(errors)
    before = _detail(row)
    row.name, row.active_years, row.inactive_years = data.name.strip(), data.active_years, data.inactive_years
    row.final_disposition = data.final_disposition
    db.session.flush()
    audit.record(actor, "classification.update", "classification", code, {"before": before, "after": _detail(row)})
    return row


def _detail(row: Classification) -> dict:
    return {"name": row.name, "active_years": row.active_years, "inactive_years": row.inactive_years,
            "final_disposition": row.final_disposition}
