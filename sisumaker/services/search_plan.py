"""How a word search finds the viewer's best-ranked matches: two strategies with one answer, and the choice.

Both give the same documents in the same order (rank, then newest first) — tests/search/test_search_plan.py runs
every query both ways on both databases — they differ only in what they read:

- rank first: the best-ranked matches of the whole index, a window at a time (WINDOWS), each checked against the
  visibility rule, the window widened until the page is full or every match was checked. Cheap when the viewer sees
  a large share of what matches (the Bupati, the Setda's clerk): the first window fills the page.
- visible first: the documents the viewer may see are listed from the viewer's own rows (the inbox items of their
  positions, their units' register lines, their drafts) through indexes, then the match is ranked within that list
  only. Cheap when the viewer sees few letters (a kepala dinas, a camat), for whom the best-ranked matches of a
  common word are mostly other people's letters; and always complete, so the count is exact.

The choice: the viewer's rows are counted up to SMALL_VISIBLE (an index-only count) and the matches up to
MANY_MATCHES; few rows and many matches: visible first.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (Integer, and_, cast, column, func, literal_column, null, or_, select, table, text, union,
                        union_all)
from sqlalchemy.dialects.postgresql import ARRAY

from sisumaker.extensions import db
from sisumaker.models import Draft, InboxItem, Letter, RegisterEntry, ReviewStep, SearchDocument
from sisumaker.services.access import Viewer, visible_letter_clause, visible_letter_ids
from sisumaker.services.outgoing import visible_draft_clause

WINDOWS = (1000, 10_000, 100_000)  # rank first: best-ranked matches checked first; wider only when too few are visible
SMALL_VISIBLE = 40_000  # a viewer with fewer rows (inbox items, register lines) than this is searched visible first
MANY_MATCHES = WINDOWS[0]  # ... when the words match more documents than this (fewer: one ranking pass is cheaper)
_FTS = table("search_fts", column("rowid"))  # SQLite's FTS5 table (models/search.py)
_DOC = SearchDocument


@dataclass(frozen=True)
class Candidates:
    """The visible matches in order (at most `fetch`); complete: every match was checked, the count is exact."""

    ids: list[int]
    complete: bool


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def match_condition(terms: tuple[str, ...]):
    """(source of matching document ids, its id column, condition, rank expression: lower sorts first)."""
    if not _sqlite():
        tsq = func.to_tsquery("simple", " & ".join(f"{t}:*" for t in terms))
        tsv = _DOC.tsv
        return _DOC, _DOC.id, tsv.op("@@")(tsq), -func.ts_rank(tsv, tsq)
    fts = " ".join(f'"{t}"*' for t in terms)
    return (_FTS, _FTS.c.rowid, text("search_fts MATCH :fts").bindparams(fts=fts),
            func.bm25(literal_column("search_fts"), 10.0, 1.0))


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


def visible_document_ids(viewer: Viewer):
    """The same rule as visible_document_clause, as a list of document ids built from the viewer's own rows (each
    source through its index) instead of a test of every document."""
    pids = list(viewer.position_ids) or [-1]
    items = union(select(InboxItem.id).where(InboxItem.position_id.in_(pids), InboxItem.status != "ditarik"),
                  select(InboxItem.id).where(InboxItem.from_position_id.in_(pids)))
    drafts = union(select(Draft.id).where(Draft.drafter_id == viewer.user.id),
                   select(Draft.id).where(Draft.signer_position_id.in_(pids)),
                   select(ReviewStep.draft_id).where(ReviewStep.position_id.in_(pids)))
    # only a disposition's document has an item_id, only a draft's a draft_id: their unique indexes answer alone
    return union_all(select(_DOC.id).where(_DOC.kind == "surat", _among(_DOC.letter_id, visible_letter_ids(viewer))),
                     select(_DOC.id).where(_among(_DOC.item_id, items)),
                     select(_DOC.id).where(_among(_DOC.draft_id, drafts)))


def _among(col, ids):
    """`col IN (ids)`, written for each database's planner: PostgreSQL gets the list as one array computed first
    (col = ANY(...)), so it looks each id up in the index (or ANDs the index bitmaps) instead of hashing the list
    and scanning the whole table."""
    if _sqlite():
        return col.in_(ids)
    listed = ids.subquery()
    return col == func.any(cast(select(func.array_agg(listed.c[0])).scalar_subquery(), ARRAY(Integer)))


def with_sources(stmt, viewer: Viewer, filters: list, *, visible: bool = True):
    """Join a statement over SearchDocument to its source rows; apply the filters and (unless the documents were
    taken from visible_document_ids) the visibility rule."""
    stmt = (stmt.outerjoin(Letter, Letter.id == _DOC.letter_id)
            .outerjoin(Draft, Draft.id == _DOC.draft_id)
            .outerjoin(InboxItem, InboxItem.id == _DOC.item_id))
    return stmt.where(*filters, *((visible_document_clause(viewer),) if visible else ()))


def visible_rows_up_to(viewer: Viewer, cap: int) -> int:
    """How many rows make the viewer's visible set (inbox items to and from their positions, their units' register
    lines), counted through indexes, up to `cap` in all."""
    pids = list(viewer.position_ids) or [-1]
    parts = [select(InboxItem.id).where(InboxItem.position_id.in_(pids)),
             select(InboxItem.id).where(InboxItem.from_position_id.in_(pids))]
    if viewer.clerk_unit_ids:
        parts.append(select(RegisterEntry.id).where(RegisterEntry.unit_id.in_(list(viewer.clerk_unit_ids))))
    rows = union_all(*parts).limit(cap).subquery()
    return db.session.scalar(select(func.count()).select_from(rows))


def choose(viewer: Viewer, terms: tuple[str, ...]) -> str:
    """Visible first for a viewer with fewer than SMALL_VISIBLE rows and a word with more than MANY_MATCHES
    matches; otherwise rank first (a rarer word is ranked whole in one pass, whoever asks)."""
    if visible_rows_up_to(viewer, SMALL_VISIBLE) >= SMALL_VISIBLE:
        return "rank"
    return "visible" if _matches_up_to(terms, MANY_MATCHES + 1) > MANY_MATCHES else "rank"


def _newest():
    return [_DOC.doc_date.desc(), _DOC.id.desc()]


def _ranked_cte(terms: tuple[str, ...], window: int | None, only=None):
    """The matching documents with their rank (only those in `only` when given), as a CTE computed once per
    statement (MATERIALIZED: on SQLite the FTS5 match must run once, not once per row).

    With a window, the newest of a rank is never left out of it: on SQLite the `window` best-ranked and every
    document tied with the last of them (rank at most the window-th best rank), with `total`, the number of matches
    (the window was every match when it holds `total` rows); on PostgreSQL the `window` first in the whole order."""
    source, id_col, condition, rank = match_condition(terms)
    scored = select(id_col.label("doc_id"), rank.label("rank")).select_from(source).where(condition)
    if only is not None:
        # SQLite: "+ 0" tests each match against the list; a plain rowid IN would make FTS5 run the whole
        # full-text query once per listed id. The rank is computed for the rows that pass only.
        scored = scored.where(_among(id_col + 0 if _sqlite() else id_col, select(only.c.id)))
    if window is None:
        return scored.cte("ranked").prefix_with("MATERIALIZED")
    if not _sqlite():
        # PostgreSQL reads each match's row for its rank anyway: the window is cut on the whole order (rank, then
        # newest), so it has no ties to complete (ts_rank has large ones); `total` unknown
        return (scored.add_columns(null().label("total")).order_by(rank, *_newest()).limit(window)
                .cte("ranked").prefix_with("MATERIALIZED"))
    scored = scored.cte("scored").prefix_with("MATERIALIZED")
    cut = select(scored.c.rank).order_by(scored.c.rank).limit(1).offset(window - 1).scalar_subquery()
    total = select(func.count()).select_from(scored).scalar_subquery()
    return (select(scored.c.doc_id, scored.c.rank, total.label("total"))
            .where(or_(scored.c.rank <= cut, cut.is_(None)))  # no window-th: fewer matches than the window
            .cte("ranked").prefix_with("MATERIALIZED"))


def visible_first(viewer: Viewer, terms: tuple[str, ...], filters: list, fetch: int) -> Candidates:
    """The viewer's documents listed first (visible_document_ids), the match ranked within them only."""
    vis = visible_document_ids(viewer).cte("vis").prefix_with("MATERIALIZED")
    ranked = _ranked_cte(terms, None, only=vis)
    stmt = with_sources(select(_DOC.id).select_from(ranked).join(_DOC, _DOC.id == ranked.c.doc_id), viewer,
                        filters, visible=False)
    return Candidates(list(db.session.scalars(stmt.order_by(ranked.c.rank, *_newest()).limit(fetch))), True)


def rank_first(viewer: Viewer, terms: tuple[str, ...], filters: list, fetch: int, need: int) -> Candidates:
    """The best-ranked matches (a window, with all its ties) checked against the visibility rule; the window widens
    until `need` visible documents are found or every match was checked (then the count is exact). Filters pass a
    small share of the matches: with filters the first window is skipped (each window ranks every match again)."""
    windows = WINDOWS[1:] if filters and len(WINDOWS) > 1 else WINDOWS
    for window in windows + (None,):
        ranked = _ranked_cte(terms, window)
        if window is None:
            stmt = select(_DOC.id)
        else:
            in_window = select(func.count()).select_from(ranked).scalar_subquery()  # computed once
            stmt = select(_DOC.id, in_window, ranked.c.total)
        stmt = with_sources(stmt.select_from(ranked).join(_DOC, _DOC.id == ranked.c.doc_id), viewer, filters)
        rows = db.session.execute(stmt.order_by(ranked.c.rank, *_newest()).limit(fetch)).all()
        if window is None:
            complete = True
        elif rows:
            complete = rows[0][1] == rows[0][2] if rows[0][2] is not None else rows[0][1] < window
        else:
            complete = _matches_up_to(terms, window + 1) <= window
        if complete or len(rows) >= need:
            return Candidates([r[0] for r in rows], complete)
    raise AssertionError("unreachable: the last window is unbounded")


def _matches_up_to(terms: tuple[str, ...], limit: int) -> int:
    source, id_col, condition, _rank = match_condition(terms)
    inner = select(id_col).select_from(source).where(condition).limit(limit).subquery()
    return db.session.scalar(select(func.count()).select_from(inner))


def without_jit() -> None:
    """PostgreSQL: no JIT compilation for the rest of this transaction. The search statements are estimated as
    costly (a list of ids whose size the planner cannot know) and JIT would spend 20-50 ms compiling each one
    to save less than that."""
    if not _sqlite():
        db.session.execute(text("SET LOCAL jit = off"))


def best_matches(viewer: Viewer, terms: tuple[str, ...], filters: list, fetch: int, need: int,
                 strategy: str | None = None) -> Candidates:
    """Rule: the visible matches, best-ranked first (then newest), at most `fetch`; exact order either way."""
    if (strategy or choose(viewer, terms)) == "visible":
        return visible_first(viewer, terms, filters, fetch)
    return rank_first(viewer, terms, filters, fetch, need)


__all__ = ["Candidates", "WINDOWS", "SMALL_VISIBLE", "MANY_MATCHES", "best_matches", "choose", "without_jit",
           "rank_first", "visible_first", "visible_document_clause", "visible_document_ids", "with_sources",
           "match_condition"]
