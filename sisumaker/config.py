"""Default settings. `instance/config.py` and `SISUMAKER_*` environment variables override them."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


class Defaults:
    """Settings every installation starts from; production values unless noted."""

    # "development" or "production"; demo data is refused in production.
    ENV_NAME = "production"
    # SQLite in the instance folder unless DATABASE_URL is given (postgresql+psycopg://...).
    DATABASE_URL: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Redis for RQ and the rate limiter; None runs jobs in-process.
    REDIS_URL: str | None = None
    RQ_QUEUE = "sisumaker"
    # Worker heartbeat older than this (seconds) is reported as stale by /healthz.
    WORKER_STALE_AFTER = 90
    # The worker re-enqueues signing work the database has but Redis lost this often (seconds), between jobs.
    SIGNING_RECONCILE_SECONDS = 60
    # Dashboard snapshots older than this (minutes) are recomputed by the worker (and on view without Redis).
    DASHBOARD_REFRESH_MINUTES = 15
    # Without Redis a batch is signed inside the web request; one still unfinished after this many seconds (more
    # than gunicorn's request timeout) was cut off with its process and is run again when its signer looks.
    SIGNING_INLINE_STALE_SECONDS = 150

    # Number of reverse proxies in front of the app (nginx: 1); their X-Forwarded-* headers are then trusted,
    # so the per-address login limit counts the real client address.
    PROXY_FIX = 0

    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "sisumaker_session"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    # Idle timeout: a session unused this long is ended.
    IDLE_TIMEOUT_MINUTES = 30

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_CSRF_SSL_STRICT = False  # behind a TLS-terminating proxy, Referer checks misfire

    # Login limits: per client address and per account (failed attempts only for the account).
    LOGIN_LIMIT_PER_ADDRESS = "20 per 10 minutes"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 10 minutes"

    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    # Rendered inbox and register pages kept per web process while unchanged (sisumaker/page_cache.py); 0: off.
    PAGE_CACHE_MAX_BYTES = 32 * 1024 * 1024
    UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    DEMO_PASSWORD = "sisumaker-demo"
    DEMO_SIGNING_PASSPHRASE = "Serang-TTE-2026!"  # locks the demo officials' signing keys
    REGENCY_FIXTURE: str | None = None  # default: ../shared/fixtures/regency.json, else the bundled copy
    PUBLIC_BASE_URL = "http://localhost:5000"
    # E-mail for notifications, sent by the worker; None disables e-mail (the in-app bell always works).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "sisumaker@localhost"

    # Certified signatures through BSrE (BSSN's esign client service, API v2); BSRE_URL None disables them.
    BSRE_URL: str | None = None
    BSRE_USERNAME = ""
    BSRE_PASSWORD = ""
    BSRE_TIMEOUT = 60  # seconds per signing request
    BSRE_RETRIES = 2  # extra attempts on a transient failure (never after a refusal)
    BSRE_BACKOFF = 0.5  # seconds before the client's first retry, doubled each time
    # While BSrE is unreachable the worker retries a batch after these many seconds (then the reconciler takes over).
    BSRE_RETRY_INTERVALS: list[int] = [5, 15, 30, 60, 120, 240, 300]
    # Without Redis, the progress page retries such work in-process at most this often (seconds).
    SIGNING_INPROCESS_RETRY_SECONDS = 15
    # Jenis naskah that must be signed through BSrE whenever BSrE is configured.
    SIGNING_BSRE_REQUIRED_JENIS: list[str] = ["surat_keputusan"]
    # PEM files of further trusted roots (the BSrE root chain); verification trusts them beside the regency root
    # and calls signatures that chain to them "Tersertifikasi (BSrE)".
    SIGNING_TRUST_ROOTS: list[str] = []


def load_secret_key(instance_path: str) -> str:
    """Return the installation's secret key, generating it (mode 0600) on first start."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
