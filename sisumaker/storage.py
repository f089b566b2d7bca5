"""Where the installation keeps its files (the instance folder unless FILES_DIR says otherwise)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from sisumaker.services.files import FileStore


def file_store_for(app: Flask | None = None) -> FileStore:
    app = app or current_app
    return FileStore(Path(app.config.get("FILES_DIR") or Path(app.instance_path) / "files"))
