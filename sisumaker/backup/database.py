"""The database part of a backup. Flask-free: works on a SQLAlchemy engine.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot into
`database/sisumaker.sqlite` while the application keeps writing. PostgreSQL: a portable dump, one JSON-lines file
per table (`database/<table>.jsonl`: a header with the column names, then one row per line), read inside one
REPEATABLE READ, READ ONLY transaction, so every table comes from the same snapshot. A portable dump rather than
`pg_dump`: it needs no client binary of the server's exact version, restores into whatever database or schema
the settings name, lets the restore check its row counts, and a SQLite backup can be restored into PostgreSQL and
back (moving an installation). Restore: SQLite onto SQLite is the backup API in reverse (the database file, which
is Sisumaker's alone, is replaced whole); every other pairing drops Sisumaker's tables (and only those), creates
the schema at the backup's migration, loads the rows in foreign-key order, then resets the sequences.
"""
from __future__ import annotations

import base64
import json
import sqlite3
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from time import time_ns
from typing import Callable, Iterator

from sqlalchemy import MetaData, Table, create_engine, func, inspect, select, text, update
from sqlalchemy.engine import Connection, Engine

SQLITE_MEMBER = "database/sisumaker.sqlite"
VERSION_TABLE = "alembic_version"


def _encode(value):
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decoder(column) -> Callable:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return lambda v: v
    if kind is datetime:
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if kind is date:
        return lambda v: None if v is None else date.fromisoformat(v)
    if kind is time:
        return lambda v: None if v is None else time.fromisoformat(v)
    if kind is bytes:
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: v


def sqlite_path(engine: Engine) -> Path:
    return Path(engine.url.database or "")


def _head_and_counts(conn: Connection, tables: list[str]) -> tuple[str | None, dict[str, int]]:
    existing = set(inspect(conn).get_table_names())
    head = None
    if VERSION_TABLE in existing:
        head = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    counts = {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in tables if t in existing}
    return head, counts


def dump(engine: Engine, metadata: MetaData, staging: Path) -> dict:
    """Rule: one consistent snapshot of every table, taken while the application runs. Returns the database
    part of the manifest (dialect, migration head, row counts, stored files' SHA-256)."""
    names = [t.name for t in metadata.sorted_tables]
    (staging / "database").mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        target = staging / SQLITE_MEMBER
        src, dst = sqlite3.connect(sqlite_path(engine)), sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        copy = create_engine(f"sqlite:///{target}")
        try:
            with copy.connect() as conn:
                head, counts = _head_and_counts(conn, names)
                files = [r[0] for r in conn.execute(text("SELECT sha256 FROM stored_file"))]
        finally:
            copy.dispose()
        return {"dialect": "sqlite", "format": "sqlite-backup-api", "migration_head": head, "counts": counts,
                "stored_files": files}
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(text("SET TRANSACTION READ ONLY"))
        conn.execute(text("SET LOCAL TIME ZONE 'UTC'"))
        head, counts = _head_and_counts(conn, names)
        reflected = MetaData()  # the columns the database has (not the models'), all tables in one pass
        reflected.reflect(conn, only=list(counts))
        for name in names:
            if name in counts:
                _dump_table(conn, reflected.tables[name], staging / "database" / f"{name}.jsonl")
        files = [r[0] for r in conn.execute(text("SELECT sha256 FROM stored_file"))]
        conn.rollback()
    return {"dialect": engine.dialect.name, "format": "jsonl", "migration_head": head, "counts": counts,
            "stored_files": files}


def _dump_table(conn: Connection, table: Table, out: Path) -> None:
    cols = list(table.columns)
    order = list(table.primary_key.columns) or cols[:1]
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"table": table.name, "columns": [c.name for c in cols]}) + "\n")
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(
            select(*cols).order_by(*order))
        for row in result:
            fh.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------------------------ restore

def _ours(metadata: MetaData) -> set[str]:
    """Sisumaker's tables (and the migration bookkeeping): the only ones a restore looks at or replaces."""
    return {t.name for t in metadata.sorted_tables} | {VERSION_TABLE}


def is_empty(engine: Engine, metadata: MetaData) -> bool:
    """No row in any of Sisumaker's tables (the migration bookkeeping aside)."""
    with engine.connect() as conn:
        for name in set(inspect(conn).get_table_names()) & _ours(metadata):
            if name != VERSION_TABLE and conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first():
                return False
    return True


def drop_everything(engine: Engine, metadata: MetaData) -> None:
    """Remove Sisumaker's tables from the target (its own schema only; other tables there are left alone)."""
    md, ours = MetaData(), _ours(metadata)
    with engine.begin() as conn:
        md.reflect(conn, only=lambda name, _: name in ours)
        md.drop_all(conn)


def restore(engine: Engine, metadata: MetaData, content: Path, db_manifest: dict,
            create_schema: Callable[[str | None], None]) -> dict[str, int]:
    """Put the backup's rows into the target, replacing whatever it holds; `create_schema(head)` builds the
    schema at that migration (or the models' schema when the backup has no migration head). Returns the restored
    row counts."""
    names = [t.name for t in metadata.sorted_tables]
    if db_manifest["format"] == "sqlite-backup-api" and engine.dialect.name == "sqlite":
        engine.dispose()
        src, dst = sqlite3.connect(content / SQLITE_MEMBER), sqlite3.connect(sqlite_path(engine))
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:  # the target is empty (or the caller was told to replace it): its tables go, the backup's come
        drop_everything(engine, metadata)
        create_schema(db_manifest.get("migration_head"))
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL TIME ZONE 'UTC'"))
            present = set(inspect(conn).get_table_names())
            for table in reversed(metadata.sorted_tables):  # rows the migrations seed come from the backup
                if table.name in present:
                    conn.execute(table.delete())
            target = MetaData()
            target.reflect(conn)
            for name, columns, rows in _source_rows(content, db_manifest, metadata):
                _load_table(conn, target.tables[name], columns, rows)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, names)
        if engine.dialect.name == "postgresql":  # fresh tables have no statistics: plans would be blind until
            with engine.connect() as conn:        # autovacuum gets there (a 10x slower register form, measured)
                for name in names:
                    conn.execute(text(f'ANALYZE "{name}"'))
                conn.commit()
    _invalidate_page_caches(engine)
    with engine.connect() as conn:
        return _head_and_counts(conn, names)[1]


def _invalidate_page_caches(engine: Engine) -> None:
    """The restored change counters may equal those of pages a still-running web process keeps (the services
    should be stopped, but): the counter every page depends on gets a value no counter had before (a timestamp
    in microseconds, far above any count of changes)."""
    with engine.begin() as conn:
        if "page_version" in inspect(conn).get_table_names():
            # an UPDATE, not an upsert: the restored tables keep exactly the backup's row counts
            conn.execute(text("UPDATE page_version SET version = :stamp WHERE scope = 'all' AND key = 0"),
                         {"stamp": time_ns() // 1000})


def _source_rows(content: Path, db_manifest: dict, metadata: MetaData) -> Iterator[tuple[str, list[str], Iterator]]:
    counts = db_manifest["counts"]
    if db_manifest["format"] == "jsonl":
        for table in metadata.sorted_tables:
            path = content / "database" / f"{table.name}.jsonl"
            if table.name in counts and path.exists():
                fh = open(path, encoding="utf-8")
                header = json.loads(fh.readline())
                yield table.name, header["columns"], (json.loads(line) for line in fh)
                fh.close()
        return
    source = create_engine(f"sqlite:///{content / SQLITE_MEMBER}")  # a SQLite backup into PostgreSQL
    try:
        with source.connect() as conn:
            tables = MetaData()
            tables.reflect(conn)
            for table in metadata.sorted_tables:
                if table.name in counts:
                    t = tables.tables[table.name]
                    rows = conn.execute(select(*t.columns).order_by(*(t.primary_key.columns or list(t.columns)[:1])))
                    yield table.name, [c.name for c in t.columns], ([_encode(v) for v in r] for r in rows)
    finally:
        source.dispose()


def _load_table(conn: Connection, table: Table, columns: list[str], rows: Iterator[list]) -> None:
    """Rows in primary-key order; a column pointing into its own table (a tree) is filled in afterwards, so a
    child may come before its parent."""
    name = table.name
    cols = [table.c[c] for c in columns]
    decode = [_decoder(c) for c in cols]
    self_refs = {fk.parent.name for fk in table.foreign_keys if fk.column.table.name == name}
    pk = [c.name for c in table.primary_key.columns]
    later: list[dict] = []
    batch: list[dict] = []
    for raw in rows:
        row = {c: d(v) for c, d, v in zip(columns, decode, raw)}
        links = {c: row[c] for c in self_refs if row.get(c) is not None}
        if links:
            later.append({**{f"k_{k}": row[k] for k in pk}, **{f"v_{c}": v for c, v in links.items()}})
            row.update({c: None for c in links})
        batch.append(row)
        if len(batch) >= 1000:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
    for link in later:
        values = {k[2:]: v for k, v in link.items() if k.startswith("v_")}
        where = [table.c[k] == link[f"k_{k}"] for k in pk]
        conn.execute(update(table).where(*where).values(**values))


def _reset_sequences(conn: Connection, names: list[str]) -> None:
    """Explicit ids were inserted: move each id sequence past the largest id."""
    for name in names:
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name}).scalar() \
            if "id" in {c["name"] for c in inspect(conn).get_columns(name)} else None
        if seq:
            top = conn.execute(select(func.max(text("id"))).select_from(text(f'"{name}"'))).scalar()
            conn.execute(text("SELECT setval(:s, :v, :called)"), {"s": seq, "v": top or 1, "called": top is not None})
