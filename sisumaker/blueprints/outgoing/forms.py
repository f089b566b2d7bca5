"""Parsing the draft form into content and routing."""
from __future__ import annotations

from sisumaker.blueprints.common import FormReader
from sisumaker.models import SIFAT, URGENSI
from sisumaker.services.bodytext import lines
from sisumaker.services.outgoing import DRAFT_KINDS, DraftContent, Routing


def parse_draft(form) -> tuple[DraftContent, Routing, dict[str, str]]:
    r = FormReader(form)
    content = DraftContent(
        jenis=r.choice("jenis", DRAFT_KINDS, "nota_dinas"), perihal=r.text("perihal", 500),
        body=r.text("body", 20_000), sifat=r.choice("sifat", SIFAT, "B"), urgensi=r.choice("urgensi", URGENSI, "biasa"),
        classification_code=(r.text("classification_code", 30).split(" ", 1)[0] or None),
        lampiran=r.text("lampiran", 60) or "-", external=tuple(lines(r.text("external", 5000))),
        tembusan=tuple(lines(r.text("tembusan", 5000))), menimbang=tuple(lines(r.text("menimbang", 10000))),
        mengingat=tuple(lines(r.text("mengingat", 10000))), diktum=tuple(lines(r.text("diktum", 10000))),
        event_date=r.text("event_date", 10) or None, event_time=r.text("event_time", 40),
        event_place=r.text("event_place", 250), event_agenda=r.text("event_agenda", 500))
    order = r.ids("reviewer_ids")
    routing = Routing(
        reviewer_ids=order, signer_id=r.integer("signer_id", 0), capacity=r.choice(
            "capacity", ("definitif", "an", "plt", "plh"), "definitif"),
        on_behalf_id=r.integer("on_behalf_id", 0) or None, to_ids=r.ids("to_ids"), cc_ids=r.ids("cc_ids"),
        groups=tuple(g for g in form.getlist("groups") if g))
    return content, routing, r.errors
