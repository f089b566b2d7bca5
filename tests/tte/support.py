"""Helpers for the TTE worker tests: the real worker as a subprocess (`flask --app sisumaker worker`), hard kills
of its whole process tree, waiting on the database, and a scan for a secret in Redis, logs and the database."""
from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from sqlalchemy import select

REPO = Path(__file__).resolve().parents[2]
FLASK = REPO / ".venv" / "bin" / "flask"


def worker_env(tte, redis_url: str, queue: str, **extra: str) -> dict[str, str]:
    """The environment of a worker that shares the test's database, instance folder (keys/, files/) and secret
    key (the passphrase hand-off key derives from it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SISUMAKER_", "FLASK_")) and k != "REDIS_URL"}
    env.update(
        SISUMAKER_DATABASE_URL=tte.web.config["SQLALCHEMY_DATABASE_URI"], SISUMAKER_REDIS_URL=redis_url,
        REDIS_URL=redis_url, SISUMAKER_RQ_QUEUE=queue, SISUMAKER_INSTANCE_PATH=str(tte.instance_path),
        SISUMAKER_SECRET_KEY=tte.web.config["SECRET_KEY"], SISUMAKER_ENV_NAME="development",
        SISUMAKER_PUBLIC_BASE_URL=tte.web.config["PUBLIC_BASE_URL"], SISUMAKER_RATELIMIT_STORAGE_URI="memory://",
        TZ="Asia/Jakarta", PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def flask_command(*args: str) -> list[str]:
    exe = [str(FLASK)] if FLASK.exists() else [sys.executable, "-m", "flask"]
    return [*exe, "--app", "sisumaker", *args]


class WorkerProcess:
    """One `flask worker` subprocess in its own session; its output goes to `log` (appended)."""

    def __init__(self, env: dict[str, str], log: Path, *, burst: bool = False):
        self.log = log
        self.out = open(log, "ab")
        self.proc = subprocess.Popen(flask_command("worker", *(["--burst"] if burst else [])), env=env, cwd=REPO,
                                     stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, timeout: float = 180) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self.out.flush()

    def tree(self) -> list[int]:
        """The worker and every descendant (work horse in its own process group, scheduler), from /proc."""
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                parents[int(stat.parent.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
        found, frontier = [self.proc.pid], [self.proc.pid]
        while frontier:
            children = [pid for pid, ppid in parents.items() if ppid in frontier]
            found += children
            frontier = children
        return found

    def kill_hard(self) -> list[int]:
        """SIGKILL the whole tree at once, as a crash or an OOM kill of the machine would."""
        pids = self.tree()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(20)
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() and _state(pid) not in ("Z", "X") for pid in pids[1:]):
            assert time.monotonic() < deadline, "a killed worker process is still alive"
            time.sleep(0.05)
        return pids

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then a hard kill if it does not end."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill_hard()
        self.out.close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"


def wait_for(predicate, timeout: float = 120, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(interval)


def request_states(batch_id: int) -> dict[str, int]:
    """Counts of the batch's requests by status, read fresh from the database."""
    from sisumaker.extensions import db
    from sisumaker.services.signatures import batch_counts

    db.session.rollback()
    return batch_counts(batch_id)


def latest_batch_id() -> int:
    from sisumaker.extensions import db
    from sisumaker.models import SignBatch

    db.session.rollback()
    return db.session.scalar(select(SignBatch.id).order_by(SignBatch.id.desc()))


def sign_all(tte, username: str) -> None:
    """POST everything waiting for `username` with the right passphrase; the progress page must say done (jobs
    run in-process when the app has no Redis)."""
    response = tte.post_sign(username)
    assert response.status_code == 303, response.get_data(as_text=True)
    progress = tte.client(username).get(response.headers["Location"]).get_data(as_text=True)
    assert "Selesai" in progress, progress


# --------------------------------------------------------------------------------------------- independent tools

NEEDS_TOOLS = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdfsig", "certutil", "pdftoppm", "zbarimg")),
    reason="pdfsig/pdftoppm (poppler-utils), certutil (libnss3-tools), zbarimg (zbar-tools) not installed")


def qr_codes(path: Path, out_dir: Path, page: int = 1) -> list[str]:
    """What zbar reads on page `page` (1-based) of the PDF at `path`, rendered at 150 dpi into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / f"{path.stem}-page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), str(path), str(prefix)],
                   check=True, capture_output=True, timeout=60)
    (png,) = out_dir.glob(f"{path.stem}-page*.png")
    found = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True, timeout=60)
    return found.stdout.strip().splitlines()


# --------------------------------------------------------------------------------------------- secret scan


def secret_forms(secret: str) -> list[bytes]:
    """The byte forms a leaked passphrase could take: UTF-8, UTF-16 (both orders), base64 and hex of UTF-8."""
    raw = secret.encode()
    return [raw, secret.encode("utf-16-le"), secret.encode("utf-16-be"), base64.b64encode(raw),
            base64.urlsafe_b64encode(raw), raw.hex().encode()]


def _expand(blob: bytes) -> list[bytes]:
    """A value plus what it may hide: zlib-compressed payloads (RQ compresses pickled job data)."""
    out = [blob]
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS, zlib.MAX_WBITS | 16):
        try:
            out.append(zlib.decompress(blob, wbits))
        except zlib.error:
            pass
    return out


def redis_dump(client) -> list[tuple[str, bytes]]:
    """Every key of a Redis with its name, its DUMP and its value(s) by type (decompressed where possible)."""
    items: list[tuple[str, bytes]] = []
    for key in client.keys("*"):
        name = key.decode(errors="replace")
        kind = client.type(key).decode()
        items.append((name, key))
        items.append((name + " DUMP", client.dump(key) or b""))
        if kind == "string":
            values = [client.get(key) or b""]
        elif kind == "hash":
            values = [b for pair in client.hgetall(key).items() for b in pair]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            values = [b for _, fields in client.xrange(key) for pair in fields.items() for b in pair]
        else:
            values = []
        for value in values:
            items += [(f"{name} ({kind})", v) for v in _expand(value)]
    return items


def database_dump(db_url: str) -> list[tuple[str, bytes]]:
    """Every row of every table as text, plus the raw SQLite files (database, WAL) when it is SQLite."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.engine import make_url

    items: list[tuple[str, bytes]] = []
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        base = Path(url.database)
        for path in (base, base.with_name(base.name + "-wal"), base.with_name(base.name + "-journal")):
            if path.exists():
                items.append((str(path), path.read_bytes()))
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        blob = value if isinstance(value, (bytes, memoryview)) else str(value).encode()
                        items += [(table, v) for v in _expand(bytes(blob))]
    finally:
        engine.dispose()
    return items


def find_secret(secret: str, items: list[tuple[str, bytes]]) -> list[str]:
    """Where any form of `secret` occurs in `items` (empty when nowhere)."""
    forms = secret_forms(secret)
    return [where for where, blob in items if any(form in blob for form in forms)]
