"""Engine set-up for both databases, and the write-transaction rule for SQLite.

SQLite: WAL, foreign keys on, and writing transactions start with BEGIN IMMEDIATE, so two writers queue on the
busy timeout instead of failing on a stale snapshot. PostgreSQL needs none of this: counters are row-locked.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

from sisumaker.extensions import db

IMMEDIATE = "sisumaker_immediate"


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}


def sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "sisumaker.sqlite")


def install_sqlite_hooks(engine: Engine) -> None:
    """Take over BEGIN from pysqlite so that a transaction can be opened as IMMEDIATE on request."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE) else "BEGIN")


def begin_write() -> None:
    """Rule: a unit of work that writes starts its own transaction, IMMEDIATE on SQLite.

    Ends any read transaction the session holds (objects reload on access) and opens a new one that
    already holds SQLite's write lock, so counters read inside it cannot go stale.
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={IMMEDIATE: True})
