"""NIP (Nomor Induk Pegawai) validation: 18 digits = birth date, appointment year-month, gender, sequence."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sisumaker.services.errors import ValidationError

MIN_APPOINTMENT_AGE = 18
MAX_APPOINTMENT_AGE = 60


@dataclass(frozen=True)
class Nip:
    value: str
    birth_date: date
    appointed: tuple[int, int]  # (year, month) of appointment as CPNS/PPPK
    gender: str  # "L" or "P"
    sequence: int


def parse_nip(raw: str, today: date | None = None) -> Nip:
    """Enforce the NIP structure (PP 7/2008 style): YYYYMMDD YYYYMM G NNN; impossible values are refused."""
    today = today or date.today()
    value = (raw or "").replace(" ", "").replace(".", "")
    if len(value) != 18 or not (value.isascii() and value.isdigit()):  # "１" and "²" are isdigit() too
        raise ValidationError({"nip": "NIP harus terdiri dari 18 angka."})
    try:
        birth = date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise ValidationError({"nip": "Tanggal lahir pada NIP (digit 1–8) bukan tanggal yang ada."}) from None
    if birth.year < 1940 or birth > today:
        raise ValidationError({"nip": "Tahun lahir pada NIP tidak mungkin."})
    year, month = int(value[8:12]), int(value[12:14])
    if not 1 <= month <= 12:
        raise ValidationError({"nip": "Bulan pengangkatan pada NIP (digit 13–14) harus 01–12."})
    if (year, month) > (today.year, today.month):
        raise ValidationError({"nip": "Tanggal pengangkatan pada NIP berada di masa depan."})
    age_at_appointment = year - birth.year - ((month, 1) < (birth.month, birth.day))
    if age_at_appointment < MIN_APPOINTMENT_AGE:
        raise ValidationError({"nip": "Menurut NIP, pegawai diangkat sebelum berusia 18 tahun; periksa kembali."})
    if age_at_appointment > MAX_APPOINTMENT_AGE:
        raise ValidationError({"nip": "Menurut NIP, pegawai diangkat setelah usia 60 tahun; periksa kembali."})
    if value[14] not in "12":
        raise ValidationError({"nip": "Digit ke-15 NIP (jenis kelamin) harus 1 (laki-laki) atau 2 (perempuan)."})
    sequence = int(value[15:18])
    if sequence == 0:
        raise ValidationError({"nip": "Nomor urut pada NIP (digit 16–18) tidak boleh 000."})
    return Nip(value, birth, (year, month), "L" if value[14] == "1" else "P", sequence)
