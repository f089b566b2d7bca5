"""Surat masuk: the unit's register, registering a paper letter, cancelling, the letter page and its scan."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from sisumaker.blueprints.common import (file_store, is_fragment_request, own_register_units, page_number, read_upload,
                                        viewer)
from sisumaker.blueprints.letters.forms import parse_incoming
from sisumaker.extensions import db
from sisumaker.models import JENIS, SIFAT, URGENSI, Position, StoredFile
from sisumaker.page_cache import cached_page
from sisumaker.services import classification, directory, dispositions, inbox, letters
from sisumaker.services.access import get_visible_letter
from sisumaker.services.errors import PermissionDenied, ValidationError, parse_id
from sisumaker.services.files import render_pdf_page, store_upload

bp = Blueprint("letters", __name__)


@bp.get("/surat-masuk")
@login_required
def register():
    page = page_number()

    def render(v):
        if not v.is_clerk:
            raise PermissionDenied("Buku agenda surat masuk hanya untuk petugas agendaris unit.")
        rows, more = inbox.register_rows(v, page=page)
        template = "letters/_register.html" if is_fragment_request() else "letters/register.html"
        return render_template(template, rows=rows, more=more, page=page)

    # the unit's entries, which of their Rahasia letters the clerk's positions may read, and the bell count
    return cached_page("register", (page,), lambda p: (p.position_ids, p.clerk_unit_ids), render)


def _form_context(values, errors=None, found=()):
    """The registration form: usual addressees first, then searched and already chosen positions."""
    getlist = values.getlist if hasattr(values, "getlist") else (lambda _name: [])
    chosen_to, chosen_cc = set(getlist("to_ids")), set(getlist("cc_ids"))
    options = directory.usual_addressees(viewer())
    known = {p.id for p in options}
    extra = [db.session.get(Position, i) for i in map(parse_id, chosen_to | chosen_cc) if i]
    for p in [*found, *extra]:
        if p is not None and p.id not in known:
            options.append(p)
            known.add(p.id)
    return dict(values=values, errors=errors or {}, jenis=JENIS, sifat=SIFAT, urgensi=URGENSI,
                codes=classification.search_classifications("", limit=500), options=options,
                chosen_to=chosen_to, chosen_cc=chosen_cc, today=date.today().isoformat())


@bp.route("/surat-masuk/baru", methods=["GET", "POST"])
@login_required
def register_new():
    v = viewer()
    if not v.is_clerk:
        raise PermissionDenied("Hanya petugas agendaris yang dapat mencatat surat masuk.")
    if request.method == "GET":
        # a paper letter is mostly registered the day it reaches the counter: that day is filled in, editable
        return render_template("letters/new.html", **_form_context({"received_on": date.today().isoformat()}))
    if request.form.get("action") == "cari":  # the position search works without JavaScript too
        found = directory.search_positions(request.form.get("cari_jabatan", ""))
        if not found:
            flash("Jabatan tidak ditemukan; coba kata lain.", "info")
        template = "letters/_addressees.html" if is_fragment_request() else "letters/new.html"
        return render_template(template, **_form_context(request.form, found=found))
    data, errors = parse_incoming(request.form)
    upload = read_upload("scan")
    for field, message in letters.check_incoming(data).items():
        errors.setdefault(field, message)
    try:
        if errors:
            raise ValidationError(errors)
        scan = None
        if upload is not None:
            scan = store_upload(file_store(), upload, max_bytes=current_app.config["UPLOAD_MAX_BYTES"], field="scan")
        entry = letters.register_incoming(v, data, scan)
    except ValidationError as exc:
        db.session.rollback()
        return render_template("letters/new.html", **_form_context(request.form, {**errors, **exc.errors})), 422
    db.session.commit()
    flash(f"Surat dicatat dengan nomor agenda {entry.agenda_label}.", "success")
    return redirect(url_for("letters.register"))


@bp.post("/surat-masuk/<int:entry_id>/batal")
@login_required
def cancel(entry_id: int):
    try:
        entry = letters.cancel_entry(viewer(), entry_id, request.form.get("reason", ""))
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("letters.register")), 303
    db.session.commit()
    flash(f"Agenda {entry.agenda_label} dibatalkan; nomornya tetap tercatat.", "success")
    return redirect(url_for("letters.register")), 303


@bp.get("/surat/<int:letter_id>")
@login_required
def show(letter_id: int):
    v = viewer()
    letter = get_visible_letter(v, letter_id)
    trees = dispositions.tracking_trees(v, letter.id)
    return render_template("letters/show.html", letter=letter, trees=trees, item=None,
                           own_units=own_register_units())


def _scan_of(letter_id: int) -> StoredFile:
    letter = get_visible_letter(viewer(), letter_id)
    if letter.scan is None:
        abort(404)
    return letter.scan


@bp.get("/surat/<int:letter_id>/pindaian")
@login_required
def scan(letter_id: int):
    stored = _scan_of(letter_id)
    data = file_store().read(stored)
    resp = Response(data, mimetype=stored.mime)
    resp.headers["Content-Disposition"] = f'inline; filename="surat-{letter_id}.{stored.mime.split("/")[1]}"'
    resp.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return resp


@bp.get("/surat/<int:letter_id>/pindaian/<int:page>.png")
@login_required
def scan_page(letter_id: int, page: int):
    stored = _scan_of(letter_id)
    if stored.mime != "application/pdf":
        abort(404)
    png = render_pdf_page(file_store(), stored, page - 1)
    return Response(png, mimetype="image/png")
