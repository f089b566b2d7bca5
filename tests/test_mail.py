"""E-mail of bell entries through a real SMTP conversation with a local aiosmtpd server."""
from __future__ import annotations

import socket
import time
from datetime import date

import pytest
from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import Notification, User


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def _register_for_bupati(app):
    from sisumaker.services.access import viewer_for
    from sisumaker.services.letters import IncomingLetter, register_incoming

    with app.app_context():
        bupati = db.session.scalar(select(User).where(User.username == "bupati"))
        bupati.email = "bupati@serangkab.example"
        clerk = viewer_for(db.session.scalar(select(User).where(User.username == "tu.setda")))
        register_incoming(clerk, IncomingLetter(
            sender="Gubernur Banten", number="005/77/2026", letter_date=date(2026, 1, 5),
            received_on=date(2026, 1, 6), jenis="surat_undangan", perihal="Undangan rapat koordinasi",
            event_date=date(2026, 1, 20), to_position_ids=(bupati.position_id,)), None)
        db.session.commit()


def test_committed_notification_is_emailed_once(demo_db_url, make_app, smtp_server):
    port, received = smtp_server
    app = make_app(demo_db_url, schema=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                   PUBLIC_BASE_URL="https://surat.serangkab.example")
    _register_for_bupati(app)  # no Redis: the commit hook sends from a short-lived thread
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(received) == 1
    message = received[0]
    assert message["To"] == "bupati@serangkab.example"
    assert "Undangan rapat koordinasi" in message["Subject"]
    assert "https://surat.serangkab.example/disposisi/" in message.get_payload()
    with app.app_context():
        for _ in range(100):
            if db.session.scalar(select(Notification.emailed_at)) is not None:
                break
            db.session.rollback()
            time.sleep(0.05)
        from sisumaker import jobs

        assert jobs.email_notifications() == 0  # already sent: nothing twice
    assert len(received) == 1


def test_no_mail_without_smtp(demo_db_url, make_app, smtp_server):
    port, received = smtp_server
    app = make_app(demo_db_url, schema=False)  # MAIL_SERVER unset
    _register_for_bupati(app)
    time.sleep(0.3)
    assert received == []
    with app.app_context():
        assert db.session.scalar(select(Notification.emailed_at)) is None


def test_smtp_failure_leaves_notification_pending(demo_db_url, make_app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    app = make_app(demo_db_url, schema=False)
    _register_for_bupati(app)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)
    from sisumaker import jobs

    with app.app_context():
        with pytest.raises(OSError):
            jobs.email_notifications()  # the job fails loudly (RQ retries it), nothing is marked sent
        db.session.rollback()
        assert db.session.scalar(select(Notification.emailed_at)) is None
