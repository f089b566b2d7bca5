"""Organisation: units (a tree), positions (the command tree), users (ASN) and acting assignments."""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Boolean, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from sisumaker.extensions import db

UNIT_KINDS = (
    "pemkab", "setda", "asisten", "bagian", "badan", "dinas", "lembaga", "sekretariat", "bidang",
    "subbag", "seksi", "tim", "kecamatan", "kelurahan", "desa",
)
ROLES = ("admin", "agendaris", "pejabat", "staf")
ACTING_KINDS = ("plt", "plh")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime: SQLite hands back DateTime(timezone=True) columns naive, but they hold UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class Unit(db.Model):
    """An organisational unit; `parent` makes the tree Pemkab → OPD → bidang → seksi."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(60), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    closed_on: Mapped[date | None] = mapped_column(Date)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Unit"]] = relationship(back_populates="parent")
    positions: Mapped[list["Position"]] = relationship(back_populates="unit")

    __table_args__ = (CheckConstraint(f"kind IN {UNIT_KINDS}", name="ck_unit_kind"),)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Position(db.Model):
    """A jabatan. Mail is addressed to positions; `parent` (atasan) forms the command tree."""

    __tablename__ = "position"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"), index=True)
    title: Mapped[str] = mapped_column(String(250))
    echelon: Mapped[str | None] = mapped_column(String(10))
    is_unit_head: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_on: Mapped[date | None] = mapped_column(Date)

    unit: Mapped[Unit] = relationship(back_populates="positions")
    parent: Mapped["Position | None"] = relationship(remote_side=[id], back_populates="subordinates")
    subordinates: Mapped[list["Position"]] = relationship(back_populates="parent")
    holders: Mapped[list["User"]] = relationship(back_populates="position")

    def __repr__(self) -> str:
        return f"<Position {self.id} {self.title}>"


class User(UserMixin, db.Model):
    """An account. An ASN holds one position (definitif); acting posts come from ActingAssignment."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str | None] = mapped_column(String(18), unique=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="staf")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password or privilege change: every older session stops being valid.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    position: Mapped[Position | None] = relationship(back_populates="holders")
    acting: Mapped[list["ActingAssignment"]] = relationship(
        back_populates="user", foreign_keys="ActingAssignment.user_id"
    )

    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="ck_user_role"),)

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot log in
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


# A change of any of these ends the user's older sessions (a session names the version it was made under).
PRIVILEGE_ATTRIBUTES = ("role", "position", "position_id", "is_enabled", "password_hash")


@event.listens_for(Session, "before_flush")
def _bump_session_version(session, _flush_context, _instances) -> None:
    """Rule: a change of role, position, enablement or password bumps `session_version` (once per flush, unless
    the caller already did), so sessions made under the old privileges stop being valid, whoever changed it."""
    for obj in session.dirty:
        if not isinstance(obj, User):
            continue
        state = inspect(obj)
        if state.attrs.session_version.history.has_changes():
            continue
        if any(state.attrs[name].history.has_changes() for name in PRIVILEGE_ATTRIBUTES):
            obj.session_version = (obj.session_version or 1) + 1


class ActingAssignment(db.Model):
    """Plt/Plh: a user acts in another position from `starts_on` to `ends_on` inclusive, by a decree."""

    __tablename__ = "acting_assignment"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"))
    kind: Mapped[str] = mapped_column(String(3))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    decree_number: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="acting", foreign_keys=[user_id])
    position: Mapped[Position] = relationship()

    __table_args__ = (
        CheckConstraint(f"kind IN {ACTING_KINDS}", name="ck_acting_kind"),
        CheckConstraint("ends_on >= starts_on", name="ck_acting_range"),
        Index("ix_acting_user_dates", "user_id", "starts_on", "ends_on"),
    )
