"""NIP validator: 18 digits = birth date (8), appointment year-month (6), gender (1), sequence (3)."""
from __future__ import annotations

from datetime import date

import pytest

from sisumaker.services.errors import ValidationError
from sisumaker.services.nip import parse_nip

TODAY = date(2026, 6, 15)

VALID = [
    # raw, birth date, appointed (year, month), gender, sequence
    ("198503152010011001", date(1985, 3, 15), (2010, 1), "L", 1),
    ("197212312000122999", date(1972, 12, 31), (2000, 12), "P", 999),
    ("19850315 201001 1 001", date(1985, 3, 15), (2010, 1), "L", 1),  # spaces as printed on SKs
    ("19850315.201001.2.042", date(1985, 3, 15), (2010, 1), "P", 42),
    ("200002292026061007", date(2000, 2, 29), (2026, 6), "L", 7),  # leap-day birth, appointed this month
    # TMT (appointment) is the 1st of the month: born 15 March 1990, 18 by 1 April 2008 (boundary)
    ("199003152008041001", date(1990, 3, 15), (2008, 4), "L", 1),
]

LENGTH = "NIP harus terdiri dari 18 angka."
INVALID = [
    pytest.param("19850315201001100", LENGTH, id="17-digits"),
    pytest.param("1985031520100110011", LENGTH, id="19-digits"),
    pytest.param("", LENGTH, id="empty"),
    pytest.param("19850315201001100A", LENGTH, id="non-digit"),
    pytest.param("１９８５０３１５２０１００１１００１", LENGTH, id="fullwidth-digits"),
    pytest.param("19850315²010011001", LENGTH, id="superscript-digit"),
    pytest.param("198502312010011001", "Tanggal lahir pada NIP (digit 1–8) bukan tanggal yang ada.", id="31-feb"),
    pytest.param("199002292010011001", "Tanggal lahir pada NIP (digit 1–8) bukan tanggal yang ada.",
                 id="29-feb-non-leap"),
    pytest.param("198513012010011001", "Tanggal lahir pada NIP (digit 1–8) bukan tanggal yang ada.",
                 id="birth-month-13"),
    pytest.param("193512012000011001", "Tahun lahir pada NIP tidak mungkin.", id="born-1935"),
    pytest.param("202701012000011001", "Tahun lahir pada NIP tidak mungkin.", id="born-in-future"),
    pytest.param("198503152010131001", "Bulan pengangkatan pada NIP (digit 13–14) harus 01–12.",
                 id="appointed-month-13"),
    pytest.param("198503152010001001", "Bulan pengangkatan pada NIP (digit 13–14) harus 01–12.",
                 id="appointed-month-00"),
    pytest.param("198503152026071001", "Tanggal pengangkatan pada NIP berada di masa depan.",
                 id="appointed-next-month"),
    pytest.param("198503152031011001", "Tanggal pengangkatan pada NIP berada di masa depan.",
                 id="appointed-in-2031"),
    pytest.param("199503152012011001",
                 "Menurut NIP, pegawai diangkat sebelum berusia 18 tahun; periksa kembali.", id="appointed-at-16"),
    pytest.param("199003152008031001",
                 "Menurut NIP, pegawai diangkat sebelum berusia 18 tahun; periksa kembali.",
                 id="tmt-1-march-turns-18-on-15-march"),
    pytest.param("194501012010011001",
                 "Menurut NIP, pegawai diangkat setelah usia 60 tahun; periksa kembali.", id="appointed-at-65"),
    pytest.param("198503152010013001",
                 "Digit ke-15 NIP (jenis kelamin) harus 1 (laki-laki) atau 2 (perempuan).", id="gender-3"),
    pytest.param("198503152010010001",
                 "Digit ke-15 NIP (jenis kelamin) harus 1 (laki-laki) atau 2 (perempuan).", id="gender-0"),
    pytest.param("198503152010011000", "Nomor urut pada NIP (digit 16–18) tidak boleh 000.", id="sequence-000"),
]


@pytest.mark.parametrize(("raw", "birth", "appointed", "gender", "sequence"), VALID)
def test_valid_nip_is_parsed(raw, birth, appointed, gender, sequence):
    nip = parse_nip(raw, today=TODAY)
    assert nip.value == raw.replace(" ", "").replace(".", "")
    assert len(nip.value) == 18
    assert nip.birth_date == birth
    assert nip.appointed == appointed
    assert nip.gender == gender
    assert nip.sequence == sequence


@pytest.mark.parametrize(("raw", "message"), INVALID)
def test_impossible_nip_is_refused_with_indonesian_message(raw, message):
    with pytest.raises(ValidationError) as caught:
        parse_nip(raw, today=TODAY)
    assert caught.value.errors == {"nip": message}
    assert caught.value.message == message
    assert caught.value.status == 422


def test_none_is_refused_like_an_empty_value():
    with pytest.raises(ValidationError) as caught:
        parse_nip(None, today=TODAY)  # type: ignore[arg-type]
    assert caught.value.errors == {"nip": LENGTH}


def test_today_defaults_to_the_real_date():
    """An appointment in the current month is accepted, next month's is not (no fixed clock in the code)."""
    today = date.today()
    this_month = f"19800101{today.year}{today.month:02d}1001"
    assert parse_nip(this_month).appointed == (today.year, today.month)
    nxt = (today.year + (today.month == 12), today.month % 12 + 1)
    with pytest.raises(ValidationError):
        parse_nip(f"19800101{nxt[0]}{nxt[1]:02d}1001")
