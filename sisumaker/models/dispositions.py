"""Inbox items (a letter in a position's inbox) forming the disposition tree, and notifications."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sisumaker.extensions import db
from sisumaker.models.letters import Letter, StoredFile
from sisumaker.models.org import Position, User, utcnow

INSTRUCTIONS = (
    "Untuk diketahui", "Untuk ditindaklanjuti", "Tanggapan dan saran", "Proses lebih lanjut", "Koordinasikan",
    "Pelajari", "Hadiri/wakili", "Mohon pendapat", "Siapkan jawaban", "Arsipkan",
)
STATUS_LABEL = {"diterima": "Diterima", "dibaca": "Dibaca", "diproses": "Diproses", "selesai": "Selesai",
                "ditarik": "Ditarik"}
KIND_LABEL = {"surat": "Surat", "tembusan": "Tembusan", "disposisi": "Disposisi"}


class InboxItem(db.Model):
    """A letter in one position's inbox: as addressee (kind surat/tembusan, a tree root) or as a disposition
    (kind disposisi, child of the item it was disposed from). Status: diterima → dibaca → diproses → selesai,
    or ditarik when the sender recalls it while unread."""

    __tablename__ = "inbox_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"))
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"))
    kind: Mapped[str] = mapped_column(String(10))
    # The letter's sifat is Rahasia/Sangat Rahasia (sifat never changes after registration): copied here so the
    # inbox's Rahasia count reads one index instead of joining every item of a busy position to its letter.
    confidential: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_item.id"))
    batch: Mapped[str | None] = mapped_column(String(32))
    from_position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"))
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    instructions: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of instruction labels
    note: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="diterima")
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    report: Mapped[str] = mapped_column(Text, default="")
    report_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    recalled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    letter: Mapped[Letter] = relationship()
    position: Mapped[Position] = relationship(foreign_keys=[position_id])
    from_position: Mapped[Position | None] = relationship(foreign_keys=[from_position_id])
    from_user: Mapped[User | None] = relationship(foreign_keys=[from_user_id])
    read_by: Mapped[User | None] = relationship(foreign_keys=[read_by_id])
    report_file: Mapped[StoredFile | None] = relationship()
    parent: Mapped["InboxItem | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["InboxItem"]] = relationship(back_populates="parent", order_by="InboxItem.id")

    __table_args__ = (
        CheckConstraint("kind IN ('surat', 'tembusan', 'disposisi')", name="ck_item_kind"),
        CheckConstraint("status IN ('diterima', 'dibaca', 'diproses', 'selesai', 'ditarik')", name="ck_item_status"),
        Index("ix_item_position_received", "position_id", "received_at"),
        # covers inbox_counts: the filter counts of a position read the index only
        Index("ix_item_position_status", "position_id", "status", "kind", "confidential", "deadline"),
        Index("ix_item_letter", "letter_id"),
        # an item's children, oldest first: the dashboard's first-disposition time is one seek per item
        Index("ix_item_parent_received", "parent_id", "received_at"),
        # a position's items and letters (to it, not recalled; from it) read from the index alone: search's
        # visible set (the id too: PostgreSQL's indexes do not carry the row id as SQLite's do)
        Index("ix_item_position_visible", "position_id", "status", "letter_id", "id"),
        Index("ix_item_from_position_visible", "from_position_id", "letter_id", "id"),
        # covers the adoption dashboard's period figures (dispositions, circulars, read times) by kind and time
        Index("ix_item_kind_received", "kind", "received_at", "position_id", "status", "letter_id", "deadline",
              "read_at"),
    )


class Notification(db.Model):
    """A bell entry for a position (new letter, disposition, report, reminder); read when a holder opens it."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_item.id"))
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    item: Mapped[InboxItem | None] = relationship()
    __table_args__ = (Index("ix_notification_position_unread", "position_id", "read_at"),)
