"""Found by bench/load.py: opening a fresh inbox item while another writer commits answered HTTP 500 on SQLite
("database is locked": a read transaction cannot become a writer once its snapshot is stale). Opening must take
the write lock first, and only when it changes something."""
from __future__ import annotations

from sqlalchemy import create_engine, func, select, text

from sisumaker.extensions import db
from sisumaker.models import AuditEvent, InboxItem, Letter
from sisumaker.services.dispositions import open_item
from tests.letters.support import register, root_item, viewer


def _another_writer_commits(url: str) -> None:
    other = create_engine(url)
    with other.begin() as conn:
        conn.execute(text("UPDATE unit SET name = name || ' ' WHERE id = (SELECT MAX(id) FROM unit)"))
    other.dispose()


def test_first_open_after_another_writer_committed_ticks_the_item(ctx, demo_db_url):
    entry = register("tu.setda", to=("bupati",))
    item_id = root_item(entry.letter_id, "bupati").id
    db.session.commit()
    bupati = viewer("bupati")
    db.session.scalar(select(func.count(Letter.id)))  # this session now reads from a snapshot ...
    _another_writer_commits(demo_db_url)  # ... that another writer makes stale
    item = open_item(bupati, item_id)
    db.session.commit()
    assert item.status == "dibaca" and item.read_at is not None
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)) == "item.read"


def test_opening_again_writes_nothing(ctx, demo_db_url):
    entry = register("tu.setda", to=("bupati",))
    item_id = root_item(entry.letter_id, "bupati").id
    open_item(viewer("bupati"), item_id)
    db.session.commit()
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    bupati = viewer("bupati")
    db.session.scalar(select(func.count(Letter.id)))
    _another_writer_commits(demo_db_url)
    assert open_item(bupati, item_id).status == "dibaca"
    db.session.commit()
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events
    assert db.session.get(InboxItem, item_id).read_by_id == bupati.user.id
