"""One place maps domain errors and HTTP refusals to pages (or fragments) in Bahasa Indonesia."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from sisumaker.services.errors import DomainError, ValidationError

TITLES = {
    400: "Permintaan tidak dapat diproses",
    403: "Akses ditolak",
    404: "Halaman tidak ditemukan",
    405: "Metode tidak diizinkan",
    409: "Terjadi konflik",
    413: "Berkas terlalu besar",
    422: "Isian belum benar",
    429: "Terlalu banyak percobaan",
    500: "Terjadi kesalahan pada server",
}
MESSAGES = {
    400: "Permintaan tidak dapat diproses. Muat ulang halaman lalu coba lagi.",
    403: "Anda tidak berwenang membuka halaman ini.",
    404: "Halaman atau data yang dicari tidak ada, atau Anda tidak berwenang melihatnya.",
    405: "Cara membuka halaman ini tidak diizinkan.",
    413: "Berkas yang diunggah melebihi batas ukuran.",
    429: "Terlalu banyak percobaan. Tunggu beberapa menit lalu coba lagi.",
    500: "Terjadi kesalahan pada server. Data Anda tidak diubah; silakan coba lagi.",
}


def error_page(status: int, message: str | None = None):
    from sisumaker.extensions import db

    db.session.rollback()  # a refused request changes nothing
    message = message or MESSAGES.get(status, TITLES.get(status, "Terjadi kesalahan"))
    if request.accept_mimetypes.best == "application/json" or request.path.endswith(".json"):
        return jsonify(error=message, status=status), status
    template = "errors/_message.html" if request.headers.get("HX-Request") else "errors/page.html"
    return render_template(template, status=status, title=TITLES.get(status, "Kesalahan"), message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return error_page(400, "Formulir kedaluwarsa atau tidak sah (token keamanan tidak cocok). "
                               "Muat ulang halaman lalu kirim kembali.")

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        if isinstance(exc, ValidationError):
            return error_page(422, exc.message)
        return error_page(exc.status, exc.message)

    for status in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(status, lambda exc, status=status: error_page(status))
