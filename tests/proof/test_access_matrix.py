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
    tried, insider_ok, lists_ok = Counter(), Counter(), Counter()
    listed = {t.url for t in query_targets(proof.world)}
    for role, username in ROLES.items():
        client = proof.client(username)
        own = {sifat: [w for o in proof.world.of("letter") if role in o.insiders and o.extra["sifat"] in sifat
                       for w in o.words[:2]] for sifat in (("R", "SR"), ("B", "T", "R", "SR"))}
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
                if target.url in listed and response.status_code == 200:
                    body = _readable(response.get_data(), response.mimetype)
                    for sifat, mine in own.items():
                        lists_ok[target.endpoint, "/".join(sifat)] += any(w.encode() in body for w in mine)
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
          f"insider 200s per kind {dict(insider_ok)}; list pages showing a role its own letters "
          f"{ {'%s (%s)' % k: n for k, n in lists_ok.items() if n} }")
    record_property("read_cases", total)
    # The matrix is not vacuous: insiders really open every kind of object.
    assert set(insider_ok) >= {"letter", "item", "draft", "document", "batch", "unit", "position", "user",
                               "pattern", "group", "classification"}
    # ... and the lists are not empty: those who may see a letter find it (a Rahasia one in search and the buku
    # agenda too; the dashboard lists and the retention calendar leave Rahasia letters out for everyone).
    for endpoint in ("search.index", "archive.agenda_download"):
        assert lists_ok[endpoint, "R/SR"], (endpoint, dict(lists_ok))
    for endpoint in ("dashboard.listing", "records.retention"):
        assert lists_ok[endpoint, "B/T/R/SR"], (endpoint, dict(lists_ok))


TOKEN = re.compile(r'"[\w-]{20,}\.[\w-]{5,}\.[\w-]{20,}"')  # a signed CSRF token, new on every page


def test_confidential_letters_are_not_counted(proof):
    """Counts, not only words: to a role that may not see a Rahasia letter, searching its own tag answers exactly
    as a tag matching nothing (no hit, no count, no facet), and the clerk's berita acara counts only the records
    the clerk may see."""
    from sqlalchemy import func, select

    from sisumaker.extensions import db
    from sisumaker.models import Letter, RegisterEntry

    compared = 0
    for role, username in ROLES.items():
        if username is None:
            continue
        client = proof.client(username)
        client.get("/cari")  # the login's welcome message is shown once, here
        for obj in proof.world.of("letter"):
            if obj.extra["sifat"] not in ("R", "SR") or role in obj.insiders:
                continue
            tag = next(w for w in obj.words if w.startswith("NO/")).split("/")[1]
            pages = [client.get("/cari", query_string={"q": q}) for q in (tag, "PRFTIDAKADAQ")]
            assert [p.status_code for p in pages] == [200, 200]
            secret, nothing = (TOKEN.sub('"token"', p.get_data(as_text=True)) for p in pages)
            assert secret.replace(tag, "PRFTIDAKADAQ") == nothing, f"{role}: searching {tag} differs from nothing"
            compared += 1
    assert compared >= 10
    setda = proof.world.units["tu.setda"]
    with proof.svc.app_context():
        open_count = db.session.scalar(select(func.count()).select_from(RegisterEntry).join(Letter).where(
            RegisterEntry.unit_id == setda, RegisterEntry.status == "aktif", Letter.classification_code == "100",
            Letter.sifat.in_(("B", "T"))))
    pdf = proof.client("tu.setda").get(f"/arsip/retensi/berita-acara.pdf?sampai=2099-12-31&unit={setda}"
                                       "&tahap=dinilai kembali")
    assert pdf.status_code == 200
    text = _readable(pdf.get_data(), pdf.mimetype).decode(errors="replace")
    assert f"Jumlah\n{open_count} berkas" in text, text[-400:]
    print(f"\nconfidential counts: {compared} outsider searches identical to a search for nothing; berita acara "
          f"counts {open_count} open records")


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


def _console_writes(world, staff: int) -> list[tuple[str, dict]]:
    """Writes of the admin console, records settings and archive export with data an admin's would succeed with
    (`staff`: a staff position, which several accounts may hold)."""
    from datetime import date, timedelta

    g = lambda label: world.get(label).extra["value"]  # noqa: E731
    unit, position, user, group = g("unit-dinkes"), g("pos-kadis"), g("user-kabid"), g("group-uji")
    year, today = date.today().year, date.today()
    return [
        ("/admin/hari-libur", dict(day=f"{year + 1}-05-05", name="Libur uji matriks", kind="cuti_bersama")),
        (f"/admin/hari-libur/{g('holiday-uji')}/hapus", {}),
        ("/admin/klasifikasi", dict(code="100.99", name="Uji matriks", active_years="1", inactive_years="2",
                                    final_disposition="musnah")),
        (f"/admin/klasifikasi/{g('code-100')}", dict(name="Pemerintahan (uji)", active_years="3",
                                                     inactive_years="4", final_disposition="permanen")),
        (f"/admin/unit/{unit}/anak", dict(kind="bidang", name="Bidang Uji Matriks", code="BIDUJIMTRK")),
        (f"/admin/unit/{unit}/ubah", dict(name="Dinas Kesehatan Uji", code="DINKESUJI")),
        (f"/admin/unit/{unit}/jabatan", dict(title="Analis Uji Matriks", echelon="", parent_id=str(position))),
        (f"/admin/jabatan/{position}/ubah", dict(title="Kepala Dinas Kesehatan (uji)")),
        (f"/admin/jabatan/{position}/plt", dict(username="kabid1.dlh", kind="plh",
                                                starts_on=(today + timedelta(days=60)).isoformat(),
                                                ends_on=(today + timedelta(days=61)).isoformat(),
                                                decree_number="800/UJI/2026")),
        (f"/admin/plt/{g('plt-dinkes')}/batal", {}),
        ("/admin/pengguna/baru", dict(username="uji.matriks", full_name="Uji Matriks", role="staf", position_id=str(staff),
                                      password="Sandi-Uji-Matriks-2026", confirm="Sandi-Uji-Matriks-2026")),
        (f"/admin/pengguna/{user}/status", dict(enable="0")),
        ("/admin/grup/baru", dict(name="Grup uji matriks", unit_ids=str(unit))),
        (f"/admin/grup/{group}", dict(name="Grup uji bukti (ubah)", unit_ids=str(unit))),
        ("/admin/pola/baru", dict(jenis="nota_dinas", unit_id=str(unit), pattern="ND/{nomor}/{tahun}")),
        ("/arsip/ekspor", dict(dari=f"{year}-01-01", sari="", sampai=today.isoformat())),
    ]


ERROR_TEXT = re.compile(r'class="[^"]*(?:error|flash)[^"]*"[^>]*>([^<]+)')


def test_console_writes_by_non_admins_change_nothing(proof, record_property):
    """Runs last in its module: every non-admin role sends the console's writes with valid data and is refused
    (403, nothing changed); then the admin sends the same data and it is accepted — the refusals were not a
    matter of bad input."""
    from sqlalchemy import select

    from sisumaker.extensions import db
    from sisumaker.models import User

    with proof.svc.app_context():
        staff = db.session.scalar(select(User.position_id).where(User.username == "staf.umum"))
    writes = _console_writes(proof.world, staff)
    clients = {role: proof.client(u) for role, u in ROLES.items() if u is not None}
    tokens = {role: proof.token(ROLES[role], c) for role, c in clients.items()}
    whole = proof.snapshot()
    tried = 0
    for role, client in clients.items():
        if role == "admin":
            continue
        for url, data in writes:
            response = client.post(url, data={**data, "csrf_token": tokens[role]})
            tried += 1
            assert response.status_code == 403, f"{role} POST {url}: {response.status_code}"
            assert "administrator" in response.get_data(as_text=True).lower() or "admin" in \
                response.get_data(as_text=True).lower(), f"{role} POST {url}: no Indonesian reason"
    assert proof.snapshot() == whole, "a refused console write changed something"
    for url, data in writes:
        before = proof.snapshot()
        response = clients["admin"].post(url, data={**data, "csrf_token": tokens["admin"]})
        assert response.status_code in (200, 303), f"admin POST {url}: {response.status_code} " \
            f"{ERROR_TEXT.findall(response.get_data(as_text=True))}"
        if url != "/arsip/ekspor":  # the export writes an audit event only
            assert proof.snapshot() != before, f"admin POST {url} changed nothing"
        else:  # the admin's archive export leaves out every Rahasia/Sangat Rahasia document (services/archive)
            assert response.mimetype == "application/zip", response.mimetype
            confidential = [w for o in proof.world.secrets() if o.extra.get("sifat") in ("R", "SR")
                            or o.label in ("doc-R", "draft-R-review") for w in o.words]
            _assert_no_leak(response, confidential, "admin archive export")
    print(f"\nconsole writes with valid data: {tried} refused (non-admin role, route) cases, nothing changed; "
          f"{len(writes)} accepted from the admin")
    record_property("console_write_cases", tried)
