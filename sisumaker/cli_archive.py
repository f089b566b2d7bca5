"""`flask archive export`: a period's signed documents with their manifest, into a folder or a .zip."""
from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from sisumaker.extensions import db
from sisumaker.services import archive
from sisumaker.services.errors import DomainError, ValidationError

archive_cli = AppGroup("archive", help="Arsip: ekspor naskah bertanda tangan elektronik.")


def _day(_ctx, _param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("gunakan format TTTT-BB-HH") from None


@archive_cli.command("export")
@click.option("--from", "date_from", required=True, callback=_day, help="tanggal awal (TTTT-BB-HH)")
@click.option("--to", "date_to", required=True, callback=_day, help="tanggal akhir (TTTT-BB-HH)")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="folder baru/kosong, atau berkas .zip")
def export(date_from: date, date_to: date, out: Path) -> None:
    """Every signed document of the period (Rahasia included: the server operator) and manifest.csv/json."""
    from sisumaker.storage import file_store_for

    base_url = current_app.config["PUBLIC_BASE_URL"]
    created = False
    try:
        if out.suffix.lower() == ".zip":
            if out.exists():
                raise ValidationError({"out": f"{out} sudah ada."})
            created = True
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
                lines = archive.export_signed(None, file_store_for(), base_url, date_from, date_to,
                                              archive.zip_writer(zf))
        else:
            lines = archive.export_signed(None, file_store_for(), base_url, date_from, date_to,
                                          archive.folder_writer(out))
    except DomainError as exc:
        db.session.rollback()
        if created:
            out.unlink(missing_ok=True)
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"{len(lines)} dokumen diekspor ke {out} (dengan manifest.csv dan manifest.json).")


def register(app: Flask) -> None:
    app.cli.add_command(archive_cli)
