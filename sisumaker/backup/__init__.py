"""Backup and restore of one installation: the database, the content-addressed file store and the keys, in one
archive with a manifest. Flask-free: the CLI (`sisumaker/cli_backup.py`) passes the engine, the folders and the
migration hooks.

Archive members: `manifest.json`; `database/...` (see backup/database.py); `files/ab/cdef...` (the file store,
without the regenerable `_preview` cache); `keys/...` (the regency PKI and its key-encryption key: secrets).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from sisumaker.backup import database
from sisumaker.backup.archive import FORMAT, BackupError, open_archive, sha256_file, write_archive

__all__ = ["BackupError", "BackupResult", "RestoreResult", "create_backup", "restore_backup", "Installation"]

SKIPPED_FILE_DIRS = {"_preview"}  # page previews are a cache, rebuilt on demand


@dataclass(frozen=True)
class Installation:
    """What a backup reads and a restore writes."""

    engine: Engine
    metadata: MetaData
    files_dir: Path
    keys_dir: Path


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    seconds: float
    members: int
    counts: dict[str, int]
    migration_head: str | None
    encrypted: bool
    missing_files: list[str]


@dataclass(frozen=True)
class RestoreResult:
    seconds: float
    counts: dict[str, int]
    files: int
    keys: int
    migration_head: str | None
    keys_set_aside: Path | None


def _tree(root: Path, prefix: str, skip: set[str] = frozenset()) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not path.is_symlink() and rel.parts[0] not in skip and not path.name.startswith(".up-"):
            found[f"{prefix}/{rel.as_posix()}"] = path
    return found


def _store_name(rel: str) -> str:
    parts = rel.split("/")
    return parts[1] + parts[2] if len(parts) == 3 else rel


def create_backup(inst: Installation, out: Path, *, passphrase: str | None = None, app_version: str = "",
                  now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> BackupResult:
    """Rule: the database snapshot is taken first and the files after it; a file is stored before the row that
    names it is committed, so every file the snapshot names is in the archive. A stored file that is missing
    or whose content no longer matches its SHA-256 name is reported, not silently copied."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sisumaker-backup-", dir=out.parent if out.parent.exists() else None) \
            as work:
        staging = Path(work)
        db_part = database.dump(inst.engine, inst.metadata, staging)
        sources = _tree(staging / "database", "database")
        files = _tree(inst.files_dir, "files", SKIPPED_FILE_DIRS)
        sources.update(files)
        sources.update(_tree(inst.keys_dir, "keys"))
        members = {rel: {"size": p.stat().st_size, "sha256": sha256_file(p)} for rel, p in sources.items()}
        named = {_store_name(rel): rel for rel in files}  # files/ab/cdef... -> abcdef...
        missing = sorted(sha for sha in db_part.pop("stored_files") if sha not in named)
        damaged = sorted(rel for sha, rel in named.items() if members[rel]["sha256"] != sha)
        created = now()
        manifest = {
            "app": "sisumaker", "format": FORMAT, "app_version": app_version,
            "created_at": created.isoformat(timespec="seconds"), "created_epoch": int(created.timestamp()),
            "database": db_part, "files": len(files), "keys": sum(1 for r in sources if r.startswith("keys/")),
            "missing_files": missing, "damaged_files": damaged, "encrypted": bool(passphrase), "members": members,
        }
        write_archive(sources, manifest, out, passphrase)
    return BackupResult(path=out, size=out.stat().st_size, seconds=time.monotonic() - started,
                        members=len(members), counts=db_part["counts"], migration_head=db_part["migration_head"],
                        encrypted=bool(passphrase), missing_files=missing + damaged)


def restore_backup(inst: Installation, archive: Path, *, known_revisions: set[str], passphrase: str | None = None,
                   force: bool = False, create_schema: Callable[[str | None], None],
                   upgrade: Callable[[], None]) -> RestoreResult:
    """Rule: a restore checks everything before it changes anything: the archive against its manifest, the
    schema (a backup from a newer Sisumaker than this code is refused), and the target (a database with rows,
    or other keys, is replaced only with `force`; replaced keys are set aside, never deleted). Then the
    database, the files and the keys are put back, the schema is upgraded to this code's head, and the
    restored row counts must equal the manifest's."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sisumaker-restore-") as work:
        content, manifest = open_archive(archive, Path(work), passphrase)
        db_part = manifest["database"]
        head = db_part.get("migration_head")
        if head is not None and head not in known_revisions:
            raise BackupError(f"Cadangan ini dibuat oleh Sisumaker yang lebih baru (skema {head}, tidak dikenal "
                              "oleh versi ini). Perbarui kode Sisumaker terlebih dahulu, lalu pulihkan lagi.")
        keys_src = content / "keys"
        keys_differ = _keys_differ(keys_src, inst.keys_dir)
        if not force:
            problems = []
            if not database.is_empty(inst.engine, inst.metadata):
                problems.append("basis data tujuan sudah berisi data")
            if keys_differ and _digest_tree(inst.keys_dir):
                problems.append(f"folder kunci {inst.keys_dir} berisi kunci lain")
            if problems:
                raise BackupError("Pemulihan dibatalkan: " + " dan ".join(problems) + ". Gunakan --force untuk "
                                  "menimpanya (kunci lama disimpan di samping, tidak dihapus).")
        counts = database.restore(inst.engine, inst.metadata, content, db_part, create_schema)
        if counts != db_part["counts"]:
            diff = {t: (db_part["counts"].get(t), counts.get(t)) for t in set(counts) | set(db_part["counts"])
                    if counts.get(t) != db_part["counts"].get(t)}
            raise BackupError(f"Jumlah baris setelah pemulihan tidak sama dengan manifest: {diff}.")
        files = _restore_files(content / "files", inst.files_dir)
        set_aside = _restore_keys(keys_src, inst.keys_dir) if keys_differ else None
        if head is not None:
            upgrade()
    return RestoreResult(seconds=time.monotonic() - started, counts=counts, files=files,
                         keys=manifest.get("keys", 0), migration_head=head, keys_set_aside=set_aside)


def _digest_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()} if root.is_dir() else {}


def _keys_differ(src: Path, dst: Path) -> bool:
    return _digest_tree(src) != _digest_tree(dst)


def _restore_files(src: Path, dst: Path) -> int:
    """Content-addressed: a file already present with the right content is kept, anything else is written."""
    count = 0
    if not src.is_dir():
        return 0
    for path in sorted(src.rglob("*")):
        if not path.is_file():
            continue
        target = dst / path.relative_to(src)
        count += 1
        if target.exists() and sha256_file(target) == sha256_file(path):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".up-restore-{target.name}")
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    return count


def _restore_keys(src: Path, dst: Path) -> Path | None:
    """The backup's keys replace the folder as a whole (mode 0700 folders, 0600 files); a non-empty old
    folder is renamed to keys.replaced-<time> beside it."""
    aside = None
    if dst.exists() and any(dst.rglob("*")):
        aside = dst.with_name(f"{dst.name}.replaced-{datetime.now():%Y%m%d-%H%M%S}")
        dst.rename(aside)
    elif dst.exists():
        dst.rmdir()
    if not src.is_dir():
        return aside
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(mode=0o700, parents=True, exist_ok=True)
        else:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            os.chmod(target, 0o600)
    dst.chmod(0o700)
    return aside
