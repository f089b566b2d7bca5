"""Admin console: the audit log with filters and pages (the list swaps in with htmx), and the chain check."""
from __future__ import annotations

from flask import render_template, request

from sisumaker.blueprints.admin import actor, bp
from sisumaker.blueprints.admin.forms import parse_audit_filter
from sisumaker.blueprints.common import is_fragment_request
from sisumaker.services import admin_audit
from sisumaker.services.admin_audit import AuditFilter


def _context(report=None):
    flt, errors = parse_audit_filter(request.args)
    page = max(1, request.args.get("hal", 1, type=int))
    rows, more, note = admin_audit.search_events(actor(), flt if not errors else AuditFilter(), page)
    actions, types = admin_audit.known_values(actor())
    return dict(rows=rows, more=more, note=note, page=page, flt=flt, errors=errors, actions=actions, types=types,
                args=flt.as_args(), report=report)


@bp.get("/audit")
def audit_log():
    template = "admin/_audit.html" if is_fragment_request() else "admin/audit.html"
    return render_template(template, **_context())


@bp.post("/audit/periksa")
def audit_check():
    report = admin_audit.check_chain(actor())
    if is_fragment_request():
        return render_template("admin/_chain.html", report=report)
    return render_template("admin/audit.html", **_context(report))
