"""Letter numbers (issue 5): patterns per jenis naskah and signing unit with their placeholders, the most specific
pattern winning, SK numbered "n TAHUN y" by the legal section's single sequence, yearly reset, a rolled-back
transaction giving its number back, and the refusals of check_pattern. The last test signs an SK end to end."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import NumberCounter, NumberPattern
from sisumaker.services.errors import ValidationError
from sisumaker.services.numbering import (
    assign_number,
    check_pattern,
    pattern_for,
    seed_patterns,
    take_number,
)
from sisumaker.storage import file_store_for
from tests.outgoing.support import (
    approve_all,
    content,
    pdf_text,
    prepare,
    routing,
    save,
    unit,
)

DAY = date(2026, 11, 22)


def number(jenis: str, unit_code: str, klasifikasi: str | None = "800", on: date = DAY) -> str:
    """Assign one number in its own committed write transaction, as the signing route does."""
    begin_write()
    value = assign_number(jenis, unit(unit_code), klasifikasi, on)
    db.session.commit()
    return value


def add_pattern(pattern: str, jenis: str | None = None, unit_code: str | None = None, legal: bool = False) -> None:
    check_pattern(pattern)
    db.session.add(NumberPattern(jenis=jenis, unit_id=unit(unit_code).id if unit_code else None, pattern=pattern,
                                 legal=legal))
    db.session.commit()


def test_the_default_pattern_fills_every_placeholder(ctx):
    assert number("surat_dinas", "SETDA") == "800/1/SETDA/2026"
    assert number("surat_edaran", "SETDA", "000.8.3.3") == "000.8.3.3/2/SETDA/2026"
    assert number("surat_dinas", "SETDA", None) == "000/3/SETDA/2026"  # no classification: 000 (Umum)
    assert number("surat_dinas", "DINKES", "440") == "440/1/DINKES/2026"  # each unit has its own sequence


def test_nota_dinas_carries_the_month_in_roman_numerals(ctx):
    assert number("nota_dinas", "SETDA", on=date(2026, 11, 22)) == "800/1/SETDA/XI/2026"
    assert number("nota_dinas", "SETDA", on=date(2026, 4, 1)) == "800/2/SETDA/IV/2026"
    assert number("nota_dinas", "SETDA", on=date(2026, 9, 30)) == "800/3/SETDA/IX/2026"


def test_a_unit_specific_pattern_wins_over_the_jenis_default(ctx):
    add_pattern("{nomor}/{klasifikasi}/Dinkes/{bulan}/{tahun}", jenis="surat_dinas", unit_code="DINKES")
    add_pattern("{klasifikasi}/{nomor}/BAPENDA-{bulan_romawi}/{tahun}", jenis=None, unit_code="BAPENDA")
    assert number("surat_dinas", "DINKES", "440") == "1/440/Dinkes/11/2026"
    assert number("surat_dinas", "DINKES", "440") == "2/440/Dinkes/11/2026"
    assert number("surat_tugas", "DINKES", "440") == "440/1/DINKES/2026"  # other kinds keep the default
    assert number("surat_dinas", "SETDA") == "800/1/SETDA/2026"  # other units keep the default
    assert number("surat_tugas", "BAPENDA", "900") == "900/1/BAPENDA-XI/2026"  # the unit's own, any kind
    assert number("nota_dinas", "BAPENDA", "900") == "900/1/BAPENDA/XI/2026"  # a jenis pattern beats it
    assert pattern_for("surat_keputusan", unit("DINKES").id).legal


def test_sk_numbers_come_from_the_legal_sequence_shared_by_all_units(ctx):
    assert number("surat_keputusan", "SETDA") == "1 TAHUN 2026"
    assert number("surat_dinas", "SETDA") == "800/1/SETDA/2026"  # takes no legal number
    assert number("surat_keputusan", "DINKES") == "2 TAHUN 2026"
    assert number("surat_keputusan", "KEC-PULO-AMPEL") == "3 TAHUN 2026"
    assert db.session.get(NumberCounter, ("legal", 2026)).last_number == 3


def test_numbers_restart_every_year(ctx):
    assert number("surat_dinas", "SETDA", on=date(2026, 12, 30)) == "800/1/SETDA/2026"
    assert number("surat_dinas", "SETDA", on=date(2026, 12, 31)) == "800/2/SETDA/2026"
    assert number("surat_keputusan", "SETDA", on=date(2026, 12, 31)) == "1 TAHUN 2026"
    assert number("surat_keputusan", "SETDA", on=date(2026, 12, 31)) == "2 TAHUN 2026"
    assert number("surat_dinas", "SETDA", on=date(2027, 1, 2)) == "800/1/SETDA/2027"
    assert number("surat_keputusan", "SETDA", on=date(2027, 1, 2)) == "1 TAHUN 2027"
    assert number("surat_dinas", "SETDA", on=date(2026, 12, 31)) == "800/3/SETDA/2026"  # back-dated: its year


def test_a_rolled_back_transaction_gives_its_number_back(ctx):
    begin_write()
    assert take_number("uji", 2026) == 1
    assert take_number("uji", 2026) == 2
    db.session.rollback()
    begin_write()
    assert take_number("uji", 2026) == 1
    db.session.commit()
    begin_write()
    assert assign_number("surat_dinas", unit("SETDA"), "800", DAY) == "800/1/SETDA/2026"
    db.session.rollback()
    assert number("surat_dinas", "SETDA") == "800/1/SETDA/2026"


@pytest.mark.parametrize("pattern, message", [
    ("{klasifikasi}/{unit}/{tahun}", "Pola nomor harus memuat {nomor}."),
    ("", "Pola nomor harus memuat {nomor}."),
    ("{klasifikasi}/{nomor}/{kode_unit}/{tahun}", "Penanda tidak dikenal: kode_unit."),
    ("{nomor}/{TAHUN}/{x}", "Penanda tidak dikenal: TAHUN, x."),
    ("{nomor}/{unit", "Pola nomor memuat kurung kurawal yang tidak berpasangan."),
    ("{nomor}}/{tahun}", "Pola nomor memuat kurung kurawal yang tidak berpasangan."),
])
def test_check_pattern_refusals(pattern, message):
    with pytest.raises(ValidationError) as caught:
        check_pattern(pattern)
    assert caught.value.errors == {"pattern": message}


@pytest.mark.parametrize("pattern", ["{klasifikasi}/{nomor}/{unit}/{tahun}", "{nomor}/{klasifikasi}/{tahun}",
                                     "{klasifikasi}/{nomor}/{unit}/{bulan_romawi}/{tahun}", "{nomor} TAHUN {tahun}",
                                     "800/{nomor}/{unit}/{bulan}.{tahun}"])
def test_check_pattern_accepts_the_patterns_in_use(pattern):
    check_pattern(pattern)


def test_the_default_patterns_are_seeded_once(ctx):
    rows = db.session.scalars(select(NumberPattern).order_by(NumberPattern.id)).all()
    assert [(p.jenis, p.unit_id, p.pattern, p.legal) for p in rows] == [
        (None, None, "{klasifikasi}/{nomor}/{unit}/{tahun}", False),
        ("surat_keputusan", None, "{nomor} TAHUN {tahun}", True),
        ("nota_dinas", None, "{klasifikasi}/{nomor}/{unit}/{bulan_romawi}/{tahun}", False)]
    assert seed_patterns() == 0


def test_an_sk_is_numbered_when_signed_and_printed_as_nomor_tahun(ctx, pki):
    add_pattern("{nomor} TAHUN {tahun}", jenis="surat_keputusan", legal=True)  # a second, equal rule is harmless
    number("surat_keputusan", "DINKES", on=date.today())  # the legal sequence is shared: the SK gets 2
    sk = content(jenis="surat_keputusan", perihal="Tim Koordinasi SPBE", body="",
                 menimbang=("bahwa untuk mempercepat penerapan SPBE perlu dibentuk tim koordinasi;",),
                 mengingat=("Peraturan Presiden Nomor 95 Tahun 2018 tentang SPBE;",),
                 diktum=("Membentuk Tim Koordinasi SPBE.", "Keputusan ini mulai berlaku pada tanggal ditetapkan."))
    draft_id = save(c=sk, r=routing(signer="bupati", reviewers=("kabag.umum", "sekda")))
    approve_all(draft_id)
    draft = prepare(pki, draft_id, signer="bupati")
    year = date.today().year
    assert draft.number == f"2 TAHUN {year}"
    page = pdf_text(file_store_for().read(draft.sign_document.source_file))
    assert f"NOMOR 2 TAHUN {year}" in page
    assert "Menimbang" in page and "Mengingat" in page and "MEMUTUSKAN" in page.upper()
