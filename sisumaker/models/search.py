"""The search index: one row per searchable document (a letter, an outgoing draft, a disposition's note).

`search_document` is an ordinary table; the full-text structures over it are database specific and live outside
the SQLAlchemy metadata (they are created by the same DDL on `create_all` and by migration 0007):

- SQLite: the FTS5 table `search_fts` with external content `search_document` (it stores only the index), kept
  in step by three triggers — the pattern of the SQLite manual, so any writer, even a bulk INSERT ... SELECT,
  keeps it right. Columns title, body and readers; the words typed are matched in title and body only.
- PostgreSQL: the column `tsv` (a `simple` tsvector of title and body, punctuation turned into spaces as FTS5's
  tokenizer does, so "800/12/BKD/2026" gives four words; each title word once more as `^word`, each reader as
  `~p12` — lexemes no text can produce, so the GIN index answers "in the title" and "may read" exactly, and the
  planner's statistics know how common each is) set by a BEFORE INSERT OR UPDATE trigger, with a GIN index.
  Always NULL on SQLite.

Two things make a search of a million letters cheap (services/search_plan.py):
- `readers`: who may see the document, as words ("p12" position 12, "u4" the clerks of unit 4, "d7" user 7 as the
  drafter), so the full-text index itself intersects the match with the viewer's readers;
- `id` = day of `doc_date` (since 1970) x 2^32 + source id x 4 + kind: ordering by id is ordering by date (newest
  first: descending), and a document keeps its id when it is indexed again.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import DDL, BigInteger, Date, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from sisumaker.extensions import db

# Document kinds: a letter (surat), an outgoing draft (konsep), a disposition's instructions/note/report.
SEARCH_KINDS = ("surat", "konsep", "disposisi")

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, readers, content='search_document', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    "INSERT INTO search_fts(rowid, title, body, readers) VALUES (new.id, new.title, new.body, new.readers); END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, readers) "
    "VALUES ('delete', old.id, old.title, old.body, old.readers); END",
    "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, readers) "
    "VALUES ('delete', old.id, old.title, old.body, old.readers); "
    "INSERT INTO search_fts(rowid, title, body, readers) VALUES (new.id, new.title, new.body, new.readers); END",
)
_WORDS = "regexp_replace(coalesce(NEW.{0}, ''), '[^[:alnum:]]+', ' ', 'g')"
POSTGRES_DDL = (
    "CREATE OR REPLACE FUNCTION search_document_tsv() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"NEW.tsv := setweight(to_tsvector('simple', {_WORDS.format('title')}), 'A') || "
    f"setweight(to_tsvector('simple', {_WORDS.format('body')}), 'B') || "
    f"array_to_tsvector(array(SELECT '^' || lexeme FROM unnest(to_tsvector('simple', {_WORDS.format('title')})))) || "
    "array_to_tsvector(array(SELECT '~' || r FROM unnest(string_to_array(coalesce(NEW.readers, ''), ' ')) r "
    "WHERE r <> '')); RETURN NEW; END $$",
    "CREATE TRIGGER search_document_tsv BEFORE INSERT OR UPDATE ON search_document "
    "FOR EACH ROW EXECUTE FUNCTION search_document_tsv()",
    "CREATE INDEX ix_search_document_fts ON search_document USING gin (tsv)",
)

# Objects the migrations create that the metadata does not describe (schema comparisons leave them out).
SEARCH_DB_OBJECTS = ("search_fts", "ix_search_document_fts")


def is_search_db_object(name: str | None) -> bool:
    """True for the full-text objects above, including FTS5's shadow tables (search_fts_data, ...)."""
    return bool(name) and any(name == o or name.startswith(f"{o}_") for o in SEARCH_DB_OBJECTS)


class SearchDocument(db.Model):
    """What the search box matches: `title` (perihal) and `body` (sender, numbers, summary, draft text, notes);
    `readers` who may see it (see above). Filters, and the visibility rule that every hit is checked against once
    more, read the source rows (letter, draft, inbox item) it points to."""

    __tablename__ = "search_document"
    # SQLite: INTEGER PRIMARY KEY is the rowid (64 bits); never assigned by the database (see above)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=False)
    kind: Mapped[str] = mapped_column(String(10))
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letter.id"))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("draft.id"), unique=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_item.id"), unique=True)
    doc_date: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    readers: Mapped[str] = mapped_column(Text, default="")
    tsv: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))  # PostgreSQL: trigger

    __table_args__ = (Index("ix_search_document_letter", "letter_id", "kind"),
                      Index("ix_search_document_date", "doc_date", "id"))  # filters without words: newest first


for _statement in SQLITE_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
event.listen(SearchDocument.__table__, "before_drop",
             DDL("DROP TABLE IF EXISTS search_fts").execute_if(dialect="sqlite"))
event.listen(SearchDocument.__table__, "after_drop",
             DDL("DROP FUNCTION IF EXISTS search_document_tsv()").execute_if(dialect="postgresql"))

__all__ = ["SearchDocument", "SEARCH_KINDS", "SEARCH_DB_OBJECTS", "is_search_db_object"]
