"""BSrE batches through a real Redis and the real worker (`flask --app sisumaker worker` as a subprocess) against
the stand-in: a whole batch, a wrong passphrase stopping it with one message and nothing half-signed, and an
outage of the stand-in mid-batch that leaves the rest queued until it comes back — then they finish."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import SignatureRequest, StoredFile
from sisumaker.signing import signature_count
from sisumaker.signing.bsre import REFUSALS
from tests.bsre.conftest import BSRE_PASSPHRASE, SEKDA_NIK, bsre_config, sign_through_bsre, trust_standin
from tests.helpers import text
from tests.tte.support import WorkerProcess, latest_batch_id, request_states, wait_for, worker_env

pytestmark = pytest.mark.redis


@pytest.fixture
def world(make_tte, own_redis, standin, tmp_path):
    """(tte, start_worker): the Sekda signs through the stand-in; workers get the same BSrE settings."""
    config = bsre_config(standin)
    tte = make_tte(REDIS_URL=own_redis.url, **config)
    trust_standin(tte, standin)
    standin.add_user(SEKDA_NIK, tte.user("sekda").full_name, BSRE_PASSPHRASE)
    sign_through_bsre(tte, "sekda", SEKDA_NIK)
    tte.log = tmp_path / "worker.log"
    env = {f"SISUMAKER_{k}": v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    workers = []

    def start_worker(burst: bool = False) -> WorkerProcess:
        worker = WorkerProcess(worker_env(tte, own_redis.url, tte.web.config["RQ_QUEUE"], **env), tte.log,
                               burst=burst)
        workers.append(worker)
        return worker

    yield tte, start_worker
    for worker in workers:
        worker.stop()


def queue_batch(tte, n: int, passphrase: str = BSRE_PASSPHRASE) -> int:
    tte.submit(n, signer="sekda", title="Keputusan Sekda", jenis="surat_keputusan")
    response = tte.post_sign("sekda", passphrase=passphrase)
    assert response.status_code == 303, text(response)
    return latest_batch_id()


def batch_requests(batch_id: int) -> list[SignatureRequest]:
    db.session.rollback()
    return list(db.session.scalars(select(SignatureRequest).where(SignatureRequest.batch_id == batch_id)
                                   .order_by(SignatureRequest.id)))


def assert_all_signed_through_bsre(tte, batch_id: int, standin) -> None:
    from tests.bsre.test_bsre_signing import validate_both

    for req in batch_requests(batch_id):
        assert (req.status, req.backend, req.error) == ("signed", "bsre", None), (req.id, req.status, req.error)
        pdf = tte.current_pdf(req.document_id)
        assert signature_count(pdf) == 1
        report = validate_both(tte, pdf)
        assert report.ok and report.signatures[0].trust_root_index == 1


def test_the_worker_signs_a_batch_through_bsre(world, standin):
    tte, start_worker = world
    batch_id = queue_batch(tte, 8)
    assert request_states(batch_id)["queued"] == 8 and standin.sign_calls() == 0  # queued, not signed inline
    worker = start_worker(burst=True)
    assert worker.wait(300) == 0, tte.log.read_text()[-4000:]
    assert request_states(batch_id)["signed"] == 8
    assert_all_signed_through_bsre(tte, batch_id, standin)
    assert standin.sign_calls() == 8
    assert BSRE_PASSPHRASE not in tte.log.read_text()


def test_a_wrong_passphrase_stops_the_batch_in_the_worker(world, standin):
    tte, start_worker = world
    batch_id = queue_batch(tte, 6, passphrase="Salah-Passphrase-99")
    db.session.rollback()
    files = db.session.scalar(select(func.count()).select_from(StoredFile))  # the six unsigned PDFs
    worker = start_worker(burst=True)
    assert worker.wait(300) == 0, tte.log.read_text()[-4000:]
    requests = batch_requests(batch_id)
    assert {r.status for r in requests} == {"failed"}
    assert {r.error for r in requests} == {REFUSALS["2031"][1]}
    assert standin.sign_calls() == 1  # never retried, not by the client, not by the queue
    for req in requests:
        doc = tte.document(req.document_id)
        assert doc.status == "menunggu" and doc.current_file_id == doc.source_file_id and not req.signed_file_id
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == files
    progress = text(tte.client("sekda").get(f"/tte/proses/{batch_id}"))
    assert "6 gagal" in progress and "Selesai" in progress


def test_an_outage_mid_batch_leaves_the_rest_queued_and_they_finish_when_bsre_is_back(world, standin):
    tte, start_worker = world
    standin.latency = 0.4  # a realistic pace, so the outage lands mid-batch
    start_worker()
    batch_id = queue_batch(tte, 8)
    wait_for(lambda: 2 <= request_states(batch_id)["signed"] < 6, timeout=120, interval=0.02,
             what="the worker to be part-way through the batch")
    standin.outage("503")
    hits = len(standin.hits)
    wait_for(lambda: len(standin.hits) >= hits + 6, timeout=60, what="the worker to retry against the outage")
    states = request_states(batch_id)
    assert states["failed"] == 0 and states["signed"] < 8, states
    assert states["queued"] + states["signing"] == 8 - states["signed"]
    signed_before = states["signed"]
    waiting = [r for r in batch_requests(batch_id) if r.status != "signed"]
    assert any(r.error and "tidak dapat dihubungi" in r.error for r in waiting)
    for req in waiting:  # nothing half-signed: the waiting documents still hold their unsigned file
        doc = tte.document(req.document_id)
        assert doc.current_file_id == doc.source_file_id and doc.status == "menunggu"
    progress = text(tte.client("sekda").get(f"/tte/proses/{batch_id}", headers={"HX-Request": "true"}))
    assert "hx-trigger" in progress and "Antre" in progress  # the page keeps polling

    standin.outage(None)
    wait_for(lambda: request_states(batch_id)["signed"] == 8, timeout=180, interval=0.1,
             what="the queued documents to be signed after the outage")
    assert signed_before < 8
    assert_all_signed_through_bsre(tte, batch_id, standin)
    assert "Selesai" in text(tte.client("sekda").get(f"/tte/proses/{batch_id}"))
