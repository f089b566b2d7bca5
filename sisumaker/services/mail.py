"""E-mail for bell entries: a worker job sends what is pending; nothing is sent when SMTP is not configured."""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.message import EmailMessage

from sqlalchemy import or_, select

from sisumaker.extensions import db
from sisumaker.models import ActingAssignment, Notification, User


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "sisumaker@localhost"
    base_url: str = "http://localhost:5000"


def recipients_for(position_id: int, on: date | None = None) -> list[User]:
    """Whoever acts for the position today (holder and Plt/Plh) and has an e-mail address."""
    on = on or date.today()
    acting = select(ActingAssignment.user_id).where(
        ActingAssignment.position_id == position_id, ActingAssignment.starts_on <= on, ActingAssignment.ends_on >= on)
    return list(db.session.scalars(select(User).where(
        User.is_enabled.is_(True), User.email.is_not(None),
        or_(User.position_id == position_id, User.id.in_(acting)))))


def send_pending(settings: SmtpSettings, limit: int = 200) -> int:
    """Rule: each bell entry is e-mailed at most once; it is marked sent only after the server accepted it,
    so a failure leaves it pending for the retry (the error propagates to the job)."""
    pending = list(db.session.scalars(
        select(Notification).where(Notification.emailed_at.is_(None)).order_by(Notification.id).limit(limit)))
    sent = 0
    if not pending:
        return 0
    with smtplib.SMTP(settings.host, settings.port, timeout=15) as smtp:
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        for note in pending:
            users = recipients_for(note.position_id)
            for user in users:
                msg = EmailMessage()
                msg["Subject"] = f"[Sisumaker] {note.text[:120]}"
                msg["From"] = settings.sender
                msg["To"] = user.email
                link = f"{settings.base_url.rstrip('/')}/disposisi/{note.item_id}" if note.item_id else settings.base_url
                msg.set_content(f"Yth. {user.full_name},\n\n{note.text}\n\nBuka di Sisumaker: {link}\n\n"
                                "Pesan ini dikirim otomatis; isi surat hanya dapat dibaca setelah masuk.")
                smtp.send_message(msg)
                sent += 1
            note.emailed_at = datetime.now(timezone.utc)
            db.session.commit()
    return sent
