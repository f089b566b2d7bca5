"""Jinja globals and filters: domain labels, Indonesian dates, WIB times."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from sisumaker.models import JENIS, SIFAT, URGENSI
from sisumaker.models.dispositions import KIND_LABEL, STATUS_LABEL
from sisumaker.models.org import as_utc

WIB = ZoneInfo("Asia/Jakarta")
MONTHS_SHORT = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def short_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = as_wib(value).date()
    return f"{value.day} {MONTHS_SHORT[value.month - 1]} {value.year}"


def as_wib(value: datetime) -> datetime:
    return as_utc(value).astimezone(WIB)


def wib(value: datetime | None) -> str:
    if value is None:
        return "—"
    return as_wib(value).strftime("%d-%m-%Y %H:%M WIB")


def register(app: Flask) -> None:
    app.jinja_env.globals.update(SIFAT=SIFAT, URGENSI=URGENSI, JENIS=JENIS, STATUS_LABEL=STATUS_LABEL,
                                 KIND_LABEL=KIND_LABEL)
    app.jinja_env.filters["tgl"] = short_date
    app.jinja_env.filters["wib"] = wib
