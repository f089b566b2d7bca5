"""Indonesian date and time formatting for official documents.

Pure functions, no locale dependency: the month and weekday names are spelled
out here so the output never depends on the server's ``LC_TIME``.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "BULAN",
    "HARI",
    "WIB",
    "bulan_romawi",
    "hari_tanggal_id",
    "tanggal_id",
    "tanggal_singkat",
    "waktu_wib",
]

#: Asia/Jakarta, the zone of Western Indonesia Time (WIB, UTC+7, no DST).
WIB = ZoneInfo("Asia/Jakarta")

#: Month names, index 1..12 (index 0 unused).
BULAN: tuple[str, ...] = (
    "",
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

#: Weekday names, index 0 = Monday (as ``date.weekday()``).
HARI: tuple[str, ...] = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")

_ROMAWI: tuple[str, ...] = (
    "",
    "I",
    "II",
    "III",
    "IV",
    "V",
    "VI",
    "VII",
    "VIII",
    "IX",
    "X",
    "XI",
    "XII",
)


def _as_date(value: date) -> date:
    """Return the calendar date of ``value``; aware datetimes are taken in WIB."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(WIB)
        return value.date()
    return value


def tanggal_id(value: date) -> str:
    """Format a date the Indonesian way: ``"22 November 2026"``.

    An aware ``datetime`` is first converted to WIB, so a timestamp late in the
    UTC evening gets the Jakarta calendar day.
    """
    d = _as_date(value)
    return f"{d.day} {BULAN[d.month]} {d.year}"


def hari_tanggal_id(value: date) -> str:
    """Format with the weekday: ``"Kamis, 26 November 2026"``."""
    d = _as_date(value)
    return f"{HARI[d.weekday()]}, {tanggal_id(d)}"


def tanggal_singkat(value: date) -> str:
    """Compact numeric date for table cells: ``"26-11-2026"``."""
    d = _as_date(value)
    return f"{d.day:02d}-{d.month:02d}-{d.year}"


def bulan_romawi(month: int) -> str:
    """Return the month in Roman numerals (``11 -> "XI"``), as used in letter numbers.

    Raises ``ValueError`` for a month outside 1..12.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"bulan harus 1..12, bukan {month!r}")
    return _ROMAWI[month]


def waktu_wib(value: datetime) -> str:
    """Format an aware datetime in Jakarta time: ``"26-11-2026 10:15 WIB"``.

    Raises ``ValueError`` for a naive datetime: guessing its zone would silently
    shift official timestamps by hours.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("waktu_wib membutuhkan datetime yang memiliki zona waktu")
    local = value.astimezone(WIB)
    return f"{tanggal_singkat(local)} {local.hour:02d}:{local.minute:02d} WIB"
