"""Who signs (issue 5): an acting official (Plt/Plh, appointed through org.assign_acting) signs a draft addressed
to the position they act in, and the record, the signature request and the rendered page say Plt./Plh.; a
subordinate signing "a.n." shows the represented position on the page and in the record."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import Draft, Position, RegisterEntry
from sisumaker.services.errors import NotFound
from sisumaker.services.org import assign_acting
from sisumaker.services.signatures import run_batch, start_batch
from sisumaker.storage import file_store_for
from tests.outgoing.conftest import PASSPHRASE
from tests.outgoing.support import (
    approve_all,
    pdf_text,
    pos,
    prepare,
    routing,
    save,
    unit,
    user,
    viewer,
)


def _appoint(kind: str, username: str = "asisten3", position_of: str = "sekda", days: int = 30) -> None:
    begin_write()
    assign_acting(None, user=user(username), position=db.session.get(Position, pos(position_of)), kind=kind,
                  starts_on=date.today() - timedelta(days=1), ends_on=date.today() + timedelta(days=days),
                  decree_number=f"800.1.3/{kind.upper()}-7/2026")
    db.session.commit()


def _sign(pki, signer: str, draft: Draft):
    """Start and run the batch in-process (as without Redis); returns the signature request."""
    begin_write()
    batch = start_batch(viewer(signer), pki, [draft.sign_document.requests[0].id], PASSPHRASE)
    db.session.commit()
    run_batch(pki, file_store_for(), batch.id, PASSPHRASE)
    db.session.rollback()
    return db.session.get(Draft, draft.id).sign_document.requests[0]


@pytest.mark.parametrize("kind, prefix", [("plt", "Plt."), ("plh", "Plh.")])
def test_an_acting_official_signs_and_every_record_says_so(ctx, pki, kind, prefix):
    draft_id = save(r=routing(to=("kadis.dinkes",)))
    approve_all(draft_id)
    with pytest.raises(NotFound):  # not yet appointed: the Sekda's drafts are not theirs to sign
        prepare(pki, draft_id, signer="asisten3")
    db.session.rollback()

    _appoint(kind)
    draft = prepare(pki, draft_id, signer="asisten3")
    acting = user("asisten3")
    assert draft.signer_capacity == kind
    assert draft.status == "ditandatangani" and draft.number.endswith(f"/SETDA/{date.today().year}")
    page = pdf_text(file_store_for().read(draft.sign_document.source_file))
    assert f"{prefix} Sekretaris Daerah,".upper() in page.upper(), page  # a surat edaran prints it in capitals
    assert acting.full_name in page
    assert user("sekda").full_name not in page

    req = _sign(pki, "asisten3", draft)
    assert req.status == "signed", req.error
    assert (req.capacity_prefix, req.signer_title, req.signer_name) == (prefix, "Sekretaris Daerah", acting.full_name)
    draft = db.session.get(Draft, draft_id)
    assert draft.status == "terkirim"
    dinkes = unit("DINKES").id
    assert db.session.scalar(select(RegisterEntry.unit_id).where(RegisterEntry.letter_id == draft.letter_id)) == dinkes


def test_an_expired_acting_appointment_gives_no_signing_right(ctx, pki):
    draft_id = save(r=routing())
    approve_all(draft_id)
    begin_write()
    assign_acting(None, user=user("asisten3"), position=db.session.get(Position, pos("sekda")), kind="plh",
                  starts_on=date.today() - timedelta(days=10), ends_on=date.today() - timedelta(days=1),
                  decree_number="800.1.3/PLH-1/2026")
    db.session.commit()
    with pytest.raises(NotFound):
        prepare(pki, draft_id, signer="asisten3")


def test_signing_on_behalf_shows_the_represented_position(ctx, pki):
    draft_id = save(r=routing(signer="sekda", capacity="an", on_behalf="bupati", to=("kadis.dinkes",)))
    approve_all(draft_id)
    draft = prepare(pki, draft_id, signer="sekda")
    assert (draft.signer_capacity, draft.on_behalf_position.title) == ("an", "Bupati")
    page = pdf_text(file_store_for().read(draft.sign_document.source_file))
    assert "A.N. BUPATI SEKRETARIS DAERAH," in page.upper(), page
    assert "SURAT EDARAN BUPATI SERANG" in page  # issued in the name of the regent
    req = _sign(pki, "sekda", draft)
    assert req.status == "signed", req.error
    assert req.capacity_prefix == "a.n. Bupati"  # the record (and the verification page) say a.n. too
    assert db.session.get(Draft, draft_id).status == "terkirim"


def test_a_definitive_signature_has_no_prefix(ctx, pki):
    draft_id = save(r=routing())
    approve_all(draft_id)
    draft = prepare(pki, draft_id)
    page = pdf_text(file_store_for().read(draft.sign_document.source_file))
    assert "SEKRETARIS DAERAH," in page.upper() and "PLT." not in page.upper() and "A.N." not in page.upper()
    req = _sign(pki, "sekda", draft)
    assert req.status == "signed" and req.capacity_prefix == ""

    # recipients read it on their phones as page images: the delivered file is the signed one, with its stamp
    letter = db.session.get(Draft, draft_id).letter
    assert letter.scan_file_id == req.signed_file_id != req.document.source_file_id
    assert _ink_in_stamp_box(letter.scan, req) > 3 * _ink_in_stamp_box(req.document.source_file, req) + 500


def _ink_in_stamp_box(stored, req) -> int:
    """Dark pixels inside the signature box of the page image shown to phones (900 px wide)."""
    import io

    from PIL import Image

    from sisumaker.services.files import render_pdf_page

    image = Image.open(io.BytesIO(render_pdf_page(file_store_for(), stored, 0))).convert("L")
    scale = image.width / 595.28  # A4 points
    top = image.height - (req.stamp_y + req.stamp_h) * scale
    box = image.crop((int(req.stamp_x * scale), int(top), int((req.stamp_x + req.stamp_w) * scale),
                      int(top + req.stamp_h * scale)))
    return sum(1 for p in box.get_flattened_data() if p < 128)
