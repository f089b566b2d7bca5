"""Parsing the upload-for-signature form."""
from __future__ import annotations

from sisumaker.blueprints.common import FormReader
from sisumaker.models import JENIS, SIFAT
from sisumaker.services.signatures import PARAF_BOX, TTD_BOX, SignerStep, Submission

CORNERS = {
    "kanan-bawah": TTD_BOX,
    "kiri-bawah": (36, 48, 296, 128),
    "kanan-tengah": (300, 330, 560, 410),
}


def parse_submission(form) -> tuple[Submission, dict[str, str]]:
    r = FormReader(form)
    signer = r.integer("signer_id", 0)
    parafs = [i for i in r.ids("paraf_ids") if i != signer]
    steps = tuple(SignerStep(pid, "paraf") for pid in parafs) + ((SignerStep(signer, "ttd"),) if signer else ())
    page = r.integer("stamp_page", 0, 0, 10_000)
    corner = r.choice("stamp_corner", CORNERS, "kanan-bawah")
    data = Submission(title=r.text("title", 500), jenis=r.choice("jenis", JENIS, "surat_dinas"),
                      sifat=r.choice("sifat", SIFAT, "B"), number=r.text("number", 120),
                      doc_date=r.date("doc_date"), steps=steps, stamp_page=(page - 1) if page else -1,
                      stamp_box=CORNERS.get(corner, TTD_BOX))
    return data, r.errors


__all__ = ["parse_submission", "CORNERS", "PARAF_BOX"]
