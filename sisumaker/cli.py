"""Flask commands: seed-demo, audit verify, worker."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import Unit
from sisumaker.services import audit
from sisumaker.services.errors import DomainError


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when an organisation already exists.")
    def seed_demo_command(if_empty: bool) -> None:
        """Load the demo regency (refused in production)."""
        from sisumaker.services.seed import seed_demo

        if if_empty and db.session.scalar(select(func.count(Unit.id))):
            click.echo("Organisasi sudah ada; data demo tidak dimuat ulang.")
            return
        begin_write()
        try:
            counts = seed_demo(None, password=current_app.config["DEMO_PASSWORD"],
                               production=current_app.config["ENV_NAME"] == "production")
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        from sisumaker.storage import file_store_for as file_store
        from sisumaker.services.demo_letters import seed_demo_letters

        letters = seed_demo_letters(file_store())
        db.session.commit()
        click.echo(f"Data demo dimuat: {counts['units']} unit, {counts['positions']} jabatan, "
                   f"{counts['users']} pengguna, {letters} surat contoh.")
        from sisumaker.pki_runtime import create_pki, pki_context, pki_exists
        from sisumaker.services.demo_letters import DEMO_SIGNERS, seed_demo_signing

        app = current_app._get_current_object()
        if not pki_exists(app):
            create_pki(app, "Kabupaten Serang")
        begin_write()
        docs = seed_demo_signing(pki_context(app), file_store(), app.config["DEMO_SIGNING_PASSPHRASE"])
        db.session.commit()
        click.echo(f"PKI demo siap: sertifikat TTE untuk {', '.join(DEMO_SIGNERS)}; {docs} dokumen menunggu TTE Sekda.")

    audit_group = AppGroup("audit", help="Audit log commands.")  # pushes an app context
    app.cli.add_command(audit_group)

    @audit_group.command("verify")
    def audit_verify() -> None:
        """Check the hash chain; report the first broken link."""
        report = audit.verify_chain()
        if report.ok:
            click.echo(f"Rantai audit utuh: {report.checked} kejadian diperiksa.")
            return
        click.echo(f"Rantai audit RUSAK pada kejadian #{report.broken_seq}: {report.reason} "
                   f"({report.checked} kejadian sebelumnya utuh).", err=True)
        sys.exit(1)

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker_command(burst: bool) -> None:
        """Run the RQ worker (the app is created once; each job runs in an app context)."""
        from sisumaker.worker import run_worker

        try:
            run_worker(current_app._get_current_object(), burst=burst)
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from None
