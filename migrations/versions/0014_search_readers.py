"""search: readers in the full-text index, document ids ordered by date

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 14:30:00

Every document gets `readers` (who may see it, as words: p<position>, u<unit> for its clerks, d<user> for a
draft's drafter) inside the full-text index, and the id day-of-date x 2^32 + source id x 4 + kind (so ordering by
id is ordering by date). The existing rows keep their text; ids and readers are computed here from the source rows,
the FTS5 table (SQLite) or the tsvector trigger and GIN index (PostgreSQL) are built again.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# Frozen copies of sisumaker/models/search.py's DDL (as of this revision).
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
POSTGRES_FUNCTION = (
    "CREATE OR REPLACE FUNCTION search_document_tsv() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"NEW.tsv := setweight(to_tsvector('simple', {_WORDS.format('title')}), 'A') || "
    f"setweight(to_tsvector('simple', {_WORDS.format('body')}), 'B') || "
    f"array_to_tsvector(array(SELECT '^' || lexeme FROM unnest(to_tsvector('simple', {_WORDS.format('title')})))) || "
    "array_to_tsvector(array(SELECT '~' || r FROM unnest(string_to_array(coalesce(NEW.readers, ''), ' ')) r "
    "WHERE r <> '')); RETURN NEW; END $$")
POSTGRES_TRIGGER = ("CREATE TRIGGER search_document_tsv BEFORE INSERT OR UPDATE ON search_document "
                    "FOR EACH ROW EXECUTE FUNCTION search_document_tsv()")
POSTGRES_INDEX = "CREATE INDEX ix_search_document_fts ON search_document USING gin (tsv)"

_TOKENS = """
SELECT letter_id AS src, 'surat' AS kind, 'p' || position_id AS tok FROM inbox_item WHERE status <> 'ditarik'
UNION SELECT letter_id, 'surat', 'p' || from_position_id FROM inbox_item WHERE from_position_id IS NOT NULL
UNION SELECT e.letter_id, 'surat', 'u' || e.unit_id FROM register_entry e JOIN letter l ON l.id = e.letter_id
      WHERE l.sifat NOT IN ('R', 'SR')
UNION SELECT id, 'disposisi', 'p' || position_id FROM inbox_item WHERE kind = 'disposisi' AND status <> 'ditarik'
UNION SELECT id, 'disposisi', 'p' || from_position_id FROM inbox_item
      WHERE kind = 'disposisi' AND from_position_id IS NOT NULL
UNION SELECT id, 'konsep', 'd' || drafter_id FROM draft
UNION SELECT id, 'konsep', 'p' || signer_position_id FROM draft WHERE signer_position_id IS NOT NULL
UNION SELECT draft_id, 'konsep', 'p' || position_id FROM review_step
"""


def _renumbered(dialect: str) -> str:
    day = ("CAST(julianday(d.doc_date) - 2440587.5 AS INTEGER)" if dialect == "sqlite"
           else "(d.doc_date - DATE '1970-01-01')")
    joined = "group_concat(t.tok, ' ')" if dialect == "sqlite" else "string_agg(t.tok, ' ')"
    return f"""
SELECT CAST(coalesce({day}, 0) AS BIGINT) * 4294967296
         + coalesce(d.item_id, d.draft_id, d.letter_id) * 4
         + CASE d.kind WHEN 'surat' THEN 0 WHEN 'disposisi' THEN 1 ELSE 2 END AS id,
       d.kind, d.letter_id, d.draft_id, d.item_id, d.doc_date, d.title, d.body, coalesce(r.readers, '') AS readers
FROM search_document d
LEFT JOIN (SELECT t.src, t.kind, {joined} AS readers FROM ({_TOKENS}) t GROUP BY t.src, t.kind) r
       ON r.kind = d.kind AND r.src = coalesce(d.item_id, d.draft_id, d.letter_id)"""


_COLUMNS = "id, kind, letter_id, draft_id, item_id, doc_date, title, body, readers"


def _drop_fts5() -> None:
    for trigger in ("search_document_ai", "search_document_ad", "search_document_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS search_fts")


def _build_fts5(ddl) -> None:
    for statement in ddl:
        op.execute(statement)
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_fts5()
        op.execute("ALTER TABLE search_document ADD COLUMN readers TEXT NOT NULL DEFAULT ''")
    else:
        op.execute("DROP TRIGGER IF EXISTS search_document_tsv ON search_document")
        op.execute("DROP INDEX IF EXISTS ix_search_document_fts")
        op.execute("ALTER TABLE search_document ADD COLUMN readers TEXT NOT NULL DEFAULT ''")
        op.execute("ALTER TABLE search_document ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS search_document_id_seq")
        op.execute("ALTER TABLE search_document ALTER COLUMN id TYPE BIGINT")
    op.execute(f"CREATE TEMPORARY TABLE search_document_renumbered AS {_renumbered(dialect)}")
    op.execute("DELETE FROM search_document" if dialect == "sqlite" else "TRUNCATE search_document")
    if dialect == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    op.execute(f"INSERT INTO search_document ({_COLUMNS}) SELECT {_COLUMNS} FROM search_document_renumbered")
    op.execute("DROP TABLE search_document_renumbered")
    if dialect == "sqlite":
        _build_fts5(SQLITE_DDL)
    else:
        op.execute(POSTGRES_INDEX)


OLD_SQLITE_DDL = (
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
OLD_POSTGRES_FUNCTION = (
    "CREATE OR REPLACE FUNCTION search_document_tsv() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"NEW.tsv := setweight(to_tsvector('simple', {_WORDS.format('title')}), 'A') || "
    f"setweight(to_tsvector('simple', {_WORDS.format('body')}), 'B'); RETURN NEW; END $$")


def downgrade():
    """Back to 0013: the text stays, the readers go, the ids are numbered 1, 2, ... again."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_fts5()
        op.execute("ALTER TABLE search_document DROP COLUMN readers")
        _build_fts5(OLD_SQLITE_DDL)
        return
    columns = "kind, letter_id, draft_id, item_id, doc_date, title, body"
    op.execute("DROP TRIGGER IF EXISTS search_document_tsv ON search_document")
    op.execute("DROP INDEX IF EXISTS ix_search_document_fts")
    op.execute(f"CREATE TEMPORARY TABLE search_document_old AS SELECT {columns} FROM search_document ORDER BY id")
    op.execute("TRUNCATE search_document")
    op.execute("ALTER TABLE search_document DROP COLUMN readers")
    op.execute("ALTER TABLE search_document ALTER COLUMN id TYPE INTEGER")
    op.execute("CREATE SEQUENCE search_document_id_seq OWNED BY search_document.id")
    op.execute("ALTER TABLE search_document ALTER COLUMN id SET DEFAULT nextval('search_document_id_seq')")
    op.execute(OLD_POSTGRES_FUNCTION)
    op.execute(POSTGRES_TRIGGER)
    op.execute(f"INSERT INTO search_document ({columns}) SELECT {columns} FROM search_document_old")
    op.execute("DROP TABLE search_document_old")
    op.execute(POSTGRES_INDEX)
