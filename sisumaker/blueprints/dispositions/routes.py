"""Disposisi: opening an inbox item (the read tick), disposing it down, recalling, reporting, the sheet PDF."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from sisumaker.blueprints.common import (FormReader, file_store, is_fragment_request, own_register_units, read_upload,
                                        viewer)
from sisumaker.extensions import db
from sisumaker.models import INSTRUCTIONS, Position
from sisumaker.services import directory, dispositions
from sisumaker.services.errors import Conflict, DomainError, ValidationError
from sisumaker.services.files import store_upload

bp = Blueprint("dispositions", __name__, url_prefix="/disposisi")


def _page(item, errors=None, values=None, status=200, found=()):
    v = viewer()
    groups = directory.suggested_recipients(item.position)
    if found:
        groups = [("Hasil pencarian", list(found), False)] + groups
    trees = dispositions.tracking_trees(v, item.letter_id)
    ctx = dict(letter=item.letter, item=item, short_label=directory.short_label, trees=trees, groups=groups, instructions=INSTRUCTIONS,
               errors=errors or {}, values=values or {}, item_instructions=dispositions.instructions_of(item),
               own_units=own_register_units())
    template = "dispositions/_swap.html" if is_fragment_request() else "letters/show.html"
    return render_template(template, **ctx), status


@bp.get("/<int:item_id>")
@login_required
def open_item(item_id: int):
    item = dispositions.open_item(viewer(), item_id)
    db.session.commit()
    return _page(item)


@bp.post("/<int:item_id>/teruskan")
@login_required
def dispose(item_id: int):
    v = viewer()
    item = dispositions.get_own_item(v, item_id)
    if request.form.get("action") == "cari":
        subtree = dispositions.command_subtree_ids(item.position_id) - {item.position_id}
        found = directory.search_positions(request.form.get("cari_penerima", ""), within=subtree)
        return _page(item, values=request.form, found=found)
    r = FormReader(request.form)
    data = dispositions.DispositionInput(
        recipient_ids=r.ids("recipients"), instructions=tuple(request.form.getlist("instructions")),
        other_instruction=r.text("other_instruction", 200), note=r.text("note", 2000), deadline=r.date("deadline"),
        deadline_working_days=r.integer("deadline_days") if request.form.get("deadline_days", "").strip() else None)
    try:
        r.raise_if_errors()
        children = dispositions.dispose_letter(v, item_id, data)
    except ValidationError as exc:
        db.session.rollback()
        return _page(dispositions.get_own_item(v, item_id), exc.errors, request.form, 422)
    db.session.commit()
    names = ", ".join(db.session.get(Position, c.position_id).title for c in children)
    flash(f"Disposisi terkirim kepada {names}.", "success")
    if is_fragment_request():
        return _page(dispositions.get_own_item(v, item_id))
    return redirect(url_for("dispositions.open_item", item_id=item_id), 303)


@bp.post("/<int:item_id>/tarik/<int:child_id>")
@login_required
def recall(item_id: int, child_id: int):
    try:
        dispositions.recall_disposition(viewer(), child_id)
    except (ValidationError, Conflict) as exc:  # refusals of access answer 403/404 (errors.py)
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("Disposisi ditarik kembali.", "success")
    return redirect(url_for("dispositions.open_item", item_id=item_id), 303)


@bp.post("/<int:item_id>/laporan")
@login_required
def report(item_id: int):
    v = viewer()
    done = request.form.get("status") == "selesai"
    try:
        upload = read_upload("lampiran")
        attachment = None
        if upload is not None:
            attachment = store_upload(file_store(), upload, max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
                                      field="lampiran")
        dispositions.report_progress(v, item_id, done=done, report=request.form.get("report", ""),
                                     attachment=attachment)
    except ValidationError as exc:
        db.session.rollback()
        return _page(dispositions.get_own_item(v, item_id), exc.errors, request.form, 422)
    db.session.commit()
    flash("Surat ditandai selesai." if done else "Status diperbarui: diproses.", "success")
    return redirect(url_for("dispositions.open_item", item_id=item_id), 303)


@bp.get("/<int:item_id>/lampiran")
@login_required
def report_attachment(item_id: int):
    """A report's attachment, for whoever may see the letter."""
    from sisumaker.services.access import get_visible_letter
    from sisumaker.models import InboxItem

    item = db.session.get(InboxItem, item_id)
    if item is None or item.report_file is None:
        return Response("Lampiran tidak ditemukan.", 404)
    get_visible_letter(viewer(), item.letter_id)
    stored = item.report_file
    resp = Response(file_store().read(stored), mimetype=stored.mime)
    resp.headers["Content-Disposition"] = f'inline; filename="laporan-{item_id}.{stored.mime.split("/")[1]}"'
    resp.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return resp


@bp.get("/<int:item_id>/lembar.pdf")
@login_required
def sheet(item_id: int):
    from sisumaker.services.sheets import disposition_sheet_pdf

    pdf = disposition_sheet_pdf(viewer(), item_id)
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="lembar-disposisi-{item_id}.pdf"'
    return resp
