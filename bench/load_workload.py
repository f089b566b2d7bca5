"""The workload of bench/load.py: virtual users of four command chains and the public, each a loop of weighted
actions over HTTP (fresh connection per request, behind the proxy as deployed), with per-action statistics."""
from __future__ import annotations

import random
import re
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from datetime import date, timedelta

from harness import csrf_token, request, session_cookie

ACTIONS = {  # name: (weight, expected statuses)
    "form surat masuk (GET)": (2, (200,)),
    "catat surat + pindaian (POST)": (2, (302, 303)),
    "kotak masuk (GET /)": (4, (200,)),
    "buka surat (GET /disposisi/<id>)": (3, (200,)),
    "disposisi (POST)": (1, (302, 303)),
    "verifikasi QR (GET /v/<token>)": (2, (200,)),
    "verifikasi JSON (/v/<token>.json)": (2, (200,)),
}
ITEM_LINK = re.compile(r'href="/disposisi/(\d+)"')


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.detail: dict[str, dict] = defaultdict(lambda: defaultdict(int))

    def add(self, action: str, seconds: float, ok: bool, why: str = "") -> None:
        with self.lock:
            self.lat[action].append(seconds)
            if not ok:
                self.errors[action] += 1
                self.detail[action][why] += 1


class Chain:
    """One command chain's shared state: the sessions of its clerk and head, the items the head has taken."""

    def __init__(self, clerk: str, head: str, target: int, to_id: int, cookies: dict[str, str]):
        self.clerk, self.head, self.target, self.to_id = clerk, head, target, to_id
        self.cookies = cookies
        self.taken: set[int] = set()
        self.lock = threading.Lock()

    def claim(self, ids: list[int], floor: int) -> int | None:
        with self.lock:
            for i in ids:
                if i > floor and i not in self.taken:
                    self.taken.add(i)
                    return i
        return None


def multipart(fields: list[tuple[str, str]], file_field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                 f"Content-Type: application/pdf\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """One virtual user: its own copies of the chain's session cookies, picking weighted actions."""

    def __init__(self, k: int, port: int, chain: Chain, tokens: list[str], scan: bytes, stats: Stats,
                 floor_item: int):
        self.port, self.chain, self.tokens, self.scan, self.stats = port, chain, tokens, scan, stats
        self.cookie = dict(chain.cookies)
        self.rnd = random.Random(k)
        self.floor_item = floor_item
        self.registered = 0
        # behind nginx (SISUMAKER_PROXY_FIX=1, as deployed) the app sees the client's address: the officials of a
        # client sit at one office address, every public check comes from somewhere else (the per-address
        # limits of /v/ and of the login apply to each address, as in the field)
        self.office = f"192.168.{k // 250}.{k % 250 + 1}"

    def call(self, action: str, who: str | None, method: str, path: str, body=None, ctype=None):
        cookie = self.cookie.get(who) if who else None
        t = time.perf_counter()
        try:
            kwargs = {"content_type": ctype} if ctype else {}
            address = self.office if who else ".".join(str(self.rnd.randrange(1, 255)) for _ in range(3))
            address = address if who else "10." + address
            status, _, sc, html = request(self.port, method, path, cookie, body, timeout=30,
                                          headers={"X-Forwarded-For": address}, **kwargs)
        except OSError as exc:
            self.stats.add(action, time.perf_counter() - t, False, type(exc).__name__)
            return None
        ok = status in ACTIONS[action][1]
        self.stats.add(action, time.perf_counter() - t, ok, "" if ok else f"HTTP {status}")
        if who:
            self.cookie[who] = session_cookie(sc, cookie)
        return html if ok else None

    def run(self, stop_at: float) -> None:
        names = list(ACTIONS)
        weights = [ACTIONS[n][0] for n in names]
        while time.perf_counter() < stop_at:
            action = self.rnd.choices(names, weights)[0]
            try:
                getattr(self, "do_" + str(names.index(action)))()
            except Exception as exc:  # a bug of the client, counted, never silent
                self.stats.add(action, 0.0, False, f"client {type(exc).__name__}: {exc}")

    def do_0(self):  # the register form
        self.call("form surat masuk (GET)", self.chain.clerk, "GET", "/surat-masuk/baru")

    def do_1(self):  # register a letter with its scan
        html = self.call("form surat masuk (GET)", self.chain.clerk, "GET", "/surat-masuk/baru")
        if html is None:
            return
        today = date.today()
        n = uuid.uuid4().hex[:8]
        fields = [("csrf_token", csrf_token(html)), ("sender", "Kementerian Dalam Negeri"),
                  ("number", f"000.1/{n}/Bench"), ("letter_date", (today - timedelta(days=2)).isoformat()),
                  ("received_on", today.isoformat()), ("jenis", "surat_dinas"), ("sifat", "B"),
                  ("urgensi", "biasa"), ("perihal", f"Undangan rapat koordinasi {n}"), ("summary", "Uji beban."),
                  ("classification_code", "000"), ("to_ids", str(self.chain.target))]
        data = self.scan + f"\n%{n}\n".encode()  # a distinct file each time: the store deduplicates by SHA-256
        body, ctype = multipart(fields, "scan", f"surat-{n}.pdf", data)
        if self.call("catat surat + pindaian (POST)", self.chain.clerk, "POST", "/surat-masuk/baru", body, ctype):
            self.registered += 1

    def _inbox_ids(self) -> list[int] | None:
        html = self.call("kotak masuk (GET /)", self.chain.head, "GET", "/")
        return None if html is None else [int(i) for i in ITEM_LINK.findall(html)]

    def do_2(self):
        self._inbox_ids()

    def do_3(self):  # open one letter of the inbox
        ids = self._inbox_ids()
        if ids:
            self.call("buka surat (GET /disposisi/<id>)", self.chain.head, "GET",
                      f"/disposisi/{self.rnd.choice(ids[:10])}")

    def do_4(self):  # dispose a letter that arrived during the run
        ids = self._inbox_ids()
        item = self.chain.claim(ids or [], self.floor_item)
        if item is None:
            return
        html = self.call("buka surat (GET /disposisi/<id>)", self.chain.head, "GET", f"/disposisi/{item}")
        if html is None:
            return
        body = urllib.parse.urlencode([("csrf_token", csrf_token(html)), ("recipients", self.chain.to_id),
                                       ("instructions", "Untuk ditindaklanjuti"), ("note", "Mohon segera.")])
        self.call("disposisi (POST)", self.chain.head, "POST", f"/disposisi/{item}/teruskan", body)

    def do_5(self):
        self.call("verifikasi QR (GET /v/<token>)", None, "GET", f"/v/{self.rnd.choice(self.tokens)}")

    def do_6(self):
        self.call("verifikasi JSON (/v/<token>.json)", None, "GET", f"/v/{self.rnd.choice(self.tokens)}.json")


def floor_load(port: int, clients: int, seconds: float) -> dict:
    stats, stop_at = Stats(), time.perf_counter() + seconds

    def loop():
        while time.perf_counter() < stop_at:
            t = time.perf_counter()
            try:
                status = request(port, "GET", "/register", timeout=30)[0]
                stats.add("floor", time.perf_counter() - t, status == 200, f"HTTP {status}")
            except OSError as exc:
                stats.add("floor", time.perf_counter() - t, False, type(exc).__name__)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(clients)]
    [th.start() for th in threads]
    [th.join() for th in threads]
    return summarise(stats, time.perf_counter() - t0)["floor"]


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100 * len(v)))] * 1000 if v else float("nan")


def summarise(stats: Stats, seconds: float) -> dict[str, dict]:
    return {a: {"requests": len(l), "rps": len(l) / seconds, "p50": pct(l, 50), "p95": pct(l, 95),
                "p99": pct(l, 99), "errors": stats.errors.get(a, 0), "why": dict(stats.detail.get(a, {}))}
            for a, l in stats.lat.items()}


