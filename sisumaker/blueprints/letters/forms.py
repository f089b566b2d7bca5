"""Parsing the incoming-letter form into the service's input."""
from __future__ import annotations

from sisumaker.blueprints.common import FormReader
from sisumaker.models import JENIS, SIFAT, URGENSI
from sisumaker.services.letters import IncomingLetter


def parse_incoming(form) -> tuple[IncomingLetter, dict[str, str]]:
    r = FormReader(form)
    data = IncomingLetter(
        sender=r.text("sender", 250), number=r.text("number", 120),
        letter_date=r.date("letter_date", required=True), received_on=r.date("received_on", required=True),
        jenis=r.choice("jenis", JENIS, "surat_dinas"), perihal=r.text("perihal", 500),
        summary=r.text("summary", 5000), sifat=r.choice("sifat", SIFAT, "B"),
        urgensi=r.choice("urgensi", URGENSI, "biasa"),
        classification_code=(r.text("classification_code", 30).split(" ", 1)[0] or None),
        attachments=r.integer("attachments", 0, 0, 999),
        to_position_ids=r.ids("to_ids"), cc_position_ids=r.ids("cc_ids"),
        event_date=r.date("event_date"), event_time=r.time("event_time"), event_place=r.text("event_place", 250),
    )
    return data, r.errors
