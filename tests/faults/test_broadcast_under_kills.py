"""The Sekda signs four circulars addressed to every OPD, kecamatan and desa through gunicorn as deployed, and the
gunicorn worker serving that POST is SIGKILLed part-way, two or three times, before one attempt is left alone.

- Without Redis (jobs run in-process) the POST itself numbers, signs and delivers (services/delivery.py
  deliver_signed), so the kill lands in the middle of a broadcast. A batch cut off with its process is found
  when the Sekda opens Tanda Tangan again: it is run once more, its requests (whose passphrase died with the
  process) fail with "silakan tanda tangani ulang" and wait for the next passphrase entry.
- With Redis and the real worker, the POST numbers and renders; the worker signs and delivers.

Either way at the end: every circular is signed once (valid PDF) and delivered to every unit exactly once with
its own gap-free agenda number; every letter number taken is used (the counters rose by exactly four)."""
from __future__ import annotations

import http.client
import random
import threading
import time

import pytest
from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import Draft, InboxItem, NumberCounter, RegisterEntry, SignatureRequest
from sisumaker.signing import signature_count
from tests.faults.support import HttpClient
from tests.helpers import DEMO_PASSWORD, RELAXED_LIMITS
from tests.tte.conftest import PASSPHRASE
from tests.tte.support import wait_for

CIRCULARS = 4
STALE = "2"  # SIGNING_INLINE_STALE_SECONDS under test (150 by default)


def open_work(drafts: list[int], sekda_position: int) -> tuple[list[int], list[int]]:
    """(drafts still waiting for the Sekda's signature, failed requests waiting to be signed again)."""
    db.session.rollback()
    ready = db.session.scalars(select(Draft.id).where(Draft.id.in_(drafts), Draft.status == "siap")).all()
    failed = db.session.scalars(select(SignatureRequest.id).where(
        SignatureRequest.position_id == sekda_position, SignatureRequest.status == "failed")).all()
    return list(ready), list(failed)


def unfinished() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(SignatureRequest).where(
        SignatureRequest.status.in_(("queued", "signing"))))


def sign_in_thread(client: HttpClient, drafts: list[int], requests: list[int]) -> dict:
    """POST the signing form in a thread; the result dict gets "status" (or "cut" when the worker died)."""
    token = client.csrf("/tte/")
    fields = {"csrf_token": token, "draft_ids": [str(d) for d in drafts],
              "request_ids": [str(r) for r in requests], "passphrase": PASSPHRASE}
    result: dict = {}

    def post():
        try:
            result["status"] = client.post("/tte/tandatangani", fields).status
        except (OSError, http.client.HTTPException):  # reset, closed, or the answer's body cut short
            result["status"] = "cut"

    result["thread"] = threading.Thread(target=post)
    result["thread"].start()
    return result


@pytest.mark.parametrize("with_redis", [False, True], ids=["in-process", "redis-worker"])
def test_a_broadcast_cut_by_gunicorn_worker_kills_is_never_half_delivered(
        make_tte, redis_server, rq_worker, web_server, figures, with_redis):
    from sisumaker.services.delivery import group_units
    from tests.outgoing.support import approve_all, content, pos, routing, save

    redis = redis_server() if with_redis else None
    tte = make_tte(REDIS_URL=redis.url if redis else None)
    drafts = [save(c=content(perihal=f"Edaran siaga bencana {i}"), r=routing(groups=("semua",)))
              for i in range(CIRCULARS)]
    for draft_id in drafts:
        approve_all(draft_id)
    units, sekda_position = group_units(["semua"]), pos("sekda")
    counters_before = db.session.scalar(select(func.coalesce(func.sum(NumberCounter.last_number), 0)))
    db.session.remove()
    server = web_server(tte.web, tte.instance_path, redis.url if redis else None,
                        SISUMAKER_SIGNING_INLINE_STALE_SECONDS=STALE, SISUMAKER_SIGNING_RECONCILE_SECONDS="2",
                        **{f"SISUMAKER_{k}": v for k, v in RELAXED_LIMITS.items()})
    if redis:
        rq_worker(tte.web, tte.instance_path, redis.url, SISUMAKER_SIGNING_RECONCILE_SECONDS="2")
    sekda = HttpClient(server.url)
    sekda.login("sekda", DEMO_PASSWORD)
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    attempts, cut, healed = [], 0, 0
    planned_kills = rng.randint(2, 3)
    while True:
        ready, failed = open_work(drafts, sekda_position)
        if not ready and not failed:
            break
        assert len(attempts) < 8, f"still open after {attempts}"
        post = sign_in_thread(sekda, ready, failed)
        if cut < planned_kills:
            if not with_redis and cut % 2 == 1:  # in the middle of signing and delivering, not of numbering
                wait_for(lambda: unfinished() > 0 or not post["thread"].is_alive(), timeout=60, interval=0.02)
                time.sleep(rng.uniform(0.0, 0.8))
            elif not with_redis:  # anywhere in the request, numbering included; early, so a fast run is still cut
                time.sleep(rng.uniform(0.05, 0.5))
            else:  # with Redis the POST only checks the passphrase and enqueues: a short window
                time.sleep(rng.uniform(0.0, 0.08))
            if post["thread"].is_alive():
                server.kill_worker()
        post["thread"].join(180)
        attempts.append(post["status"])
        if post["status"] == "cut":
            cut += 1
            server.wait_workers()
        if not with_redis and post["status"] == "cut":
            time.sleep(float(STALE) + 0.3)
            page = sekda.get("/tte/")  # Tanda Tangan again after the error: an orphaned batch is healed here
            assert page.status == 200
            healed += "silakan tanda tangani ulang" in page.text
        wait_for(lambda: unfinished() == 0, timeout=120, interval=0.2, what="no request queued or signing")

    db.session.rollback()
    numbers = []
    for draft_id in drafts:
        draft = db.session.get(Draft, draft_id)
        assert draft.status == "terkirim" and draft.letter_id is not None
        numbers.append(draft.number)
        pdf = tte.current_pdf(draft.sign_document_id)
        assert signature_count(pdf) == 1 and tte.validate(pdf).ok
        delivered = db.session.scalars(select(RegisterEntry.unit_id).where(
            RegisterEntry.letter_id == draft.letter_id)).all()
        assert sorted(delivered) == units, f"draft {draft_id}: {len(delivered)} of {len(units)} units"
        assert db.session.scalar(select(func.count()).select_from(InboxItem).where(
            InboxItem.letter_id == draft.letter_id)) == len(units)
    assert len(set(numbers)) == CIRCULARS
    counters_after = db.session.scalar(select(func.sum(NumberCounter.last_number)))
    assert counters_after - counters_before == CIRCULARS, "a letter number was taken and lost"
    year = db.session.get(Draft, drafts[0]).number_date.year
    for unit_id in units:
        agenda = db.session.scalars(select(RegisterEntry.agenda_number).where(
            RegisterEntry.unit_id == unit_id, RegisterEntry.year == year).order_by(RegisterEntry.agenda_number)).all()
        assert agenda == list(range(1, len(agenda) + 1)), f"unit {unit_id}: {agenda}"
    figures(database=tte.db_url.split(":")[0], mode="redis worker" if with_redis else "in-process",
            circulars=CIRCULARS, units_each=len(units), posts=len(attempts), answers=attempts,
            gunicorn_workers_killed=len(server.killed), posts_cut=cut, healed_to_resign=healed,
            delivered_whole=CIRCULARS, seed=seed)
    # In-process the POST signs and delivers, long enough to be cut every run; with Redis it may answer first.
    assert cut >= 1 or (with_redis and server.killed), "no kill landed inside a signing POST"
