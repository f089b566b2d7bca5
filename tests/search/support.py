"""Reference answers for search tests: the visibility rule and the search order computed the slow, obvious way."""
from __future__ import annotations

import re

from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import SearchDocument
from sisumaker.services import search as s
from sisumaker.services.search_plan import viewer_readers, with_sources
from tests.letters.support import viewer


def visible_by_rule(username: str, filters: list | None = None) -> set[int]:
    """The document ids the visibility rule itself opens to the user (and the filters pass)."""
    doc = SearchDocument
    return set(db.session.scalars(with_sources(select(doc.id).select_from(doc), viewer(username), filters or [])))


def visible_by_readers(username: str) -> set[int]:
    """The document ids whose readers in the index include one of the user's reader words."""
    mine = set(viewer_readers(viewer(username)))
    return {d.id for d in db.session.scalars(select(SearchDocument)) if mine & set(d.readers.split())}


def assert_readers_follow_the_rule(usernames) -> None:
    """The readers kept in the index open exactly the documents the rule opens, to everyone."""
    db.session.rollback()
    for username in usernames:
        assert visible_by_readers(username) == visible_by_rule(username), username


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", (text or "").lower())


def expected_order(username: str, q: s.SearchQuery) -> list[int]:
    """The search order by its definition: every typed word starts a word of the document; perihal holding every
    word first, then some, then none; newest (the largest id) first in each."""
    terms = s.terms_of(q.text)
    visible = visible_by_rule(username, s._filters(q))
    ranked = []
    for d in db.session.scalars(select(SearchDocument).where(SearchDocument.id.in_(visible))):
        title, everything = _words(d.title), _words(d.title) + _words(d.body)
        if not all(any(w.startswith(t) for w in everything) for t in terms):
            continue
        in_title = sum(any(w.startswith(t) for w in title) for t in terms)
        tier = 0 if in_title == len(terms) else (1 if in_title else 2)
        ranked.append((tier, -d.id))
    return [-i for _tier, i in sorted(ranked)]
