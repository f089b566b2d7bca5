"""Electronic signatures: officials' certificates, documents to sign, signature requests and batches."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary,
                        String, Text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sisumaker.extensions import db
from sisumaker.models.letters import StoredFile
from sisumaker.models.org import Position, User, utcnow

REQUEST_STATES = ("pending", "queued", "signing", "signed", "failed")
DOC_STATES = ("menunggu", "ditandatangani", "dicabut", "diganti")


class Certificate(db.Model):
    """An official's signing certificate. The private key exists only inside `pkcs12`, encrypted (AES-256)
    under the official's passphrase, which the server never stores."""

    __tablename__ = "certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    issuer: Mapped[str] = mapped_column(String(300))
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cert_pem: Mapped[str] = mapped_column(Text)
    pkcs12: Mapped[bytes] = mapped_column(LargeBinary)
    origin: Mapped[str] = mapped_column(String(10), default="regency")  # regency CA or imported
    status: Mapped[str] = mapped_column(String(10), default="aktif")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoke_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()
    __table_args__ = (CheckConstraint("status IN ('aktif', 'dicabut')", name="ck_certificate_status"),)


class SignDocument(db.Model):
    """A document that will carry electronic signatures; its verification token exists before signing."""

    __tablename__ = "sign_document"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    code: Mapped[str] = mapped_column(String(12))  # short verification code printed in the stamp
    title: Mapped[str] = mapped_column(String(500))
    jenis: Mapped[str] = mapped_column(String(30))
    number: Mapped[str | None] = mapped_column(String(120))
    doc_date: Mapped[date | None] = mapped_column(Date)
    sifat: Mapped[str] = mapped_column(String(2), default="B")
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letter.id"))
    drafter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    source_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    current_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))  # newest (partly) signed PDF
    status: Mapped[str] = mapped_column(String(15), default="menunggu")
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    legal_note: Mapped[str | None] = mapped_column(String(500))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("sign_document.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    drafter: Mapped[User] = relationship(foreign_keys=[drafter_id])
    source_file: Mapped[StoredFile] = relationship(foreign_keys=[source_file_id])
    current_file: Mapped[StoredFile] = relationship(foreign_keys=[current_file_id])
    replaced_by: Mapped["SignDocument | None"] = relationship(remote_side=[id])
    requests: Mapped[list["SignatureRequest"]] = relationship(back_populates="document",
                                                              order_by="SignatureRequest.step")
    __table_args__ = (CheckConstraint(f"status IN {DOC_STATES}", name="ck_sign_document_status"),)


class SignBatch(db.Model):
    """One passphrase entry by one official for many requests; the worker signs them in one job."""

    __tablename__ = "sign_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(43), unique=True)  # names the encrypted passphrase in the queue store
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))  # None when BSrE signs
    backend: Mapped[str] = mapped_column(String(10), default="regency", server_default="regency")
    total: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float | None] = mapped_column(Float)

    user: Mapped[User] = relationship()
    certificate: Mapped[Certificate | None] = relationship()
    __table_args__ = (CheckConstraint("backend IN ('regency', 'bsre')", name="ck_sign_batch_backend"),)


class SignatureRequest(db.Model):
    """One signature on a document, in order: paraf steps, then the final signature (which locks it).
    State: pending → queued → signing → signed | failed; a job that finds it signed does nothing."""

    __tablename__ = "signature_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("sign_document.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(5))  # paraf | ttd
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"), index=True)
    capacity_prefix: Mapped[str] = mapped_column(String(60), default="")  # "", "a.n. Bupati", "Plt.", "Plh."
    stamp_page: Mapped[int] = mapped_column(Integer, default=-1)  # -1: last page
    stamp_x: Mapped[float] = mapped_column(Float, default=340.0)
    stamp_y: Mapped[float] = mapped_column(Float, default=90.0)
    stamp_w: Mapped[float] = mapped_column(Float, default=200.0)
    stamp_h: Mapped[float] = mapped_column(Float, default=80.0)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("sign_batch.id"), index=True)
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signer_title: Mapped[str | None] = mapped_column(String(300))
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    signed_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    backend: Mapped[str | None] = mapped_column(String(10))  # who signed (or will): regency | bsre

    document: Mapped[SignDocument] = relationship(back_populates="requests")
    position: Mapped[Position] = relationship()
    batch: Mapped[SignBatch | None] = relationship()
    signer: Mapped[User | None] = relationship(foreign_keys=[signer_id])
    __table_args__ = (
        CheckConstraint(f"status IN {REQUEST_STATES}", name="ck_signature_request_status"),
        CheckConstraint("role IN ('paraf', 'ttd')", name="ck_signature_request_role"),
        Index("ix_signature_request_position_status", "position_id", "status"),
    )


class OfficialSigning(db.Model):
    """How an official signs: through the regency CA (default, no row needed) or through BSrE with their NIK
    (16 digits) or the e-mail registered at BSrE. Set by the admin; the passphrase is never stored."""

    __tablename__ = "official_signing"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    backend: Mapped[str] = mapped_column(String(10), default="regency")
    nik: Mapped[str | None] = mapped_column(String(16))
    bsre_email: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    __table_args__ = (CheckConstraint("backend IN ('regency', 'bsre')", name="ck_official_signing_backend"),)
