"""The access matrix (issue 8, part 2): every route of `app.url_map` x every role x every object of the proof world.

Expectations:
- anonymous: /masuk (302) for pages, 401 for htmx and JSON requests, except the public allowlist;
- a role outside an object's insiders: 403/404, and the body never carries the words (perihal, number) of any
  object the role may not see — on lists, counts, fragments, PDFs and JSON alike;
- no 5xx anywhere; a write sent by a role that may not make it changes nothing (every table's row count, the rows
  of the watched tables, the file store).
"""
from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from urllib.parse import urlsplit

import pytest

from tests.proof.routes import (OWN_ONLY_WRITES, PUBLIC, Target, UnknownParameter, admin_only, query_targets,
                                targets)
from tests.proof.world import ROLES

HX = {"HX-Request": "true"}
JSON = {"Accept": "application/json"}
DENIED = (403, 404)
RETENTION = ("records.retention", "records.berita_acara")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=\s*[\"']", re.I)


def _forbidden_words(world, role: str, target: Target) -> list[str]:
    """Words of every object the role may not see. The public verification page shows every document's number
    (DESIGN §5) and a Biasa document's title, never a Terbatas/Rahasia title. The retention calendar and its
    berita acara show an archivist the number of a Biasa/Terbatas record they may not read (services/retention),
    never its perihal, and nothing at all of a Rahasia/Sangat Rahasia one."""
    words = []
    for obj in world.secrets():
        if role in obj.insiders:
            continue
        if target.endpoint in RETENTION and obj.kind == "letter" and obj.extra["sifat"] in ("B", "T"):
            words += [w for w in obj.words if not w.startswith("NO/")]
            continue
        if target.endpoint.startswith("verify.") and obj.kind == "document":
            words += [] if obj.label == "doc-B" else obj.words[:1]
            continue
        words += obj.words
    return words


def _readable(data: bytes, mimetype: str) -> bytes:
    """What a reader gets out of a body: a PDF's extracted text, a zip's entries (and their PDFs' text)."""
    if mimetype == "application/pdf" or data.startswith(b"%PDF"):
        from pypdf import PdfReader

        try:
            reader = PdfReader(io.BytesIO(data))
            return data + "\n".join(page.extract_text() or "" for page in reader.pages).encode()
        except Exception:  # not a readable PDF (a scan page, a refusal): the raw bytes are checked
            return data
    if mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return b"\n".join(_readable(zf.read(n), "") + n.encode() for n in zf.namelist())
    return data


def _assert_no_leak(response, words, case: str) -> None:
    if not words:
        return
    body = _readable(response.get_data(), response.mimetype)
    leaked = [w for w in words if w.encode() in body]
    assert not leaked, f"{case}: {leaked} leaked (status {response.status_code})"


def _is_login_redirect(response) -> bool:
    return response.status_code in (302, 303) and urlsplit(response.headers.get("Location", "")).path == "/masuk"


def test_every_route_has_a_parameter_rule(proof):
    """A route whose URL parameters the resolver cannot fill fails here, naming it."""
    try:
        found = targets(proof.web, proof.world)
    except UnknownParameter as exc:
        pytest.fail(str(exc))
    endpoints = {t.endpoint for t in found}
    assert endpoints == {r.endpoint for r in proof.web.url_map.iter_rules()}


def test_reads_by_every_role(proof, record_property):
    tried, insider_ok = Counter(), Counter()
    for role, username in ROLES.items():
        client = proof.client(username)
        for target in [*targets(proof.web, proof.world), *query_targets(proof.world)]:
            if target.method != "GET":
                continue
            words = _forbidden_words(proof.world, role, target)
            for variant, headers in (("page", {}), ("htmx", HX), ("json", JSON)):
                if variant == "json" and username is not None:
                    continue
                case = f"{role} {variant} {target.label}"
                response = client.get(target.url, headers=headers)
                tried[role] += 1
                assert response.status_code < 500, f"{case}: {response.status_code}"
                _assert_no_leak(response, words, case)
                if username is not None and target.endpoint != "static":
                    assert "no-store" in response.headers.get("Cache-Control", ""), f"{case}: cacheable"
                if response.mimetype == "text/html":
                    assert not INLINE_SCRIPT.search(response.get_data(as_text=True)), f"{case}: inline script"
                if target.endpoint in PUBLIC:
                    continue
                if username is None:
                    if variant == "page":
                        assert _is_login_redirect(response), f"{case}: {response.status_code}, not sent to /masuk"
                    else:
                        assert response.status_code == 401, f"{case}: {response.status_code}, expected 401"
                elif admin_only(target.endpoint) and role != "admin":
                    assert response.status_code == 403, f"{case}: {response.status_code}, expected 403 (admin only)"
                elif target.obj is not None and role not in target.obj.insiders:
                    assert response.status_code in DENIED, f"{case}: {response.status_code}, expected 403/404"
                elif target.obj is not None and response.status_code == 200:
                    insider_ok[target.obj.kind] += 1
    total = sum(tried.values())
    print(f"\naccess matrix reads: {total} (route, role, object, variant) cases; per role {dict(tried)}; "
          f"insider 200s per kind {dict(insider_ok)}")
    record_property("read_cases", total)
    # The matrix is not vacuous: insiders really open every kind of object.
    assert set(insider_ok) >= {"letter", "item", "draft", "document", "batch", "unit", "position", "user",
                               "pattern", "group", "classification"}


def test_refused_writes_change_nothing(proof, record_property):
    tried = 0
    clients = {role: proof.client(username) for role, username in ROLES.items()}  # logins write audit events
    tokens = {role: proof.token(username, clients[role]) for role, username in ROLES.items()}
    whole = proof.snapshot()
    before = proof.counts()  # per case: row counts and files (one query); every watched row at the end
    for role, username in ROLES.items():
        client, token = clients[role], tokens[role]
        for target in targets(proof.web, proof.world):
            if target.method != "POST" or target.endpoint in OWN_ONLY_WRITES:
                continue
            if target.endpoint in PUBLIC and username is not None:
                continue
            if target.obj is not None and role in target.obj.insiders:
                continue  # the insiders' writes are the journeys' tests; the matrix keeps its world unchanged
            case = f"{role} {target.label}"
            response = client.post(target.url, data={"csrf_token": token})
            tried += 1
            assert response.status_code < 500, f"{case}: {response.status_code}"
            _assert_no_leak(response, _forbidden_words(proof.world, role, target), case)
            if username is None and target.endpoint not in PUBLIC:
                assert _is_login_redirect(response), f"{case}: {response.status_code}, not sent to /masuk"
            elif admin_only(target.endpoint) and role != "admin":
                assert response.status_code == 403, f"{case}: {response.status_code}, expected 403 (admin only)"
            elif target.obj is not None and target.obj.label != "missing" and target.endpoint != "signing.legal_status":
                assert response.status_code in (*DENIED, 422), f"{case}: {response.status_code}"
            after = proof.counts()
            changed = {k for k in before if before[k] != after.get(k)}
            assert not changed, f"{case} changed {sorted(changed)} (status {response.status_code})"
            before = after
    assert proof.snapshot() == whole
    print(f"\naccess matrix writes: {tried} refused (route, role, object) cases, nothing changed")
    record_property("write_cases", tried)
