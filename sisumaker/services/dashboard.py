"""The adoption dashboard (the SPBE numbers regional leaders report), per OPD and for the whole regency.

Every figure is one aggregate query grouped by OPD: a recursive CTE maps each unit (and so each position) to its
OPD — the units directly below the Pemkab (Setda, badan, dinas, lembaga, kecamatan with their desa); the Pemkab's
own positions (Bupati, Wakil Bupati) count with the Setda, which keeps their register. Medians are exact, computed
in the database (percentile_cont on PostgreSQL, row_number windows on SQLite). Letter figures count Biasa and
Terbatas letters only, so no number reveals a Rahasia letter. The page reads these figures from a snapshot the
worker computes (services.dashboard_snapshot); `dashboard` here computes them live.

Paper saved (an estimate, shown with its rule): each letter that arrived by electronic delivery saves its printed
copy — 1 sheet plus 1 per attachment; each disposition saves its lembar disposisi — 1 sheet; each electronically
signed document saves its printed pages (1 when the page count is unknown). 1 rim = 500 lembar.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Integer, MetaData, Table, and_, case, func, or_, select, text
from sqlalchemy.orm import aliased
from sqlalchemy.schema import CreateTable

from sisumaker.extensions import db
from sisumaker.models import (CONFIDENTIAL, Certificate, InboxItem, Letter, Position, RegisterEntry, SignatureRequest,
                              SignDocument, StoredFile, Unit, User)
from sisumaker.services.access import Viewer
from sisumaker.services.calendar import overdue_cutoff
from sisumaker.services.errors import PermissionDenied, ValidationError

WIB = ZoneInfo("Asia/Jakarta")
SHEETS_PER_REAM = 500
OPEN = ("diterima", "dibaca", "diproses")
REGENCY_UNIT_KINDS = ("pemkab", "setda")  # heads of these units see the whole regency


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00 WIB, the day after end 00:00 WIB) in UTC."""
        lo = datetime.combine(self.start, time(0), WIB).astimezone(timezone.utc)
        hi = datetime.combine(self.end + timedelta(days=1), time(0), WIB).astimezone(timezone.utc)
        return lo, hi


def parse_period(start: date | None, end: date | None, today: date) -> Period:
    """The chosen period; default the current year up to today. A start after the end is refused."""
    start, end = start or date(today.year, 1, 1), end or today
    if start > end:
        raise ValidationError({"dari": "Tanggal awal tidak boleh sesudah tanggal akhir."})
    return Period(start, end)


@dataclass(frozen=True)
class Scope:
    regency: bool
    opd_ids: frozenset[int]  # empty for the regency: every OPD


def opd_units() -> list[Unit]:
    """The OPDs: units directly below the Pemkab, Setda first, then badan/dinas/lembaga, then kecamatan."""
    order = case((Unit.kind == "setda", 0), (Unit.kind == "kecamatan", 2), else_=1)
    root = select(Unit.id).where(Unit.parent_id.is_(None)).scalar_subquery()
    return list(db.session.scalars(select(Unit).where(Unit.parent_id == root).order_by(order, Unit.name)))


def may_see_dashboard(viewer: Viewer) -> bool:
    """The navigation's cheap check of `dashboard_scope`: an admin, or the head of the Pemkab, Setda or an OPD."""
    if viewer.user.role == "admin":
        return True
    for ap in viewer.positions:
        unit = ap.position.unit
        if ap.position.is_unit_head and (unit.kind in REGENCY_UNIT_KINDS or
                                         (unit.parent is not None and unit.parent.parent_id is None)):
            return True
    return False


def dashboard_scope(viewer: Viewer) -> Scope:
    """Rule: the Bupati, the Sekda (and whoever acts for them) and admins see the whole regency; the head of an
    OPD sees that OPD only; nobody else sees the dashboard."""
    if viewer.user.role == "admin":
        return Scope(True, frozenset())
    heads = [ap.position for ap in viewer.positions if ap.position.is_unit_head]
    if any(p.unit.kind in REGENCY_UNIT_KINDS for p in heads):
        return Scope(True, frozenset())
    opds = {u.id for u in opd_units()}
    own = frozenset(p.unit_id for p in heads if p.unit_id in opds)
    if not own:
        raise PermissionDenied("Dasbor adopsi hanya untuk Bupati, Sekda, kepala OPD, dan administrator.")
    return Scope(False, own)


def _unit_map():
    """(unit_id, opd_id) for every unit below the Pemkab, plus the Pemkab itself mapped to the Setda."""
    root_id = select(Unit.id).where(Unit.parent_id.is_(None)).scalar_subquery()
    setda_id = select(func.min(Unit.id)).where(Unit.kind == "setda").scalar_subquery()
    tree = (select(Unit.id.label("unit_id"), Unit.id.label("opd_id")).where(Unit.parent_id == root_id)
            .cte("opd_tree", recursive=True))
    child = aliased(Unit, name="child_unit")
    tree = tree.union_all(select(child.id, tree.c.opd_id).where(child.parent_id == tree.c.unit_id))
    return select(tree.c.unit_id, tree.c.opd_id).union_all(
        select(root_id.label("unit_id"), setda_id.label("opd_id"))).cte("unit_opd").prefix_with("MATERIALIZED")


def _position_map(scope: Scope):
    """(position_id, opd_id) as a MATERIALIZED CTE: computed once per query (a few thousand rows), then looked up
    per inbox item through an index the database builds on it, instead of re-walking the unit tree."""
    units = _unit_map()
    stmt = select(Position.id.label("position_id"), units.c.opd_id).join(units, units.c.unit_id == Position.unit_id)
    if not scope.regency:
        stmt = stmt.where(units.c.opd_id.in_(list(scope.opd_ids)))
    return stmt.cte("position_opd").prefix_with("MATERIALIZED"), units


# SQLite only: the position and unit maps as temporary tables keyed by position and unit, so that every per-row
# lookup is a primary key search. Joined as CTEs, SQLite's planner sometimes scans a whole map once per item instead
# of building its automatic index (a hundredfold slower at 1,000,000 letters), depending on the query's shape, and
# drives the register figures from the unit map instead of the date range.
_MAPS = MetaData()
_POSITION_OPD = Table("dashboard_position_opd", _MAPS, Column("position_id", Integer, primary_key=True),
                      Column("opd_id", Integer, nullable=False), prefixes=["TEMPORARY"])
_UNIT_OPD = Table("dashboard_unit_opd", _MAPS, Column("unit_id", Integer, primary_key=True),
                  Column("opd_id", Integer, nullable=False), prefixes=["TEMPORARY"])


def _keyed_maps(scope: Scope):
    """(position map, unit map) for the aggregate queries: on SQLite filled into temporary, connection-private
    tables (no lock on the database), elsewhere the CTEs (PostgreSQL hashes them; for the rest of the transaction
    it plans for the actual values, without JIT)."""
    pos, units = _position_map(scope)
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        # JIT compiling these short queries (their estimated cost passes jit_above_cost on a big register) took
        # longer than running them: 0.6 s of 0.7 s for the register figures at 100,000 letters. And a plan for the
        # actual dates every time: psycopg prepares a statement run 5 times, and PostgreSQL's generic plan for it
        # (dates unknown) took minutes where the custom plan takes 0.3 s (1,000,000 letters, the worker's case).
        conn.execute(text("SET LOCAL jit = off"))
        conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    if conn.dialect.name != "sqlite":
        return pos, units
    for table, source in ((_POSITION_OPD, pos), (_UNIT_OPD, units)):
        conn.execute(CreateTable(table, if_not_exists=True))
        conn.execute(table.delete())
        conn.execute(table.insert().from_select([c.name for c in table.c], select(*source.c)))
    return _POSITION_OPD, _UNIT_OPD


def confidential_letters():
    """The ids of the few Rahasia / Sangat Rahasia letters, from ix_letter_sifat."""
    return select(Letter.id).where(Letter.sifat.in_(CONFIDENTIAL))


def open_letter_items():
    """Items of Biasa/Terbatas letters: the few Rahasia letter ids come from ix_letter_sifat (no join per item)."""
    return InboxItem.letter_id.not_in(confidential_letters())


def _seconds(later, earlier):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _medians(rows) -> tuple[dict[int, float], float | None]:
    """Exact medians of `rows` (a subquery of opd_id, secs; NULL secs left out) per OPD and overall, in one query:
    PostgreSQL's percentile_cont over grouping sets; elsewhere two row_number windows (per OPD and overall) pick
    the middle value or the two middle values, whose mean is the median."""
    if db.session.get_bind().dialect.name == "postgresql":
        whole = func.grouping(rows.c.opd_id)
        found = db.session.execute(
            select(rows.c.opd_id, whole, func.percentile_cont(0.5).within_group(rows.c.secs))
            .where(rows.c.secs.is_not(None)).group_by(func.grouping_sets(rows.c.opd_id, text("()")))).all()
        per_opd = {k: float(v) for k, g, v in found if not g and v is not None}
        overall = [float(v) for _, g, v in found if g and v is not None]
        return per_opd, (overall[0] if overall else None)
    rn = func.row_number().over(partition_by=rows.c.opd_id, order_by=rows.c.secs)
    n = func.count().over(partition_by=rows.c.opd_id)
    grn = func.row_number().over(order_by=rows.c.secs)
    gn = func.count().over()
    r = (select(rows.c.opd_id, rows.c.secs, rn.label("rn"), n.label("n"), grn.label("grn"), gn.label("gn"))
         .where(rows.c.secs.is_not(None)).subquery())
    mid = or_(r.c.rn == (r.c.n + 1) // 2, r.c.rn == (r.c.n + 2) // 2)
    gmid = or_(r.c.grn == (r.c.gn + 1) // 2, r.c.grn == (r.c.gn + 2) // 2)
    found = db.session.execute(
        select(r.c.opd_id, func.avg(case((mid, r.c.secs))), func.sum(case((gmid, r.c.secs))),
               func.count(case((gmid, 1)))).where(or_(mid, gmid)).group_by(r.c.opd_id)).all()
    per_opd = {k: float(v) for k, v, _, _ in found if v is not None}
    middle_sum, middle_n = sum(float(s or 0) for _, _, s, _ in found), sum(c for _, _, _, c in found)
    return per_opd, (middle_sum / middle_n if middle_n else None)


@dataclass
class Figures:
    """One OPD's numbers (or the regency's, with opd None)."""

    opd: Unit | None
    officials: int = 0
    certified: int = 0
    signed: int = 0
    signed_pages: int = 0
    letters: int = 0
    electronic: int = 0
    electronic_sheets: int = 0
    read_median: float | None = None
    dispose_median: float | None = None
    dispositions: int = 0
    overdue: int = 0
    circulars: int = 0
    circulars_unread: int = 0

    @property
    def electronic_share(self) -> float | None:
        return self.electronic / self.letters if self.letters else None

    @property
    def certified_share(self) -> float | None:
        return self.certified / self.officials if self.officials else None

    @property
    def sheets(self) -> int:
        return self.electronic_sheets + self.dispositions + self.signed_pages

    @property
    def reams(self) -> float:
        return self.sheets / SHEETS_PER_REAM


@dataclass
class Dashboard:
    period: Period
    scope: Scope
    rows: list[Figures]
    total: Figures
    today: date = field(default_factory=date.today)


def ranked(rows: list[Figures], attribute: str) -> list[Figures]:
    """The OPDs by one figure, highest first (no figure counts as 0), for the charts."""
    return sorted(rows, key=lambda f: getattr(f, attribute) or 0, reverse=True)


def _add(rows: dict[int, Figures], result, *names: str) -> None:
    for opd_id, *values in result:
        if opd_id in rows:
            for name, value in zip(names, values):
                setattr(rows[opd_id], name, int(value or 0))


def view_scope(viewer: Viewer, opd_id: int | None = None) -> Scope:
    """Rule: what the viewer asks to see — the dashboard scope, or one OPD of it when `opd_id` is given (refused
    outside the viewer's scope)."""
    scope = dashboard_scope(viewer)
    if opd_id is None:
        return scope
    if not scope.regency and opd_id not in scope.opd_ids:
        raise PermissionDenied("Anda hanya dapat melihat dasbor OPD Anda sendiri.")
    return Scope(False, frozenset({opd_id}))


def scope_name(scope: Scope) -> str | None:
    """The OPD's name for a one-OPD scope (the page's heading), else None."""
    if scope.regency or len(scope.opd_ids) != 1:
        return None
    return db.session.get(Unit, next(iter(scope.opd_ids))).name


def dashboard(viewer: Viewer, period: Period, opd_id: int | None = None, today: date | None = None) -> Dashboard:
    """Rule: the figures of the OPDs the viewer may see (one OPD when `opd_id` is given), computed now."""
    today = today or date.today()
    scope = view_scope(viewer, opd_id)
    rows, total = compute(scope, period, today)
    return Dashboard(period, scope, rows, total, today)


def compute(scope: Scope, period: Period, today: date, now: datetime | None = None) -> tuple[list[Figures], Figures]:
    """The figures of every OPD in `scope` and their total (the OPD itself when there is one), as of `today`
    (overdue dispositions) and `now` (valid certificates), in 10 aggregate queries whatever the number of letters
    or OPDs. No access rule here: callers check the viewer (`view_scope`) or compute for the whole regency (the
    snapshot job)."""
    opds = [u for u in opd_units() if scope.regency or u.id in scope.opd_ids]
    rows = {u.id: Figures(u) for u in opds}
    pos, units = _keyed_maps(scope)
    lo, hi = period.bounds
    now = now or datetime.now(timezone.utc)
    open_letter, open_items = Letter.sifat.not_in(CONFIDENTIAL), open_letter_items()

    # officials (enabled pejabat accounts) and those with a valid, unrevoked signing certificate today
    _add(rows, db.session.execute(select(pos.c.opd_id, func.count(User.id)).join(pos, pos.c.position_id == User.position_id)
                                  .where(User.is_enabled.is_(True), User.role == "pejabat").group_by(pos.c.opd_id)),
         "officials")
    _add(rows, db.session.execute(
        select(pos.c.opd_id, func.count(func.distinct(User.id))).select_from(Certificate)
        .join(User, User.id == Certificate.user_id).join(pos, pos.c.position_id == User.position_id)
        .where(Certificate.status == "aktif", Certificate.not_before <= now, Certificate.not_after > now,
               User.is_enabled.is_(True)).group_by(pos.c.opd_id)), "certified")
    # documents signed electronically (the final signature) in the period, by the signing position's OPD
    _add(rows, db.session.execute(
        select(pos.c.opd_id, func.count(SignatureRequest.id), func.sum(func.coalesce(StoredFile.pages, 1)))
        .join(pos, pos.c.position_id == SignatureRequest.position_id)
        .join(SignDocument, SignDocument.id == SignatureRequest.document_id)
        .outerjoin(StoredFile, StoredFile.id == SignDocument.current_file_id)
        .where(SignatureRequest.role == "ttd", SignatureRequest.status == "signed", SignatureRequest.signed_at >= lo,
               SignatureRequest.signed_at < hi, SignDocument.sifat.not_in(CONFIDENTIAL)).group_by(pos.c.opd_id)),
        "signed", "signed_pages")
    # register entries of the period: all, and those that arrived by electronic delivery (with their sheets); the
    # date range of ix_register_received drives, and only electronic entries read their letter (attachments)
    electronic = RegisterEntry.origin != "loket"
    attachments = (select(Letter.attachments).where(Letter.id == RegisterEntry.letter_id).correlate(RegisterEntry)
                   .scalar_subquery())
    ustmt = select(units.c.opd_id, func.count(RegisterEntry.id), func.sum(case((electronic, 1), else_=0)),
                   func.sum(case((electronic, 1 + attachments), else_=0)))
    ustmt = (ustmt.join(units, units.c.unit_id == RegisterEntry.unit_id)
             .where(RegisterEntry.received_on >= period.start, RegisterEntry.received_on <= period.end,
                    RegisterEntry.status == "aktif", RegisterEntry.letter_id.not_in(confidential_letters())))
    if not scope.regency:
        ustmt = ustmt.where(units.c.opd_id.in_(list(scope.opd_ids)))
    _add(rows, db.session.execute(ustmt.group_by(units.c.opd_id)), "letters", "electronic", "electronic_sheets")
    # dispositions received in the period, and those of them overdue today (deadline per the holiday calendar)
    late = and_(InboxItem.deadline <= overdue_cutoff(today), InboxItem.status.in_(OPEN))
    _add(rows, db.session.execute(
        select(pos.c.opd_id, func.count(InboxItem.id), func.sum(case((late, 1), else_=0)))
        .join(pos, pos.c.position_id == InboxItem.position_id)
        .where(InboxItem.kind == "disposisi", InboxItem.status != "ditarik", InboxItem.received_at >= lo,
               InboxItem.received_at < hi, open_items).group_by(pos.c.opd_id)), "dispositions", "overdue")
    # circulars (surat edaran) delivered in the period, and those still unread
    _add(rows, db.session.execute(
        select(pos.c.opd_id, func.count(InboxItem.id), func.sum(case((InboxItem.status == "diterima", 1), else_=0)))
        .join(pos, pos.c.position_id == InboxItem.position_id).join(Letter, Letter.id == InboxItem.letter_id)
        .where(Letter.jenis == "surat_edaran", InboxItem.kind.in_(("surat", "tembusan")), InboxItem.received_at >= lo,
               InboxItem.received_at < hi, open_letter).group_by(pos.c.opd_id)), "circulars", "circulars_unread")
    total = Figures(None)
    for f in rows.values():
        for name in ("officials", "certified", "signed", "signed_pages", "letters", "electronic",
                     "electronic_sheets", "dispositions", "overdue", "circulars", "circulars_unread"):
            setattr(total, name, getattr(total, name) + getattr(f, name))
    # medians: receipt to first read, and receipt to the first disposition, of letters addressed (kind surat)
    base = [InboxItem.kind == "surat", InboxItem.received_at >= lo, InboxItem.received_at < hi, open_items]
    read_rows = (select(pos.c.opd_id, _seconds(InboxItem.read_at, InboxItem.received_at).label("secs"))
                 .join(pos, pos.c.position_id == InboxItem.position_id)
                 .where(*base, InboxItem.read_at.is_not(None)).subquery())
    per_opd, total.read_median = _medians(read_rows)
    for k, v in per_opd.items():
        if k in rows:
            rows[k].read_median = v
    # the first disposition of each item: one seek per item in ix_item_parent_received (no grouping of children)
    child = aliased(InboxItem, name="child_item")
    first_at = (select(func.min(child.received_at)).where(child.parent_id == InboxItem.id)
                .correlate(InboxItem).scalar_subquery())
    first = (select(pos.c.opd_id, InboxItem.received_at, first_at.label("first"))
             .join(pos, pos.c.position_id == InboxItem.position_id).where(*base).subquery())
    per_opd, total.dispose_median = _medians(
        select(first.c.opd_id, _seconds(first.c.first, first.c.received_at).label("secs"))
        .subquery())  # no disposition: secs NULL, left out
    for k, v in per_opd.items():
        if k in rows:
            rows[k].dispose_median = v
    if len(rows) == 1:
        total = next(iter(rows.values()))
    return list(rows.values()), total
