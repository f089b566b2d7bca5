"""Outgoing letters: drafts with versions and a review chain, number patterns and counters, recipient groups."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sisumaker.extensions import db
from sisumaker.models.letters import Letter
from sisumaker.models.org import Position, Unit, User, utcnow
from sisumaker.models.signing import SignDocument

DRAFT_STATES = ("konsep", "review", "dikembalikan", "siap", "ditandatangani", "terkirim")
CAPACITIES = ("definitif", "an", "plt", "plh")


class Draft(db.Model):
    """A letter being written. Its content lives in versions; the review chain decides when it is ready."""

    __tablename__ = "draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    jenis: Mapped[str] = mapped_column(String(30))
    perihal: Mapped[str] = mapped_column(String(500))
    sifat: Mapped[str] = mapped_column(String(2), default="B")
    urgensi: Mapped[str] = mapped_column(String(15), default="biasa")
    classification_code: Mapped[str | None] = mapped_column(ForeignKey("classification.code"))
    drafter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    drafter_position_id: Mapped[int] = mapped_column(ForeignKey("position.id"))
    signer_position_id: Mapped[int] = mapped_column(ForeignKey("position.id"), index=True)
    signer_capacity: Mapped[str] = mapped_column(String(10), default="definitif")
    on_behalf_position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"))
    status: Mapped[str] = mapped_column(String(15), default="konsep")
    version: Mapped[int] = mapped_column(Integer, default=1)
    waiting_since: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    group_key: Mapped[str | None] = mapped_column(String(60))  # broadcast group(s), comma separated
    number: Mapped[str | None] = mapped_column(String(120))
    number_date: Mapped[date | None] = mapped_column(Date)
    sign_document_id: Mapped[int | None] = mapped_column(ForeignKey("sign_document.id"))
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letter.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    drafter: Mapped[User] = relationship(foreign_keys=[drafter_id])
    signer_position: Mapped[Position] = relationship(foreign_keys=[signer_position_id])
    on_behalf_position: Mapped[Position | None] = relationship(foreign_keys=[on_behalf_position_id])
    sign_document: Mapped[SignDocument | None] = relationship()
    letter: Mapped[Letter | None] = relationship()
    steps: Mapped[list["ReviewStep"]] = relationship(back_populates="draft", order_by="ReviewStep.step")
    versions: Mapped[list["DraftVersion"]] = relationship(back_populates="draft", order_by="DraftVersion.version")
    recipients: Mapped[list["DraftRecipient"]] = relationship(back_populates="draft", order_by="DraftRecipient.id")

    __table_args__ = (
        CheckConstraint(f"status IN {DRAFT_STATES}", name="ck_draft_status"),
        CheckConstraint(f"signer_capacity IN {CAPACITIES}", name="ck_draft_capacity"),
    )


class DraftVersion(db.Model):
    """Every saved content of a draft is kept (JSON of the fields that reach the page)."""

    __tablename__ = "draft_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    draft: Mapped[Draft] = relationship(back_populates="versions")
    author: Mapped[User] = relationship()
    __table_args__ = (UniqueConstraint("draft_id", "version", name="uq_draft_version"),)


class ReviewStep(db.Model):
    """One reviewer (paraf) in order; the signer is not a step (they sign)."""

    __tablename__ = "review_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="menunggu")
    acted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    seen_version: Mapped[int] = mapped_column(Integer, default=0)

    draft: Mapped[Draft] = relationship(back_populates="steps")
    position: Mapped[Position] = relationship()
    acted_by: Mapped[User | None] = relationship()
    __table_args__ = (CheckConstraint("status IN ('menunggu', 'disetujui', 'dikembalikan')", name="ck_review_status"),)


class DraftRecipient(db.Model):
    """An internal position (to / tembusan) or an external addressee line."""

    __tablename__ = "draft_recipient"
    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    kind: Mapped[str] = mapped_column(String(2), default="to")  # to | cc
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"))
    external: Mapped[str | None] = mapped_column(String(250))

    draft: Mapped[Draft] = relationship(back_populates="recipients")
    position: Mapped[Position | None] = relationship()


class NumberPattern(db.Model):
    """How letter numbers look, per jenis naskah and (optionally) signing unit; `legal` numbers SK by the legal
    section's sequence. Placeholders: {klasifikasi} {nomor} {unit} {bulan} {bulan_romawi} {tahun}."""

    __tablename__ = "number_pattern"
    id: Mapped[int] = mapped_column(primary_key=True)
    jenis: Mapped[str | None] = mapped_column(String(30))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    pattern: Mapped[str] = mapped_column(String(120))
    legal: Mapped[bool] = mapped_column(Boolean, default=False)

    unit: Mapped[Unit | None] = relationship()


class NumberCounter(db.Model):
    """Last number used per sequence scope and year (yearly reset); incremented in the signing transaction."""

    __tablename__ = "number_counter"
    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class RecipientGroup(db.Model):
    """A saved custom list of units for broadcasts (the built-in groups are computed)."""

    __tablename__ = "recipient_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    members: Mapped[list["RecipientGroupMember"]] = relationship(back_populates="group")


class RecipientGroupMember(db.Model):
    __tablename__ = "recipient_group_member"
    group_id: Mapped[int] = mapped_column(ForeignKey("recipient_group.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    group: Mapped[RecipientGroup] = relationship(back_populates="members")
    unit: Mapped[Unit] = relationship()


__all__ = ["Draft", "DraftVersion", "ReviewStep", "DraftRecipient", "NumberPattern", "NumberCounter",
           "RecipientGroup", "RecipientGroupMember"]
