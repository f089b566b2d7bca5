"""Admin console (role admin only): the organisation tree and positions, users, acting officials, number
patterns, recipient groups and the audit log. Every route of this blueprint refuses non-admins with 403."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from sisumaker.extensions import db
from sisumaker.services.errors import PermissionDenied

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    """Rule: only the role admin reaches the console; everyone else gets 403 (services check it again)."""
    if current_user.role != "admin":
        raise PermissionDenied("Halaman admin hanya untuk administrator Sisumaker.")
    return None


def actor():
    return current_user._get_current_object()


def done(message: str, endpoint: str, **values):
    """Commit the unit of work, tell the admin, and go back to a page (303: the form is not resent)."""
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values), 303)


from sisumaker.blueprints.admin import routes_audit, routes_org, routes_settings, routes_users  # noqa: E402,F401
