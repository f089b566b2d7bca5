"""The passphrase's way from the web request to the worker: sealed, short-lived, never in clear.

The web process seals the passphrase with AES-256-GCM under a key derived (HKDF) from the app's secret key and
the batch reference, and stores only the ciphertext in Redis with a TTL. The job carries the batch id; the
worker derives the same key and opens it. Redis, the database, job arguments and logs never see the passphrase.
Without Redis (jobs run in-process) the sealed value stays in this process's memory.
"""
from __future__ import annotations

import os
import threading
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask

from sisumaker.queue import redis_connection

TTL_SECONDS = 900
_local: dict[str, tuple[float, bytes]] = {}
_lock = threading.Lock()


def _key(app: Flask, ref: str) -> bytes:
    secret = app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sisumaker-passphrase-handoff",
                info=ref.encode()).derive(secret)


def _redis_key(ref: str) -> str:
    return f"sisumaker:handoff:{ref}"


def seal(app: Flask, ref: str, passphrase: str) -> None:
    nonce = os.urandom(12)
    blob = nonce + AESGCM(_key(app, ref)).encrypt(nonce, passphrase.encode(), ref.encode())
    conn = redis_connection(app)
    if conn is not None:
        conn.set(_redis_key(ref), blob, ex=TTL_SECONDS)
    else:
        with _lock:
            _local[ref] = (time.monotonic() + TTL_SECONDS, blob)


def unseal(app: Flask, ref: str) -> str | None:
    """The passphrase, or None when it expired or was never handed over."""
    conn = redis_connection(app)
    if conn is not None:
        blob = conn.get(_redis_key(ref))
    else:
        with _lock:
            expires, blob = _local.get(ref, (0.0, None))
            if blob is not None and expires < time.monotonic():
                _local.pop(ref, None)
                blob = None
    if blob is None:
        return None
    return AESGCM(_key(app, ref)).decrypt(blob[:12], blob[12:], ref.encode()).decode()


def discard(app: Flask, ref: str) -> None:
    conn = redis_connection(app)
    if conn is not None:
        conn.delete(_redis_key(ref))
    with _lock:
        _local.pop(ref, None)
