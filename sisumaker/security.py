"""Session safety and response headers: idle timeout, session versions, CSP, frame denial, no-store."""
from __future__ import annotations

import time

from flask import Flask, flash, jsonify, make_response, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.routing import IntegerConverter

from sisumaker.database import begin_write
from sisumaker.extensions import db, login_manager
from sisumaker.models import User

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "object-src 'none'; frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """A session names the user and the session version; a bumped version (new password, new role) logs out."""
    try:
        uid, version = (int(x) for x in user_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or not user.is_enabled:
        return None
    return user


def wants_status_not_page() -> bool:
    """htmx and JSON callers cannot follow a redirect to the login page: they get 401 (htmx: with HX-Redirect)."""
    return bool(request.headers.get("HX-Request")) or request.accept_mimetypes.best == "application/json" \
        or request.path.endswith(".json")


def login_required_response(message: str, next_path: str | None):
    """Rule: an anonymous (or timed-out) request goes to /masuk; htmx and JSON get 401 instead of a redirect."""
    target = url_for("auth.login", next=next_path)
    flash(message, "info")  # shown on /masuk, where htmx (HX-Redirect) and the browser both end up
    if not wants_status_not_page():
        return redirect(target)
    response = make_response(message if request.headers.get("HX-Request") else jsonify(error=message, status=401), 401)
    response.headers["HX-Redirect"] = target
    return response


@login_manager.unauthorized_handler
def _unauthorized():
    return login_required_response("Silakan masuk terlebih dahulu.",
                                   request.full_path.rstrip("?") if request.method == "GET" else None)


class RowIdConverter(IntegerConverter):
    """`<int:...>` in URLs: a row id within the database's integer range; a longer number is simply not a route
    (404), instead of an overflow in the database driver (500)."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None, max: int | None = 2**31 - 1,
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)


def install_converters(app: Flask) -> None:
    """Before any blueprint is registered (rules bind their converters when added)."""
    app.url_map.converters["int"] = RowIdConverter


def register(app: Flask) -> None:
    idle_seconds = int(app.config["IDLE_TIMEOUT_MINUTES"]) * 60

    @app.before_request
    def _idle_timeout():
        if request.endpoint in ("static", "health.healthz"):
            return None
        now = int(time.time())
        last = session.get("seen")
        if current_user.is_authenticated and last is not None and now - int(last) > idle_seconds:
            logout_user()
            session.clear()
            return login_required_response(
                f"Sesi Anda berakhir karena tidak aktif lebih dari {idle_seconds // 60} menit. Silakan masuk kembali.",
                request.full_path.rstrip("?") if request.method == "GET" else None)
        if current_user.is_authenticated and (last is None or now - int(last) > 30):
            session["seen"] = now  # refreshed at most every 30 s to keep cookies stable
        return None

    @app.before_request
    def _write_transaction():
        if request.method in WRITE_METHODS:
            begin_write()

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if current_user.is_authenticated and request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        response.vary.add("HX-Request")
        return response
