"""Flask commands for the regency PKI and verification: pki init/issue/revoke/export-root, verify, signing."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import Certificate, Unit, User
from sisumaker.services.errors import DomainError


def register(app: Flask) -> None:
    pki = click.Group("pki", help="The regency's own certificate authority.")
    app.cli.add_command(pki)

    @pki.command("init")
    @click.option("--regency", default=None, help="Regency name (default: the root unit's name).")
    def pki_init(regency: str | None) -> None:
        """Create the root CA, issuing CA and time-stamping key (keys encrypted under instance/keys/kek)."""
        from sisumaker.pki_runtime import create_pki, pki_exists

        if pki_exists():
            click.echo("PKI sudah ada; tidak dibuat ulang.")
            return
        if regency is None:
            root = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)))
            regency = (root.name if root else "Pemerintah Kabupaten").removeprefix("Pemerintah ")
        path = create_pki(current_app._get_current_object(), regency)
        click.echo(f"PKI dibuat di {path} untuk {regency}.")

    @pki.command("issue")
    @click.option("--user", "username", required=True, help="Username of the official.")
    @click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="Read the official's passphrase from this file (else it is asked, hidden).")
    def pki_issue(username: str, passphrase_file: str | None) -> None:
        """Issue a signing certificate for an official, locked by their passphrase."""
        from sisumaker.pki_runtime import pki_context
        from sisumaker.services.certificates import enroll

        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"Pengguna {username} tidak ada.")
        if passphrase_file:
            passphrase = Path(passphrase_file).read_text().strip()
        else:
            passphrase = click.prompt("Frasa sandi", hide_input=True, confirmation_prompt=True)
        begin_write()
        try:
            row = enroll(user, pki_context(), passphrase, passphrase)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"Sertifikat {row.serial} terbit untuk {user.full_name}.")

    @pki.command("revoke")
    @click.option("--serial", required=True)
    @click.option("--reason", required=True, help="affiliation_changed, cessation_of_operation, key_compromise, ...")
    @click.option("--note", default="")
    def pki_revoke(serial: str, reason: str, note: str) -> None:
        """Revoke an official's certificate (mutasi, pensiun, key compromise)."""
        from sisumaker.pki_runtime import pki_context
        from sisumaker.services.certificates import revoke_certificate

        row = db.session.scalar(select(Certificate).where(Certificate.serial == serial.lower()))
        admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
        if row is None or admin is None:
            raise click.ClickException("Sertifikat (atau akun admin) tidak ditemukan.")
        begin_write()
        try:
            revoke_certificate(admin, pki_context(), row.id, reason, note)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"Sertifikat {row.serial} dicabut.")

    @pki.command("export-root")
    @click.argument("out", type=click.Path(dir_okay=False))
    def pki_export_root(out: str) -> None:
        """Write the root certificate (PEM) for relying parties."""
        from sisumaker.pki_runtime import pki_context

        Path(out).write_bytes(pki_context().root_pem)
        click.echo(f"Sertifikat akar ditulis ke {out}.")

    @app.cli.command("verify")
    @click.argument("pdf", type=click.Path(exists=True, dir_okay=False))
    def verify_command(pdf: str) -> None:
        """Validate a signed PDF against the regency root and the certified (BSrE) roots of SIGNING_TRUST_ROOTS (valid
        when signed); says which kind each signature is; exit 1 unless genuine."""
        from sisumaker.pki_runtime import pki_context
        from sisumaker.services.verification import check_upload
        from sisumaker.models import SignDocument, StoredFile
        import hashlib

        data = Path(pdf).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        doc = db.session.scalar(select(SignDocument).join(StoredFile, SignDocument.current_file_id == StoredFile.id)
                                .where(StoredFile.sha256 == digest))
        result = check_upload(doc, pki_context(), data)
        result["document"] = {"token": doc.token, "number": doc.number, "status": doc.status} if doc else None
        click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        sys.exit(0 if result["ok"] else 1)

    signing = click.Group("signing", help="Signing queue maintenance.")
    app.cli.add_command(signing)

    @signing.command("reconcile")
    def signing_reconcile() -> None:
        """Re-enqueue signing work the database has but Redis lost."""
        from sisumaker.signing_queue import reconcile

        ids = reconcile(current_app._get_current_object())
        click.echo(f"Batch diantrekan ulang: {ids or 'tidak ada'}")


__all__ = ["register"]
