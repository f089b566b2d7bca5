"""kill -9 of the real RQ worker (`flask --app sisumaker worker`: the worker, its work horse and scheduler, the
whole tree at once) at random moments while it signs, then a restart as systemd would do it. Extends
tests/tte/test_signing_worker.py (one kill of a 40-document batch) to several kills of a 200-document batch, and to
a batch of circulars broadcast to every unit, whose delivery runs inside the signing transaction."""
from __future__ import annotations

import random
import time

from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import Draft, InboxItem, RegisterEntry, SignatureRequest, StoredFile
from sisumaker.services.files import FileStore
from tests.helpers import csrf_token, text
from tests.tte.conftest import PASSPHRASE
from tests.tte.support import latest_batch_id, request_states, wait_for
from tests.tte.test_signing_worker import assert_each_signed_once

DOCUMENTS = 200


def seeded() -> tuple[random.Random, int]:
    seed = random.randrange(10**6)
    return random.Random(seed), seed


def orphan_files(files_dir) -> int:
    """Blobs on disk that no stored_file row names: a signed PDF written by a run that was killed before its
    commit (content-addressed and never served; counted, not hidden)."""
    db.session.rollback()
    known = {FileStore(files_dir).path_for(s) for s in db.session.scalars(select(StoredFile.sha256))}
    on_disk = {p for p in files_dir.rglob("*") if p.is_file() and "_preview" not in p.parts}
    return len(on_disk - known)


def kill_when(worker, batch_id: int, rng: random.Random, ready) -> dict:
    """Wait until `ready(states)`, then a random moment more (inside some document's signing), then SIGKILL the
    worker's whole tree. Returns the batch's counts as the kill left them."""
    wait_for(lambda: ready(request_states(batch_id)), timeout=240, interval=0.02, what="the kill point")
    time.sleep(rng.uniform(0.0, 0.3))
    worker.kill_hard()
    return request_states(batch_id)


def test_two_hundred_documents_survive_repeated_kill_9_of_the_worker(make_tte, redis_server, rq_worker, figures):
    redis = redis_server()
    tte = make_tte(REDIS_URL=redis.url)
    tte.submit(DOCUMENTS, signer="sekda", title="Nota Dinas uji gangguan")
    response = tte.post_sign("sekda")
    assert response.status_code == 303, text(response)
    batch_id = latest_batch_id()
    rng, seed = seeded()
    targets = sorted(rng.sample(range(5, DOCUMENTS - 20), rng.randint(3, 5)))
    started = time.monotonic()
    worker = rq_worker(tte.web, tte.instance_path, redis.url)
    kills = []
    for target in targets:
        left = kill_when(worker, batch_id, rng, lambda s, t=target: s["signed"] >= t)
        kills.append(left)
        assert left["signed"] < DOCUMENTS, "the batch finished before the kill"
        worker = rq_worker(tte.web, tte.instance_path, redis.url)  # systemd's Restart=always
    wait_for(lambda: request_states(batch_id)["signed"] == DOCUMENTS, timeout=300, interval=0.2,
             what="all 200 signed after the last restart")
    seconds = time.monotonic() - started

    requests = assert_each_signed_once(tte, batch_id)  # one signature each, valid, one audit event each
    assert len({r.signed_file_id for r in requests}) == DOCUMENTS
    assert all(tte.document(r.document_id).current_file_id == r.signed_file_id for r in requests)
    reclaimed = sum(1 for r in requests if r.attempts > 1)
    orphans = orphan_files(tte.instance_path / "files")
    assert orphans <= len(kills)
    figures(database=tte.db_url.split(":")[0], documents=DOCUMENTS, kills=len(kills),
            signed_at_each_kill=[k["signed"] for k in kills],
            killed_mid_signature=sum(k["signing"] for k in kills), reclaimed_after_kill=reclaimed,
            signed_exactly_once=len(requests), valid_pdfs=len(requests), orphan_blobs_on_disk=orphans, seed=seed,
            seconds=round(seconds, 1))


def test_a_broadcast_batch_survives_kill_9_whole_or_not_at_all(make_tte, redis_server, rq_worker, figures):
    """Four circulars to every OPD, kecamatan and desa signed in one batch; the worker is killed while it signs and
    delivers them. Each letter ends delivered once to every unit with its own gap-free agenda number."""
    from sisumaker.services.delivery import group_units
    from tests.outgoing.support import approve_all, content, routing, save

    redis = redis_server()
    tte = make_tte(REDIS_URL=redis.url)
    drafts = [save(c=content(perihal=f"Edaran uji gangguan {i}"), r=routing(groups=("semua",))) for i in range(4)]
    for draft_id in drafts:
        approve_all(draft_id)
    units = group_units(["semua"])
    sekda = tte.client("sekda")
    token = csrf_token(sekda, "/tte/")
    response = sekda.post("/tte/tandatangani", data={"csrf_token": token, "draft_ids": [str(d) for d in drafts],
                                                     "passphrase": PASSPHRASE})
    assert response.status_code == 303, text(response)
    batch_id = latest_batch_id()
    rng, seed = seeded()
    started = time.monotonic()
    worker = rq_worker(tte.web, tte.instance_path, redis.url)
    kills = []
    for _ in range(rng.randint(2, 3)):
        left = kill_when(worker, batch_id, rng, lambda s: s["signing"] > 0 or s["signed"] == len(drafts))
        kills.append(left)
        worker = rq_worker(tte.web, tte.instance_path, redis.url)
        if left["signed"] == len(drafts):
            break
    wait_for(lambda: request_states(batch_id)["signed"] == len(drafts), timeout=240, interval=0.2,
             what="every circular signed and delivered")
    seconds = time.monotonic() - started

    assert_each_signed_once(tte, batch_id)
    db.session.rollback()
    for draft_id in drafts:
        draft = db.session.get(Draft, draft_id)
        assert draft.status == "terkirim" and draft.letter_id is not None
        delivered = db.session.scalars(select(RegisterEntry.unit_id).where(
            RegisterEntry.letter_id == draft.letter_id)).all()
        assert sorted(delivered) == units, f"draft {draft_id}: {len(delivered)} of {len(units)} units"
        assert db.session.scalar(select(func.count()).select_from(InboxItem).where(
            InboxItem.letter_id == draft.letter_id)) == len(units)
    year = db.session.get(Draft, drafts[0]).number_date.year
    for unit_id in units:
        numbers = db.session.scalars(select(RegisterEntry.agenda_number).where(
            RegisterEntry.unit_id == unit_id, RegisterEntry.year == year).order_by(RegisterEntry.agenda_number)).all()
        assert numbers == list(range(1, len(numbers) + 1)), f"unit {unit_id}: {numbers}"
    attempts = db.session.scalars(select(SignatureRequest.attempts).where(SignatureRequest.batch_id == batch_id))
    figures(database=tte.db_url.split(":")[0], circulars=len(drafts), units_each=len(units), kills=len(kills),
            killed_mid_signature_or_delivery=sum(k["signing"] for k in kills),
            delivered_before_each_kill=[k["signed"] for k in kills], max_attempts=max(attempts), seed=seed,
            seconds=round(seconds, 1))
