"""Snapshots of the adoption dashboard: the figures of one period, computed by the worker, read by the page."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sisumaker.extensions import db


class DashboardSnapshot(db.Model):
    """Every OPD's figures and the regency's for one period, as of `computed_at` (JSON in `figures`; None until
    first computed). `requested_at` newer than `computed_at` means a computation is queued or running;
    `viewed_at` tells the scheduler which periods people look at."""

    __tablename__ = "dashboard_snapshot"
    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    figures: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    computed_for: Mapped[date | None] = mapped_column(Date)  # the "today" of the overdue count
    seconds: Mapped[float | None] = mapped_column(Float)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    viewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("period_start", "period_end", name="uq_dashboard_snapshot_period"),
                      Index("ix_dashboard_snapshot_viewed", "viewed_at"))
