"""The access matrix's view of the application: every route of `app.url_map`, its URL parameters filled from the
proof world by explicit rules, and the objects each filled URL is about.

A route with a parameter no rule knows is reported (the matrix fails naming it), so a route added later cannot
escape the matrix: add a rule here and, when it is about a new kind of object, that object to the world.
"""
from __future__ import annotations

from dataclasses import dataclass

from tests.proof.world import Obj, World

# Reachable without login (anything else must send an anonymous visitor to /masuk).
PUBLIC = frozenset({"auth.login", "health.healthz", "static", "verify.page", "verify.check", "verify.page_json",
                    "verify.crl", "verify.issuing", "verify.root"})
# Writes the matrix never sends, with the reason: they act on the caller's own session or own notifications,
# so any logged-in role may send them and a refusal is not the expectation.
OWN_ONLY_WRITES = {
    "auth.logout": "ends the caller's own session",
    "inbox.read_all": "marks the caller's own notifications read",
}
MISSING_ID = 987654321
# URL parameter -> the kind of world object it names.
OBJECT_PARAMS = {"letter_id": "letter", "item_id": "item", "entry_id": "entry", "draft_id": "draft",
                 "doc_id": "document", "batch_id": "batch", "cert_id": "certificate", "token": "document",
                 "unit_id": "unit", "position_id": "position", "user_id": "user", "assignment_id": "acting",
                 "pattern_id": "pattern", "group_id": "group", "day": "holiday", "code": "classification"}
# Objects named by a value rather than an id, and the value naming none.
MISSING_VALUES = {"token": "tidak-ada-token-semacam-ini", "day": "2099-01-01", "code": "ZZ.999"}
# Parameters that do not name an object: how to fill them.
PLAIN_PARAMS = {"page": lambda rule: ["1"], "filename": lambda rule: ["app.css"],
                "action": lambda rule: sorted(rule._converters["action"].items),
                "kind": lambda rule: sorted(_dashboard_lists())}
# Routes for the role admin only (the console, the records settings, the archive export): every other role is
# refused with 403 and, on a write, nothing changes.
ADMIN_ONLY_PREFIXES = ("admin.",)
ADMIN_ONLY = frozenset({"records.holidays", "records.add_holiday", "records.remove_holiday",
                        "records.classifications", "records.add_classification", "records.edit_classification",
                        "archive.export", "signing.certificates_admin", "signing.revoke",
                        "signing.official_signing"})


def admin_only(endpoint: str) -> bool:
    return endpoint.startswith(ADMIN_ONLY_PREFIXES) or endpoint in ADMIN_ONLY


def _dashboard_lists() -> dict:
    from sisumaker.services.dashboard_lists import LISTS

    return LISTS


@dataclass(frozen=True)
class Target:
    """One concrete URL of a route and the object it is about (None: the route names no object)."""

    endpoint: str
    method: str
    url: str
    obj: Obj | None

    @property
    def label(self) -> str:
        return f"{self.method} {self.url} [{self.obj.kind}:{self.obj.label}]" if self.obj else f"{self.method} {self.url}"


class UnknownParameter(Exception):
    pass


def _missing(kind: str) -> Obj:
    return Obj(kind, "missing", MISSING_ID, frozenset(), (), {"token": MISSING_VALUES["token"]})


def _value(param: str, obj: Obj):
    if obj.label == "missing":
        return MISSING_VALUES.get(param, MISSING_ID)
    return obj.extra["token"] if param == "token" else obj.extra.get("value", obj.id)


def _object_values(param: str, rule, world: World) -> list[tuple[dict, Obj]]:
    kind = OBJECT_PARAMS[param]
    out = []
    if param == "item_id" and "child_id" in rule.arguments:  # recall: a parent item and its child
        for child in world.of("item"):
            if "parent" in child.extra:
                out.append(({"item_id": child.extra["parent"], "child_id": child.id}, child))
        out.append(({"item_id": MISSING_ID, "child_id": MISSING_ID}, _missing("item")))
        return out
    for obj in [*world.of(kind), _missing(kind)]:
        out.append(({param: _value(param, obj)}, obj))
    return out


def targets(app, world: World) -> list[Target]:
    """Every (route, method, filled URL, object) of the application; raises UnknownParameter naming a route
    whose parameters no rule fills."""
    out: list[Target] = []
    adapter = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        args = set(rule.arguments)
        known = set(OBJECT_PARAMS) | set(PLAIN_PARAMS) | ({"child_id"} if "item_id" in args else set())
        unknown = args - known
        if unknown:
            raise UnknownParameter(f"route {rule.rule} ({rule.endpoint}): add a parameter rule for "
                                   f"{', '.join(sorted(unknown))} in tests/proof/routes.py")
        object_params = [p for p in OBJECT_PARAMS if p in args]
        bound: list[tuple[dict, Obj | None]] = [({}, None)]
        if object_params:
            bound = _object_values(object_params[0], rule, world)
        for param, fill in PLAIN_PARAMS.items():
            if param in args:
                bound = [({**values, param: v}, obj) for values, obj in bound for v in fill(rule)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for values, obj in bound:
                out.append(Target(rule.endpoint, method, adapter.build(rule.endpoint, values, method=method), obj))
    return out


def query_targets(world: World) -> list[Target]:
    """The list pages asked with the query strings that fill them (GET): search for the world's words, every
    dashboard list over this year, every retention stage far in the future, the berita acara and the buku agenda
    (PDF and CSV) of every registering unit of the world's letters. None is about one object: what each role may
    read on them is the rule of the words (no body carries the words of a letter the role may not see)."""
    from datetime import date

    from sisumaker.services.retention import STAGES

    year = date.today().year
    period = f"dari={year}-01-01&sampai={year}-12-31"
    urls = [("search.index", f"/cari?q={q}") for q in ("PRF", "rahasia", "Perihal+rahasia", "Pengirim", "Laporan",
                                                      "Konsep", "NO", "PRFRQ", "PRFSRQ")]
    urls += [("search.index", f"/cari?q=rahasia&sifat={s}") for s in ("R", "SR")]
    urls += [("dashboard.listing", f"/dasbor/daftar/{k}?{period}") for k in sorted(_dashboard_lists())]
    urls += [("dashboard.index", f"/dasbor?{period}")]
    far = f"sampai={year + 60}-12-31"
    urls += [("records.retention", f"/arsip/retensi?{far}")]
    urls += [("records.retention", f"/arsip/retensi?{far}&tahap={s}") for s in STAGES]
    for unit in sorted(set(world.units.values())):
        urls += [("records.retention", f"/arsip/retensi?{far}&unit={unit}&tahap={s}") for s in STAGES]
        urls += [("records.berita_acara", f"/arsip/retensi/berita-acara.pdf?{far}&unit={unit}&tahap={s}")
                 for s in STAGES]
        urls += [("archive.agenda_download", f"/arsip/buku-agenda/unduh?unit={unit}&{period}&format={f}")
                 for f in ("pdf", "csv")]
    return [Target(endpoint, "GET", url, None) for endpoint, url in urls]
