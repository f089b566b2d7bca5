"""Change counters of what a list page shows: a cached page is served only while its counters are unchanged."""
from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sisumaker.extensions import db

# scope of a counter: what its key names
VERSION_SCOPES = {
    "pos": "a position's mailbox: its inbox items and bell notifications",
    "unit": "a registering unit's buku agenda",
    "all": "everything every list shows (titles, acting posts, the holiday calendar); key 0",
}


class PageVersion(db.Model):
    """One counter per (scope, key), bumped in the same transaction as the change it stands for."""

    __tablename__ = "page_version"
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
