"""Real processes for the fault tests: gunicorn serving wsgi:app with deploy/gunicorn.conf.py, an HTTP client with
cookies and multipart forms (urllib, one per simulated clerk), and the figures each test records for the closing
note (printed at the end of the run and written to test-results/faults-<worker>.json)."""
from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUNICORN = REPO / ".venv" / "bin" / "gunicorn"
_CSRF = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*\bvalue=\"([^\"]+)\"")


def app_env(app, instance_path: Path, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a process (gunicorn, worker) that runs the product on the test's database, instance
    folder (keys/, files/) and secret key, configured only through SISUMAKER_* variables, as deployed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SISUMAKER_", "FLASK_")) and k != "REDIS_URL"}
    env.update(
        SISUMAKER_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], SISUMAKER_INSTANCE_PATH=str(instance_path),
        SISUMAKER_SECRET_KEY=app.config["SECRET_KEY"], SISUMAKER_ENV_NAME="development",
        SISUMAKER_RQ_QUEUE=app.config["RQ_QUEUE"], SISUMAKER_PUBLIC_BASE_URL=app.config["PUBLIC_BASE_URL"],
        SISUMAKER_RATELIMIT_STORAGE_URI="memory://", SISUMAKER_SESSION_COOKIE_SECURE="false",
        SISUMAKER_REMEMBER_COOKIE_SECURE="false", TZ="Asia/Jakarta", PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env.update(SISUMAKER_REDIS_URL=redis_url, REDIS_URL=redis_url)
    env.update(extra)
    return env


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return sorted(found)


def cpu_ticks(pid: int) -> int:
    """User + system CPU ticks a process has used (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """`gunicorn -c deploy/gunicorn.conf.py wsgi:app` (2 processes x 4 threads, as deployed) on a free loopback
    port, in its own session so that stop() can end the master and every worker it ever forked."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "SISUMAKER_BIND": f"127.0.0.1:{self.port}",
               "SISUMAKER_CONTROL_SOCKET": str(log.parent / f"gunicorn-{self.port}.ctl")}
        self.log = log
        self.out = open(log, "ab")
        self.proc = subprocess.Popen([str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], env=env,
                                     cwd=REPO, stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        self.killed: list[int] = []
        deadline = time.monotonic() + 60
        while len(self.workers()) < 2 or not self._healthy():
            assert self.proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not serve within 60 s\n" + log.read_text()[-3000:]
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=5) as response:
                return response.status in (200, 503)
        except urllib.error.HTTPError as exc:
            return exc.code == 503
        except OSError:
            return False

    def workers(self) -> list[int]:
        return _children(self.proc.pid)

    def serving(self) -> list[int]:
        """Workers holding an established connection on the server's port: those with a request in flight."""
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(OSError):
                for row in Path(table).read_text().splitlines()[1:]:
                    fields = row.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == self.port and fields[3] == "01":
                        inodes.add(f"socket:[{fields[9]}]")
        found = []
        for pid in self.workers():
            with contextlib.suppress(OSError):
                if any(os.readlink(fd) in inodes for fd in Path(f"/proc/{pid}/fd").iterdir()):
                    found.append(pid)
        return found

    def kill_worker(self, pid: int | None = None) -> int:
        """SIGKILL one worker process (when none is named: one serving a request right now, else the busiest
        by CPU over 100 ms); the master forks a replacement, as after an OOM kill. Returns the pid killed."""
        deadline = time.monotonic() + 3
        while pid is None and time.monotonic() < deadline:
            busy = self.serving()
            pid = busy[0] if busy else None
            time.sleep(0 if busy else 0.02)
        if pid is None:
            before = {p: cpu_ticks(p) for p in self.workers() if p not in self.killed}
            time.sleep(0.1)
            pid = max(before, key=lambda p: cpu_ticks(p) - before[p])
        os.kill(pid, signal.SIGKILL)
        self.killed.append(pid)
        return pid

    def wait_workers(self, timeout: float = 60) -> None:
        """Until the master has its two workers again and they answer."""
        deadline = time.monotonic() + timeout
        while not (len([p for p in self.workers() if p not in self.killed]) >= 2 and self._healthy()):
            assert time.monotonic() < deadline, "gunicorn did not replace its killed worker"
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM the master (graceful), then SIGKILL the whole process group whatever is left."""
        with contextlib.suppress(subprocess.TimeoutExpired, ProcessLookupError):
            self.proc.terminate()
            self.proc.wait(30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # a worker that outlived its master, too
        self.proc.wait(10)
        self.out.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class HttpClient:
    """A browser stand-in for one official: its own cookie jar, plain forms, redirects not followed."""

    def __init__(self, base_url: str, timeout: float = 120):
        self.base = base_url
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, method: str, path: str, data: bytes | None = None, headers: dict | None = None) -> Response:
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.headers, exc.read())

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def csrf(self, path: str) -> str:
        page = self.get(path)
        found = _CSRF.search(page.text)
        assert found, f"no csrf_token on {path} ({page.status})"
        return found.group(1)

    def post(self, path: str, fields: dict, files: dict[str, tuple[str, bytes, str]] | None = None) -> Response:
        """A form POST: url-encoded, or multipart when `files` ({field: (filename, bytes, mime)}) is given."""
        if not files:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        boundary = "----sisumaker" + secrets.token_hex(12)
        parts = []
        for name, value in fields.items():
            for v in value if isinstance(value, (list, tuple)) else [value]:
                parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{v}\r\n"
                             .encode())
        for name, (filename, data, mime) in files.items():
            parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\""
                         f"\r\nContent-Type: {mime}\r\n\r\n".encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self, username: str, password: str) -> None:
        token = self.csrf("/masuk")
        response = self.post("/masuk", {"csrf_token": token, "username": username, "password": password})
        assert response.status in (302, 303), f"login of {username}: {response.status}"


RESULTS = REPO / "test-results"


class Figures:
    """What the fault tests measured, one record per test, kept in test-results/faults-<worker>.json as they
    come (xdist workers have no terminal); the controller prints every worker's file at the end of the run."""

    def __init__(self, worker: str):
        self.path = RESULTS / f"faults-{worker}.json"
        self.records: list[dict] = []

    def add(self, test: str, **figures) -> None:
        self.records.append({"test": test, **figures})
        RESULTS.mkdir(exist_ok=True)
        self.path.write_text(json.dumps(self.records, indent=2, ensure_ascii=False, default=str))
        print(f"\n[faults] {test}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))

    @staticmethod
    def collected(since: float) -> list[tuple[Path, list[dict]]]:
        return [(path, json.loads(path.read_text())) for path in sorted(RESULTS.glob("faults-*.json"))
                if path.stat().st_mtime >= since]
