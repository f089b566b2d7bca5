"""Helpers for the admin-console tests (importable as tests.admin.support); they run inside an app context."""
from __future__ import annotations

from sqlalchemy import func, select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import (ActingAssignment, AuditEvent, NumberPattern, Position, RecipientGroup,
                              RecipientGroupMember, Unit, User)
from tests.helpers import csrf_token

COUNTED = (Unit, Position, User, ActingAssignment, NumberPattern, RecipientGroup, RecipientGroupMember, AuditEvent)


def user(username: str) -> User:
    found = db.session.scalar(select(User).where(User.username == username))
    assert found is not None, f"demo user {username!r} missing"
    return found


def unit(code: str) -> Unit:
    found = db.session.scalar(select(Unit).where(Unit.code == code))
    assert found is not None, f"demo unit {code!r} missing"
    return found


def counts() -> dict[str, int]:
    """Row counts of every table the console writes to (a fresh read: the session's snapshot is ended first)."""
    db.session.rollback()
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def snapshot(model, row_id) -> dict:
    """The column values of one row, for 'nothing changed' checks."""
    db.session.rollback()
    row = db.session.get(model, row_id)
    return {c.key: getattr(row, c.key) for c in model.__table__.columns}


def last_event(action: str) -> AuditEvent | None:
    """The newest event of that action (a fresh read)."""
    db.session.rollback()
    return db.session.scalar(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc()))


def newest(model):
    """The newest row of a table (a fresh read)."""
    db.session.rollback()
    return db.session.scalar(select(model).order_by(model.__table__.primary_key.columns.values()[0].desc()))


def write():
    """Start a write transaction the way the routes do (IMMEDIATE on SQLite)."""
    begin_write()


def post(client, path: str, data: dict, page: str | None = None, **kwargs):
    """POST a form with the CSRF token of `page` (default: the admin home)."""
    token = csrf_token(client, page or "/admin/")
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)
