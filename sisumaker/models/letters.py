"""Letters, register entries (agenda numbers), stored files and classification codes."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, Time,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sisumaker.extensions import db
from sisumaker.models.org import Position, Unit, User, utcnow

SIFAT = {"B": "Biasa", "T": "Terbatas", "R": "Rahasia", "SR": "Sangat Rahasia"}
CONFIDENTIAL = ("R", "SR")
URGENSI = {"biasa": "Biasa", "segera": "Segera", "sangat_segera": "Sangat Segera"}
JENIS = {
    "nota_dinas": "Nota Dinas", "surat_dinas": "Surat Dinas", "surat_edaran": "Surat Edaran",
    "surat_keputusan": "Surat Keputusan", "surat_undangan": "Surat Undangan", "surat_tugas": "Surat Tugas",
    "surat_perintah": "Surat Perintah", "telaahan_staf": "Telaahan Staf", "berita_acara": "Berita Acara",
    "surat_keterangan": "Surat Keterangan", "surat_pengantar": "Surat Pengantar", "pengumuman": "Pengumuman",
}


class Classification(db.Model):
    """A kode klasifikasi arsip (Permendagri 83/2022) with its retention (JRA)."""

    __tablename__ = "classification"
    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    name: Mapped[str] = mapped_column(String(250))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("classification.code"))
    active_years: Mapped[int] = mapped_column(Integer, default=2)
    inactive_years: Mapped[int] = mapped_column(Integer, default=3)
    final_disposition: Mapped[str] = mapped_column(String(20), default="musnah")


class StoredFile(db.Model):
    """A file kept content-addressed (SHA-256) under instance/files; served only through a permission check."""

    __tablename__ = "stored_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(60))
    pages: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Letter(db.Model):
    """One letter whatever its direction; each receiving unit registers it in its own RegisterEntry."""

    __tablename__ = "letter"
    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(6), default="masuk")
    jenis: Mapped[str] = mapped_column(String(30))
    sender: Mapped[str] = mapped_column(String(250))
    number: Mapped[str] = mapped_column(String(120))
    letter_date: Mapped[date] = mapped_column(Date)
    perihal: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    sifat: Mapped[str] = mapped_column(String(2), default="B")
    urgensi: Mapped[str] = mapped_column(String(15), default="biasa")
    classification_code: Mapped[str | None] = mapped_column(ForeignKey("classification.code"))
    attachments: Mapped[int] = mapped_column(Integer, default=0)
    event_date: Mapped[date | None] = mapped_column(Date)
    event_time: Mapped[time | None] = mapped_column(Time)
    event_place: Mapped[str | None] = mapped_column(String(250))
    scan_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    scan: Mapped[StoredFile | None] = relationship()
    classification: Mapped[Classification | None] = relationship()
    addressees: Mapped[list["LetterAddressee"]] = relationship(back_populates="letter", order_by="LetterAddressee.id")
    entries: Mapped[list["RegisterEntry"]] = relationship(back_populates="letter")

    __table_args__ = (
        CheckConstraint(f"sifat IN {tuple(SIFAT)}", name="ck_letter_sifat"),
        CheckConstraint(f"urgensi IN {tuple(URGENSI)}", name="ck_letter_urgensi"),
        CheckConstraint("direction IN ('masuk', 'keluar')", name="ck_letter_direction"),
        Index("ix_letter_sifat", "sifat"),  # the few Rahasia letters, for the inbox's Rahasia count
    )

    @property
    def confidential(self) -> bool:
        return self.sifat in CONFIDENTIAL


class LetterAddressee(db.Model):
    """A position the letter is addressed to ("to") or copied to (tembusan, "cc")."""

    __tablename__ = "letter_addressee"
    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"), index=True)
    kind: Mapped[str] = mapped_column(String(2), default="to")

    letter: Mapped[Letter] = relationship(back_populates="addressees")
    position: Mapped[Position] = relationship()
    __table_args__ = (UniqueConstraint("letter_id", "position_id", name="uq_addressee"),
                      CheckConstraint("kind IN ('to', 'cc')", name="ck_addressee_kind"))


class AgendaCounter(db.Model):
    """The last agenda number used per unit and year; row-locked while a number is taken."""

    __tablename__ = "agenda_counter"
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class RegisterEntry(db.Model):
    """A line in a unit's buku agenda: gap-free number per unit and year, never reused; cancelling keeps it."""

    __tablename__ = "register_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    agenda_number: Mapped[int] = mapped_column(Integer)
    received_on: Mapped[date] = mapped_column(Date)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    origin: Mapped[str] = mapped_column(String(10), default="loket")  # loket (paper) or internal delivery
    status: Mapped[str] = mapped_column(String(12), default="aktif")
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    letter: Mapped[Letter] = relationship(back_populates="entries")
    unit: Mapped[Unit] = relationship()
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])

    __table_args__ = (
        UniqueConstraint("unit_id", "year", "agenda_number", name="uq_register_number"),
        CheckConstraint("status IN ('aktif', 'dibatalkan')", name="ck_register_status"),
        Index("ix_register_unit_received", "unit_id", "received_on", "id"),
        Index("ix_register_unit_letter", "unit_id", "letter_id"),  # a clerk's letters from the index: search
        # covers the adoption dashboard's register figures of a period, all units at once
        Index("ix_register_received", "received_on", "unit_id", "status", "origin", "letter_id"),
    )

    @property
    def agenda_label(self) -> str:
        return f"{self.agenda_number}/{self.year}"
