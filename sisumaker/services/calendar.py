"""Working days: Saturday and Sunday are off, and so is every day in the holiday calendar (libur nasional and
cuti bersama, seeded from the SKB 3 Menteri and edited by admins). Every deadline is computed here."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import extract, select

from sisumaker.extensions import db
from sisumaker.models import HOLIDAY_KINDS, Holiday, User
from sisumaker.services import audit
from sisumaker.services.errors import NotFound, PermissionDenied, ValidationError

# SKB Menteri Agama, Menteri Ketenagakerjaan and Menteri PANRB Nomor 1497 Tahun 2025, Nomor 2 Tahun 2025 and
# Nomor 5 Tahun 2025 on the national holidays and cuti bersama of 2026 (17 libur nasional, 8 cuti bersama).
HOLIDAYS_2026: tuple[tuple[date, str, str], ...] = (
    (date(2026, 1, 1), "Tahun Baru 2026 Masehi", "libur_nasional"),
    (date(2026, 1, 16), "Isra Mikraj Nabi Muhammad SAW", "libur_nasional"),
    (date(2026, 2, 16), "Cuti bersama Tahun Baru Imlek 2577 Kongzili", "cuti_bersama"),
    (date(2026, 2, 17), "Tahun Baru Imlek 2577 Kongzili", "libur_nasional"),
    (date(2026, 3, 18), "Cuti bersama Hari Suci Nyepi (Tahun Baru Saka 1948)", "cuti_bersama"),
    (date(2026, 3, 19), "Hari Suci Nyepi (Tahun Baru Saka 1948)", "libur_nasional"),
    (date(2026, 3, 20), "Cuti bersama Idulfitri 1447 Hijriah", "cuti_bersama"),
    (date(2026, 3, 21), "Idulfitri 1447 Hijriah", "libur_nasional"),
    (date(2026, 3, 22), "Idulfitri 1447 Hijriah", "libur_nasional"),
    (date(2026, 3, 23), "Cuti bersama Idulfitri 1447 Hijriah", "cuti_bersama"),
    (date(2026, 3, 24), "Cuti bersama Idulfitri 1447 Hijriah", "cuti_bersama"),
    (date(2026, 4, 3), "Wafat Yesus Kristus", "libur_nasional"),
    (date(2026, 4, 5), "Kebangkitan Yesus Kristus (Paskah)", "libur_nasional"),
    (date(2026, 5, 1), "Hari Buruh Internasional", "libur_nasional"),
    (date(2026, 5, 14), "Kenaikan Yesus Kristus", "libur_nasional"),
    (date(2026, 5, 15), "Cuti bersama Kenaikan Yesus Kristus", "cuti_bersama"),
    (date(2026, 5, 27), "Iduladha 1447 Hijriah", "libur_nasional"),
    (date(2026, 5, 28), "Cuti bersama Iduladha 1447 Hijriah", "cuti_bersama"),
    (date(2026, 5, 31), "Hari Raya Waisak 2570 BE", "libur_nasional"),
    (date(2026, 6, 1), "Hari Lahir Pancasila", "libur_nasional"),
    (date(2026, 6, 16), "1 Muharam Tahun Baru Islam 1448 Hijriah", "libur_nasional"),
    (date(2026, 8, 17), "Proklamasi Kemerdekaan", "libur_nasional"),
    (date(2026, 8, 25), "Maulid Nabi Muhammad SAW", "libur_nasional"),
    (date(2026, 12, 24), "Cuti bersama Kelahiran Yesus Kristus", "cuti_bersama"),
    (date(2026, 12, 25), "Kelahiran Yesus Kristus", "libur_nasional"),
)
MAX_WORKING_DAYS = 365


class WorkCalendar:
    """The holidays, loaded one year at a time (one query per year touched) for one computation."""

    def __init__(self) -> None:
        self._years: dict[int, set[date]] = {}

    def holidays(self, year: int) -> set[date]:
        if year not in self._years:
            self._years[year] = set(db.session.scalars(select(Holiday.day).where(
                Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))))
        return self._years[year]

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays(day.year)

    def add_working_days(self, start: date, days: int) -> date:
        """The day `days` working days after `start` (start not counted); 0 gives start, or the next working
        day when start is a day off."""
        day = start
        if days <= 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return day
        while days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def previous_working_day(self, day: date) -> date:
        day -= timedelta(days=1)
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end is before start)."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def is_working_day(day: date) -> bool:
    return WorkCalendar().is_working_day(day)


def add_working_days(start: date, days: int) -> date:
    """Rule: a deadline of N hari kerja skips Saturdays, Sundays, national holidays and cuti bersama."""
    return WorkCalendar().add_working_days(start, days)


def working_days_between(start: date, end: date) -> int:
    return WorkCalendar().working_days_between(start, end)


def overdue_cutoff(today: date) -> date:
    """Rule: a deadline that falls on a day off is due on the next working day, so on `today` exactly the
    deadlines on or before the last working day before today are overdue (`deadline <= cutoff`)."""
    return WorkCalendar().previous_working_day(today)


def soon_cutoff(today: date, working_days: int) -> date:
    """Deadlines on or before this day are 'tenggat dekat': within `working_days` working days of today."""
    return WorkCalendar().add_working_days(today, working_days)


def seed_holidays() -> int:
    """Insert the seeded days that are not there yet; returns how many were added."""
    known = set(db.session.scalars(select(Holiday.day)))
    rows = [Holiday(day=d, name=n, kind=k) for d, n, k in HOLIDAYS_2026 if d not in known]
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)


def holidays_of_year(year: int) -> list[Holiday]:
    return list(db.session.scalars(select(Holiday).where(extract("year", Holiday.day) == year)
                                   .order_by(Holiday.day)))


def _require_admin(actor: User) -> None:
    if actor.role != "admin":
        raise PermissionDenied("Hanya administrator yang dapat mengubah kalender hari libur.")


def add_holiday(actor: User, day: date | None, name: str, kind: str) -> Holiday:
    """Rule: only an admin adds a day off; one entry per day; audited."""
    _require_admin(actor)
    name = (name or "").strip()
    errors = {}
    if day is None:
        errors["day"] = "Tanggal wajib diisi."
    if not name:
        errors["name"] = "Keterangan hari libur wajib diisi."
    elif len(name) > 200:
        errors["name"] = "Keterangan paling banyak 200 karakter."
    if kind not in HOLIDAY_KINDS:
        errors["kind"] = "Pilih jenis: libur nasional atau cuti bersama."
    if errors:
        raise ValidationError(errors)
    if db.session.get(Holiday, day) is not None:
        raise ValidationError({"day": "Tanggal ini sudah tercatat sebagai hari libur."})
    holiday = Holiday(day=day, name=name, kind=kind, created_by_id=actor.id)
    db.session.add(holiday)
    db.session.flush()
    audit.record(actor, "holiday.add", "holiday", day.isoformat(), {"name": name, "kind": kind})
    return holiday


def remove_holiday(actor: User, day: date) -> None:
    """Rule: only an admin removes a day off; audited with what was removed."""
    _require_admin(actor)
    holiday = db.session.get(Holiday, day)
    if holiday is None:
        raise NotFound("Hari libur tidak ditemukan.")
    detail = {"name": holiday.name, "kind": holiday.kind}
    db.session.delete(holiday)
    db.session.flush()
    audit.record(actor, "holiday.remove", "holiday", day.isoformat(), detail)

