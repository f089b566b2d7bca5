"""The admin's rules for accounts: search, create, assign or move to a position (the mailbox stays with the
position), reset the password (old sessions end), disable and enable."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from sisumaker.extensions import db
from sisumaker.models import Position, Unit, User
from sisumaker.services import audit, auth
from sisumaker.services.errors import NotFound, ValidationError
from sisumaker.services.org import check_new_user, create_user, require_admin

ROLE_LABELS = {"admin": "Admin", "agendaris": "Agendaris (petugas TU)", "pejabat": "Pejabat", "staf": "Staf"}
PAGE_SIZE = 50
# No 0/O, 1/l/I: a temporary password is read aloud over the phone or copied from a screen.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def temporary_password(length: int = 14) -> str:
    """A random password for a reset, satisfying the password rule (at least 10 characters)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Pengguna tidak ditemukan.")
    return user


def search_users(actor: User, query: str = "", page: int = 1) -> tuple[list[User], bool]:
    """Accounts whose username, name or NIP contain every word of the query; PAGE_SIZE per page."""
    require_admin(actor)
    stmt = select(User).options(joinedload(User.position).joinedload(Position.unit))
    for word in (query or "").lower().split()[:5]:
        stmt = stmt.where(or_(func.lower(User.username).contains(word), func.lower(User.full_name).contains(word),
                              User.nip.contains(word)))
    page = max(1, page)
    rows = list(db.session.scalars(stmt.order_by(User.username).offset((page - 1) * PAGE_SIZE)
                                   .limit(PAGE_SIZE + 1)).unique())
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def position_choices(query: str, limit: int = 30) -> list[Position]:
    """Open positions whose title or unit contains every word (for choosing a user's position)."""
    words = (query or "").lower().split()[:5]
    if not words:
        return []
    stmt = select(Position).join(Unit).options(joinedload(Position.unit)).where(Position.closed_on.is_(None))
    for w in words:
        stmt = stmt.where(or_(func.lower(Position.title).contains(w), func.lower(Unit.name).contains(w),
                              func.lower(Unit.code).contains(w)))
    return list(db.session.scalars(stmt.order_by(Position.title).limit(limit)))


def is_structural(position: Position) -> bool:
    """A head or echelon post has one holder; a staff post (pelaksana/fungsional) may have several."""
    return bool(position.is_unit_head or position.echelon)


def _check_position(position: Position | None, user: User | None, errors: dict[str, str]) -> None:
    if position is None:
        errors["position_id"] = "Pilih jabatan yang ada."
        return
    if position.closed_on is not None:
        errors["position_id"] = "Jabatan itu sudah ditutup."
        return
    if is_structural(position):
        other = db.session.scalar(select(User.username).where(
            User.position_id == position.id, User.is_enabled.is_(True), User.id != (user.id if user else 0)))
        if other:
            errors["position_id"] = (f"Jabatan struktural ini masih dipegang oleh {other}; pindahkan atau "
                                     "nonaktifkan pemegangnya terlebih dahulu.")


@dataclass(frozen=True)
class NewAccount:
    username: str
    full_name: str
    role: str
    nip: str = ""
    email: str = ""
    position_id: int | None = None
    password: str = ""  # empty: a temporary password is generated and shown once


def create_account(actor: User, data: NewAccount) -> tuple[User, str | None]:
    """Rule: an admin creates an account with a valid NIP (services/nip.py), a known role, an open position
    (a structural one only when vacant) and a password of at least 10 characters, or a generated one that is
    returned once and never stored in clear. Returns (user, generated password or None)."""
    require_admin(actor)
    errors: dict[str, str] = {}
    email = (data.email or "").strip()
    if email and (len(email) > 200 or not _EMAIL.match(email)):
        errors["email"] = "Alamat surel tidak valid."
    position = db.session.get(Position, data.position_id) if data.position_id else None
    if data.position_id or data.role != "admin":
        _check_position(position, None, errors)
    generated = None if data.password else temporary_password()
    field_errors, _nip = check_new_user(username=data.username, full_name=data.full_name, role=data.role,
                                        password=data.password or generated, nip=(data.nip or "").strip() or None)
    errors = {**field_errors, **errors}
    if errors:
        raise ValidationError(errors)
    user = create_user(actor, username=data.username, full_name=data.full_name, password=data.password or generated,
                       role=data.role, nip=(data.nip or "").strip() or None, position=position, email=email or None)
    return user, generated


def assign_position(actor: User, user: User, position_id: int | None) -> None:
    """Rule: moving an official (mutasi) changes only which position they hold. Inbox items, dispositions and
    drafts belong to positions, so the old inbox stays with the old position (for its next holder or Plt) and the
    user sees the new position's inbox from the next request. A structural post must be vacant."""
    require_admin(actor)
    errors: dict[str, str] = {}
    position = db.session.get(Position, position_id) if position_id else None
    _check_position(position, user, errors)
    if not errors and position.id == user.position_id:
        errors["position_id"] = "Pengguna sudah memegang jabatan itu."
    if errors:
        raise ValidationError(errors)
    old = user.position
    user.position = position
    db.session.flush()
    audit.record(actor, "user.assign", "user", user.id,
                 {"username": user.username, "from": old.id if old else None, "to": position.id,
                  "title": position.title})


def reset_password(actor: User, user: User, new_password: str = "") -> str | None:
    """Rule: an admin sets a password by the password rule, or lets the system generate a temporary one that is
    shown once; either way the session version is bumped so every older session of the user ends."""
    require_admin(actor)
    generated = None if new_password else temporary_password()
    auth.change_password(actor, user, new_password or generated)  # checks length, bumps session_version, audits
    return generated


def set_enabled(actor: User, user: User, enabled: bool) -> None:
    """Rule: a disabled account cannot log in and its sessions end at once (session version bumped); an admin
    cannot disable their own account, so the regency is never left without an admin by accident."""
    require_admin(actor)
    if user.is_enabled == enabled:
        raise ValidationError("Akun sudah " + ("aktif." if enabled else "nonaktif."))
    if not enabled and user.id == actor.id:
        raise ValidationError("Anda tidak dapat menonaktifkan akun Anda sendiri.")
    user.is_enabled = enabled
    user.session_version += 1
    db.session.flush()
    audit.record(actor, "user.enable" if enabled else "user.disable", "user", user.id, {"username": user.username})


__all__ = ["ROLE_LABELS", "NewAccount", "create_account", "assign_position", "reset_password",
           "set_enabled", "search_users", "position_choices", "get_user", "temporary_password"]
