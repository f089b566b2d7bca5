"""Authentication rules."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from sisumaker.extensions import db
from sisumaker.models import User
from sisumaker.services import audit
from sisumaker.services.errors import PermissionDenied

# Compared against when the account does not exist, so both paths cost one KDF run.
_DUMMY_HASH = generate_password_hash("sisumaker-no-such-user")
WRONG_LOGIN = "Nama pengguna atau kata sandi salah."


def authenticate(username: str, password: str) -> User:
    """Rule: a login succeeds only for an enabled account with the right password; the refusal does not
    reveal which of the two was wrong. Every attempt is audited."""
    username = (username or "").strip().lower()
    user = db.session.scalar(select(User).where(User.username == username))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is None or not ok:
        audit.record(user, "auth.login_failed", "user", user.id if user else None, {"username": username[:80]})
        raise PermissionDenied(WRONG_LOGIN)
    if not user.is_enabled:
        audit.record(user, "auth.login_refused", "user", user.id, {"reason": "disabled"})
        raise PermissionDenied("Akun Anda dinonaktifkan. Hubungi admin Diskominfo.")
    user.last_login_at = datetime.now(timezone.utc)
    audit.record(user, "auth.login", "user", user.id)
    return user


def change_password(actor: User, user: User, new_password: str) -> None:
    """Rule: a user changes their own password, an admin anyone's; every older session is ended."""
    if actor.id != user.id and actor.role != "admin":
        raise PermissionDenied()
    from sisumaker.services.errors import ValidationError

    if len(new_password or "") < 10:
        raise ValidationError({"password": "Kata sandi minimal 10 karakter."})
    user.password_hash = generate_password_hash(new_password)
    user.session_version += 1
    db.session.flush()
    audit.record(actor, "user.password", "user", user.id)
