"""Test databases on SQLite and PostgreSQL (importable as `tests.databases`; the fixtures live in conftest.py).

PostgreSQL: every test database is a uniquely named *schema* (xdist worker, process id, random token) in the
database of SISUMAKER_TEST_POSTGRES_URL, reached through a URL that sets search_path and application_name; all
are dropped at the end. Schemas, not databases: CREATE/DROP DATABASE force checkpoints, which cost seconds on a
busy server. A template (the schema without rows, or the seeded demo regency) is built once per session and its
rows are copied into a snapshot schema; `reset()` truncates the template's tables and reloads the snapshot before
each test. SQLite: templates are files; every test gets its own copy through the backup API.
"""
from __future__ import annotations

import itertools
import os
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.helpers import DEMO_PASSWORD, test_config

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
SNAPSHOT = "sisu_snapshot"
# The demo template stores this cheap hash of the demo password: a login then costs ~1 ms instead of ~100 ms of
# scrypt. The real seed (scrypt) is checked by test_seed on a freshly seeded database.
FAST_HASH_METHOD = "pbkdf2:sha256:1"


def build_template(url: str, *, seed: bool) -> None:
    """Create the schema (create_all: tests only) and optionally seed the demo regency into `url`."""
    from sqlalchemy import update
    from werkzeug.security import generate_password_hash

    from sisumaker import create_app
    from sisumaker.extensions import db
    from sisumaker.models import User
    from sisumaker.services.seed import seed_demo

    app = create_app(test_config(url))
    with app.app_context():
        db.create_all()
        if seed:
            seed_demo(None, password=DEMO_PASSWORD, production=False)
            db.session.execute(update(User).values(
                password_hash=generate_password_hash(DEMO_PASSWORD, method=FAST_HASH_METHOD)))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def sqlite_copy(template_url: str, target: Path) -> str:
    source, copy = sqlite3.connect(make_url(template_url).database), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return f"sqlite:///{target}"


@dataclass
class _Plan:
    """How to reset one template schema: its tables (reload order), the filled ones and their sequences."""

    tables: list[str]
    filled: list[str]
    sequences: list[tuple[str, str, str]] = field(default_factory=list)


class PostgresServer:
    """Creates, resets and drops uniquely named schemas in the database of SISUMAKER_TEST_POSTGRES_URL."""

    def __init__(self, url: str):
        import psycopg

        self.url = make_url(url)
        self.prefix = f"sisu_{WORKER}_{os.getpid()}_{secrets.token_hex(3)}".lower().replace("-", "_")
        self._numbers = itertools.count(1)
        self._created: list[str] = []
        self._plans: dict[str, _Plan] = {}
        conninfo = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.admin = psycopg.connect(conninfo, autocommit=True, application_name=self.prefix + "_admin")
        self.superuser = self.admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]

    def url_for(self, schema: str) -> str:
        """A SQLAlchemy URL whose connections see only `schema` (and name themselves after it)."""
        return self.url.update_query_dict(
            {"options": f"-csearch_path={schema}", "application_name": schema}
        ).render_as_string(hide_password=False)

    @staticmethod
    def schema_of(url: str) -> str:
        return make_url(url).query["application_name"]

    def create(self) -> str:
        """A new empty schema; returns the URL of a database that sees only it."""
        from psycopg import sql

        name = f"{self.prefix}_{next(self._numbers)}"
        self.admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        self._created.append(name)
        return self.url_for(name)

    def _end_sessions(self, schema: str) -> None:
        self.admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE application_name = %s AND pid <> pg_backend_pid()", (schema,))

    def drop(self, url: str) -> None:
        from psycopg import sql

        name = self.schema_of(url)
        self._end_sessions(name)
        for schema in (name, name + "_snap"):
            self.admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        self._plans.pop(name, None)
        if name in self._created:
            self._created.remove(name)

    def snapshot(self, url: str) -> None:
        """Copy every table's rows into `<schema>_snap`, for `reset`."""
        from psycopg import sql

        from sisumaker.extensions import db

        name = self.schema_of(url)
        snap, conn = name + "_snap", self.admin
        present = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (name,))}
        ordered = [t.name for t in db.metadata.sorted_tables if t.name in present]
        tables = ordered + sorted(present - set(ordered))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(snap)))
        filled = []
        for table in tables:
            conn.execute(sql.SQL("CREATE TABLE {} AS TABLE {}").format(
                sql.Identifier(snap, table), sql.Identifier(name, table)))
            if conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(snap, table))).fetchone()[0]:
                filled.append(table)
        sequences = conn.execute(
            "SELECT table_name, column_name, pg_get_serial_sequence(format('%%I.%%I', table_schema, table_name), "
            "column_name) AS seq FROM information_schema.columns WHERE table_schema = %s", (name,)).fetchall()
        self._plans[name] = _Plan(tables, filled, [s for s in sequences if s[2] and s[0] in filled])

    def reset(self, url: str) -> None:
        """Put the snapshot's rows back: end the schema's sessions, truncate, reload, move the sequences on."""
        from psycopg import sql

        name = self.schema_of(url)
        plan, conn = self._plans[name], self.admin
        self._end_sessions(name)
        with conn.transaction():
            conn.execute("SET LOCAL lock_timeout = '10s'")
            if self.superuser:
                conn.execute("SET LOCAL session_replication_role = replica")  # no FK triggers while reloading
            conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                sql.SQL(", ").join(sql.Identifier(name, t) for t in plan.tables)))
            for table in plan.filled:
                conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM {}").format(
                    sql.Identifier(name, table), sql.Identifier(name + "_snap", table)))
            for table, column, sequence in plan.sequences:
                conn.execute(sql.SQL("SELECT setval({}, COALESCE(MAX({}), 0) + 1, false) FROM {}").format(
                    sql.Literal(sequence), sql.Identifier(column), sql.Identifier(name, table)))

    def close(self) -> None:
        for name in list(self._created):
            self.drop(self.url_for(name))
        self.admin.close()
