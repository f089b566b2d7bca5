"""Indonesian date formatting: tanggal_id, hari_tanggal_id, bulan_romawi, waktu_wib."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from sisumaker.documents.dates import (
    BULAN,
    bulan_romawi,
    hari_tanggal_id,
    tanggal_id,
    tanggal_singkat,
    waktu_wib,
)


def test_tanggal_id_spells_the_month() -> None:
    assert tanggal_id(date(2026, 11, 22)) == "22 November 2026"
    assert tanggal_id(date(2027, 1, 1)) == "1 Januari 2027"
    assert [tanggal_id(date(2026, m, 5)).split()[1] for m in range(1, 13)] == list(BULAN[1:])
    assert BULAN[5] == "Mei" and BULAN[8] == "Agustus" and BULAN[12] == "Desember"


def test_tanggal_id_takes_aware_datetimes_in_jakarta_time() -> None:
    late_utc = datetime(2026, 11, 21, 18, 30, tzinfo=timezone.utc)  # 01:30 WIB on the 22nd
    assert tanggal_id(late_utc) == "22 November 2026"
    assert tanggal_id(datetime(2026, 11, 21, 23, 0)) == "21 November 2026"  # naive: as is


def test_hari_tanggal_id_names_the_weekday() -> None:
    assert hari_tanggal_id(date(2026, 11, 26)) == "Kamis, 26 November 2026"
    week = [hari_tanggal_id(date(2026, 11, 23) + timedelta(days=i)).split(",")[0] for i in range(7)]
    assert week == ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def test_bulan_romawi() -> None:
    expected = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
    assert [bulan_romawi(m) for m in range(1, 13)] == expected
    for bad in (0, 13, -1):
        with pytest.raises(ValueError):
            bulan_romawi(bad)


def test_waktu_wib_converts_to_asia_jakarta() -> None:
    assert waktu_wib(datetime(2026, 11, 26, 3, 15, tzinfo=timezone.utc)) == "26-11-2026 10:15 WIB"
    # Crossing midnight and from another offset (WITA, UTC+8).
    assert waktu_wib(datetime(2026, 12, 31, 20, 5, tzinfo=timezone.utc)) == "01-01-2027 03:05 WIB"
    wita = timezone(timedelta(hours=8))
    assert waktu_wib(datetime(2026, 11, 26, 11, 15, tzinfo=wita)) == "26-11-2026 10:15 WIB"


def test_waktu_wib_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        waktu_wib(datetime(2026, 11, 26, 10, 15))


def test_tanggal_singkat() -> None:
    assert tanggal_singkat(date(2026, 3, 7)) == "07-03-2026"
