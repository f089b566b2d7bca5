"""Cari: one search box over the letters, drafts and dispositions the user may see (GET form; htmx as they type)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from sisumaker.blueprints.common import FormReader, is_fragment_request, viewer
from sisumaker.models import JENIS, SIFAT
from sisumaker.services import search as search_service
from sisumaker.services.errors import ValidationError

bp = Blueprint("search", __name__)


def parse_query(args) -> tuple[search_service.SearchQuery, dict[str, str]]:
    """The search form's query string, typed; unreadable values become field messages."""
    form = FormReader(args)
    unit = form.integer("unit", default=0, lo=0)
    query = search_service.SearchQuery(
        text=form.text("q", 200), direction=form.text("arah", 10), unit_id=unit or None,
        jenis=form.text("jenis", 30), sifat=form.text("sifat", 2), klasifikasi=form.text("klasifikasi", 30),
        date_from=form.date("dari"), date_to=form.date("sampai"), status=form.text("status", 20),
        page=form.integer("hal", default=1, lo=1, hi=500))
    return query, form.errors


@bp.get("/cari")
@login_required
def index():
    v = viewer()
    query, errors = parse_query(request.args)
    result, status = None, 200
    try:
        if errors:
            raise ValidationError(errors)
        result = search_service.search(v, query)
    except ValidationError as exc:
        errors, status = exc.errors, 422
    template = "search/_results.html" if is_fragment_request() else "search/page.html"
    html = render_template(template, query=query, result=result, errors=errors, args=request.args,
                           units=search_service.unit_choices(v), jenis=JENIS, sifat=SIFAT,
                           statuses=search_service.STATUSES, directions=search_service.DIRECTIONS)
    return html, status, {"Vary": "HX-Request"}
