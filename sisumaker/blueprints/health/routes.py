"""/healthz: database, Redis and worker heartbeat as JSON, for monitoring and `make run`."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import text

from sisumaker.extensions import db, limiter
from sisumaker.queue import redis_connection

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    report: dict = {"database": "ok", "redis": "not configured", "worker": "inline (no Redis)"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # report, do not raise: this is the monitoring endpoint
        report["database"] = f"error: {type(exc).__name__}"
    conn = redis_connection()
    if conn is not None:
        try:
            conn.ping()
            report["redis"] = "ok"
            stale = current_app.config["WORKER_STALE_AFTER"]
            now = datetime.now(timezone.utc)
            beats = [w.last_heartbeat for w in Worker.all(connection=conn) if w.last_heartbeat]
            fresh = [b for b in beats if (now - b.replace(tzinfo=b.tzinfo or timezone.utc)).total_seconds() < stale]
            report["worker"] = "ok" if fresh else "no heartbeat"
            report["workers"] = len(fresh)
        except RedisError as exc:
            report["redis"] = f"error: {type(exc).__name__}"
            report["worker"] = "unknown"
    healthy = report["database"] == "ok" and report["redis"] in ("ok", "not configured") \
        and report["worker"] in ("ok", "inline (no Redis)")
    report["status"] = "ok" if healthy else "degraded"
    return jsonify(report), 200 if healthy else 503
