"""Letter numbers: fixed when the signer signs, from a pattern per jenis naskah and signing unit, gap-free per
sequence and year, safe under concurrent signing on SQLite and PostgreSQL."""
from __future__ import annotations

import re
import string
from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sisumaker.documents import bulan_romawi
from sisumaker.extensions import db
from sisumaker.models import NumberCounter, NumberPattern, Unit
from sisumaker.services.errors import ValidationError

DEFAULT_PATTERN = "{klasifikasi}/{nomor}/{unit}/{tahun}"
PLACEHOLDERS = ("klasifikasi", "nomor", "unit", "bulan", "bulan_romawi", "tahun")


def check_pattern(pattern: str) -> None:
    """A pattern must contain {nomor} and only known placeholders, and format() must accept it."""
    try:
        list(string.Formatter().parse(pattern or ""))
    except ValueError:  # "{nomor}/{unit" would only fail when the signer signs
        raise ValidationError({"pattern": "Pola nomor memuat kurung kurawal yang tidak berpasangan."}) from None
    names = set(re.findall(r"{([^{}]*)}", pattern or ""))
    if "nomor" not in names:
        raise ValidationError({"pattern": "Pola nomor harus memuat {nomor}."})
    unknown = names - set(PLACEHOLDERS)
    if unknown:
        raise ValidationError({"pattern": f"Penanda tidak dikenal: {', '.join(sorted(unknown))}."})


def pattern_for(jenis: str, unit_id: int) -> NumberPattern | None:
    """The most specific pattern: this jenis in this unit, this jenis anywhere, then the default."""
    rows = db.session.scalars(select(NumberPattern).where(
        or_(NumberPattern.jenis == jenis, NumberPattern.jenis.is_(None)),
        or_(NumberPattern.unit_id == unit_id, NumberPattern.unit_id.is_(None))))
    ranked = sorted(rows, key=lambda p: (p.jenis is None, p.unit_id is None))
    return ranked[0] if ranked else None


def take_number(scope: str, year: int) -> int:
    """Rule: the next number of a sequence, incremented atomically in the caller's transaction (a rollback
    gives it back, so there is never a gap)."""
    dialect = db.session.get_bind().dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(NumberCounter)
    db.session.execute(ins.values(scope=scope, year=year, last_number=0).on_conflict_do_nothing())
    return db.session.execute(
        update(NumberCounter).where(NumberCounter.scope == scope, NumberCounter.year == year)
        .values(last_number=NumberCounter.last_number + 1).returning(NumberCounter.last_number)).scalar_one()


def assign_number(jenis: str, unit: Unit, classification: str | None, on: date) -> str:
    """Format the next number for a letter signed in `unit` on `on`. SK (legal patterns) use the legal
    section's single sequence and read "n TAHUN y"."""
    pattern = pattern_for(jenis, unit.id)
    if pattern is not None and pattern.legal:
        n = take_number("legal", on.year)
        return pattern.pattern.format(nomor=n, tahun=on.year, klasifikasi=classification or "", unit=unit.code,
                                      bulan=f"{on.month:02d}", bulan_romawi=bulan_romawi(on.month))
    text = pattern.pattern if pattern is not None else DEFAULT_PATTERN
    scope = f"p{pattern.id if pattern else 0}:u{unit.id}"
    n = take_number(scope, on.year)
    value = text.format(nomor=n, tahun=on.year, klasifikasi=classification or "000", unit=unit.code,
                        bulan=f"{on.month:02d}", bulan_romawi=bulan_romawi(on.month))
    return value.replace("//", "/").strip("/")


DEFAULT_PATTERNS = (
    # (jenis, pattern, legal)
    (None, DEFAULT_PATTERN, False),
    ("surat_keputusan", "{nomor} TAHUN {tahun}", True),
    ("nota_dinas", "{klasifikasi}/{nomor}/{unit}/{bulan_romawi}/{tahun}", False),
)


def seed_patterns() -> int:
    """The default patterns, when none exist yet."""
    if db.session.scalar(select(NumberPattern.id).limit(1)) is not None:
        return 0
    for jenis, pattern, legal in DEFAULT_PATTERNS:
        db.session.add(NumberPattern(jenis=jenis, unit_id=None, pattern=pattern, legal=legal))
    db.session.flush()
    return len(DEFAULT_PATTERNS)
