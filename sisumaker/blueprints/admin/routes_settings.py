"""Admin console: acting officials (Plt/Plh) list and ending, number patterns, recipient groups."""
from __future__ import annotations

from flask import render_template, request

from sisumaker.blueprints.admin import actor, bp, done
from sisumaker.blueprints.admin.forms import parse_pattern, text
from sisumaker.blueprints.common import FormReader
from sisumaker.extensions import db
from sisumaker.models import JENIS
from sisumaker.services import admin_acting, admin_config, admin_org
from sisumaker.services.admin_users import position_choices
from sisumaker.services.errors import ValidationError, parse_id


def _acting_page(errors=None, which: int | None = None, status: int = 200):
    past = request.args.get("lihat") == "lalu"
    ctx = dict(rows=admin_acting.assignments(actor(), current=not past), past=past, errors=errors or {},
               which=which, kinds=admin_acting.KIND_LABELS, query=text(request.args, "cari"),
               found=position_choices(text(request.args, "cari")))
    return render_template("admin/acting.html", **ctx), status


@bp.get("/plt")
def acting():
    return _acting_page()


@bp.post("/plt/<int:assignment_id>/akhiri")
def acting_end(assignment_id: int):
    assignment = admin_acting.get_assignment(assignment_id)
    r = FormReader(request.form)
    last_day = r.date("ends_on", required=True)
    try:
        r.raise_if_errors()
        admin_acting.end_early(actor(), assignment, last_day)
    except ValidationError as exc:
        db.session.rollback()
        return _acting_page(exc.errors, assignment_id, 422)
    return done("Penugasan diakhiri lebih awal.", "admin.acting")


@bp.post("/plt/<int:assignment_id>/batal")
def acting_cancel(assignment_id: int):
    assignment = admin_acting.get_assignment(assignment_id)
    try:
        admin_acting.cancel(actor(), assignment)
    except ValidationError as exc:
        db.session.rollback()
        return _acting_page(exc.errors, assignment_id, 422)
    return done("Penugasan yang belum dimulai dibatalkan.", "admin.acting")


def _patterns_page(errors=None, editing=None, status: int = 200):
    ctx = dict(rows=admin_config.patterns(actor()), errors=errors or {}, editing=editing, jenis=JENIS,
               units=admin_config.member_choices(), values=request.form, example=admin_config.example_number)
    return render_template("admin/patterns.html", **ctx), status


@bp.get("/pola")
def patterns():
    return _patterns_page()


@bp.route("/pola/<int:pattern_id>", methods=["GET", "POST"])
@bp.post("/pola/baru", defaults={"pattern_id": None})
def pattern_save(pattern_id: int | None):
    pattern = admin_config.get_pattern(pattern_id) if pattern_id else None
    if request.method == "GET":
        return _patterns_page(editing=pattern)
    data, errors = parse_pattern(request.form)
    try:
        if errors:
            raise ValidationError(errors)
        saved = admin_config.save_pattern(actor(), data, pattern)
    except ValidationError as exc:
        db.session.rollback()
        return _patterns_page({**errors, **exc.errors}, pattern, 422)
    return done(f"Pola nomor disimpan (contoh: {admin_config.example_number(saved)}).", "admin.patterns")


@bp.get("/grup")
def groups():
    return render_template("admin/groups.html", rows=admin_config.groups(actor()))


def _group_page(group, errors=None, status: int = 200):
    chosen = ({i for i in map(parse_id, request.form.getlist("unit_ids")) if i is not None} if request.method == "POST"
              else {m.unit_id for m in group.members} if group else set())
    ctx = dict(group=group, errors=errors or {}, chosen=chosen, units=admin_config.member_choices(),
               name=request.form.get("name", group.name if group else ""), kinds=admin_org.UNIT_KIND_LABELS)
    return render_template("admin/group.html", **ctx), status


@bp.route("/grup/baru", methods=["GET", "POST"], defaults={"group_id": None})
@bp.route("/grup/<int:group_id>", methods=["GET", "POST"])
def group(group_id: int | None):
    target = admin_config.get_group(group_id) if group_id else None
    if request.method == "GET":
        return _group_page(target)
    r = FormReader(request.form)
    unit_ids = r.ids("unit_ids")
    try:
        r.raise_if_errors()
        saved = admin_config.save_group(actor(), text(request.form, "name"), unit_ids, target)
    except ValidationError as exc:
        db.session.rollback()
        return _group_page(target, exc.errors, 422)
    return done(f"Grup penerima {saved.name} disimpan ({len(unit_ids)} unit).", "admin.groups")
