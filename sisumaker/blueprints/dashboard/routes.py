"""Dasbor adopsi: the SPBE adoption figures per OPD and for the regency, and the list behind each figure."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from flask_login import current_user, login_required

from sisumaker import dashboard_queue
from sisumaker.blueprints.common import FormReader, is_fragment_request, viewer
from sisumaker.services import dashboard as service
from sisumaker.services import dashboard_snapshot as snapshots
from sisumaker.services.dashboard_lists import LISTS, dashboard_list
from sisumaker.services.errors import ValidationError
from sisumaker.templating import as_wib, short_date

bp = Blueprint("dashboard", __name__, url_prefix="/dasbor")


def _period() -> service.Period:
    r = FormReader(request.args)
    start, end = r.date("dari"), r.date("sampai")
    r.raise_if_errors()
    return service.parse_period(start, end, date.today())


@bp.get("")
@login_required
def index():
    """The figures from the period's snapshot (computed by the worker); while it is being computed the page says so
    and replaces itself when it is ready (htmx polling; a meta refresh with JS off)."""
    period = _period()
    opd_id = request.args.get("opd", type=int)
    v = viewer()
    scope = service.view_scope(v, opd_id)
    if snapshots.representable(scope):
        view = dashboard_queue.current(current_app._get_current_object(), period, scope)
        board = view.board
    else:  # several OPDs that are not the regency: no stored total for them
        view, board = None, service.dashboard(v, period, opd_id)
    waiting = view is not None and (view.refreshing or (board is None and not view.error))
    ctx = dict(board=board, view=view, waiting=waiting, period=period, opd_id=opd_id, scope=scope,
               scope_name=service.scope_name(scope), regency_view=opd_id is not None and service.dashboard_scope(v).regency,
               sheets_per_ream=service.SHEETS_PER_REAM, ranked=service.ranked)
    return render_template("dashboard/_board.html" if is_fragment_request() else "dashboard/page.html", **ctx)


@bp.post("/perbarui")
@login_required
def refresh():
    """Ask the worker to compute the period's figures again now (for whoever may see the dashboard)."""
    r = FormReader(request.form)
    start, end = r.date("dari"), r.date("sampai")
    r.raise_if_errors()
    period = service.parse_period(start, end, date.today())
    opd_id = request.form.get("opd", type=int)
    service.view_scope(viewer(), opd_id)
    dashboard_queue.ask(period)
    return redirect(url_for("dashboard.index", dari=period.start.isoformat(), sampai=period.end.isoformat(),
                            opd=opd_id), 303)


@bp.get("/daftar/<kind>")
@login_required
def listing(kind: str):
    if kind not in LISTS:
        raise ValidationError({"daftar": "Daftar tidak dikenal."})
    period, opd_id = _period(), request.args.get("opd", type=int)
    page = max(1, request.args.get("hal", 1, type=int))
    rows, more = dashboard_list(viewer(), kind, period, opd_id, page)
    return render_template("dashboard/list.html", rows=rows, more=more, kind=kind, title=LISTS[kind], period=period,
                           opd_id=opd_id, page=page)


@bp.app_template_filter("durasi")
def duration(seconds: float | None) -> str:
    """Seconds as Indonesian words: '45 menit', '3,5 jam', '2 hari 4 jam'."""
    if seconds is None:
        return "—"
    minutes = seconds / 60
    if minutes < 60:
        return f"{max(0, round(minutes))} menit"
    hours = minutes / 60
    if hours < 24:
        return f"{hours:.1f} jam".replace(".", ",")
    days, rest = divmod(round(hours), 24)
    return f"{days} hari {rest} jam" if rest else f"{days} hari"


@bp.app_template_filter("per_wib")
def as_of(value) -> str:
    """A moment as the dashboard's "as of" line: '26 Nov 2026 10.45 WIB'."""
    return f"{short_date(value)} {as_wib(value):%H.%M} WIB"


@bp.app_template_filter("angka")
def number(value: int | float) -> str:
    """Thousands separated the Indonesian way: 12.345."""
    return f"{round(value):,}".replace(",", ".")


@bp.app_template_filter("persen")
def percent(value: float | None) -> str:
    """A share as a percentage: whole numbers, one decimal below 10 % (so 1 of 924 is not shown as 0 %)."""
    if value is None:
        return "—"
    text = f"{value * 100:.1f}%" if 0 < value < 0.1 else f"{value * 100:.0f}%"
    return text.replace(".", ",")


@bp.app_template_filter("rim")
def reams(value: float) -> str:
    """Reams with two decimals below 10 (a month of one OPD saves a fraction of a ream), whole above."""
    return f"{value:.2f}".replace(".", ",") if value < 10 else number(value)


@bp.app_context_processor
def navigation():
    """The records menu entry: the dashboard for those who may see it, else the retention calendar for clerks."""
    if not current_user.is_authenticated:
        return {}
    v = viewer()
    if service.may_see_dashboard(v):
        return {"nav_records": ("dashboard.index", "Dasbor")}
    if v.is_clerk:
        return {"nav_records": ("records.retention", "Retensi Arsip")}
    return {}
