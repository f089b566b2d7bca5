"""Fixtures for the fault tests (issue 8, part 1): the real product processes — gunicorn as deployed, the RQ worker
(`flask --app sisumaker worker`), a throwaway redis-server — started against a private copy of the demo regency,
killed on purpose, and always stopped at teardown (each in its own session, its process group killed).

The figures each test records (kills done, jobs killed and survived, letters attempted and committed) are printed
at the end of the run and written to test-results/faults-<xdist worker>.json for the closing note.
"""
from __future__ import annotations

import os
import shutil
import time

import pytest

from tests.faults.support import Figures, Gunicorn, app_env, free_port
from tests.tte.conftest import RedisServer, make_tte, pki_template  # noqa: F401  (fixtures shared with the TTE tests)
from tests.tte.support import WorkerProcess

_FIGURES = Figures(os.environ.get("PYTEST_XDIST_WORKER", "main"))


_LOADED_AT = time.time()


def pytest_terminal_summary(terminalreporter):
    """Every worker's figures of this run (files older than this run are left out). Under xdist the controller
    loads this conftest only when tests/faults is named on the command line; the JSON files are written anyway."""
    found = Figures.collected(since=_LOADED_AT)
    if not found:
        return
    terminalreporter.section("fault figures")
    for path, records in found:
        for record in records:
            rest = ", ".join(f"{k}={v}" for k, v in record.items() if k != "test")
            terminalreporter.write_line(f"{record['test']}: {rest}")
        terminalreporter.write_line(f"(from {path})")


@pytest.fixture
def figures(request) -> callable:
    """`figures(**numbers)` records this test's measured figures under its node id."""
    def add(**numbers) -> None:
        _FIGURES.add(request.node.name, **numbers)

    return add


@pytest.fixture
def started():
    """`started(stop)`: the fixtures below register how to stop each process they start; at teardown every one
    is stopped, the last started first (web and worker before the Redis they use)."""
    stops = []
    yield stops.append
    for stop in reversed(stops):
        stop()


@pytest.fixture
def redis_server(started):
    """`redis_server(appendonly=False)`: a throwaway, restartable redis-server of this test's own."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not on PATH (apt-get install redis-server)")

    def start(appendonly: bool = False) -> RedisServer:
        server = RedisServer(exe, appendonly=appendonly)
        started(server.close)
        return server

    return start


@pytest.fixture
def web_server(started, tmp_path):
    """`web_server(app, instance_path, redis_url=None, **env)`: gunicorn serving wsgi:app with the deployed
    settings on the app's database and instance folder; its process group is killed at teardown."""
    def start(app, instance_path, redis_url: str | None = None, **env: str) -> Gunicorn:
        server = Gunicorn(app_env(app, instance_path, redis_url, **env), tmp_path / f"gunicorn-{free_port()}.log")
        started(server.stop)
        return server

    return start


def _kill_worker(worker: WorkerProcess) -> None:
    if worker.proc.poll() is None:
        worker.kill_hard()
    worker.out.close()


@pytest.fixture
def rq_worker(started, tmp_path):
    """`rq_worker(app, instance_path, redis_url, burst=False, **env)`: the real `flask --app sisumaker worker` in
    its own session, output appended to tmp_path/worker.log; every one still running is killed at teardown."""
    def start(app, instance_path, redis_url: str, burst: bool = False, **env: str) -> WorkerProcess:
        worker = WorkerProcess(app_env(app, instance_path, redis_url, **env), tmp_path / "worker.log", burst=burst)
        started(lambda: _kill_worker(worker))
        return worker

    return start
