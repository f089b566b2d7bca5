"""The search index: one row per searchable document (a letter, an outgoing draft, a disposition's note).

`search_document` is an ordinary table; the full-text structures over it are database specific and live outside
the SQLAlchemy metadata (they are created by the same DDL on `create_all` and by migration 0007):

- SQLite: the FTS5 table `search_fts` with external content `search_document` (it stores only the index), kept
  in step by three triggers — the pattern of the SQLite manual, so any writer, even a bulk INSERT ... SELECT,
  keeps it right.
- PostgreSQL: a GIN index on the weighted `simple` tsvector expression `SEARCH_TSVECTOR` (always in step).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import DDL, Date, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from sisumaker.extensions import db

# Document kinds: a letter (surat), an outgoing draft (konsep), a disposition's instructions/note/report.
SEARCH_KINDS = ("surat", "konsep", "disposisi")

# Title words (perihal) weigh more than the rest; the same expression is indexed and queried on PostgreSQL.
SEARCH_TSVECTOR = ("setweight(to_tsvector('simple', coalesce(search_document.title, '')), 'A') || "
                   "setweight(to_tsvector('simple', coalesce(search_document.body, '')), 'B')")

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_document', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)
POSTGRES_DDL = (f"CREATE INDEX ix_search_document_fts ON search_document USING gin (({SEARCH_TSVECTOR}))",)

# Objects the migrations create that the metadata does not describe (schema comparisons leave them out).
SEARCH_DB_OBJECTS = ("search_fts", "ix_search_document_fts")


def is_search_db_object(name: str | None) -> bool:
    """True for the full-text objects above, including FTS5's shadow tables (search_fts_data, ...)."""
    return bool(name) and any(name == o or name.startswith(f"{o}_") for o in SEARCH_DB_OBJECTS)


class SearchDocument(db.Model):
    """What the search box matches: `title` (perihal) and `body` (sender, numbers, summary, draft text, notes).
    Filters and the visibility rule read the source rows (letter, draft, inbox item) it points to."""

    __tablename__ = "search_document"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letter.id"))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("draft.id"), unique=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_item.id"), unique=True)
    doc_date: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_search_document_letter", "letter_id", "kind"),
                      Index("ix_search_document_date", "doc_date", "id"))  # filters without words: newest first


for _statement in SQLITE_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
event.listen(SearchDocument.__table__, "before_drop",
             DDL("DROP TABLE IF EXISTS search_fts").execute_if(dialect="sqlite"))

__all__ = ["SearchDocument", "SEARCH_KINDS", "SEARCH_TSVECTOR", "SEARCH_DB_OBJECTS", "is_search_db_object"]
