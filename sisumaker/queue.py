"""RQ wiring: one queue on REDIS_URL; without Redis, jobs run in-process (and /healthz says so)."""
from __future__ import annotations

import logging
from typing import Any, Callable

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)


def redis_connection(app: Flask | None = None) -> Redis | None:
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    conn = app.extensions.get("sisumaker_redis")
    if conn is None:
        conn = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
        app.extensions["sisumaker_redis"] = conn
    return conn


def redis_available(app: Flask | None = None) -> bool:
    conn = redis_connection(app)
    if conn is None:
        return False
    try:
        return bool(conn.ping())
    except RedisError:
        return False


def get_queue(app: Flask | None = None) -> Queue | None:
    app = app or current_app
    conn = redis_connection(app)
    return None if conn is None else Queue(app.config["RQ_QUEUE"], connection=conn)


def enqueue(func: Callable[..., Any], *args: Any, job_id: str | None = None, **options: Any) -> str | None:
    """Put `func(*args)` on the queue (ids only, never secrets); without Redis, run it now in-process.

    Returns the job id, or None when it ran in-process.
    """
    queue = get_queue()
    if queue is None:
        log.info("no REDIS_URL: running %s in-process", func.__name__)
        func(*args)
        return None
    job = queue.enqueue(func, *args, job_id=job_id, **options)
    return job.id
