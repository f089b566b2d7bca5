"""Audit log: append-only, hash-chained; `verify_chain` finds the first broken link."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models.audit import GENESIS_HASH, AuditEvent, AuditHead
from sisumaker.models.org import as_utc


def _digest(prev_hash: str, seq: int, at: datetime, actor_id: int | None, action: str, object_type: str,
            object_id: str | None, detail: str) -> str:
    at = as_utc(at)
    payload = json.dumps(
        [prev_hash, seq, at.astimezone(timezone.utc).isoformat(timespec="microseconds"), actor_id, action,
         object_type, object_id, detail],
        separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(actor, action: str, object_type: str, object_id, detail: dict | None = None) -> AuditEvent:
    """Rule: every state change appends one event chained to the previous one (the head row is locked)."""
    head = db.session.scalar(select(AuditHead).where(AuditHead.id == 1).with_for_update())
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS_HASH)
        db.session.add(head)
        db.session.flush()
    at = datetime.now(timezone.utc)
    seq = head.last_seq + 1
    detail_text = json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, default=str)
    oid = None if object_id is None else str(object_id)
    actor_id = getattr(actor, "id", None)
    event = AuditEvent(
        seq=seq, at=at, actor_id=actor_id, action=action, object_type=object_type, object_id=oid,
        detail=detail_text, prev_hash=head.last_hash,
        hash=_digest(head.last_hash, seq, at, actor_id, action, object_type, oid, detail_text),
    )
    db.session.add(event)
    head.last_seq, head.last_hash = seq, event.hash
    db.session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the chain in order; report the first event whose hash or link does not match."""
    prev, expected_seq, checked = GENESIS_HASH, 1, 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.seq >= expected_seq).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected_seq:
                return ChainReport(checked, expected_seq, "urutan terputus (ada baris yang dihapus)")
            if ev.prev_hash != prev:
                return ChainReport(checked, ev.seq, "tautan ke baris sebelumnya tidak cocok")
            if ev.hash != _digest(prev, ev.seq, ev.at, ev.actor_id, ev.action, ev.object_type, ev.object_id,
                                  ev.detail):
                return ChainReport(checked, ev.seq, "isi baris telah diubah")
            prev, expected_seq, checked = ev.hash, expected_seq + 1, checked + 1
    head = db.session.get(AuditHead, 1)
    if head is not None and head.last_seq != checked:
        return ChainReport(checked, checked + 1, "baris terakhir hilang")
    return ChainReport(checked, None, None)
