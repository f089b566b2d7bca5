"""Records: the holiday calendar, classification codes with their JRA, the retention calendar with its berita
acara, and the adoption dashboard."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from sisumaker.blueprints.common import FormReader, is_fragment_request, viewer
from sisumaker.extensions import db
from sisumaker.models import HOLIDAY_KINDS, Classification
from sisumaker.services import calendar, jra
from sisumaker.services import retention as retention_service
from sisumaker.services.errors import NotFound, PermissionDenied, ValidationError

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


# ------------------------------------------------------------------------------------ classification (JRA)


def _jra_input(r: FormReader) -> jra.JraInput:
    return jra.JraInput(name=r.text("name", 250), active_years=r.integer("active_years", 0, 0, jra.MAX_YEARS),
                        inactive_years=r.integer("inactive_years", 0, 0, jra.MAX_YEARS),
                        final_disposition=request.form.get("final_disposition", ""))


@bp.get("/admin/klasifikasi")
@login_required
def classifications(errors=None, values=None, status=200):
    require_admin()
    query, page = FormReader(request.args).text("q", 100), max(1, request.args.get("hal", 1, type=int))
    rows, more = jra.list_codes(query, page)
    template = "records/_classifications.html" if is_fragment_request() else "records/classifications.html"
    return render_template(template, rows=rows, more=more, q=query, page=page, finals=jra.FINAL_DISPOSITIONS,
                           errors=errors or {}, values=values or {}), status


@bp.post("/admin/klasifikasi")
@login_required
def add_classification():
    require_admin()
    r = FormReader(request.form)
    code, data = r.text("code", 30), _jra_input(r)
    try:
        r.raise_if_errors()
        jra.add_code(viewer().user, code, data)
    except ValidationError as exc:
        db.session.rollback()
        return classifications(exc.errors, request.form, 422)
    db.session.commit()
    flash(f"Kode klasifikasi {code} ditambahkan.", "success")
    return redirect(url_for("records.classifications", q=code), 303)


@bp.route("/admin/klasifikasi/<code>", methods=["GET", "POST"])
@login_required
def edit_classification(code: str):
    require_admin()
    row = db.session.get(Classification, code)
    if row is None:
        raise NotFound("Kode klasifikasi tidak ditemukan.")
    errors, status = {}, 200
    if request.method == "POST":
        r = FormReader(request.form)
        data = _jra_input(r)
        try:
            r.raise_if_errors()
            jra.update_code(viewer().user, code, data)
        except ValidationError as exc:
            db.session.rollback()
            errors, status = exc.errors, 422
        else:
            db.session.commit()
            flash(f"JRA kode {code} diperbarui.", "success")
            return redirect(url_for("records.classifications", q=code), 303)
    values = request.form if request.method == "POST" else {}
    return render_template("records/classification_edit.html", row=row, finals=jra.FINAL_DISPOSITIONS,
                           errors=errors, values=values), status


# ------------------------------------------------------------------------------------ retention calendar


def _retention_args(v):
    r = FormReader(request.args)
    by = r.date("sampai") or date(date.today().year, 12, 31)
    unit_id = request.args.get("unit", type=int)
    if r.errors:
        raise ValidationError(r.errors)
    return by, unit_id


@bp.get("/arsip/retensi")
@login_required
def retention():
    v = viewer()
    retention_service.require_archivist(v)
    by, unit_id = _retention_args(v)
    stage = request.args.get("tahap", "")
    code = FormReader(request.args).text("kode", 30) or None
    groups = retention_service.due_groups(v, by, unit_id)
    page = max(1, request.args.get("hal", 1, type=int))
    letters, more = retention_service.due_letters(v, by, stage, unit_id, code, page) if stage else ([], False)
    return render_template("records/retention.html", groups=groups, by=by, unit_id=unit_id, stage=stage, code=code,
                           letters=letters, more=more, page=page, stages=retention_service.STAGES,
                           units=retention_service.unit_choices(v), single_unit=len(v.clerk_unit_ids) == 1)


@bp.get("/arsip/retensi/berita-acara.pdf")
@login_required
def berita_acara():
    v = viewer()
    by, unit_id = _retention_args(v)
    pdf = retention_service.berita_acara_pdf(v, by, request.args.get("tahap", ""), unit_id, date.today())
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="berita-acara-{request.args.get("tahap", "")}.pdf"'
    return resp
