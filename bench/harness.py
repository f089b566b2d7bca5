"""What the benchmarks share: the app's environment, gunicorn servers in their own process groups, the floor
database, a private redis-server, and an HTTP client that logs in through the real form (CSRF + session cookie).

Imported by the scripts beside it (`from harness import ...`; a script's own folder is first on sys.path).
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared/bench beside the checkout (a git worktree one folder deeper finds it one level further up)
FLOOR_DIR = next((p / "shared" / "bench" for p in (ROOT.parent, ROOT.parent.parent)
                  if (p / "shared" / "bench" / "floor_app.py").exists()), ROOT.parent / "shared" / "bench").resolve()
OUT = ROOT / "bench" / "out"
BENCH_PASSWORD = "bench-sisumaker-2026"
SESSION_COOKIE = "sisumaker_session"


def log(msg: str) -> None:
    print(msg, flush=True)


def app_env(db_url: str, instance: Path) -> dict[str, str]:
    """The environment both the bench process (for building) and the product's gunicorn run with."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SISUMAKER_") and k not in ("REDIS_URL", "FLASK_APP")}
    env.update({
        "SISUMAKER_DATABASE_URL": db_url,
        "SISUMAKER_INSTANCE_PATH": str(instance),
        "SISUMAKER_SECRET_KEY": "bench-secret-key-not-for-production",
        "SISUMAKER_ENV_NAME": "development",
        "SISUMAKER_SESSION_COOKIE_SECURE": "false",
        "SISUMAKER_REMEMBER_COOKIE_SECURE": "false",
        "SISUMAKER_PUBLIC_BASE_URL": "http://127.0.0.1",
        "TZ": "Asia/Jakarta" if Path("/usr/share/zoneinfo/Asia/Jakarta").exists() else "WIB-7",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One long-running process (gunicorn, the worker), started in its own process group and stopped by that
    group's id. `args` follow the gunicorn executable unless `command` gives the whole command line."""

    def __init__(self, name: str, args: list[str], env: dict, cwd: Path, log_path: Path, probe: str | None,
                 command: list[str] | None = None):
        self.name, self.port = name, free_port()
        self.probe = probe
        cmd = command or [str(ROOT / ".venv" / "bin" / "gunicorn"), *args, "-b", f"127.0.0.1:{self.port}"]
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: exited with {self.proc.returncode}; see {self.log.name}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", self.probe)
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: not ready after {timeout} s; see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.log.close()


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    """A throwaway redis-server (no persistence) on a unix socket in `workdir`; returns (process, URL)."""
    from redis import Redis

    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is not on PATH (apt-get install redis-server)")
    sock = workdir / "redis.sock"
    proc = subprocess.Popen([exe, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"unix://{sock}"
    for _ in range(500):
        try:
            Redis.from_url(url).ping()
            return proc, url
        except Exception:
            time.sleep(0.02)
    raise SystemExit("redis-server did not start")


def ensure_floor(rows: int, out: Path) -> Path:
    """The floor's SQLite table, built once here (not by two gunicorn workers racing in floor_app.build())."""
    path = out / f"floor-{rows}.sqlite"
    if not path.exists():
        env = {**os.environ, "FLOOR_ROWS": str(rows), "FLOOR_DB": str(path)}
        subprocess.run([sys.executable, "-c", "import floor_app"], cwd=FLOOR_DIR, env=env, check=True)
    return path


# ------------------------------------------------------------------------------------------ HTTP and login

def request(port: int, method: str, path: str, cookie: str | None = None, body: str | bytes | None = None,
            content_type: str = "application/x-www-form-urlencoded", timeout: float = 60,
            headers: dict[str, str] | None = None):
    """One request on a fresh connection: (status, Location, Set-Cookie values, body text)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = dict(headers or {})
    if cookie:
        headers["Cookie"] = cookie
    if body is not None:
        headers["Content-Type"] = content_type
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    set_cookie = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
    c.close()
    return r.status, r.getheader("Location"), set_cookie, data


def session_cookie(set_cookie: list[str], old: str | None) -> str | None:
    for sc in set_cookie:
        name_value = sc.split(";", 1)[0]
        if name_value.startswith(SESSION_COOKIE + "="):
            return name_value
    return old


def csrf_token(html: str) -> str | None:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    return m.group(1) if m else None


def login(port: int, username: str, password: str = BENCH_PASSWORD) -> str:
    """Through the real form: GET /masuk for the CSRF token, POST it; returns the session cookie."""
    status, _, sc, html = request(port, "GET", "/masuk")
    token = csrf_token(html)
    if status != 200 or not token:
        raise RuntimeError(f"login form for {username}: HTTP {status}, csrf token found: {bool(token)}")
    cookie = session_cookie(sc, None)
    body = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": password})
    status, location, sc, _ = request(port, "POST", "/masuk", cookie, body)
    if status != 302:
        raise RuntimeError(f"login as {username}: HTTP {status} (expected 302)")
    cookie = session_cookie(sc, cookie)
    # follow the redirect as a browser does: the landing page shows (and so clears) the welcome message
    path = urllib.parse.urlsplit(location or "/")
    status, _, sc, _ = request(port, "GET", path.path + (f"?{path.query}" if path.query else ""), cookie)
    if status != 200:
        raise RuntimeError(f"landing page after login as {username}: HTTP {status}")
    return session_cookie(sc, cookie)
