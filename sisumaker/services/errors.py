"""Domain errors; `sisumaker.errors` maps them to 403 / 422 / 409 in one place."""
from __future__ import annotations


MAX_ID = 2**31 - 1  # the integer primary keys of both databases


def parse_id(raw) -> int | None:
    """A row id typed into a form or a URL: ASCII digits within the key range, else None (never an exception:
    "²" is isdigit() but not int(), and a 40-digit number overflows the database's integer)."""
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if value <= MAX_ID else None


class DomainError(Exception):
    """Base class; `message` is shown to the user in Bahasa Indonesia."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, message: str = "Anda tidak berwenang melakukan tindakan ini."):
        super().__init__(message)


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "Data tidak ditemukan."):
        super().__init__(message)


class ValidationError(DomainError):
    """Bad input: `errors` maps field name to message; nothing was changed."""

    status = 422

    def __init__(self, errors: dict[str, str] | str):
        if isinstance(errors, str):
            errors = {"": errors}
        self.errors = errors
        super().__init__("; ".join(errors.values()))


class Conflict(DomainError):
    status = 409
