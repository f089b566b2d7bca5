"""Arsip: the buku agenda of a unit for a period (PDF/CSV) and, for administrators, the export of signed
documents with their manifest (zip)."""
from __future__ import annotations

import tempfile
import zipfile
from datetime import date

from flask import Blueprint, Response, current_app, render_template, request, send_file
from flask_login import current_user, login_required

from sisumaker.blueprints.common import FormReader, file_store, viewer
from sisumaker.extensions import db
from sisumaker.services import agenda_book, archive
from sisumaker.services.errors import PermissionDenied, ValidationError

bp = Blueprint("archive", __name__, url_prefix="/arsip")


def _month_start() -> str:
    return date.today().replace(day=1).isoformat()


@bp.get("/buku-agenda")
@login_required
def agenda():
    units = agenda_book.agenda_units(viewer())
    if not units:
        raise PermissionDenied("Buku agenda hanya untuk agendaris atau pimpinan unit.")
    return render_template("archive/agenda.html", units=units, errors={}, values=request.args,
                           default_from=_month_start(), today=date.today().isoformat())


@bp.get("/buku-agenda/unduh")
@login_required
def agenda_download():
    v = viewer()
    form = FormReader(request.args)
    unit_id, fmt = form.integer("unit", lo=1), form.choice("format", ("pdf", "csv"), "pdf")
    date_from, date_to = form.date("dari", required=True), form.date("sampai", required=True)
    try:
        form.raise_if_errors()
        book = agenda_book.agenda_book(v, unit_id, date_from, date_to)
    except ValidationError as exc:
        return render_template("archive/agenda.html", units=agenda_book.agenda_units(v), errors=exc.errors,
                               values=request.args, default_from=_month_start(),
                               today=date.today().isoformat()), 422
    if fmt == "csv":
        data, mime = agenda_book.agenda_book_csv(book), "text/csv; charset=utf-8"
    else:
        data, mime = agenda_book.agenda_book_pdf(book), "application/pdf"
    return Response(data, mimetype=mime, headers={
        "Content-Disposition": f'attachment; filename="{book.file_stem}.{fmt}"', "Cache-Control": "no-store"})


@bp.route("/ekspor", methods=["GET", "POST"])
@login_required
def export():
    if current_user.role != "admin":
        raise PermissionDenied("Ekspor arsip hanya untuk administrator.")
    if request.method == "GET":
        return render_template("archive/export.html", errors={}, values={}, default_from=_month_start(),
                               today=date.today().isoformat())
    form = FormReader(request.form)
    date_from, date_to = form.date("dari", required=True), form.date("sampai", required=True)
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    try:
        form.raise_if_errors()
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as zf:
            archive.export_signed(current_user._get_current_object(), file_store(),
                                  current_app.config["PUBLIC_BASE_URL"], date_from, date_to, archive.zip_writer(zf))
    except ValidationError as exc:
        db.session.rollback()
        return render_template("archive/export.html", errors=exc.errors, values=request.form,
                               default_from=_month_start(), today=date.today().isoformat()), 422
    db.session.commit()
    spool.seek(0)
    return send_file(spool, mimetype="application/zip", as_attachment=True,
                     download_name=f"arsip-ttd-{date_from.isoformat()}-{date_to.isoformat()}.zip")
