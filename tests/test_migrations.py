"""`flask db upgrade` on an empty database builds exactly the models' tables: a migration exists for every change."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sisumaker.extensions import db
from sisumaker.models.search import is_search_db_object


def upgrade(app):
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output + repr(result.exception)


def test_upgrade_builds_the_models_tables_and_columns(db_url, make_app):
    app = make_app(db_url, schema=False)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
    upgrade(app)
    with app.app_context():
        inspector = inspect(db.engine)
        found = set(inspector.get_table_names())
        tables = {t for t in found if not is_search_db_object(t)} - {"alembic_version"}
        assert tables == set(db.metadata.tables), "add a migration: flask --app sisumaker db migrate -m ..."
        for name, table in db.metadata.tables.items():
            columns = {c["name"] for c in inspector.get_columns(name)}
            assert columns == {c.name for c in table.columns}, f"columns of {name} differ from the model"


def test_upgrade_leaves_no_difference_alembic_can_see(db_url, make_app):
    """Autogenerate against the upgraded schema finds nothing to add, drop or retype."""
    app = make_app(db_url, schema=False)
    upgrade(app)
    with app.app_context(), db.engine.connect() as connection:
        # the full-text objects are made by DDL outside the metadata (models/search.py), see the test below
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": lambda name, type_, parent: not is_search_db_object(name)})
        diff = compare_metadata(context, db.metadata)
    assert [describe(d) for d in diff] == [], "add a migration for these model changes"


def describe(change) -> str:
    """One line per autogenerate difference: ('add_index', Index(...)) -> "add_index ix_name on table"."""
    if isinstance(change, list):  # column modifications come as a list of tuples
        return "; ".join(describe(c) for c in change)
    op, *rest = change
    names = [getattr(x, "name", None) or (x if isinstance(x, str) else None) for x in rest]
    table = getattr(getattr(rest[0], "table", None), "name", None) if rest else None
    return " ".join([op, *(n for n in names if n)] + ([f"on {table}"] if table else []))


def test_upgrade_builds_the_full_text_objects_as_create_all_does(db_url, make_app):
    """The objects left out of the comparisons exist after the upgrade: FTS5 on SQLite, the GIN index on PG."""
    app = make_app(db_url, schema=False)
    upgrade(app)
    with app.app_context():
        inspector = inspect(db.engine)
        if db.engine.dialect.name == "sqlite":
            assert "search_fts" in inspector.get_table_names()
        else:
            assert "ix_search_document_fts" in {i["name"] for i in inspector.get_indexes("search_document")}


def test_upgrade_is_repeatable_and_downgrade_works(db_url, make_app):
    app = make_app(db_url, schema=False)
    upgrade(app)
    upgrade(app)  # a second upgrade is a no-op
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    with app.app_context():
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}  # search_fts* went too
    upgrade(app)
