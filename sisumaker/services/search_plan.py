"""How a word search finds the viewer's matches, in order, from the full-text index.

The order (shown on the results page): documents whose perihal holds every word typed, then those whose perihal
holds some of them, then the rest (the words are in the sender, number, summary, draft text or a disposition
note); within each, newest first — by the document's date, then by its source (services/search_index.py: the
document ids are built so that ordering by id is ordering by date).

Why this order and not a relevance score over every match: officials look for the recent letter about a subject,
and the subject is the perihal. A score (bm25, ts_rank) must be computed for every visible match before the first
page can be shown — 450,000 matches of a standard disposition instruction at 1,000,000 letters, half a second —
whereas this order is read straight off the index: each tier is one full-text query that intersects the words
with the viewer's readers inside the index (`search_document.readers`) and is walked newest first, stopping when
the page and the count (up to search.COUNT_CAP) are full. The work grows with what the page shows, not with how
many letters hold a common word. (PostgreSQL's GIN index answers unordered: there a search the planner expects to
match few of the viewer's documents reads them all in one scan instead; see ordered_matches.)

The readers in the index are a second copy of the visibility rule (kept by search_index.py): every batch of hits
is checked against the rule itself (visible_document_clause) before it is used, so a reader list that lagged could
hide a document from a search but never show one.
"""
from __future__ import annotations

from sqlalchemy import and_, case, column, or_, select, table, text

from sisumaker.extensions import db
from sisumaker.models import Draft, InboxItem, Letter, SearchDocument
from sisumaker.services.access import Viewer, visible_letter_clause
from sisumaker.services.outgoing import visible_draft_clause
from sisumaker.services.search_index import reader_tokens

_FTS = table("search_fts", column("rowid"))  # SQLite's FTS5 table (models/search.py)
_DOC = SearchDocument
ONE_PASS_MAX = 20_000  # PostgreSQL: expected matches up to which one bitmap scan beats a walk per tier


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def viewer_readers(viewer: Viewer) -> list[str]:
    """The reader words that open a document to this viewer (search_index.reader_tokens)."""
    return reader_tokens(viewer.position_ids, viewer.clerk_unit_ids, viewer.user.id)


def _fts5_tiers(terms: tuple[str, ...], readers: list[str]) -> list[str]:
    """FTS5 queries, one per tier. The words are matched in title and body only (a typed "p12" is a word, never
    a reader); every word of a query is letters and digits only (search.terms_of), quoted all the same."""
    words = [f'"{t}"*' for t in terms]
    every, some = " AND ".join(words), " OR ".join(words)
    mine = "{readers}: (" + " OR ".join(f'"{r}"' for r in readers) + ")"
    everywhere = f"{{title body}}: ({every})"
    tiers = [f"({{title}}: ({every})) AND {mine}"]
    if len(terms) > 1:
        tiers.append(f"(({{title}}: ({some})) AND ({everywhere}) AND {mine}) NOT ({{title}}: ({every}))")
    tiers.append(f"(({everywhere}) AND {mine}) NOT ({{title}}: ({some}))")
    return tiers


def _tsquery_parts(terms: tuple[str, ...], readers: list[str]) -> dict[str, str]:
    """PostgreSQL tsquery texts: the words as `simple` prefixes anywhere, `^word` prefixes for the title, `~reader`
    lexemes (models/search.py)."""
    return {"every": " & ".join(f"{t}:*" for t in terms),
            "t_every": " & ".join(f"'^{t}':*" for t in terms),
            "t_some": " | ".join(f"'^{t}':*" for t in terms),
            "readers": " | ".join(f"'~{r}'" for r in readers)}


def _tsquery(expression: str, parts: dict[str, str]):
    """A tsquery expression over the parts (`words`, `mine`, `t_every`, `t_some`; `!!` negates)."""
    sql = (expression.replace("words", "to_tsquery('simple', :every)").replace("mine", "CAST(:readers AS tsquery)")
           .replace("t_every", "CAST(:t_every AS tsquery)").replace("t_some", "CAST(:t_some AS tsquery)"))
    return text(f"({sql})").bindparams(**{k: v for k, v in parts.items() if f":{k}" in sql})


def _tsquery_tiers(terms: tuple[str, ...], readers: list[str]):
    """The same tiers as PostgreSQL tsquery expressions."""
    parts = _tsquery_parts(terms, readers)
    tiers = ["t_every && words && mine"]
    if len(terms) > 1:
        tiers.append("t_some && words && !!t_every && mine")
    tiers.append("words && !!t_some && mine")
    return [_tsquery(tier, parts) for tier in tiers]


def _own_items(viewer: Viewer):
    """The inbox items whose disposition note the viewer may read: sent to them (not recalled) or by them."""
    pids = list(viewer.position_ids) or [-1]
    return or_(and_(InboxItem.position_id.in_(pids), InboxItem.status != "ditarik"),
               InboxItem.from_position_id.in_(pids))


def visible_document_clause(viewer: Viewer):
    """Rule: letters as services/access.py says; drafts as the outgoing module says; a disposition's note only to
    its sender and its (not recalled) recipient. A condition on a SearchDocument joined to its source rows."""
    return or_(and_(_DOC.kind == "surat", visible_letter_clause(viewer)),
               and_(_DOC.kind == "konsep", visible_draft_clause(viewer)),
               and_(_DOC.kind == "disposisi", _own_items(viewer)))


def _joined_to_sources(stmt):
    return (stmt.outerjoin(Letter, Letter.id == _DOC.letter_id)
            .outerjoin(Draft, Draft.id == _DOC.draft_id)
            .outerjoin(InboxItem, InboxItem.id == _DOC.item_id))


def with_sources(stmt, viewer: Viewer, filters: list):
    """Join a statement over SearchDocument to its source rows; apply the filters and the visibility rule."""
    return _joined_to_sources(stmt).where(*filters, visible_document_clause(viewer))


def _tier_candidates(match, filters: list, lo: int | None, hi: int | None):
    """One tier's matching documents (the readers are part of the match) that pass the filters, newest first."""
    if _sqlite():
        # the full-text table is the outer loop, walked by rowid descending (the index's own order), so LIMIT
        # stops the walk; FTS5 takes the id range as a rowid range
        stmt = select(_DOC.id).select_from(_FTS.join(_DOC, _DOC.id == _FTS.c.rowid))
        stmt = stmt.where(text("search_fts MATCH :fts").bindparams(fts=match))
        key = _FTS.c.rowid
    else:
        stmt = select(_DOC.id).select_from(_DOC).where(_DOC.tsv.op("@@")(match))
        key = _DOC.id
    if lo is not None:
        stmt = stmt.where(key >= lo)
    if hi is not None:
        stmt = stmt.where(key < hi)
    return _joined_to_sources(stmt).where(*filters).order_by(key.desc())


def _visible_among(viewer: Viewer, ids: list[int]) -> set[int]:
    """The documents among `ids` that the visibility rule itself opens to the viewer."""
    return set(db.session.scalars(with_sources(select(_DOC.id).select_from(_DOC), viewer, [])
                                  .where(_DOC.id.in_(ids))))


def _checked(viewer: Viewer, batches, fetch: int) -> list[int]:
    """Take the batches (each: a list of ids, and how many were asked) while they come full, keeping what the
    visibility rule opens, until `fetch` are found."""
    found: list[int] = []
    for batch, asked in batches:
        visible = _visible_among(viewer, batch) if batch else set()
        found.extend(i for i in batch if i in visible)
        if len(batch) < asked or len(found) >= fetch:
            break
    return found[:fetch]


def _by_tier(viewer: Viewer, terms, readers, filters: list, fetch: int, lo, hi) -> list[int]:
    """Tier after tier, each walked newest first; a batch the rule thinned is followed by the next, older one."""
    tiers = _fts5_tiers(terms, readers) if _sqlite() else _tsquery_tiers(terms, readers)
    found: list[int] = []
    for match in tiers:
        def batches(match=match, top=hi):
            while True:
                want = fetch - len(found)
                batch = list(db.session.scalars(_tier_candidates(match, filters, lo, top).limit(want)))
                yield batch, want
                top = batch[-1] if batch else top
        if len(found) < fetch:
            found.extend(_checked(viewer, batches(), fetch - len(found)))
    return found


def _one_pass_statement(terms, readers, filters: list, lo, hi):
    """PostgreSQL: every match (words and readers) in one GIN bitmap scan, its tier computed on the row."""
    parts = _tsquery_parts(terms, readers)
    tier = case((_DOC.tsv.op("@@")(_tsquery("t_every", parts)), 0),
                (_DOC.tsv.op("@@")(_tsquery("t_some", parts)), 1), else_=2)
    stmt = select(_DOC.id).select_from(_DOC).where(_DOC.tsv.op("@@")(_tsquery("words && mine", parts)))
    stmt = stmt.where(*((_DOC.id >= lo,) if lo is not None else ()), *((_DOC.id < hi,) if hi is not None else ()))
    return _joined_to_sources(stmt).where(*filters).order_by(tier, _DOC.id.desc())


def _estimated_rows(stmt) -> int:
    """The planner's estimate of a statement's rows (one EXPLAIN, no execution)."""
    compiled = stmt.compile(dialect=db.session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
    return int(plan[0]["Plan"]["Plan Rows"])


def ordered_matches(viewer: Viewer, terms: tuple[str, ...], filters: list, fetch: int,
                    ids: tuple[int | None, int | None] = (None, None)) -> list[int]:
    """Rule: the visible matches in the search order (tiers, newest first), at most `fetch` document ids.
    `ids` bounds the document ids (a date range: search_index.document_id). Every batch the index gives is
    checked against the visibility rule itself.

    SQLite walks each tier through FTS5 (its doclists are in id order: the walk stops at `fetch`). PostgreSQL's
    GIN index answers unordered: when the planner expects at most ONE_PASS_MAX matches of the words among the
    viewer's documents, one bitmap scan reads them all and orders them (one partial-match scan a word instead of
    one a tier); more, and each tier is walked newest first as on SQLite."""
    lo, hi = ids
    readers = viewer_readers(viewer)
    if not _sqlite():
        one_pass = _one_pass_statement(terms, readers, [], lo, hi)
        if _estimated_rows(one_pass) <= ONE_PASS_MAX:
            stmt = _one_pass_statement(terms, readers, filters, lo, hi)

            def batches():
                offset = 0
                while True:
                    batch = list(db.session.scalars(stmt.offset(offset).limit(fetch)))
                    yield batch, fetch
                    offset += len(batch)
            return _checked(viewer, batches(), fetch)
    return _by_tier(viewer, terms, readers, filters, fetch, lo, hi)


def plan_each_search() -> None:
    """PostgreSQL, for the rest of this transaction: a plan made for each statement's own words and readers (a
    prepared statement's generic plan knows neither: it would walk the whole index for a word found nowhere, or
    read every match of a common one), and no JIT compilation (20-50 ms a statement to save less than that)."""
    if not _sqlite():
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


__all__ = ["ordered_matches", "viewer_readers", "visible_document_clause", "with_sources",
           "plan_each_search"]
