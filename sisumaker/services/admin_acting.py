"""The admin's rules for acting officials (Plt/Plh): appoint with dates and decree, end early, cancel before
the start, and the lists of current and past assignments."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from sisumaker.extensions import db
from sisumaker.models import ActingAssignment, Position, User
from sisumaker.services import audit
from sisumaker.services.errors import NotFound, ValidationError
from sisumaker.services.org import assign_acting, require_admin

KIND_LABELS = {"plt": "Plt. (pelaksana tugas)", "plh": "Plh. (pelaksana harian)"}


def get_assignment(assignment_id: int) -> ActingAssignment:
    found = db.session.get(ActingAssignment, assignment_id)
    if found is None:
        raise NotFound("Penugasan Plt/Plh tidak ditemukan.")
    return found


def appoint(actor: User, *, username: str, position_id: int | None, kind: str, starts_on: date | None,
            ends_on: date | None, decree_number: str) -> ActingAssignment:
    """Rule: a Plt/Plh is an enabled account acting in an open position for an inclusive date range under a
    decree; a position has at most one Plt/Plh on any day, and the same person is not appointed twice to the
    same position over overlapping dates. (Kind, range and decree are checked by org.assign_acting.)"""
    require_admin(actor)
    errors: dict[str, str] = {}
    user = db.session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    position = db.session.get(Position, position_id) if position_id else None
    if user is None:
        errors["username"] = "Pengguna tidak ditemukan."
    elif not user.is_enabled:
        errors["username"] = "Akun pengguna ini nonaktif."
    if position is None:
        errors["position_id"] = "Pilih jabatan yang ada."
    elif position.closed_on is not None:
        errors["position_id"] = "Jabatan itu sudah ditutup."
    if starts_on is None:
        errors["starts_on"] = "Tanggal mulai wajib diisi."
    if ends_on is None:
        errors["ends_on"] = "Tanggal selesai wajib diisi."
    if position is not None and starts_on and ends_on and ends_on >= starts_on:
        clash = db.session.scalar(select(ActingAssignment).options(joinedload(ActingAssignment.user)).where(
            ActingAssignment.position_id == position.id, ActingAssignment.starts_on <= ends_on,
            ActingAssignment.ends_on >= starts_on).limit(1))
        if clash is not None:
            errors["starts_on"] = (f"Jabatan ini sudah memiliki {clash.kind.capitalize()}. ({clash.user.username}) "
                                   f"pada {clash.starts_on.isoformat()} s.d. {clash.ends_on.isoformat()}.")
    if errors:
        raise ValidationError(errors)
    return assign_acting(actor, user=user, position=position, kind=kind, starts_on=starts_on, ends_on=ends_on,
                         decree_number=decree_number)


def end_early(actor: User, assignment: ActingAssignment, last_day: date | None, today: date | None = None) -> None:
    """Rule: a running or future Plt/Plh can end earlier — its new last day lies between its first day and its
    current last day, and not before yesterday (the past stays as it was); one that has not started yet is
    cancelled instead (see `cancel`)."""
    require_admin(actor)
    today = today or date.today()
    if last_day is None:
        raise ValidationError({"ends_on": "Tanggal terakhir wajib diisi."})
    if assignment.ends_on < today:
        raise ValidationError({"ends_on": "Penugasan ini sudah berakhir."})
    if last_day >= assignment.ends_on:
        raise ValidationError({"ends_on": "Tanggal terakhir baru harus sebelum tanggal selesai semula "
                                          f"({assignment.ends_on.isoformat()})."})
    if last_day < assignment.starts_on:
        raise ValidationError({"ends_on": "Tanggal terakhir tidak boleh sebelum tanggal mulai; batalkan penugasan "
                                          "yang belum dimulai."})
    if last_day < today - timedelta(days=1):
        raise ValidationError({"ends_on": "Tanggal terakhir paling awal kemarin; masa lalu tidak diubah."})
    before = assignment.ends_on
    assignment.ends_on = last_day
    db.session.flush()
    audit.record(actor, "acting.end", "position", assignment.position_id,
                 {"assignment": assignment.id, "user": assignment.user.username, "before": str(before),
                  "after": str(last_day)})


def cancel(actor: User, assignment: ActingAssignment, today: date | None = None) -> None:
    """Rule: a Plt/Plh that has not started yet may be cancelled (the row goes; the audit log keeps it)."""
    require_admin(actor)
    today = today or date.today()
    if assignment.starts_on <= today:
        raise ValidationError("Penugasan sudah dimulai; gunakan 'Akhiri lebih awal'.")
    detail = {"assignment": assignment.id, "user": assignment.user.username, "kind": assignment.kind,
              "from": str(assignment.starts_on), "to": str(assignment.ends_on), "decree": assignment.decree_number}
    position_id = assignment.position_id
    db.session.delete(assignment)
    db.session.flush()
    audit.record(actor, "acting.cancel", "position", position_id, detail)


def assignments(actor: User, current: bool, today: date | None = None, limit: int = 200) -> list[ActingAssignment]:
    """Current and future assignments (last day today or later), or past ones, newest first."""
    require_admin(actor)
    today = today or date.today()
    cond = ActingAssignment.ends_on >= today if current else ActingAssignment.ends_on < today
    return list(db.session.scalars(
        select(ActingAssignment).options(joinedload(ActingAssignment.user),
                                         joinedload(ActingAssignment.position).joinedload(Position.unit))
        .where(cond).order_by(ActingAssignment.starts_on.desc(), ActingAssignment.id.desc()).limit(limit)))
