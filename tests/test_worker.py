"""The queue on a real Redis: jobs enqueued by the app are run by the real worker (`flask worker --burst`)."""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import Worker
from rq.job import Job, JobStatus
from sqlalchemy import select, text

from sisumaker.extensions import db
from sisumaker.jobs import verify_audit_chain
from sisumaker.models import AuditEvent
from sisumaker.queue import enqueue, get_queue, redis_connection
from sisumaker.services import audit
from tests.helpers import DEFAULT, login

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.redis


@pytest.fixture
def queue_name() -> str:
    """A queue of our own, so that tests sharing a Redis never take each other's jobs."""
    return "sisumaker-test-" + secrets.token_hex(4)


def limits_uri(redis_url: str) -> str:
    """The rate limiter (`limits`) spells a unix-socket Redis redis+unix://; redis-py spells it unix://."""
    return "redis+" + redis_url if redis_url.startswith("unix://") else redis_url


def worker_command(app, instance_path: Path, *extra: str, burst: bool = True):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SISUMAKER_", "FLASK_")) and k != "REDIS_URL"}
    env.update(
        SISUMAKER_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SISUMAKER_REDIS_URL=app.config["REDIS_URL"], REDIS_URL=app.config["REDIS_URL"],
        SISUMAKER_RQ_QUEUE=app.config["RQ_QUEUE"], SISUMAKER_INSTANCE_PATH=str(instance_path),
        SISUMAKER_SECRET_KEY="worker-test-" + secrets.token_hex(8), PYTHONPATH=str(REPO),
        SISUMAKER_RATELIMIT_STORAGE_URI=limits_uri(app.config["REDIS_URL"]),  # as scripts/run.sh does
    )
    args = [sys.executable, "-m", "flask", "--app", "sisumaker", "worker", *(["--burst"] if burst else []), *extra]
    return args, env


def chain(app, events: int) -> None:
    with app.app_context():
        for i in range(events):
            audit.record(None, "test.event", "thing", i)
        db.session.commit()


def verify_events(app) -> list[dict]:
    with app.app_context():
        db.session.remove()
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.verify")).all()
        return [json.loads(r.detail) for r in rows]


def run_burst_worker(app, instance_path: Path) -> None:
    args, env = worker_command(app, instance_path)
    done = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_worker_runs_a_queued_job(schema_db_url, make_app, redis_url, queue_name, instance_path):
    app = make_app(schema_db_url, schema=False, REDIS_URL=redis_url, RQ_QUEUE=queue_name)
    chain(app, 3)
    with app.app_context():
        job_id = enqueue(verify_audit_chain)
        assert job_id is not None
        assert get_queue().count == 1
        connection = redis_connection()
    assert verify_events(app) == []  # queued, not run in-process

    run_burst_worker(app, instance_path)
    job = Job.fetch(job_id, connection=connection)
    assert job.get_status() == JobStatus.FINISHED
    expected = {"checked": 3, "ok": True, "broken_seq": None}
    assert job.return_value() == {**expected, "reason": None}
    assert verify_events(app) == [expected]  # the job's own audit event, committed by the worker
    with app.app_context():
        assert get_queue().count == 0
        assert audit.verify_chain().checked == 4


def test_worker_job_sees_a_tampered_chain(make_app, redis_url, queue_name, instance_path, tmp_path):
    """The job checks the database the app wrote to (a file-based SQLite here), not some other one."""
    app = make_app(f"sqlite:///{tmp_path / 'w.sqlite'}", REDIS_URL=redis_url, RQ_QUEUE=queue_name)
    chain(app, 3)
    with app.app_context():
        db.session.execute(text("UPDATE audit_event SET detail = '{\"forged\": 1}' WHERE seq = 2"))
        db.session.commit()
        job_id = enqueue(verify_audit_chain)
        connection = redis_connection()
    run_burst_worker(app, instance_path)
    result = Job.fetch(job_id, connection=connection).return_value()
    assert result == {"checked": 1, "ok": False, "broken_seq": 2, "reason": "isi baris telah diubah"}
    assert verify_events(app) == [{"checked": 1, "ok": False, "broken_seq": 2}]


def test_a_failing_job_is_marked_failed(make_app, redis_url, queue_name, instance_path, tmp_path):
    """A job that raises fails in RQ, with its traceback, instead of vanishing; the worker carries on."""
    app = make_app(f"sqlite:///{tmp_path / 'w.sqlite'}", REDIS_URL=redis_url, RQ_QUEUE=queue_name)
    with app.app_context():
        bad = enqueue(verify_audit_chain, "unexpected-argument")
        good = enqueue(verify_audit_chain)
        connection = redis_connection()
    run_burst_worker(app, instance_path)
    failed = Job.fetch(bad, connection=connection)
    assert failed.get_status() == JobStatus.FAILED
    assert "TypeError" in (failed.latest_result().exc_string or "")
    assert Job.fetch(good, connection=connection).get_status() == JobStatus.FINISHED


def test_without_redis_jobs_run_in_process(app):
    assert app.config["REDIS_URL"] is None
    chain(app, 2)
    with app.app_context():
        assert get_queue() is None
        assert enqueue(verify_audit_chain) is None
    assert verify_events(app) == [{"checked": 2, "ok": True, "broken_seq": None}]
    health = app.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"database": "ok", "redis": "not configured", "worker": "inline (no Redis)",
                                 "status": "ok"}


def health(client) -> dict:
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == (200 if body["status"] == "ok" else 503)
    return body


def test_healthz_reports_the_worker_heartbeat(make_app, redis_url, queue_name, instance_path, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'h.sqlite'}", REDIS_URL=redis_url, RQ_QUEUE=queue_name)
    client = app.test_client()
    with app.app_context():
        connection = redis_connection()
    shared = bool(Worker.all(connection=connection))  # someone else's worker on a shared Redis
    before = health(client)
    assert before["database"] == "ok" and before["redis"] == "ok"
    if not shared:
        assert before["worker"] == "no heartbeat" and before["status"] == "degraded"

    args, env = worker_command(app, instance_path, burst=False)
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, seen = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            seen = health(client)
            if seen["worker"] == "ok":
                break
            time.sleep(0.2)
        assert seen is not None and seen["worker"] == "ok", f"no heartbeat: {seen}\n{log_path.read_text()}"
        assert seen["status"] == "ok" and seen["workers"] >= 1
        ours = [w for w in Worker.all(connection=connection) if queue_name in w.queue_names()]
        assert len(ours) == 1 and ours[0].last_heartbeat is not None
    finally:
        proc.send_signal(signal.SIGTERM)  # warm shutdown: the worker unregisters itself
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"the worker ignored SIGTERM for 60 s\n{log_path.read_text()}")
    left = [w.name for w in Worker.all(connection=connection) if queue_name in w.queue_names()]
    assert left == [], f"worker still registered after a warm shutdown\n{log_path.read_text()}"
    if not shared:
        assert health(client)["worker"] == "no heartbeat"


def test_healthz_reports_an_unreachable_redis(make_app, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'h.sqlite'}", REDIS_URL=f"unix://{tmp_path / 'nothing.sock'}")
    body = health(app.test_client())
    assert body["redis"].startswith("error:") and body["status"] == "degraded"


def test_worker_refuses_to_start_without_redis(app, instance_path):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL belum diatur" in result.output


def test_login_limits_live_in_redis_when_it_is_configured(demo_db_url, make_app, redis_url):
    app = make_app(demo_db_url, schema=False, REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=limits_uri(redis_url))
    with app.app_context():
        connection = redis_connection()
    name = "tidak.ada." + secrets.token_hex(4)
    for i in range(5):
        assert login(app.test_client(), name, "salah", environ_base={"REMOTE_ADDR": f"10.3.0.{i}"}).status_code == 401
    assert login(app.test_client(), name, "salah", environ_base={"REMOTE_ADDR": "10.3.0.9"}).status_code == 429
    assert connection.keys(f"*{name}*"), "the account counter is not stored in Redis"


def test_rate_limit_storage_defaults_to_the_redis_url(make_app, redis_url, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'r.sqlite'}", REDIS_URL=redis_url, RATELIMIT_STORAGE_URI=DEFAULT)
    assert app.config["RATELIMIT_STORAGE_URI"].endswith(redis_url.split("://", 1)[1])


@pytest.mark.parametrize("failing", ["sisumaker.signing_queue.reconcile", "sisumaker.dashboard_queue.schedule_due"])
def test_a_stop_during_maintenance_stops_the_worker_and_a_failure_does_not(make_app, redis_url, queue_name,
                                                                           tmp_path, monkeypatch, failing):
    """SIGTERM while a maintenance round runs makes RQ raise StopRequested inside it: that must reach the work
    loop (once it was logged as a failed round and the worker ignored SIGTERM); any other error is logged."""
    from rq.exceptions import StopRequested

    from sisumaker.worker import AppWorker

    app = make_app(f"sqlite:///{tmp_path / 'm.sqlite'}", REDIS_URL=redis_url, RQ_QUEUE=queue_name)
    worker = AppWorker([get_queue(app)], connection=get_queue(app).connection, maintenance_interval=60)
    worker.flask_app = app
    module, name = failing.rsplit(".", 1)
    ran = []

    def boom(_app, error=StopRequested):
        ran.append(error)
        raise error()

    monkeypatch.setattr(__import__(module, fromlist=[name]), name, boom)
    with pytest.raises(StopRequested):
        worker.run_maintenance_tasks()
    monkeypatch.setattr(__import__(module, fromlist=[name]), name, lambda _app: boom(_app, RuntimeError))
    worker.run_maintenance_tasks()  # logged, not raised: the next round tries again
    assert ran == [StopRequested, RuntimeError]


def test_the_web_entry_point_keeps_start_up_objects_out_of_full_collections(tmp_path):
    """wsgi.py freezes what start-up built: a full collection of the web process then costs nothing."""
    env = {**os.environ, "SISUMAKER_INSTANCE_PATH": str(tmp_path),
           "SISUMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite'}"}
    code = "import gc, wsgi; print(gc.get_freeze_count() > 100_000, len(gc.get_objects()) < 50_000)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["True", "True"], out.stdout + out.stderr
