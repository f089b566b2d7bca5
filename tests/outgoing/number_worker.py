"""Run in a spawned process by test_numbering_concurrency: builds its own app on the given database and signs
(numbers) `count` letters, as the signing route would (write transaction first, commit)."""
from __future__ import annotations

import os
import time
from datetime import date


class Planned(Exception):
    """A failure injected after the number was taken."""


def number_many(db_url: str, instance_path: str, jenis: str, unit_codes: list[str], count: int, fail_every: int,
                tag: str, barrier, out) -> None:
    """Take `count` numbers, cycling through `unit_codes`; every `fail_every`-th (0: none) is rolled back after
    its number was taken. Puts (tag, committed numbers, failed attempts, unexpected errors, seconds) on `out`."""
    os.environ["SISUMAKER_INSTANCE_PATH"] = instance_path
    from sqlalchemy import select

    from sisumaker import create_app
    from sisumaker.database import begin_write
    from sisumaker.extensions import db
    from sisumaker.models import Unit
    from sisumaker.services.numbering import assign_number
    from tests.helpers import test_config

    app = create_app(test_config(db_url))
    committed, failed, errors = [], 0, []
    with app.app_context():
        units = [db.session.scalar(select(Unit).where(Unit.code == c)) for c in unit_codes]
        db.session.commit()
        barrier.wait(timeout=120)
        started = time.monotonic()
        for i in range(count):
            try:
                begin_write()
                value = assign_number(jenis, units[i % len(units)], "800", date.today())
                if fail_every and i % fail_every == fail_every - 1:
                    raise Planned(value)
                db.session.commit()
                committed.append(value)
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
