"""Admin console: the user list, creating accounts, moving an official to another position, password resets,
disabling and enabling accounts."""
from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from sisumaker.blueprints.admin import actor, bp, done
from sisumaker.blueprints.admin.forms import optional_id, parse_account, text
from sisumaker.blueprints.common import is_fragment_request
from sisumaker.extensions import db
from sisumaker.models import ActingAssignment, Certificate, Position
from sisumaker.services import admin_users
from sisumaker.services.errors import ValidationError


@bp.get("/pengguna")
def users():
    query = text(request.args, "q")[:100]
    page = max(1, request.args.get("hal", 1, type=int))
    rows, more = admin_users.search_users(actor(), query, page)
    template = "admin/_users.html" if is_fragment_request() else "admin/users.html"
    return render_template(template, rows=rows, more=more, page=page, query=query, roles=admin_users.ROLE_LABELS)


def _new_page(errors=None, status: int = 200):
    chosen = db.session.get(Position, optional_id(request.values, "position_id") or 0)
    found = admin_users.position_choices(text(request.values, "cari"))
    ctx = dict(values=request.values, errors=errors or {}, roles=admin_users.ROLE_LABELS, chosen=chosen, found=found)
    return render_template("admin/user_new.html", **ctx), status


@bp.route("/pengguna/baru", methods=["GET", "POST"])
def user_new():
    if request.method == "GET" or request.form.get("action") == "cari":
        return _new_page()
    data, errors = parse_account(request.form)
    try:
        if errors:
            raise ValidationError(errors)
        user, generated = admin_users.create_account(actor(), data)
    except ValidationError as exc:
        db.session.rollback()
        return _new_page({**errors, **exc.errors}, 422)
    if generated is None:
        return done(f"Akun {user.username} dibuat.", "admin.user", user_id=user.id)
    db.session.commit()
    return render_template("admin/password.html", user=user, password=generated, created=True)


def _user_page(user, errors=None, which: str = "", status: int = 200):
    acting = db.session.scalars(select(ActingAssignment).where(ActingAssignment.user_id == user.id)
                                .order_by(ActingAssignment.starts_on.desc()).limit(20)).all()
    certs = db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                               .order_by(Certificate.id.desc()).limit(5)).all()
    ctx = dict(user=user, errors=errors or {}, which=which, acting=acting, certs=certs,
               found=admin_users.position_choices(text(request.values, "cari")),
               query=text(request.values, "cari"), roles=admin_users.ROLE_LABELS)
    return render_template("admin/user.html", **ctx), status


@bp.get("/pengguna/<int:user_id>")
def user(user_id: int):
    return _user_page(admin_users.get_user(user_id))


@bp.post("/pengguna/<int:user_id>/jabatan")
def user_assign(user_id: int):
    target = admin_users.get_user(user_id)
    if request.form.get("action") == "cari":
        return _user_page(target, which="jabatan")
    try:
        admin_users.assign_position(actor(), target, optional_id(request.form, "position_id"))
    except ValidationError as exc:
        db.session.rollback()
        return _user_page(target, exc.errors, "jabatan", 422)
    return done(f"{target.username} kini memegang jabatan {target.position.title}. Kotak masuk jabatan lama "
                "tetap pada jabatan itu.", "admin.user", user_id=user_id)


@bp.post("/pengguna/<int:user_id>/sandi")
def user_password(user_id: int):
    target = admin_users.get_user(user_id)
    password = request.form.get("password") or ""
    try:
        if password and password != (request.form.get("confirm") or ""):
            raise ValidationError({"confirm": "Konfirmasi kata sandi tidak sama."})
        generated = admin_users.reset_password(actor(), target, password)
    except ValidationError as exc:
        db.session.rollback()
        return _user_page(target, exc.errors, "sandi", 422)
    if generated is None:
        return done(f"Kata sandi {target.username} diganti; semua sesinya berakhir.", "admin.user", user_id=user_id)
    db.session.commit()
    return render_template("admin/password.html", user=target, password=generated, created=False)


@bp.post("/pengguna/<int:user_id>/status")
def user_status(user_id: int):
    target = admin_users.get_user(user_id)
    enable = request.form.get("enable") == "1"
    try:
        admin_users.set_enabled(actor(), target, enable)
    except ValidationError as exc:
        db.session.rollback()
        return _user_page(target, exc.errors, "status", 422)
    message = "diaktifkan kembali" if enable else "dinonaktifkan; semua sesinya berakhir"
    return done(f"Akun {target.username} {message}.", "admin.user", user_id=user_id)
