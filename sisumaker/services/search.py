"""Search over everything the acting user may see: letters, outgoing drafts and dispositions.

Full text on both databases (SQLite FTS5 with bm25, PostgreSQL `simple` tsvector with ts_rank) over the index
kept by services/search_index.py; every word typed must match (as a word prefix, so results follow typing).
The visibility rule is the letters' own (services/access.py) and the outgoing module's for drafts, applied in
the same SQL as the match (services/search_plan.py), so neither the hits nor their count ever include what the
user may not see. The order: perihal holding every word, then some, then the rest; newest first in each.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from markupsafe import Markup, escape
from sqlalchemy import and_, exists, func, or_, select

from sisumaker.extensions import db
from sisumaker.models import JENIS, SIFAT, Draft, InboxItem, Letter, Position, RegisterEntry, SearchDocument, Unit
from sisumaker.models.outgoing import DRAFT_STATES
from sisumaker.services.access import REGISTER_UNIT_KINDS, Viewer, register_unit_of
from sisumaker.services.errors import ValidationError
from sisumaker.services.org import unit_subtree_ids
from sisumaker.services.search_index import document_id
from sisumaker.services.search_plan import ordered_matches, with_sources, plan_each_search

PAGE_SIZE = 20
COUNT_CAP = 1000  # "lebih dari 1.000": counting every match of a common word costs more than it tells
MAX_TERMS = 8
DIRECTIONS = {"masuk": "Surat masuk", "keluar": "Surat keluar"}
REGISTER_STATUSES = {"aktif": "Tercatat (aktif)", "dibatalkan": "Agenda dibatalkan"}
DRAFT_STATUSES = {"konsep": "Konsep", "review": "Dalam pemeriksaan (paraf)", "dikembalikan": "Dikembalikan",
                  "siap": "Siap ditandatangani", "ditandatangani": "Ditandatangani", "terkirim": "Terkirim"}
STATUSES = {**REGISTER_STATUSES, **DRAFT_STATUSES}
assert set(DRAFT_STATUSES) == set(DRAFT_STATES)


@dataclass(frozen=True)
class SearchQuery:
    """What the search form asks; empty fields do not filter."""

    text: str = ""
    direction: str = ""
    unit_id: int | None = None
    jenis: str = ""
    sifat: str = ""
    klasifikasi: str = ""
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""
    page: int = 1

    @property
    def is_empty(self) -> bool:
        return not (terms_of(self.text) or self.direction or self.unit_id or self.jenis or self.sifat
                    or self.klasifikasi or self.date_from or self.date_to or self.status)


@dataclass(frozen=True)
class Hit:
    kind: str  # surat | konsep | disposisi
    letter_id: int | None
    draft_id: int | None
    title: Markup
    snippet: Markup
    meta: str
    doc_date: date | None
    sifat: str
    label: str


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    total: int
    capped: bool
    page: int
    has_more: bool
    terms: tuple[str, ...] = field(default=())


def terms_of(raw: str) -> tuple[str, ...]:
    """The words of a query (letters and digits only, lower case): nothing else reaches the match syntax."""
    words = re.findall(r"[^\W_]+", (raw or "").lower())  # "_" separates words, as in both tokenizers
    return tuple(dict.fromkeys(words))[:MAX_TERMS]


def check_query(q: SearchQuery) -> None:
    """Rule: a query with unknown choices or an inverted date range is refused with a message per field."""
    errors = {}
    if len(q.text) > 200:
        errors["q"] = "Kata kunci paling banyak 200 karakter."
    if q.direction and q.direction not in DIRECTIONS:
        errors["arah"] = "Pilihan arah surat tidak valid."
    if q.jenis and q.jenis not in JENIS:
        errors["jenis"] = "Jenis naskah tidak dikenal."
    if q.sifat and q.sifat not in SIFAT:
        errors["sifat"] = "Sifat surat tidak dikenal."
    if q.status and q.status not in STATUSES:
        errors["status"] = "Status tidak dikenal."
    if q.klasifikasi and not re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,3})*", q.klasifikasi):
        errors["klasifikasi"] = "Kode klasifikasi tidak valid (contoh: 800 atau 000.8.3)."
    if q.date_from and q.date_to and q.date_from > q.date_to:
        errors["sampai"] = "Tanggal akhir tidak boleh sebelum tanggal awal."
    if q.unit_id is not None and db.session.get(Unit, q.unit_id) is None:
        errors["unit"] = "Unit tidak dikenal."
    if errors:
        raise ValidationError(errors)


def unit_choices(viewer: Viewer) -> list[Unit]:
    """Units offered in the filter: the registering units down to kecamatan, and the viewer's own."""
    kinds = tuple(k for k in REGISTER_UNIT_KINDS if k not in ("kelurahan", "desa"))
    own = {ap.position.unit_id for ap in viewer.positions} | set(viewer.clerk_unit_ids)
    return list(db.session.scalars(select(Unit).where(or_(Unit.kind.in_(kinds), Unit.id.in_(own)),
                                                      Unit.closed_on.is_(None)).order_by(Unit.name)))


def _filters(q: SearchQuery) -> list:
    doc, out = SearchDocument, []
    if q.direction == "masuk":
        out.append(and_(doc.kind != "konsep", Letter.direction == "masuk"))
    elif q.direction == "keluar":
        out.append(or_(doc.kind == "konsep", Letter.direction == "keluar"))
    if q.jenis:
        out.append(or_(Letter.jenis == q.jenis, Draft.jenis == q.jenis))
    if q.sifat:
        out.append(or_(Letter.sifat == q.sifat, Draft.sifat == q.sifat))
    if q.klasifikasi:
        code = func.coalesce(Letter.classification_code, Draft.classification_code)
        out.append(or_(code == q.klasifikasi, code.like(q.klasifikasi + ".%")))
    if q.date_from:
        out.append(doc.doc_date >= q.date_from)
    if q.date_to:
        out.append(doc.doc_date <= q.date_to)
    units = unit_subtree_ids(q.unit_id) if q.unit_id else None
    entry_conds = [RegisterEntry.letter_id == Letter.id]
    if units is not None:
        entry_conds.append(RegisterEntry.unit_id.in_(units))
    if q.status in REGISTER_STATUSES:
        entry_conds.append(RegisterEntry.status == q.status)
    if units is not None or q.status in REGISTER_STATUSES:
        letter_cond = and_(doc.kind != "konsep", exists().where(*entry_conds))
        if q.status in REGISTER_STATUSES:
            out.append(letter_cond)
        else:
            positions = select(Position.id).where(Position.unit_id.in_(units))
            out.append(or_(letter_cond, and_(doc.kind == "konsep", or_(
                Draft.drafter_position_id.in_(positions), Draft.signer_position_id.in_(positions)))))
    if q.status in DRAFT_STATUSES:
        out.append(and_(doc.kind == "konsep", Draft.status == q.status))
    return out


AGENDA_LABEL = re.compile(r"\s*(?:agenda\s*)?(\d{1,7})\s*/\s*(\d{4})\s*", re.IGNORECASE)


def _agenda_hits(viewer: Viewer, q: SearchQuery) -> list[int]:
    """A query that is an agenda number ("15/2026") finds that line of the viewer's own registers first
    (agenda numbers are per unit: another unit's 15/2026 is another letter)."""
    m = AGENDA_LABEL.fullmatch(q.text or "")
    if m is None:
        return []
    units = set(viewer.clerk_unit_ids) | {u.id for u in (register_unit_of(ap.position) for ap in viewer.positions)
                                          if u is not None}
    entry = exists().where(RegisterEntry.letter_id == SearchDocument.letter_id, RegisterEntry.unit_id.in_(units),
                           RegisterEntry.agenda_number == int(m[1]), RegisterEntry.year == int(m[2]))
    stmt = with_sources(select(SearchDocument.id).select_from(SearchDocument), viewer, _filters(q))
    return list(db.session.scalars(stmt.where(SearchDocument.kind == "surat", entry)))


def _id_range(q: SearchQuery) -> tuple[int | None, int | None]:
    """The document ids a date range holds (ids begin with their date's day: search_index.document_id)."""
    lo = document_id("surat", 0, q.date_from) if q.date_from else None
    hi = document_id("surat", 0, q.date_to + timedelta(days=1)) if q.date_to else None
    return lo, hi


def search(viewer: Viewer, q: SearchQuery) -> SearchResult:
    """Rule: only documents the viewer may see are found, ordered, counted (exactly, up to COUNT_CAP) and paged
    (PAGE_SIZE a page). Words: perihal holding every word first, then some, then the rest, each newest first
    (services/search_plan.py). Filters alone: newest first."""
    check_query(q)
    q = replace(q, page=max(1, min(q.page, 500)))
    terms = terms_of(q.text)
    if q.is_empty or not (viewer.position_ids or viewer.clerk_unit_ids):
        return SearchResult([], 0, False, q.page, False, terms)
    plan_each_search()
    doc = SearchDocument
    need = q.page * PAGE_SIZE + 1
    fetch = max(COUNT_CAP + 1, need)
    if not terms:
        ids = list(db.session.scalars(with_sources(select(doc.id).select_from(doc), viewer, _filters(q))
                                      .order_by(doc.id.desc()).limit(fetch)))
    else:
        ids = ordered_matches(viewer, terms, _filters(q), fetch, _id_range(q))
        exact = _agenda_hits(viewer, q)
        ids = exact + [i for i in ids if i not in frozenset(exact)] if exact else ids
    page_ids = ids[(q.page - 1) * PAGE_SIZE:q.page * PAGE_SIZE]
    docs = {d.id: d for d in db.session.scalars(select(doc).where(doc.id.in_(page_ids)))}
    hits = describe_hits([docs[i] for i in page_ids], terms)
    return SearchResult(hits, min(len(ids), COUNT_CAP), len(ids) > COUNT_CAP, q.page, len(ids) >= need, terms)


def describe_hits(docs: list[SearchDocument], terms: tuple[str, ...]) -> list[Hit]:
    """The hits as shown: title and a snippet with the matched words marked (escaped first, then marked)."""
    letters = {x.id: x for x in db.session.scalars(select(Letter).where(
        Letter.id.in_({d.letter_id for d in docs if d.letter_id})))}
    drafts = {x.id: x for x in db.session.scalars(select(Draft).where(
        Draft.id.in_({d.draft_id for d in docs if d.draft_id})))}
    items = {x.id: x for x in db.session.scalars(select(InboxItem).where(
        InboxItem.id.in_({d.item_id for d in docs if d.item_id})))}
    hits = []
    for d in docs:
        if d.kind == "konsep":
            draft = drafts[d.draft_id]
            hits.append(Hit("konsep", draft.letter_id, draft.id, highlight(draft.perihal, terms),
                            snippet(d.body, terms), f"{JENIS.get(draft.jenis, draft.jenis)} · "
                            f"{DRAFT_STATUSES.get(draft.status, draft.status)}" + (f" · No. {draft.number}"
                                                                                  if draft.number else ""),
                            d.doc_date, draft.sifat, "Konsep surat keluar"))
            continue
        letter = letters[d.letter_id]
        meta = f"{letter.sender} · No. {letter.number}"
        if d.kind == "disposisi":
            item = items[d.item_id]
            who = item.from_position.title if item.from_position else ""
            hits.append(Hit("disposisi", letter.id, None, highlight(letter.perihal, terms),
                            snippet(f"{item.note} {item.report}".strip() or d.body, terms),
                            f"Disposisi {who} kepada {item.position.title}", d.doc_date, letter.sifat,
                            "Disposisi"))
            continue
        body = " ".join(x for x in (letter.summary, letter.sender, letter.number, letter.event_place or "") if x)
        hits.append(Hit("surat", letter.id, None, highlight(letter.perihal, terms), snippet(body, terms), meta,
                        d.doc_date, letter.sifat, DIRECTIONS.get(letter.direction, "Surat")))
    return hits


def _pattern(terms: tuple[str, ...]) -> re.Pattern | None:
    if not terms:
        return None
    words = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{words})\w*", re.IGNORECASE)


def highlight(raw: str, terms: tuple[str, ...]) -> Markup:
    """The text with each word that starts with a search term in <mark>; every piece is HTML-escaped first."""
    raw = raw or ""
    pattern = _pattern(terms)
    if pattern is None:
        return escape(raw)
    out, pos = [], 0
    for m in pattern.finditer(raw):
        out += [escape(raw[pos:m.start()]), Markup("<mark>"), escape(m.group(0)), Markup("</mark>")]
        pos = m.end()
    out.append(escape(raw[pos:]))
    return Markup("").join(out)


def snippet(raw: str, terms: tuple[str, ...], width: int = 220) -> Markup:
    """A window of the text around its first matched word (or its start), highlighted."""
    raw = " ".join((raw or "").split())
    pattern = _pattern(terms)
    m = pattern.search(raw) if pattern else None
    start = 0
    if m and m.start() > width // 3:
        start = raw.rfind(" ", 0, m.start() - width // 3) + 1
    end = min(len(raw), start + width)
    if end < len(raw):
        end = max(raw.rfind(" ", start, end), start + width // 2)
    piece = raw[start:end]
    return Markup("").join([Markup("… ") if start else Markup(""), highlight(piece, terms),
                            Markup(" …") if end < len(raw) else Markup("")])
