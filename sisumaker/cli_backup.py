"""Flask commands `backup create` and `backup restore`: the face of sisumaker/backup for administrators."""
from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from sisumaker.backup import BackupError, Installation, create_backup, restore_backup
from sisumaker.extensions import db

PASSPHRASE_ENV = "SISUMAKER_BACKUP_PASSPHRASE"
NAME_PREFIX = "sisumaker-"


def _installation(app: Flask) -> Installation:
    from sisumaker.pki_runtime import keys_dir

    files = Path(app.config.get("FILES_DIR") or Path(app.instance_path) / "files")
    return Installation(engine=db.engine, metadata=db.metadata, files_dir=files, keys_dir=keys_dir(app))


def _passphrase(passphrase_file: str | None) -> str | None:
    if passphrase_file:
        value = Path(passphrase_file).read_text().strip()
    else:
        value = os.environ.get(PASSPHRASE_ENV) or None
    if value is not None and len(value) < 12:
        raise click.ClickException("Frasa sandi cadangan minimal 12 karakter.")
    return value


def _code_version() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() if out.returncode == 0 else ""
    except OSError:
        return ""


def _rotate(folder: Path, keep: int) -> list[Path]:
    """Keep the `keep` newest backups named sisumaker-*.tar.gz[.enc] in `folder`; remove the older ones."""
    found = sorted((p for p in folder.glob(f"{NAME_PREFIX}*.tar.gz*") if p.is_file() and not p.name.endswith(
        (".tmp", ".part"))), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in found[keep:]:
        old.unlink()
    return found[keep:]


def register(app: Flask) -> None:
    group = AppGroup("backup", help="Back up and restore the database, files and keys.")
    app.cli.add_command(group)

    @group.command("create")
    @click.option("--out", type=click.Path(dir_okay=False), default=None,
                  help="Archive to write (default: sisumaker-<time>.tar.gz in --out-dir).")
    @click.option("--out-dir", type=click.Path(file_okay=False), default=None,
                  help="Folder for a time-named archive (default: instance/backups).")
    @click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False), default=None,
                  help=f"Encrypt the archive with the passphrase in this file (or set {PASSPHRASE_ENV}).")
    @click.option("--keep", type=int, default=None, help="Then keep only the N newest backups in that folder.")
    def backup_create(out: str | None, out_dir: str | None, passphrase_file: str | None, keep: int | None) -> None:
        """Write one archive: database snapshot, file store, keys and a manifest (safe while the app runs)."""
        passphrase = _passphrase(passphrase_file)
        suffix = ".tar.gz.enc" if passphrase else ".tar.gz"
        folder = Path(out_dir) if out_dir else Path(current_app.instance_path) / "backups"
        path = Path(out) if out else folder / f"{NAME_PREFIX}{datetime.now():%Y%m%d-%H%M%S}{suffix}"
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            result = create_backup(_installation(current_app), path, passphrase=passphrase,
                                   app_version=_code_version())
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        counts = result.counts
        click.echo(f"Cadangan ditulis: {result.path} ({result.size / 1024 / 1024:.1f} MB, {result.members} berkas, "
                   f"{result.seconds:.1f} s). Skema {result.migration_head or '-'}; {counts.get('letter', 0)} surat, "
                   f"{counts.get('stored_file', 0)} berkas tersimpan, {counts.get('audit_event', 0)} kejadian audit.")
        if result.missing_files:
            click.echo(f"PERINGATAN: {len(result.missing_files)} berkas yang dicatat basis data hilang atau rusak "
                       f"di penyimpanan (mis. {result.missing_files[0]}); lihat manifest.json.", err=True)
        if not result.encrypted:
            click.echo("PERINGATAN: arsip ini memuat kunci PKI kabupaten beserta kunci pembukanya (keys/kek), tidak "
                       "terenkripsi. Simpan serahasia server itu sendiri, atau buat dengan --passphrase-file.",
                       err=True)
        if keep:
            removed = _rotate(path.parent, keep)
            if removed:
                click.echo(f"Rotasi: {len(removed)} cadangan lama dihapus, {keep} terbaru disimpan.")

    @group.command("restore")
    @click.argument("archive", type=click.Path(dir_okay=False))
    @click.option("--force", is_flag=True, help="Replace a database that has rows and keys that differ.")
    @click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False), default=None,
                  help=f"Passphrase of an encrypted archive (or set {PASSPHRASE_ENV}).")
    def backup_restore(archive: str, force: bool, passphrase_file: str | None) -> None:
        """Check an archive against its manifest, then restore database, files and keys; upgrade the schema."""
        import flask_migrate
        from alembic.script import ScriptDirectory

        from sisumaker.database import begin_write
        from sisumaker.services import audit

        app = current_app._get_current_object()
        config = app.extensions["migrate"].migrate.get_config()
        known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}

        def create_schema(head: str | None) -> None:
            if head is None:  # a database built without migrations (tests): the models' schema
                db.metadata.create_all(db.engine)
            else:
                flask_migrate.upgrade(revision=head)

        db.session.remove()
        try:
            result = restore_backup(_installation(app), Path(archive), known_revisions=known,
                                    passphrase=_passphrase(passphrase_file), force=force,
                                    create_schema=create_schema, upgrade=flask_migrate.upgrade)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.remove()
        db.engine.dispose()
        app.extensions.pop("sisumaker_pki", None)  # the restored keys are loaded on next use
        begin_write()
        audit.record(None, "backup.restored", "backup", None,
                     {"archive": Path(archive).name, "letters": result.counts.get("letter", 0),
                      "files": result.files, "schema": result.migration_head})
        db.session.commit()
        click.echo(f"Cadangan dipulihkan dalam {result.seconds:.1f} s: {result.counts.get('letter', 0)} surat, "
                   f"{result.counts.get('audit_event', 0)} kejadian audit, {result.files} berkas, {result.keys} "
                   f"berkas kunci. Periksa: flask --app sisumaker audit verify")
        if result.keys_set_aside:
            click.echo(f"Kunci lama disimpan di {result.keys_set_aside}.")
