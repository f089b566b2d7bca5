"""`flask backup create` / `backup restore` on both databases: back up a regency with letters (scans),
dispositions and signed documents (real pyHanko signatures), wipe the database, files and keys, restore, and
find the same letters, numbers, audit chain and valid signatures; damaged, tampered, newer and encrypted archives.
"""
from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sisumaker.backup import database as backup_db
from sisumaker.backup.archive import open_archive, write_archive
from sisumaker.extensions import db
from sisumaker.models import (AuditEvent, InboxItem, Letter, NumberCounter, RegisterEntry, SignDocument,
                              StoredFile)
from sisumaker.services.files import FileStore, store_upload
from tests.letters.support import dispose, make_pdf, register, root_item
from tests.tte.support import sign_all


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def world_state() -> dict:
    """What must survive a backup and restore, read fresh from the database."""
    db.session.rollback()
    q = db.session.execute
    return {
        "letters": q(select(Letter.id, Letter.sender, Letter.number, Letter.perihal, Letter.sifat)
                     .order_by(Letter.id)).all(),
        "agenda": q(select(RegisterEntry.unit_id, RegisterEntry.year, RegisterEntry.agenda_number,
                           RegisterEntry.letter_id).order_by(RegisterEntry.id)).all(),
        "dispositions": q(select(InboxItem.id, InboxItem.parent_id, InboxItem.position_id, InboxItem.status)
                          .order_by(InboxItem.id)).all(),
        "signed": q(select(SignDocument.token, SignDocument.number, SignDocument.status, StoredFile.sha256)
                    .join(StoredFile, SignDocument.current_file_id == StoredFile.id).order_by(SignDocument.id)).all(),
        "number_counters": q(select(NumberCounter.scope, NumberCounter.year, NumberCounter.last_number)
                             .order_by(NumberCounter.scope, NumberCounter.year)).all(),
        "audit": q(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq)).all(),
        "files": sorted(q(select(StoredFile.sha256)).scalars()),
    }


def wipe(tte) -> None:
    """Lose everything: every table, the file store and the keys (as a dead disk would)."""
    db.session.remove()
    backup_db.drop_everything(db.engine, db.metadata)
    db.engine.dispose()
    for folder in ("files", "keys"):
        shutil.rmtree(tte.instance_path / folder)
    for app in (tte.web, tte.svc):
        app.extensions.pop("sisumaker_pki", None)


@pytest.fixture
def regency(tte, tmp_path):
    """The demo regency with two scanned letters registered, one disposed down two levels, an internal letter
    marked Rahasia, and three documents signed by the Sekda (one of them after a paraf)."""
    store = FileStore(tte.instance_path / "files")
    scans = {}
    for n, clerk in enumerate(("tu.setda", "tu.dinkes")):
        data = make_pdf(f"Surat masuk uji cadangan {n}", "Perihal: rapat koordinasi", pages=2)
        scan = store_upload(store, data, max_bytes=20 * 1024 * 1024)
        to = ("bupati",) if clerk == "tu.setda" else ("kadis.dinkes",)
        entry = register(clerk, scan=scan, to=to, perihal=f"Rapat koordinasi {n}")
        scans[scan.sha256] = data
        if clerk == "tu.setda":
            item = root_item(entry.letter_id, "bupati")
            (child,) = dispose("bupati", item.id, ("kadis.dinkes",), note="Hadiri dan laporkan.")
            dispose("kadis.dinkes", child.id, ("kabid1.dinkes",))
    register("tu.setda", to=("sekda",), sifat="R", perihal="Data kepegawaian rahasia")
    tte.submit(2, title="Surat Edaran Kebersihan")
    tte.submit(1, title="Nota Dinas Anggaran", parafs=("kabag.umum",))
    sign_all(tte, "kabag.umum")
    sign_all(tte, "sekda")
    state = world_state()
    assert len(state["signed"]) == 3 and {s.status for s in state["signed"]} == {"ditandatangani"}
    return state, scans


def test_backup_wipe_restore_gives_back_the_same_regency(tte, regency, tmp_path):
    before, scans = regency
    signed_pdfs = {row.token: FileStore(tte.instance_path / "files").path_for(row.sha256).read_bytes()
                   for row in before["signed"]}
    archive = tmp_path / "cadangan.tar.gz"
    made = cli(tte.svc, "backup", "create", "--out", str(archive))
    assert made.exit_code == 0, made.output
    assert "PERINGATAN: arsip ini memuat kunci PKI" in made.output  # unencrypted: the operator is warned
    assert archive.stat().st_mode & 0o777 == 0o600

    wipe(tte)
    assert backup_db.is_empty(db.engine, db.metadata)
    assert not (tte.instance_path / "keys").exists() and not (tte.instance_path / "files").exists()

    restored = cli(tte.svc, "backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    after = world_state()
    # the restore itself is one more audited event, chained onto the restored chain
    assert after["audit"][:-1] == before["audit"]
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)) == "backup.restored"
    for key in ("letters", "agenda", "dispositions", "signed", "number_counters", "files"):
        assert after[key] == before[key], key
    assert [r.agenda_number for r in after["agenda"] if r.year] == [r.agenda_number for r in before["agenda"]]

    chain = cli(tte.svc, "audit", "verify")
    assert chain.exit_code == 0 and f"{len(after['audit'])} kejadian diperiksa" in chain.output, chain.output
    store = FileStore(tte.instance_path / "files")
    for sha, data in scans.items():
        assert store.path_for(sha).read_bytes() == data  # scans byte-identical
    for token, pdf in signed_pdfs.items():
        path = tmp_path / f"{token}.pdf"
        path.write_bytes(store.path_for(next(s.sha256 for s in after["signed"] if s.token == token)).read_bytes())
        assert path.read_bytes() == pdf
        checked = cli(tte.svc, "verify", str(path))  # the restored keys, the restored database
        assert checked.exit_code == 0, checked.output
        result = json.loads(checked.output)
        assert result["ok"] and result["document"]["token"] == token
    # the public page answers from the restored database
    page = tte.web.test_client().get(f"/v/{before['signed'][0].token}.json")
    assert page.status_code == 200 and page.get_json()["known"]

    # a second restore onto the now full database is refused without --force, and changes nothing
    again = cli(tte.svc, "backup", "restore", str(archive))
    assert again.exit_code != 0 and "sudah berisi data" in again.output
    assert world_state() == after
    forced = cli(tte.svc, "backup", "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert world_state()["letters"] == before["letters"]


def _corrupt_variants(archive: Path, tmp_path: Path) -> dict[str, Path]:
    data = archive.read_bytes()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    variants = {"flipped byte": bytes(flipped), "truncated": data[: len(data) // 3], "not an archive": b"hello"}
    # a well-formed archive whose member no longer matches the manifest (re-packed by hand)
    buf = io.BytesIO()
    with tarfile.open(archive, "r:gz") as src, tarfile.open(fileobj=buf, mode="w:gz") as dst:
        for member in src:
            content = src.extractfile(member).read()
            if member.name.startswith("files/") and not variants.get("_done"):
                content = content[:-1] + bytes([content[-1] ^ 0x01])  # one bit of a stored file
                variants["_done"] = b"1"
            member.size = len(content)
            dst.addfile(member, io.BytesIO(content))
    variants.pop("_done")
    variants["member changed"] = buf.getvalue()
    paths = {}
    for name, content in variants.items():
        path = tmp_path / f"rusak-{name.replace(' ', '-')}.tar.gz"
        path.write_bytes(content)
        paths[name] = path
    return paths


def test_damaged_or_tampered_archives_are_refused_and_change_nothing(tte, regency, tmp_path):
    before, _ = regency
    archive = tmp_path / "cadangan.tar.gz"
    assert cli(tte.svc, "backup", "create", "--out", str(archive)).exit_code == 0
    wipe(tte)
    messages = {"flipped byte": "rusak", "truncated": "rusak", "not an archive": "rusak",
                "member changed": "tidak cocok dengan manifest"}
    for name, path in _corrupt_variants(archive, tmp_path).items():
        result = cli(tte.svc, "backup", "restore", str(path))
        assert result.exit_code != 0, name
        assert messages[name] in result.output and "Traceback" not in result.output, (name, result.output)
        assert backup_db.is_empty(db.engine, db.metadata) and not (tte.instance_path / "keys").exists(), name
    # the intact archive still restores
    assert cli(tte.svc, "backup", "restore", str(archive)).exit_code == 0
    assert world_state()["letters"] == before["letters"]


def test_migrated_database_encrypted_backup_and_a_newer_schema(db_url, make_app, tmp_path):
    """A database built by the migrations (with its head recorded), an encrypted archive (wrong passphrase
    refused), and an archive from a schema this code does not know (refused before anything changes)."""
    import flask_migrate

    app = make_app(db_url, schema=False)
    with app.app_context():
        flask_migrate.upgrade()
        head = db.session.execute(select(func.max(db.text("version_num"))).select_from(
            db.text("alembic_version"))).scalar()
        from sisumaker.services.seed import seed_demo
        from tests.letters.support import register as register_letter

        seed_demo(None, password="sisumaker-demo-pw", production=False)
        db.session.commit()
        store = FileStore(Path(app.instance_path) / "files")
        scan = store_upload(store, make_pdf("Surat terenkripsi"), max_bytes=20 * 1024 * 1024)
        scan_sha = scan.sha256
        register_letter("tu.setda", scan=scan)
        letters = world_state()["letters"]
        secret = tmp_path / "frasa"
        secret.write_text("cadangan-rahasia-2026")
        wrong = tmp_path / "salah"
        wrong.write_text("bukan-frasa-yang-benar")
        archive = tmp_path / "cadangan.tar.gz.enc"
        made = cli(app, "backup", "create", "--out", str(archive), "--passphrase-file", str(secret))
        assert made.exit_code == 0 and "PERINGATAN: arsip ini memuat kunci" not in made.output, made.output
        raw = archive.read_bytes()
        assert b"Surat terenkripsi" not in raw and not raw.startswith(b"\x1f\x8b")
        with pytest.raises(tarfile.ReadError):
            tarfile.open(archive, "r:gz")

        db.session.remove()
        backup_db.drop_everything(db.engine, db.metadata)
        shutil.rmtree(store.root)
        refused = cli(app, "backup", "restore", str(archive))
        assert refused.exit_code != 0 and "terenkripsi" in refused.output
        refused = cli(app, "backup", "restore", "--passphrase-file", str(wrong), str(archive))
        assert refused.exit_code != 0 and "Frasa sandi salah" in refused.output
        assert backup_db.is_empty(db.engine, db.metadata)

        # the same content, re-sealed with a manifest claiming a migration this code does not have
        content, manifest = open_archive(archive, _fresh(tmp_path / "x"), "cadangan-rahasia-2026")
        manifest["database"]["migration_head"] = "9999_from_the_future"
        newer = tmp_path / "lebih-baru.tar.gz"
        write_archive({rel: content / rel for rel in manifest["members"]}, manifest, newer)
        refused = cli(app, "backup", "restore", str(newer))
        assert refused.exit_code != 0 and "lebih baru" in refused.output
        assert backup_db.is_empty(db.engine, db.metadata)

        shared = db.engine.dialect.name == "postgresql"  # a SQLite file is Sisumaker's alone and replaced whole
        if shared:  # a table that is not Sisumaker's, in the same schema: left alone
            with db.engine.begin() as conn:
                conn.execute(db.text("CREATE TABLE catatan_lain (x INTEGER)"))
                conn.execute(db.text("INSERT INTO catatan_lain VALUES (7)"))
        restored = cli(app, "backup", "restore", "--passphrase-file", str(secret), str(archive))
        assert restored.exit_code == 0, restored.output
        assert world_state()["letters"] == letters
        assert not shared or db.session.execute(db.text("SELECT x FROM catatan_lain")).scalar() == 7
        assert db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar() == head
        assert store.path_for(scan_sha).exists()
        assert cli(app, "audit", "verify").exit_code == 0


def _fresh(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize("direction", ["sqlite-to-postgresql", "postgresql-to-sqlite"])
def test_a_backup_moves_an_installation_between_databases(direction, pg_server, make_app, tmp_path):
    """The same archive format restores across databases: letters, agenda numbers and the audit chain intact."""
    import flask_migrate

    from sisumaker.services.seed import seed_demo
    from tests.letters.support import register as register_letter

    urls = {"sqlite": f"sqlite:///{tmp_path / 'a.sqlite'}", "postgresql": pg_server.create()}
    source, target = direction.split("-to-")
    src = make_app(urls[source], schema=False, FILES_DIR=str(tmp_path / "files-a"), KEYS_DIR=str(tmp_path / "k-a"))
    archive = tmp_path / "pindah.tar.gz"
    with src.app_context():
        flask_migrate.upgrade()
        seed_demo(None, password="sisumaker-demo-pw", production=False)
        db.session.commit()
        scan = store_upload(FileStore(tmp_path / "files-a"), make_pdf("Surat pindah"), max_bytes=20 * 1024 * 1024)
        register_letter("tu.setda", scan=scan)
        register_letter("tu.dinkes", to=("kadis.dinkes",))
        before = world_state()
        assert cli(src, "backup", "create", "--out", str(archive)).exit_code == 0
        db.session.remove()
    dst = make_app(urls[target], schema=False, FILES_DIR=str(tmp_path / "files-b"), KEYS_DIR=str(tmp_path / "k-b"))
    with dst.app_context():
        restored = cli(dst, "backup", "restore", str(archive))
        assert restored.exit_code == 0, restored.output
        after = world_state()
        for key in ("letters", "agenda", "dispositions", "files"):
            assert after[key] == before[key], key
        assert after["audit"][:-1] == before["audit"]
        assert cli(dst, "audit", "verify").exit_code == 0
        assert FileStore(tmp_path / "files-b").path_for(before["files"][0]).exists()
        # the sequences moved past the restored ids: the next registration takes the next agenda number
        entry = register_letter("tu.setda")
        assert entry.agenda_number == max(a.agenda_number for a in before["agenda"] if a.unit_id == entry.unit_id) + 1
        db.session.remove()
    pg_server.drop(urls["postgresql"])


def test_stored_files_that_are_gone_or_altered_are_reported_by_the_backup(demo_app, tmp_path):
    """The archive is still written (everything else is worth keeping), but the operator is told which files the
    database names that are missing from the store, or whose content no longer matches their SHA-256 name."""
    with demo_app.app_context():
        store = FileStore(Path(demo_app.instance_path) / "files")
        gone = store_upload(store, make_pdf("Berkas yang hilang"), max_bytes=20 * 1024 * 1024)
        rotten = store_upload(store, make_pdf("Berkas yang rusak"), max_bytes=20 * 1024 * 1024)
        db.session.commit()
        store.path_for(gone.sha256).unlink()
        data = bytearray(store.path_for(rotten.sha256).read_bytes())
        data[-5] ^= 0x01
        store.path_for(rotten.sha256).write_bytes(bytes(data))
        archive = tmp_path / "cadangan.tar.gz"
        made = cli(demo_app, "backup", "create", "--out", str(archive))
        assert made.exit_code == 0, made.output
        assert "PERINGATAN: 2 berkas yang dicatat basis data hilang atau rusak" in made.output
        content, manifest = open_archive(archive, _fresh(tmp_path / "x"))
        assert manifest["missing_files"] == [gone.sha256]
        assert manifest["damaged_files"] == [f"files/{rotten.sha256[:2]}/{rotten.sha256[2:]}"]
