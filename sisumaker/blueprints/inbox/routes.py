"""The landing page: what waits for the user, under each position they hold or act in."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from sisumaker.services.org import acting_positions

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def index():
    positions = acting_positions(current_user)
    return render_template("inbox/page.html", positions=positions)
