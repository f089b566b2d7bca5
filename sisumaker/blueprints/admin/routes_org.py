"""Admin console: home, the unit tree, a unit's page and a position's page with their changes."""
from __future__ import annotations

from datetime import date

from flask import redirect, render_template, request, url_for
from sqlalchemy import func, select

from sisumaker.blueprints.admin import actor, bp, done
from sisumaker.blueprints.admin.forms import optional_id, text
from sisumaker.blueprints.common import FormReader, is_fragment_request
from sisumaker.extensions import db
from sisumaker.models import ActingAssignment, NumberPattern, Position, RecipientGroup, Unit, User
from sisumaker.services import admin_acting, admin_org
from sisumaker.services.admin_audit import total_events
from sisumaker.services.admin_users import position_choices
from sisumaker.services.errors import ValidationError


@bp.get("/")
def home():
    count = lambda model, *where: db.session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
    stats = dict(units=count(Unit, Unit.closed_on.is_(None)), positions=count(Position, Position.closed_on.is_(None)),
                 users=count(User, User.is_enabled.is_(True)), patterns=count(NumberPattern),
                 groups=count(RecipientGroup), events=total_events(),
                 acting=count(ActingAssignment, ActingAssignment.ends_on >= date.today()))
    return render_template("admin/page.html", stats=stats)


@bp.get("/unit")
def units():
    root = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id).limit(1))
    found = position_choices(text(request.args, "cari"))
    return render_template("admin/units.html", root=root, rows=admin_org.child_units(root.id) if root else [],
                           found=found, query=text(request.args, "cari"))


@bp.get("/unit/<int:unit_id>/cabang")
def branch(unit_id: int):
    admin_org.get_unit(unit_id)  # a unit that does not exist: 404, not an empty branch
    if not is_fragment_request():
        return redirect(url_for("admin.unit", unit_id=unit_id))
    return render_template("admin/_units.html", rows=admin_org.child_units(unit_id))


def _unit_page(unit: Unit, errors=None, which: str = "", status: int = 200):
    ctx = dict(unit=unit, ancestors=admin_org.unit_ancestors(unit), errors=errors or {}, which=which,
               values=request.form, rows=admin_org.child_units(unit.id, include_closed=True),
               positions=sorted(unit.positions, key=lambda p: (p.closed_on is not None, not p.is_unit_head, p.id)),
               parents=admin_org.parent_choices(unit), kinds=admin_org.UNIT_KIND_LABELS,
               leaf=unit.kind in admin_org.LEAF_KINDS, echelons=admin_org.ECHELONS,
               atasan=admin_org.atasan_choices(unit), blockers=admin_org.unit_blockers(unit))
    return render_template("admin/unit.html", **ctx), status


@bp.get("/unit/<int:unit_id>")
def unit(unit_id: int):
    return _unit_page(admin_org.get_unit(unit_id))


@bp.post("/unit/<int:unit_id>/anak")
def unit_add(unit_id: int):
    parent = admin_org.get_unit(unit_id)
    f = request.form
    try:
        new = admin_org.add_unit(actor(), parent_id=parent.id, kind=text(f, "kind"), name=text(f, "name"),
                                 code=text(f, "code"), address=text(f, "address"))
    except ValidationError as exc:
        db.session.rollback()
        return _unit_page(parent, exc.errors, "tambah-unit", 422)
    return done(f"Unit {new.name} ditambahkan.", "admin.unit", unit_id=new.id)


@bp.post("/unit/<int:unit_id>/ubah")
def unit_rename(unit_id: int):
    target = admin_org.get_unit(unit_id)
    try:
        admin_org.rename_unit(actor(), target, name=text(request.form, "name"), code=text(request.form, "code"))
    except ValidationError as exc:
        db.session.rollback()
        return _unit_page(target, exc.errors, "ubah-unit", 422)
    return done("Nama unit diperbarui.", "admin.unit", unit_id=unit_id)


@bp.post("/unit/<int:unit_id>/pindah")
def unit_move(unit_id: int):
    target = admin_org.get_unit(unit_id)
    try:
        admin_org.move_unit(actor(), target, optional_id(request.form, "parent_id"))
    except ValidationError as exc:
        db.session.rollback()
        return _unit_page(target, exc.errors, "pindah-unit", 422)
    return done("Unit dipindahkan.", "admin.unit", unit_id=unit_id)


@bp.post("/unit/<int:unit_id>/tutup")
def unit_close(unit_id: int):
    target = admin_org.get_unit(unit_id)
    try:
        closed = admin_org.close_unit(actor(), target)
    except ValidationError as exc:
        db.session.rollback()
        return _unit_page(target, exc.errors, "tutup-unit", 422)
    return done(f"Unit ditutup bersama {closed} jabatan kosong.", "admin.unit", unit_id=unit_id)


@bp.post("/unit/<int:unit_id>/jabatan")
def position_add(unit_id: int):
    target = admin_org.get_unit(unit_id)
    f = request.form
    try:
        new = admin_org.add_position(actor(), unit_id=target.id, title=text(f, "title"),
                                     parent_id=optional_id(f, "parent_id"), echelon=text(f, "echelon"),
                                     is_unit_head=f.get("is_unit_head") == "1")
    except ValidationError as exc:
        db.session.rollback()
        return _unit_page(target, exc.errors, "tambah-jabatan", 422)
    return done(f"Jabatan {new.title} ditambahkan.", "admin.position", position_id=new.id)


def _position_page(position: Position, errors=None, which: str = "", status: int = 200):
    acting = db.session.scalars(select(ActingAssignment).where(ActingAssignment.position_id == position.id)
                                .order_by(ActingAssignment.starts_on.desc()).limit(50)).all()
    found = position_choices(text(request.args, "cari")) if which == "" else []
    ctx = dict(position=position, ancestors=[*admin_org.unit_ancestors(position.unit), position.unit],
               errors=errors or {}, which=which, values=request.form, acting=acting,
               holders=sorted(position.holders, key=lambda u: u.username),
               subordinates=[p for p in position.subordinates if p.closed_on is None],
               blockers=admin_org.position_blockers(position), parents=admin_org.open_units(),
               atasan=admin_org.atasan_choices(position.unit, exclude=position), found=found,
               kinds=admin_acting.KIND_LABELS)
    return render_template("admin/position.html", **ctx), status


@bp.get("/jabatan/<int:position_id>")
def position(position_id: int):
    return _position_page(admin_org.get_position(position_id))


@bp.post("/jabatan/<int:position_id>/ubah")
def position_rename(position_id: int):
    target = admin_org.get_position(position_id)
    try:
        admin_org.rename_position(actor(), target, text(request.form, "title"))
    except ValidationError as exc:
        db.session.rollback()
        return _position_page(target, exc.errors, "ubah-jabatan", 422)
    return done("Nama jabatan diperbarui.", "admin.position", position_id=position_id)


@bp.post("/jabatan/<int:position_id>/pindah")
def position_move(position_id: int):
    target = admin_org.get_position(position_id)
    try:
        admin_org.move_position(actor(), target, unit_id=optional_id(request.form, "unit_id"),
                                parent_id=optional_id(request.form, "parent_id"))
    except ValidationError as exc:
        db.session.rollback()
        return _position_page(target, exc.errors, "pindah-jabatan", 422)
    return done("Jabatan dipindahkan; kotak masuknya ikut bersamanya.", "admin.position", position_id=position_id)


@bp.post("/jabatan/<int:position_id>/tutup")
def position_close(position_id: int):
    target = admin_org.get_position(position_id)
    try:
        admin_org.close_position(actor(), target)
    except ValidationError as exc:
        db.session.rollback()
        return _position_page(target, exc.errors, "tutup-jabatan", 422)
    return done("Jabatan ditutup.", "admin.position", position_id=position_id)


@bp.post("/jabatan/<int:position_id>/plt")
def acting_add(position_id: int):
    target = admin_org.get_position(position_id)
    r = FormReader(request.form)
    starts_on, ends_on = r.date("starts_on", required=True), r.date("ends_on", required=True)
    try:
        r.raise_if_errors()
        admin_acting.appoint(actor(), username=text(request.form, "username"), position_id=target.id,
                             kind=text(request.form, "kind"), starts_on=starts_on, ends_on=ends_on,
                             decree_number=text(request.form, "decree_number"))
    except ValidationError as exc:
        db.session.rollback()
        return _position_page(target, exc.errors, "plt", 422)
    return done("Penugasan Plt/Plh dicatat.", "admin.position", position_id=position_id)
