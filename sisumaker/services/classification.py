"""Kode klasifikasi arsip (Permendagri 83/2022): the seeded groups and the searchable picker."""
from __future__ import annotations

from sqlalchemy import func, or_, select

from sisumaker.extensions import db
from sisumaker.models import Classification

# (code, name, active years, inactive years, final disposition). A seed for the picker; admins refine it.
SEED: tuple[tuple[str, str, int, int, str], ...] = (
    ("000", "Umum", 2, 3, "musnah"),
    ("000.1", "Ketatausahaan dan Kerumahtanggaan", 2, 3, "musnah"),
    ("000.1.1", "Telekomunikasi", 1, 1, "musnah"),
    ("000.1.2", "Perjalanan Dinas Pimpinan", 2, 3, "musnah"),
    ("000.1.3", "Rapat Pimpinan", 2, 5, "permanen"),
    ("000.2", "Perlengkapan", 2, 3, "musnah"),
    ("000.3", "Pengadaan Barang dan Jasa", 2, 8, "musnah"),
    ("000.4", "Perpustakaan", 2, 3, "musnah"),
    ("000.5", "Kearsipan", 2, 3, "dinilai kembali"),
    ("000.6", "Persandian", 2, 3, "musnah"),
    ("000.7", "Perencanaan Pembangunan", 2, 5, "permanen"),
    ("000.8", "Organisasi dan Tata Laksana", 2, 5, "permanen"),
    ("000.8.3", "Tata Laksana", 2, 5, "permanen"),
    ("000.8.3.3", "Tata Naskah Dinas", 2, 5, "permanen"),
    ("000.9", "Penelitian, Pengkajian dan Pengembangan", 2, 3, "dinilai kembali"),
    ("100", "Pemerintahan", 2, 5, "dinilai kembali"),
    ("100.1", "Otonomi Daerah", 2, 5, "permanen"),
    ("100.2", "Pemerintahan Umum", 2, 5, "dinilai kembali"),
    ("100.3", "Hukum", 2, 5, "permanen"),
    ("100.3.3", "Produk Hukum Daerah (Peraturan dan Keputusan)", 5, 10, "permanen"),
    ("200", "Politik", 2, 3, "dinilai kembali"),
    ("200.1", "Kesatuan Bangsa dan Politik", 2, 3, "dinilai kembali"),
    ("200.2", "Pemilihan Umum", 2, 3, "permanen"),
    ("300", "Keamanan dan Ketertiban", 2, 3, "dinilai kembali"),
    ("300.1", "Ketenteraman dan Ketertiban Umum", 2, 3, "musnah"),
    ("300.2", "Penanggulangan Bencana", 2, 5, "permanen"),
    ("400", "Kesejahteraan Rakyat", 2, 3, "dinilai kembali"),
    ("400.3", "Pendidikan", 2, 3, "dinilai kembali"),
    ("400.5", "Kebudayaan", 2, 3, "dinilai kembali"),
    ("400.7", "Kesehatan", 2, 3, "dinilai kembali"),
    ("400.9", "Sosial", 2, 3, "dinilai kembali"),
    ("400.10", "Pemberdayaan Masyarakat dan Desa", 2, 3, "dinilai kembali"),
    ("400.12", "Kependudukan dan Pencatatan Sipil", 2, 5, "permanen"),
    ("500", "Perekonomian", 2, 3, "dinilai kembali"),
    ("500.1", "Perdagangan", 2, 3, "musnah"),
    ("500.2", "Koperasi dan Usaha Mikro", 2, 3, "musnah"),
    ("500.6", "Pertanian", 2, 3, "musnah"),
    ("500.7", "Perikanan", 2, 3, "musnah"),
    ("500.11", "Penanaman Modal", 2, 3, "dinilai kembali"),
    ("600", "Pekerjaan Umum dan Ketenagaan", 2, 5, "dinilai kembali"),
    ("600.1", "Pekerjaan Umum dan Penataan Ruang", 2, 5, "dinilai kembali"),
    ("600.2", "Perumahan dan Kawasan Permukiman", 2, 5, "dinilai kembali"),
    ("600.4", "Lingkungan Hidup", 2, 5, "dinilai kembali"),
    ("600.5", "Perhubungan", 2, 3, "musnah"),
    ("700", "Pengawasan", 2, 5, "dinilai kembali"),
    ("700.1", "Pengawasan Internal", 2, 5, "permanen"),
    ("700.2", "Pengawasan Eksternal", 2, 5, "permanen"),
    ("800", "Kepegawaian", 2, 3, "dinilai kembali"),
    ("800.1", "Sumber Daya Manusia", 2, 3, "dinilai kembali"),
    ("800.1.2", "Pengadaan Pegawai", 2, 3, "musnah"),
    ("800.1.11", "Cuti", 1, 1, "musnah"),
    ("800.2", "Pendidikan dan Pelatihan", 2, 3, "musnah"),
    ("900", "Keuangan", 2, 10, "dinilai kembali"),
    ("900.1", "Keuangan Daerah", 2, 10, "dinilai kembali"),
    ("900.1.1", "Anggaran Pendapatan dan Belanja Daerah", 2, 10, "permanen"),
    ("900.1.3", "Pelaksanaan Anggaran", 2, 10, "musnah"),
)


def seed_classifications() -> int:
    """Insert the seed codes that are not there yet; returns how many were added."""
    known = set(db.session.scalars(select(Classification.code)))
    added = 0
    for code, name, active, inactive, final in SEED:
        if code in known:
            continue
        parent = code.rsplit(".", 1)[0] if "." in code else None
        db.session.add(Classification(code=code, name=name, parent_code=parent, active_years=active,
                                      inactive_years=inactive, final_disposition=final))
        known.add(code)
        added += 1
    db.session.flush()
    return added


def search_classifications(query: str, limit: int = 20) -> list[Classification]:
    """The picker: codes whose code starts with, or whose name contains, the query."""
    q = (query or "").strip()
    stmt = select(Classification).order_by(Classification.code)
    if q:
        stmt = stmt.where(or_(Classification.code.startswith(q), func.lower(Classification.name).contains(q.lower())))
    return list(db.session.scalars(stmt.limit(limit)))
