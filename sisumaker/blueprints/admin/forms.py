"""Parsing the admin console's forms into the services' inputs (FormReader collects Indonesian messages)."""
from __future__ import annotations

from sisumaker.blueprints.common import FormReader
from sisumaker.services.admin_audit import AuditFilter
from sisumaker.services.admin_config import PatternInput
from sisumaker.services.admin_users import NewAccount
from sisumaker.services.errors import parse_id


def optional_id(form, name: str) -> int | None:
    """A row id chosen in a form, or None (never an exception: see errors.parse_id)."""
    return parse_id(form.get(name) or "")


def text(form, name: str) -> str:
    """A free-text field without NUL characters (PostgreSQL refuses them even in a lookup: a 500, not a message);
    the services check length and content."""
    return (form.get(name) or "").replace("\x00", "")


def parse_account(form) -> tuple[NewAccount, dict[str, str]]:
    r = FormReader(form)
    data = NewAccount(username=r.text("username", 80), full_name=r.text("full_name", 200), role=r.text("role", 20),
                      nip=r.text("nip", 30), email=r.text("email", 200), position_id=optional_id(form, "position_id"),
                      password=form.get("password") or "")
    if data.password and data.password != (form.get("confirm") or ""):
        r.errors["confirm"] = "Konfirmasi kata sandi tidak sama."
    return data, r.errors


def parse_pattern(form) -> tuple[PatternInput, dict[str, str]]:
    r = FormReader(form)
    data = PatternInput(jenis=r.text("jenis", 30), unit_id=optional_id(form, "unit_id"),
                        pattern=(form.get("pattern") or "").strip(), legal=form.get("legal") == "1")
    return data, r.errors


def parse_audit_filter(args) -> tuple[AuditFilter, dict[str, str]]:
    r = FormReader(args)
    flt = AuditFilter(actor=r.text("pelaku", 80), action=r.text("aksi", 60), object_type=r.text("jenis", 40),
                      object_id=r.text("objek", 40), date_from=r.date("dari"), date_to=r.date("sampai"))
    if flt.date_from and flt.date_to and flt.date_to < flt.date_from:
        r.errors["sampai"] = "Tanggal akhir tidak boleh sebelum tanggal awal."
    return flt, r.errors
