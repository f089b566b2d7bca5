"""Surat Keluar: drafting from templates, the review chain, the preview, the sent letter's read matrix."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from sisumaker.blueprints.common import is_fragment_request, viewer
from sisumaker.blueprints.outgoing.forms import parse_draft
from sisumaker.extensions import db
from sisumaker.models import JENIS, SIFAT, URGENSI, Position, RecipientGroup
from sisumaker.services import classification, delivery, directory, outgoing
from sisumaker.services.errors import DomainError, PermissionDenied, ValidationError, parse_id
from sisumaker.storage import file_store_for

bp = Blueprint("outgoing", __name__, url_prefix="/surat-keluar")

TEMPLATES = {  # a starting body per jenis naskah
    "nota_dinas": "Dengan hormat,\n\nSehubungan dengan ..., bersama ini kami sampaikan hal-hal sebagai berikut:\n\n"
                  "1. ...\n2. ...\n\nDemikian disampaikan, atas perhatiannya diucapkan terima kasih.",
    "surat_dinas": "Dengan hormat,\n\nMenindaklanjuti surat Saudara nomor ... tanggal ..., dengan ini disampaikan "
                   "bahwa ...\n\nDemikian, atas perhatian dan kerja samanya diucapkan terima kasih.",
    "surat_edaran": "Dalam rangka ..., dengan ini diminta kepada Saudara untuk:\n\n1. ...\n2. ...\n\n"
                    "Demikian Surat Edaran ini untuk dilaksanakan dengan penuh tanggung jawab.",
    "surat_keputusan": "",
    "surat_undangan": "Dengan hormat,\n\nDalam rangka ..., kami mengundang Saudara untuk hadir pada:\n\n"
                      "Mengingat pentingnya acara tersebut, kehadiran Saudara tepat waktu sangat diharapkan.",
    "surat_tugas": "Untuk melaksanakan tugas ... pada tanggal ... di ....\n\n"
                   "Demikian surat tugas ini dibuat untuk dilaksanakan dengan penuh tanggung jawab.",
}


def _form(values, errors=None, draft=None, status=200, found=()):
    v = viewer()
    chain = []
    for ap in v.positions:
        p = ap.position.parent
        while p is not None and len(chain) < 10:
            chain.append(p)
            p = p.parent
    getlist = values.getlist if hasattr(values, "getlist") else (lambda _n: [])
    chosen = {i for i in map(parse_id, [*getlist("to_ids"), *getlist("cc_ids")]) if i}
    options, known = [], set()
    for p in [*found, *(db.session.get(Position, i) for i in chosen)]:
        if p is not None and p.id not in known:
            known.add(p.id)
            options.append(p)
    groups = {**outgoing.GROUPS, **{f"grup-{g.id}": g.name for g in db.session.scalars(db.select(RecipientGroup))}}
    ctx = dict(values=values, errors=errors or {}, draft=draft, jenis={k: JENIS[k] for k in outgoing.DRAFT_KINDS},
               sifat=SIFAT, urgensi=URGENSI, chain=chain, options=options, groups=groups, templates=TEMPLATES,
               codes=classification.search_classifications("", limit=500), getlist=getlist)
    return render_template("outgoing/edit.html", **ctx), status


@bp.get("/")
@login_required
def index():
    v = viewer()
    rows = outgoing.visible_drafts(v)
    titles = dict(db.session.execute(db.select(Position.id, Position.title).where(
        Position.id.in_({outgoing.waiting_position_id(d) for d in rows} - {None}))).all())
    return render_template("outgoing/list.html", drafts=rows,
                           waiting_at=lambda d: titles.get(outgoing.waiting_position_id(d)))


@bp.route("/baru", methods=["GET", "POST"])
@bp.route("/<int:draft_id>/ubah", methods=["GET", "POST"])
@login_required
def edit(draft_id: int | None = None):
    v = viewer()
    draft = outgoing.get_visible_draft(v, draft_id) if draft_id else None
    if draft is not None and draft.drafter_id != v.user.id:
        raise PermissionDenied("Hanya konseptor yang dapat mengubah konsep.")
    if request.method == "GET":
        values = _draft_values(draft) if draft else {"jenis": request.args.get("jenis", "nota_dinas")}
        values.setdefault("body", TEMPLATES.get(values.get("jenis"), ""))
        return _form(values, draft=draft)
    if request.form.get("action") == "cari":
        return _form(request.form, draft=draft, found=directory.search_positions(request.form.get("cari", "")))
    content, routing, errors = parse_draft(request.form)
    try:
        if errors:
            raise ValidationError(errors)
        saved = outgoing.save_draft(v, content, routing, draft_id)
        if request.form.get("action") == "kirim":
            outgoing.submit(v, saved.id)
    except ValidationError as exc:
        db.session.rollback()
        return _form(request.form, {**errors, **exc.errors}, draft, 422)
    db.session.commit()
    flash("Konsep dikirim untuk diperiksa." if request.form.get("action") == "kirim" else
          f"Konsep disimpan (versi {saved.version}).", "success")
    return redirect(url_for("outgoing.show", draft_id=saved.id), 303)


class _Values(dict):
    def getlist(self, key):
        value = self.get(key, [])
        return value if isinstance(value, list) else [value]


def _draft_values(draft) -> _Values:
    c = outgoing.content_of(draft)
    return _Values(
        jenis=c.jenis, perihal=c.perihal, body=c.body, sifat=c.sifat, urgensi=c.urgensi,
        classification_code=c.classification_code or "", lampiran=c.lampiran, external="\n".join(c.external),
        tembusan="\n".join(c.tembusan), menimbang="\n".join(c.menimbang), mengingat="\n".join(c.mengingat),
        diktum="\n".join(c.diktum), event_date=c.event_date or "", event_time=c.event_time,
        event_place=c.event_place, event_agenda=c.event_agenda,
        reviewer_ids=[str(s.position_id) for s in draft.steps], signer_id=str(draft.signer_position_id),
        capacity=draft.signer_capacity, on_behalf_id=str(draft.on_behalf_position_id or ""),
        to_ids=[str(r.position_id) for r in draft.recipients if r.position_id and r.kind == "to"],
        cc_ids=[str(r.position_id) for r in draft.recipients if r.position_id and r.kind == "cc"],
        groups=(draft.group_key or "").split(","))


@bp.get("/<int:draft_id>")
@login_required
def show(draft_id: int):
    v = viewer()
    draft = outgoing.get_visible_draft(v, draft_id)
    step = outgoing.current_step(draft) if draft.status == "review" else None
    my_step = step if step is not None and v.acts_for(step.position_id) else None
    seen = max((s.seen_version for s in draft.steps if v.acts_for(s.position_id)), default=0)
    waiting = outgoing.waiting_position_id(draft)
    matrix = delivery.read_matrix(v, draft) if draft.letter_id else []
    return render_template("outgoing/show.html", draft=draft, content=outgoing.content_of(draft), my_step=my_step,
                           changes=outgoing.changes_since(draft, seen) if my_step else [],
                           waiting=db.session.get(Position, waiting) if waiting else None, matrix=matrix,
                           read=sum(1 for m in matrix if m.read_at), today=date.today(),
                           current_user_positions=v.position_ids)


@bp.post("/<int:draft_id>/<any(kirim, paraf, kembalikan, ingatkan):action>")
@login_required
def act(draft_id: int, action: str):
    v = viewer()
    try:
        if action == "kirim":
            outgoing.submit(v, draft_id)
            message = "Konsep dikirim untuk diperiksa."
        elif action == "paraf":
            outgoing.approve(v, draft_id, request.form.get("note", ""))
            message = "Paraf diberikan."
        elif action == "kembalikan":
            outgoing.return_draft(v, draft_id, request.form.get("note", ""))
            message = "Konsep dikembalikan kepada konseptor."
        else:
            count = delivery.remind_unread(v, outgoing.get_visible_draft(v, draft_id))
            message = f"Pengingat dikirim kepada {count} penerima yang belum membaca."
    except DomainError as exc:
        db.session.rollback()
        outgoing.get_visible_draft(v, draft_id)  # outside the chain: 404, as for the page itself
        flash(exc.message, "error")
        return redirect(url_for("outgoing.show", draft_id=draft_id), 303)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("outgoing.show", draft_id=draft_id), 303)


@bp.get("/<int:draft_id>/matriks")
@login_required
def matrix(draft_id: int):
    v = viewer()
    draft = outgoing.get_visible_draft(v, draft_id)
    rows = delivery.read_matrix(v, draft)
    return render_template("outgoing/_matrix.html" if is_fragment_request() else "outgoing/matrix.html",
                           draft=draft, matrix=rows, read=sum(1 for m in rows if m.read_at))


@bp.get("/<int:draft_id>/pratinjau.pdf")
@login_required
def preview(draft_id: int):
    """The letter as it will look, with a placeholder number (the real one is fixed at signing)."""
    from sisumaker.documents import render_letter
    from sisumaker.services.outgoing_signing import build_letter_doc

    v = viewer()
    draft = outgoing.get_visible_draft(v, draft_id)
    day = draft.number_date
    draft.number, draft.number_date = draft.number or "…/…/…", day or date.today()
    try:
        pdf = render_letter(build_letter_doc(draft, v, "(alamat verifikasi diberikan saat ditandatangani)",
                                             "Serang")).pdf
    finally:
        db.session.rollback()
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="konsep-{draft_id}.pdf"'})


@bp.get("/<int:draft_id>/pdf")
@login_required
def signed_pdf(draft_id: int):
    draft = outgoing.get_visible_draft(viewer(), draft_id)
    if draft.sign_document is None:
        raise PermissionDenied("Surat belum ditandatangani.")
    return Response(file_store_for().read(draft.sign_document.current_file), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="surat-{draft_id}.pdf"'})
