"""Hostile input (issue 8, part 3): every form fuzzed with hypothesis, uploads that are not what they claim, a
missing or wrong CSRF token on every write route, open redirects after login.

A refusal (4xx) must carry an Indonesian message and change nothing: every table's row count and the file store.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from datetime import date
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.helpers import csrf_token, login
from tests.letters.support import make_pdf, raw_pdf
from tests.proof.routes import admin_only, targets

INDONESIAN = re.compile(r"\b(tidak|wajib|pilih|harus|isian|berkas|silakan|anda|terlalu|belum|tuliskan|masukkan|"
                        r"salah|hanya|sudah|kosong|formulir|frasa|halaman|jabatan|surat|dokumen|paling|karakter|batas|diisi)\b", re.I)
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TRICKY = ["", " ", "0", "-1", "²", "١٢", "9" * 40, "1e9", "null", "\x00", "a\x00b", "../../etc/passwd",
          "' OR 1=1 --", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "2026-02-30", "9999-12-31",
          "25:99", "selesai", "semua-opd", "ttd", "R", "SR", "definitif", "kirim", "cari", "x" * 6000, "𝕊𝕚𝕤𝕦"]
VALUES = st.one_of(st.sampled_from(TRICKY), st.text(max_size=80), st.integers(-2**63, 2**63).map(str),
                   st.dates().map(date.isoformat))
FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.I)


def _counts(proof) -> dict:
    return proof.counts()


def _fields(client, page: str | None) -> list[str]:
    if page is None:
        return ["note", "reason", "status", "replaced_by"]
    html = client.get(page).get_data(as_text=True)
    return sorted(set(FIELD.findall(html)) - {"csrf_token"}) or ["note"]


def _forms(world) -> list[tuple[str, str | None, str, str | None]]:
    """(name, user, POST url, page whose form names the fields)."""
    g = world.get
    b_root, r_child = g("B-root"), g("R-child")
    konsep, review = g("draft-B-konsep").id, g("draft-R-review").id
    dinkes, code = g("unit-dinkes").id, g("code-100").extra["value"]
    return [
        ("login", None, "/masuk", "/masuk"),
        ("register", "tu.setda", "/surat-masuk/baru", "/surat-masuk/baru"),
        ("dispose", "bupati", f"/disposisi/{b_root.id}/teruskan", f"/disposisi/{b_root.id}"),
        ("report", "kadis.dinkes", f"/disposisi/{r_child.id}/laporan", f"/disposisi/{r_child.id}"),
        ("recall", "bupati", f"/disposisi/{r_child.extra['parent']}/tarik/{r_child.id}", None),
        ("draft-new", "kadis.dinkes", "/surat-keluar/baru", "/surat-keluar/baru"),
        ("draft-edit", "kadis.dinkes", f"/surat-keluar/{konsep}/ubah", f"/surat-keluar/{konsep}/ubah"),
        ("draft-submit", "kadis.dinkes", f"/surat-keluar/{konsep}/kirim", None),
        ("draft-approve", "kabag.umum", f"/surat-keluar/{review}/paraf", None),
        ("draft-return", "kabag.umum", f"/surat-keluar/{review}/kembalikan", None),
        ("sign", "sekda", "/tte/tandatangani", "/tte/"),
        ("upload", "kadis.dinkes", "/tte/unggah", "/tte/unggah"),
        ("enrol", "camat.pulo-ampel", "/tte/sertifikat", "/tte/"),
        ("legal-status", "sekda", f"/tte/dokumen/{g('doc-R').id}/status", None),
        ("cancel", "tu.setda", f"/surat-masuk/{world.of('entry')[0].id}/batal", None),
        ("verify", None, f"/v/{g('doc-B').extra['token']}", f"/v/{g('doc-B').extra['token']}"),
        ("notifications", "bupati", "/notifikasi/baca-semua", None),
        ("admin-user-new", "admin", "/admin/pengguna/baru", "/admin/pengguna/baru"),
        ("admin-unit-new", "admin", f"/admin/unit/{dinkes}/anak", f"/admin/unit/{dinkes}"),
        ("admin-group", "admin", "/admin/grup/baru", "/admin/grup/baru"),
        ("holiday-add", "admin", "/admin/hari-libur", "/admin/hari-libur"),
        ("classification-edit", "admin", f"/admin/klasifikasi/{code}", f"/admin/klasifikasi/{code}"),
        ("archive-export", "admin", "/arsip/ekspor", "/arsip/ekspor"),
    ]


def test_every_form_survives_fuzzing(proof, record_property):
    tried = 0
    for name, user, url, page in _forms(proof.world):
        client = proof.client(user)
        token = proof.token(user, client) if user else csrf_token(client, "/masuk")
        fields = _fields(client, page)

        @FUZZ
        @given(st.fixed_dictionaries({}, optional={f: st.one_of(VALUES, st.lists(VALUES, max_size=3))
                                                   for f in fields}))
        def fuzz(values):
            nonlocal tried
            before = _counts(proof)
            response = client.post(url, data={**values, "csrf_token": token})
            tried += 1
            case = f"{name} {url} {values!r:.300}"
            assert response.status_code < 500, f"{case}: {response.status_code}"
            if response.status_code >= 400:
                body = response.get_data(as_text=True)
                assert INDONESIAN.search(body), f"{case}: no Indonesian message in {body[:300]!r}"
                if name != "login":  # a failed login is audited on purpose
                    assert _counts(proof) == before, f"{case}: a refused form changed the database"

        fuzz()
    print(f"\nfuzzed form submissions: {tried}")
    record_property("fuzzed_inputs", tried)


ID_FIELD = re.compile(r"(ids?|recipients|replaced_by)$")
HOSTILE_IDS = ["²", "9" * 40, "-1", "١٢", "\x00", "2147483648"]


def test_every_id_field_refuses_hostile_numbers(proof, record_property):
    """Every field that names rows, with numbers that are digits to Python but not ids to the database."""
    tried = 0
    for name, user, url, page in _forms(proof.world):
        client = proof.client(user)
        token = proof.token(user, client) if user else csrf_token(client, "/masuk")
        for field in [f for f in _fields(client, page) if ID_FIELD.search(f)]:
            for value in HOSTILE_IDS:
                before = _counts(proof)
                response = client.post(url, data={field: value, "csrf_token": token})
                tried += 1
                assert response.status_code < 500, f"{name} {field}={value!r}: {response.status_code}"
                if response.status_code >= 400:
                    assert _counts(proof) == before, f"{name} {field}={value!r} changed the database"
    assert tried >= 50
    print(f"\nhostile ids typed into id fields: {tried}")
    record_property("id_inputs", tried)


@FUZZ
@given(st.sampled_from(["/", "/surat-masuk", "/notifikasi", "/surat-keluar/", "/surat-keluar/baru", "/tte/",
                        "/tte/unggah", "/masuk"]),
       st.dictionaries(st.sampled_from(["hal", "jabatan", "f", "jenis", "next", "q", "cari"]), VALUES, max_size=3))
def _query_case(proof, path, params):
    response = proof.client("tu.setda").get(path, query_string=params)
    assert response.status_code < 500, f"{path}?{params!r}: {response.status_code}"


# The query strings of the search, dashboard, retention, buku agenda and admin list pages (their own names).
LIST_PAGES = ["/cari", "/dasbor", "/dasbor/daftar/surat", "/dasbor/daftar/lewat-tenggat", "/arsip/retensi",
              "/arsip/retensi/berita-acara.pdf", "/arsip/buku-agenda", "/arsip/buku-agenda/unduh", "/admin/pengguna",
              "/admin/klasifikasi", "/admin/hari-libur", "/admin/audit", "/admin/plt", "/admin/unit",
              "/admin/pengguna/baru"]
LIST_PARAMS = ["q", "arah", "unit", "jenis", "sifat", "klasifikasi", "dari", "sampai", "status", "hal", "opd",
               "tahap", "kode", "format", "tahun", "pelaku", "aksi", "objek", "cari", "lihat", "position_id"]


@FUZZ
@given(st.sampled_from(["tu.setda", "bupati", "admin"]), st.sampled_from(LIST_PAGES),
       st.dictionaries(st.sampled_from(LIST_PARAMS), VALUES, max_size=4))
def _list_query_case(proof, user, path, params):
    response = proof.client(user).get(path, query_string=params)
    case = f"{user} {path}?{params!r:.300}"
    assert response.status_code < 500, f"{case}: {response.status_code}"
    if response.status_code >= 400:
        assert INDONESIAN.search(response.get_data(as_text=True)), f"{case}: no Indonesian message"


def test_query_strings_and_out_of_range_ids(proof, record_property):
    _query_case(proof)
    _list_query_case(proof)
    swept = 0
    for path in LIST_PAGES:  # every parameter once with a NUL (PostgreSQL refuses it even in a lookup)
        for param in LIST_PARAMS:
            response = proof.client("admin").get(path, query_string={param: "a\x00b"})
            swept += 1
            assert response.status_code < 500, f"{path}?{param}=a\\x00b: {response.status_code}"
    tried = 0
    for target in targets(proof.web, proof.world):
        if target.method == "GET" and "987654321" in target.url:
            client = proof.client("admin" if admin_only(target.endpoint) else "bupati")
            for huge in ("99999999999999999999", "2147483648"):
                response = client.get(target.url.replace("987654321", huge))
                tried += 1
                assert response.status_code == 404, f"{target.url} with {huge}: {response.status_code}"
    assert tried >= 10
    print(f"\nquery strings fuzzed: {2 * FUZZ.max_examples} + {swept} NUL sweeps; out-of-range ids in URLs: {tried}")
    record_property("out_of_range_urls", tried)


# --------------------------------------------------------------------------------------------- uploads


def _png_bomb() -> bytes:
    """A valid PNG header claiming 100,000 x 100,000 pixels, with a tiny compressed body."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024 * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _flate_bomb() -> bytes:
    """A PDF whose one content stream inflates to 300 MB."""
    inflater = zlib.compressobj(9)
    block = b"0" * (1024 * 1024)
    data = b"".join(inflater.compress(block) for _ in range(300)) + inflater.flush()
    head = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
    pdf = raw_pdf("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", head,
                  f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\nSTREAMDATA\nendstream")
    return pdf.replace(b"STREAMDATA", data).replace(b"/Length", b"/Length", 1)


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf("Terkunci"))))
    writer.encrypt("rahasia")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip_polyglot() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.html", "<html><script>alert(1)</script></html>")
    return make_pdf("Polyglot") + buf.getvalue()


HOSTILE = {
    "elf-named-pdf": b"\x7fELF\x02\x01\x01" + b"\x00" * 2000,
    "pe-named-pdf": b"MZ\x90\x00\x03" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 2000,
    "pdf-header-on-exe": b"%PDF-1.7\n" + b"MZ\x90\x00" + b"\x00" * 500,
    "pdf-plus-zip": _zip_polyglot(),
    "pdf-plus-html": make_pdf("Polyglot") + b"<html><body><script>alert(document.cookie)</script></body></html>",
    "html-in-pdf": make_pdf("<!DOCTYPE html><script>alert(1)</script>"),
    "pdf-javascript": raw_pdf("<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
                              "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                              "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
                              "<< /S /JavaScript /JS (app.alert\\(1\\)) >>"),
    "pdf-launch": raw_pdf("<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
                          "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
                          "<< /S /Lau#6Ech /F (cmd.exe) >>"),
    "encrypted-pdf": _encrypted_pdf(),
    "png-bomb": _png_bomb(),
    "pdf-flate-bomb": _flate_bomb(),
    "oversized-pdf": make_pdf("Besar", padding=21 * 1024 * 1024),
    "empty": b"",
    "truncated-pdf": make_pdf("Terpotong")[:300],
}


def _upload_forms(proof):
    from sqlalchemy import select

    from sisumaker.extensions import db
    from sisumaker.models import User

    with proof.svc.app_context():
        bupati = db.session.scalar(select(User.position_id).where(User.username == "bupati"))
        sekda = db.session.scalar(select(User.position_id).where(User.username == "sekda"))
    r_child = proof.world.get("R-child")
    today = date.today().isoformat()
    return [
        ("register", "tu.setda", "/surat-masuk/baru", "scan",
         dict(sender="Kejaksaan Negeri Serang", number="B-12/2026", letter_date=today, received_on=today,
              perihal="Permohonan data", sifat="B", jenis="surat_dinas", to_ids=str(bupati))),
        ("report", "kadis.dinkes", f"/disposisi/{r_child.id}/laporan", "lampiran",
         dict(status="diproses", report="Sedang diproses")),
        ("upload", "kadis.dinkes", "/tte/unggah", "pdf",
         dict(title="Nota dinas uji", jenis="nota_dinas", sifat="B", number="", signer_id=str(sekda))),
        ("verify", None, f"/v/{proof.world.get('doc-B').extra['token']}", "pdf", {}),
    ]


def test_hostile_uploads_are_refused_and_nothing_is_stored(proof, record_property):
    from sisumaker.services.errors import ValidationError
    from sisumaker.services.files import sniff

    for label, data in HOSTILE.items():  # the rule itself, on every payload
        if len(data) <= 20 * 1024 * 1024:
            with pytest.raises(ValidationError):
                sniff(data, "berkas")
    tried = 0
    for name, user, url, field, fields in _upload_forms(proof):
        client = proof.client(user)
        token = proof.token(user, client) if user else csrf_token(client, "/masuk")
        for label, data in HOSTILE.items():
            before = proof.snapshot(full=False)
            response = client.post(url, data={**fields, "csrf_token": token, field: (io.BytesIO(data), "surat.pdf")},
                                   content_type="multipart/form-data")
            tried += 1
            case = f"{name} {label}"
            assert response.status_code < 500, f"{case}: {response.status_code}"
            if name != "verify":
                assert response.status_code in (400, 413, 422), f"{case}: accepted ({response.status_code})"
            assert INDONESIAN.search(response.get_data(as_text=True)), f"{case}: no Indonesian message"
            assert proof.snapshot(full=False) == before, f"{case}: something was stored"
    print(f"\nhostile upload payloads tried: {tried} ({len(HOSTILE)} payloads x {tried // len(HOSTILE)} forms)")
    record_property("upload_payloads", tried)


# --------------------------------------------------------------------------------------------- csrf, redirects


# Write routes without a CSRF check, and why (each must still change nothing).
CSRF_EXEMPT = {"verify.check": "public and sessionless: checking an uploaded PDF stores nothing"}


def test_every_write_route_refuses_a_missing_or_wrong_csrf_token(proof):
    client = proof.client("sekda")
    before = proof.snapshot(full=False)
    posts = [t for t in targets(proof.web, proof.world) if t.method == "POST"]
    assert len(posts) > 10
    print(f"\nCSRF: {len(posts)} write URLs x 4 missing/wrong tokens")
    for target in posts:
        if target.endpoint in CSRF_EXEMPT:
            response = client.post(target.url, data={})
            assert response.status_code < 500 and proof.snapshot(full=False) == before, target.label
            continue
        for data, headers in (({}, {}), ({"csrf_token": "palsu"}, {}), ({}, {"X-CSRFToken": "palsu"}),
                              ({"csrf_token": csrf_token(proof.web.test_client(), "/masuk")}, {})):
            response = client.post(target.url, data=data, headers=headers)
            case = f"{target.label} {data or headers}"
            assert response.status_code == 400, f"{case}: {response.status_code}"
            assert "token keamanan" in response.get_data(as_text=True), case
            assert proof.snapshot(full=False) == before, f"{case} changed something"


OPEN_REDIRECTS = ["//evil.example", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
                  "javascript:alert(1)", "JaVaScRiPt:alert(1)", "http:evil.example", "/%2F%2Fevil.example",
                  "%2F%2Fevil.example", "/\t/evil.example", "//evil.example/%2F..", "data:text/html,x",
                  "///evil.example", " //evil.example", "https:/\\evil.example"]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_login_never_redirects_off_site(proof, target):
    client = proof.web.test_client()
    response = login(client, "bupati", next=target)
    assert response.status_code == 302
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in ("", "localhost") and parts.scheme in ("", "http"), response.headers["Location"]
    assert parts.path.startswith("/") and not parts.path.startswith("//") and "\\" not in parts.path
