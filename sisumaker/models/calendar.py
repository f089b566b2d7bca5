"""The holiday calendar: national holidays and cuti bersama that are not working days."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sisumaker.extensions import db
from sisumaker.models.org import utcnow

HOLIDAY_KINDS = {"libur_nasional": "Libur nasional", "cuti_bersama": "Cuti bersama"}


class Holiday(db.Model):
    """A day off for the whole regency (a weekday or not); Saturdays and Sundays are off without a row."""

    __tablename__ = "holiday"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (CheckConstraint(f"kind IN {tuple(HOLIDAY_KINDS)}", name="ck_holiday_kind"),)
