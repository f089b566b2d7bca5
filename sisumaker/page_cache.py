"""Rendered list pages kept per process and served again while nothing they show has changed.

The inbox and the buku agenda are opened far more often than they change: an official returns to the inbox after
every letter, the clerk to the register after every entry, htmx swaps the same filters back and forth. A page is
kept per (page, user, session version, page or htmx fragment, its parameters, today) together with the change
counters it depends on (services/page_versions.py), read *before* the page was computed; it is served again only
while one plain query finds those counters unchanged. A commit that changes the page bumps a counter in the same
transaction, so a kept page is never older than the data. The session's CSRF token is put back on every serve
(two sessions of one user have different tokens); a page with a pending flash message is never kept.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import Flask, current_app, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from sisumaker.blueprints.common import is_fragment_request, viewer
from sisumaker.extensions import db
from sisumaker.services.access import Viewer
from sisumaker.services.page_versions import read_versions

MARKER = "\u2063csrf-token-of-this-session\u2063"  # never in real output: invisible separators around it
EXTENSION = "sisumaker_page_cache"


@dataclass(frozen=True)
class Principal:
    """What a page needs to know of its viewer to check its counters, valid while the global counter holds."""

    global_version: int
    position_ids: frozenset[int]
    clerk_unit_ids: frozenset[int]


class PageCache:
    """A byte-bounded LRU of rendered pages; thread-safe (gunicorn's gthread workers share one per process)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[tuple, tuple[tuple, str, int]] = OrderedDict()  # key: (versions, html, size)
        self._principals: OrderedDict[tuple, Principal] = OrderedDict()
        self._bytes = 0
        self._signed_tokens: dict[str, str] = {}  # session's raw CSRF token -> its signed form
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def principal(self, key: tuple) -> Principal | None:
        with self._lock:
            return self._principals.get(key)

    def page(self, key: tuple, versions: tuple) -> str | None:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None or entry[0] != versions:
                return None
            self._pages.move_to_end(key)
            return entry[1]

    def store(self, principal_key: tuple, principal: Principal, key: tuple, versions: tuple, html: str) -> None:
        size = len(html) * 2 if html.isascii() else len(html) * 4  # roughly what the str holds
        if size > self.max_bytes // 8:
            return
        with self._lock:
            self._principals[principal_key] = principal
            self._principals.move_to_end(principal_key)
            while len(self._principals) > 10_000:
                self._principals.popitem(last=False)
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            self._pages[key] = (versions, html, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._pages:
                _key, (_v, _h, evicted) = self._pages.popitem(last=False)
                self._bytes -= evicted


    def csrf_token(self) -> str:
        """The session's signed CSRF token. Signing (JSON, zlib, HMAC) is a third of a cached page's own work, and
        with WTF_CSRF_TIME_LIMIT = None a signed token stays valid as long as its session: signed once here."""
        if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
            return generate_csrf()  # tokens expire: sign afresh
        raw = session.get("csrf_token")
        signed = self._signed_tokens.get(raw) if raw else None
        if signed is None:
            signed = generate_csrf()
            raw = session.get("csrf_token")
            with self._lock:
                if len(self._signed_tokens) > 10_000:
                    self._signed_tokens.clear()
                self._signed_tokens[raw] = signed
        return signed


def init_app(app: Flask) -> None:
    max_bytes = int(app.config.get("PAGE_CACHE_MAX_BYTES", 0) or 0)
    if max_bytes > 0:
        app.extensions[EXTENSION] = PageCache(max_bytes)


def cached_page(name: str, params: tuple, scopes: Callable[[Principal], tuple], render: Callable[[Viewer], str]):
    """The page `render(viewer)` would give, from the cache when its counters are unchanged.

    `scopes(principal)` names the counters the page depends on: (position ids, unit ids)."""
    cache: PageCache | None = current_app.extensions.get(EXTENSION)
    if cache is None or session.get("_flashes"):
        return render(viewer())
    user = current_user
    principal_key = (user.id, user.session_version, date.today())
    key = (name, *principal_key, is_fragment_request(), params)
    principal = cache.principal(principal_key)
    if principal is not None:
        versions = read_versions(db.session, *scopes(principal))
        if versions[0] == principal.global_version:
            html = cache.page(key, versions)
            if html is not None:
                cache.hits += 1
                return html.replace(MARKER, cache.csrf_token())
    cache.misses += 1
    # Each read comes before what it vouches for: the global counter before the viewer's positions (an acting post
    # granted in between leaves the principal already outdated, not wrongly valid), the page's counters before
    # the page's own reads.
    global_before = read_versions(db.session)[0]
    v = viewer()
    principal = Principal(global_before, v.position_ids, v.clerk_unit_ids)
    versions = read_versions(db.session, *scopes(principal))
    html = render(v)
    token = generate_csrf()  # the one the page was rendered with (kept in `g` for the request)
    cache.store(principal_key, principal, key, versions, html.replace(token, MARKER))
    return html
