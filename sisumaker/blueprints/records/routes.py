"""Records: the holiday calendar, classification codes with their JRA, the retention calendar with its berita
acara, and the adoption dashboard."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from sisumaker.blueprints.common import FormReader, viewer
from sisumaker.extensions import db
from sisumaker.models import HOLIDAY_KINDS
from sisumaker.services import calendar
from sisumaker.services.errors import PermissionDenied, ValidationError

bp = Blueprint("records", __name__)


def require_admin() -> None:
    if viewer().user.role != "admin":
        raise PermissionDenied("Halaman ini hanya untuk administrator.")


@bp.get("/admin/hari-libur")
@login_required
def holidays(errors=None, values=None, status=200):
    require_admin()
    year = request.args.get("tahun", date.today().year, type=int)
    rows = calendar.holidays_of_year(year)
    return render_template("records/holidays.html", rows=rows, year=year, kinds=HOLIDAY_KINDS,
                           errors=errors or {}, values=values or {}), status


@bp.post("/admin/hari-libur")
@login_required
def add_holiday():
    require_admin()
    r = FormReader(request.form)
    day, name, kind = r.date("day", required=True), r.text("name", 200), request.form.get("kind", "")
    try:
        r.raise_if_errors()
        calendar.add_holiday(viewer().user, day, name, kind)
    except ValidationError as exc:
        db.session.rollback()
        return holidays(exc.errors, request.form, 422)
    db.session.commit()
    flash(f"{name} ({day:%d-%m-%Y}) ditambahkan ke kalender hari libur.", "success")
    return redirect(url_for("records.holidays", tahun=day.year), 303)


@bp.post("/admin/hari-libur/<day>/hapus")
@login_required
def remove_holiday(day: str):
    require_admin()
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise ValidationError({"day": "Tanggal tidak valid."}) from None
    calendar.remove_holiday(viewer().user, when)
    db.session.commit()
    flash(f"Hari libur {when:%d-%m-%Y} dihapus; tenggat dihitung ulang dengan kalender baru.", "success")
    return redirect(url_for("records.holidays", tahun=when.year), 303)
