"""The organisation rules everything else relies on: who acts for which position today, and command subtrees."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from sisumaker.extensions import db
from sisumaker.models import ROLES, ActingAssignment, Position, User
from sisumaker.services import audit
from sisumaker.services.errors import PermissionDenied, ValidationError
from sisumaker.services.nip import parse_nip

CAPACITY_LABEL = {"definitif": "Definitif", "plt": "Plt.", "plh": "Plh."}


@dataclass(frozen=True)
class ActingPosition:
    """A position a user may act for on a given day, and in which capacity (definitif, plt, plh)."""

    position: Position
    capacity: str
    assignment: ActingAssignment | None = None

    @property
    def label(self) -> str:
        prefix = "" if self.capacity == "definitif" else CAPACITY_LABEL[self.capacity] + " "
        return prefix + self.position.title


def acting_positions(user: User, on: date | None = None) -> list[ActingPosition]:
    """Rule: a user acts for the position they hold, plus every Plt/Plh post whose date range covers `on`."""
    on = on or date.today()
    result: list[ActingPosition] = []
    if user.position is not None and user.position.closed_on is None:
        result.append(ActingPosition(user.position, "definitif"))
    rows = db.session.scalars(
        select(ActingAssignment)
        .where(ActingAssignment.user_id == user.id, ActingAssignment.starts_on <= on, ActingAssignment.ends_on >= on)
        .order_by(ActingAssignment.starts_on)
    )
    seen = {ap.position.id for ap in result}
    for assignment in rows:
        if assignment.position_id not in seen and assignment.position.closed_on is None:
            seen.add(assignment.position_id)
            result.append(ActingPosition(assignment.position, assignment.kind, assignment))
    return result


def acting_position_ids(user: User, on: date | None = None) -> set[int]:
    return {ap.position.id for ap in acting_positions(user, on)}


_ANCESTORS = text(
    """
    WITH RECURSIVE up(id, parent_id, depth) AS (
        SELECT id, parent_id, 0 FROM position WHERE id = :start
        UNION ALL
        SELECT p.id, p.parent_id, up.depth + 1 FROM position p JOIN up ON p.id = up.parent_id WHERE up.depth < 50
    )
    SELECT id FROM up
    """
)
_DESCENDANTS = text(
    """
    WITH RECURSIVE down(id, depth) AS (
        SELECT id, 0 FROM position WHERE id = :start
        UNION ALL
        SELECT p.id, down.depth + 1 FROM position p JOIN down ON p.parent_id = down.id WHERE down.depth < 50
    )
    SELECT id FROM down
    """
)


def in_command_subtree(position_id: int, root_id: int) -> bool:
    """Rule: P lies in Q's command subtree when Q is P itself or one of P's superiors (atasan, transitively)."""
    ancestors = db.session.execute(_ANCESTORS, {"start": position_id}).scalars().all()
    return root_id in ancestors


def is_subordinate(position_id: int, superior_id: int) -> bool:
    """Rule: a strict subordinate — inside the subtree and not the position itself."""
    return position_id != superior_id and in_command_subtree(position_id, superior_id)


def command_subtree_ids(root_id: int) -> set[int]:
    """Every position in Q's command subtree, Q included."""
    return set(db.session.execute(_DESCENDANTS, {"start": root_id}).scalars())


def unit_subtree_ids(unit_id: int) -> list[int]:
    """The unit and every unit below it (the tree is small: one query, walked in Python)."""
    from sisumaker.models import Unit

    children: dict[int | None, list[int]] = {}
    for uid, parent in db.session.execute(select(Unit.id, Unit.parent_id)):
        children.setdefault(parent, []).append(uid)
    out, stack = [], [unit_id]
    while stack:
        uid = stack.pop()
        out.append(uid)
        stack.extend(children.get(uid, ()))
    return out


def chain_of_command(position_id: int) -> list[Position]:
    """The position and its superiors up to the head of the regency, nearest first."""
    ids = db.session.execute(_ANCESTORS, {"start": position_id}).scalars().all()
    by_id = {p.id: p for p in db.session.scalars(select(Position).where(Position.id.in_(ids)))}
    return [by_id[i] for i in ids]


def require_admin(actor: User) -> None:
    if actor.role != "admin":
        raise PermissionDenied("Hanya admin yang dapat mengelola pengguna dan jabatan.")


def check_new_user(*, username: str, full_name: str, role: str, password: str | None = None,
                   nip: str | None = None, password_hash: str | None = None) -> tuple[dict[str, str], str | None]:
    """Rule for a new account: a free username without spaces, a full name, a known role, a password of at least
    10 characters and, when given, a possible NIP not held by another account. Returns (errors, normalised NIP)."""
    errors: dict[str, str] = {}
    username = (username or "").strip().lower()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        errors["username"] = "Nama pengguna wajib diisi, tanpa spasi, paling banyak 80 karakter."
    elif db.session.scalar(select(User.id).where(User.username == username)):
        errors["username"] = "Nama pengguna sudah dipakai."
    if not (full_name or "").strip():
        errors["full_name"] = "Nama lengkap wajib diisi."
    elif len(full_name.strip()) > 200:
        errors["full_name"] = "Nama lengkap paling banyak 200 karakter."
    if role not in ROLES:
        errors["role"] = "Peran tidak dikenal."
    if password_hash is None and len(password or "") < 10:
        errors["password"] = "Kata sandi minimal 10 karakter."
    if nip:
        try:
            nip = parse_nip(nip).value
        except ValidationError as exc:
            errors.update(exc.errors)
        else:
            if db.session.scalar(select(User.id).where(User.nip == nip)):
                errors["nip"] = "NIP sudah terdaftar pada pengguna lain."
    return errors, nip or None


def create_user(
    actor: User | None, *, username: str, full_name: str, password: str, role: str,
    nip: str | None = None, position: Position | None = None, email: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Rule: only admins create accounts (the CLI passes actor=None); the fields follow `check_new_user`."""
    if actor is not None:
        require_admin(actor)
    errors, nip = check_new_user(username=username, full_name=full_name, role=role, password=password, nip=nip,
                                 password_hash=password_hash)
    if errors:
        raise ValidationError(errors)
    username = username.strip().lower()
    user = User(
        username=username, full_name=full_name.strip(), role=role, nip=nip, position=position,
        email=email, password_hash=password_hash or generate_password_hash(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, {"username": username, "role": role})
    return user


def assign_acting(
    actor: User | None, *, user: User, position: Position, kind: str, starts_on: date, ends_on: date,
    decree_number: str,
) -> ActingAssignment:
    """Rule: a Plt/Plh needs a kind, a date range that ends on or after it starts, and the decree number."""
    if actor is not None:
        require_admin(actor)
    errors: dict[str, str] = {}
    if kind not in ("plt", "plh"):
        errors["kind"] = "Jenis penugasan harus Plt atau Plh."
    if ends_on < starts_on:
        errors["ends_on"] = "Tanggal selesai tidak boleh sebelum tanggal mulai."
    if not (decree_number or "").strip():
        errors["decree_number"] = "Nomor surat perintah/keputusan penugasan wajib diisi."
    if user.position_id == position.id:
        errors["position_id"] = "Pengguna sudah memegang jabatan ini secara definitif."
    if errors:
        raise ValidationError(errors)
    assignment = ActingAssignment(
        user=user, position=position, kind=kind, starts_on=starts_on, ends_on=ends_on,
        decree_number=decree_number.strip(), created_by_id=actor.id if actor else None,
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(actor, "acting.assign", "position", position.id,
                 {"user": user.username, "kind": kind, "from": str(starts_on), "to": str(ends_on),
                  "decree": assignment.decree_number})
    return assignment
