"""Login and logout."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from sisumaker.blueprints.auth.forms import LoginForm
from sisumaker.extensions import db, limiter
from sisumaker.services import auth
from sisumaker.services.errors import PermissionDenied

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    return "akun:" + (request.form.get("username") or "").strip().lower()[:80]


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc \
            and "\\" not in target:
        return target
    return url_for("inbox.index")


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key,
               deduct_when=lambda response: response.status_code != 302)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = auth.authenticate(form.username.data, form.password.data)
        except PermissionDenied as exc:
            db.session.commit()  # keep the audit of the failed attempt
            form.password.errors = [exc.message]
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        session.clear()  # a fresh session on every login (no fixation)
        session["sid"] = secrets.token_urlsafe(16)  # and a new identity: no two logins share a cookie
        login_user(user)
        flash(f"Selamat datang, {user.full_name.rstrip('.')}.", "success")
        return redirect(_safe_next(request.args.get("next")))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/keluar")
def logout():
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    flash("Anda telah keluar.", "info")
    return redirect(url_for("auth.login"))
