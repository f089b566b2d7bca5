"""Kotak Masuk: what waits for the user under each position they hold or act in, with filters and the bell."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_login import login_required

from sisumaker.blueprints.common import is_fragment_request, page_number, viewer
from sisumaker.page_cache import cached_page
from sisumaker.services.errors import parse_id
from sisumaker.extensions import db
from sisumaker.services import calendar, inbox, notifications

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def index():
    key = request.args.get("f", "semua")
    key = key if key in inbox.FILTERS else "semua"
    position_id = parse_id(request.args.get("jabatan", ""))
    page = page_number()

    def render(v):
        today = date.today()
        items, more = inbox.inbox_items(v, key, position_id, page, today)
        counts = inbox.inbox_counts(v, position_id, today)
        ctx = dict(positions=v.positions, items=items, more=more, counts=counts, filters=inbox.FILTERS, current=key,
                   position_id=position_id, page=page, today=today, overdue_cutoff=calendar.overdue_cutoff(today))
        return render_template("inbox/_list.html" if is_fragment_request() else "inbox/page.html", **ctx)

    # the page shows the viewer's positions' items and, in the navigation, their bell count
    return cached_page("inbox", (key, position_id, page), lambda p: (p.position_ids, ()), render)


@bp.get("/notifikasi")
@login_required
def notifications_page():
    v = viewer()
    return render_template("inbox/notifications.html", notes=notifications.recent(v.position_ids, 50))


@bp.get("/notifikasi/jumlah")
@login_required
def bell():
    """Cheap to poll: one indexed count, and while no notification changed not even that (the page cache)."""
    def render(v):
        g.nav_unread = notifications.unread_count(v.position_ids)
        return render_template("inbox/_bell.html", unread=g.nav_unread)

    return cached_page("bell", (), lambda p: (p.position_ids, ()), render)


@bp.post("/notifikasi/baca-semua")
@login_required
def read_all():
    notifications.mark_all_read(viewer().position_ids)
    db.session.commit()
    return redirect(url_for("inbox.notifications_page"), 303)


@bp.app_context_processor
def navigation():
    """What the navigation needs on every page: the clerk flag and the bell count (one indexed query)."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        return {}
    v = viewer()
    if "nav_unread" not in g:
        g.nav_unread = notifications.unread_count(v.position_ids)
    return {"nav_is_clerk": v.is_clerk, "nav_unread": g.nav_unread}
