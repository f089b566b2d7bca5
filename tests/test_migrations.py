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


def test_0014_renumbers_the_documents_and_computes_their_readers_from_the_rows(db_url, make_app):
    """Documents indexed before 0014 (by the 0013 schema) get the ids and readers the services would give them;
    the downgrade keeps their text."""
    from sqlalchemy import select, text

    from sisumaker.database import begin_write
    from sisumaker.models import SearchDocument
    from sisumaker.services.dispositions import recall_disposition
    from sisumaker.services.seed import seed_demo
    from tests.letters.support import dispose, register, root_item, viewer
    from tests.outgoing.support import content, routing, save

    app = make_app(db_url, schema=False)
    upgrade(app)
    with app.app_context():
        seed_demo(None, password="rahasia-demo-1", production=False)
        db.session.commit()
        secret = register(perihal="Telaah rahasia", sifat="R")
        children = dispose("bupati", root_item(secret.letter_id, "bupati").id, ("sekda", "kadis.dinkes"), note="x")
        begin_write()
        recall_disposition(viewer("bupati"), children[1].id)
        db.session.commit()
        register("tu.dinkes", perihal="Surat dinas kesehatan", to=("kadis.dinkes",))
        save(c=content(perihal="Edaran hemat energi"), r=routing(reviewers=("kabag.umum",), signer="sekda"))

        def documents():
            return {(d.kind, d.letter_id, d.item_id, d.draft_id): (d.id, d.title, set(d.readers.split()))
                    for d in db.session.scalars(select(SearchDocument))}
        before = documents()
        assert {k[0] for k in before} == {"surat", "disposisi", "konsep"} and len(before) == 5
        db.session.remove()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "downgrade", "0013"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    with app.app_context():
        rows = db.session.execute(text("SELECT id, title FROM search_document ORDER BY id")).all()
        assert sorted(t for _i, t in rows) == sorted(v[1] for v in before.values())
        assert "readers" not in {c["name"] for c in inspect(db.engine).get_columns("search_document")}
        db.session.remove()
    upgrade(app)
    with app.app_context():
        assert documents() == before
        hits = db.session.execute(text(
            "SELECT count(*) FROM search_fts WHERE search_fts MATCH '{readers}: p1 OR u1'" if db.engine.dialect.name
            == "sqlite" else "SELECT count(*) FROM search_document WHERE tsv @@ '~p1 | ~u1'::tsquery")).scalar()
        assert hits == sum(1 for v in before.values() if v[2] & {"p1", "u1"})
