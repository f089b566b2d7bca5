"""Run in a separate (spawned) process by test_agenda_concurrency: builds its own app on the given database and
registers letters into one unit's register, as a clerk would through the routes (write transaction first)."""
from __future__ import annotations

import os
import time
from datetime import date, timedelta


class Planned(Exception):
    """A failure injected after the agenda number was taken."""


def register_many(db_url: str, instance_path: str, clerk: str, to_position_id: int, count: int, fail_every: int,
                  tag: str, barrier, out) -> None:
    """Register `count` letters; every `fail_every`-th one (0: none) fails after taking its number and is rolled
    back. Puts (tag, committed numbers, failed attempts, unexpected errors, seconds after the barrier) on `out`."""
    os.environ["SISUMAKER_INSTANCE_PATH"] = instance_path
    from sqlalchemy import select

    from sisumaker import create_app
    from sisumaker.database import begin_write
    from sisumaker.extensions import db
    from sisumaker.models import User
    from sisumaker.services.access import viewer_for
    from sisumaker.services.letters import IncomingLetter, register_incoming
    from tests.helpers import test_config

    app = create_app(test_config(db_url))
    committed, failed, errors = [], 0, []
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == clerk))
        viewer = viewer_for(user)
        db.session.commit()
        barrier.wait(timeout=120)
        started = time.monotonic()
        for i in range(count):
            data = IncomingLetter(
                sender=f"Pengirim {tag}", number=f"{tag}/{i}", letter_date=date.today() - timedelta(days=1),
                received_on=date.today(), jenis="surat_dinas", perihal=f"Surat {tag} ke-{i}",
                to_position_ids=(to_position_id,))
            try:
                begin_write()
                entry = register_incoming(viewer, data, None)
                number = entry.agenda_number
                if fail_every and i % fail_every == fail_every - 1:
                    raise Planned(number)
                db.session.commit()
                committed.append(number)
            except Planned:
                db.session.rollback()
                failed += 1
            except Exception as exc:  # reported to the test, which fails on any
                db.session.rollback()
                errors.append(repr(exc))
        elapsed = time.monotonic() - started
        db.session.remove()
        db.engine.dispose()
    out.put((tag, committed, failed, errors, elapsed))
