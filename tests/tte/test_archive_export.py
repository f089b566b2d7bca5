"""Bulk export of signed documents (issue 6 part 2): every file's SHA-256 matches its manifest line and the
record, every signature validates with pyHanko, the verification URL answers; the CLI exports everything, the
administrator's zip leaves Rahasia documents out, others are refused."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, timedelta

from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import AuditEvent, SignDocument
from tests.helpers import csrf_token

TODAY = date.today()
PERIOD = ((TODAY - timedelta(days=1)).isoformat(), (TODAY + timedelta(days=1)).isoformat())


def signed(tte) -> dict[int, SignDocument]:
    open_ids = tte.submit(2, title="Edaran Kebersihan Kantor")
    secret_id = tte.submit(1, title="Nota Rahasia Pengamanan", sifat="R")[0]
    response = tte.post_sign("sekda")
    assert response.status_code in (200, 302, 303)
    docs = {i: tte.document(i) for i in [*open_ids, secret_id]}
    assert all(d.is_final for d in docs.values()), "signing did not finish"
    return docs


def read_manifest(files: dict[str, bytes]) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(files["manifest.csv"].decode("utf-8").lstrip("\ufeff"))))
    assert [r["berkas"] for r in rows] == [d["berkas"] for d in json.loads(files["manifest.json"])["dokumen"]]
    return rows


def check_files(tte, files: dict[str, bytes], docs: dict[int, SignDocument]) -> list[dict]:
    rows = read_manifest(files)
    by_token = {d.token: d for d in docs.values()}
    web = tte.web.test_client()
    for row in rows:
        pdf = files[row["berkas"]]
        assert hashlib.sha256(pdf).hexdigest() == row["sha256"]
        token = row["url_verifikasi"].rsplit("/v/", 1)[1]
        doc = by_token[token]
        assert row["sha256"] == doc.current_file.sha256 and row["nomor"] == doc.number
        assert row["tanggal"] == doc.signed_at.date().isoformat() and row["jenis"] == "Surat Dinas"
        assert "Sekretaris Daerah" in row["penanda_tangan"]
        report = tte.validate(pdf)
        assert report.ok and report.signatures, report
        assert web.get(f"/v/{token}").status_code == 200
    return rows


def test_the_cli_exports_every_signed_document_with_a_manifest(tte, tmp_path):
    docs = signed(tte)
    out = tmp_path / "arsip"
    result = tte.svc.test_cli_runner().invoke(args=["archive", "export", "--from", PERIOD[0], "--to", PERIOD[1],
                                                    "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 dokumen diekspor" in result.output
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    rows = check_files(tte, files, docs)
    assert len(rows) == 3 and {r["sifat"] for r in rows} == {"B", "R"}
    assert set(files) == {r["berkas"] for r in rows} | {"manifest.csv", "manifest.json"}
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "archive.export")) is not None
    again = tte.svc.test_cli_runner().invoke(args=["archive", "export", "--from", PERIOD[0], "--to", PERIOD[1],
                                                   "--out", str(out)])
    assert again.exit_code != 0 and "tidak kosong" in again.output  # never overwrites an earlier export
    zipped = tmp_path / "arsip.zip"
    result = tte.svc.test_cli_runner().invoke(args=["archive", "export", "--from", PERIOD[0], "--to", PERIOD[1],
                                                    "--out", str(zipped)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(zipped) as zf:
        assert len(check_files(tte, {n: zf.read(n) for n in zf.namelist()}, docs)) == 3
    empty = tte.svc.test_cli_runner().invoke(args=["archive", "export", "--from", "2020-01-01", "--to",
                                                   "2020-01-31", "--out", str(tmp_path / "kosong")])
    assert empty.exit_code == 0 and "0 dokumen" in empty.output
    bad = tte.svc.test_cli_runner().invoke(args=["archive", "export", "--from", PERIOD[1], "--to", PERIOD[0],
                                                 "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "Tanggal akhir" in bad.output


def test_the_admin_downloads_a_zip_without_rahasia_documents_and_others_are_refused(tte):
    docs = signed(tte)
    admin = tte.client("admin")
    page = admin.get("/arsip/ekspor")
    assert page.status_code == 200 and 'name="dari"' in page.get_data(as_text=True)
    response = admin.post("/arsip/ekspor", data={"csrf_token": csrf_token(admin, "/arsip/ekspor"),
                                                 "dari": PERIOD[0], "sampai": PERIOD[1]})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    rows = check_files(tte, files, docs)
    assert len(rows) == 2 and {r["sifat"] for r in rows} == {"B"}
    assert "Rahasia" not in files["manifest.json"].decode()
    sekda = tte.client("sekda")
    assert sekda.get("/arsip/ekspor").status_code == 403
    refused = sekda.post("/arsip/ekspor", data={"csrf_token": csrf_token(sekda, "/tte/"), "dari": PERIOD[0],
                                                "sampai": PERIOD[1]})
    assert refused.status_code == 403
    bad = admin.post("/arsip/ekspor", data={"csrf_token": csrf_token(admin, "/arsip/ekspor"), "dari": PERIOD[1],
                                            "sampai": PERIOD[0]})
    assert bad.status_code == 422 and "Tanggal akhir" in bad.get_data(as_text=True)
