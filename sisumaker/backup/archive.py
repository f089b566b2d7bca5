"""The backup archive: a tar.gz of a staging folder with `manifest.json` (SHA-256 of every member), optionally
encrypted with a passphrase (scrypt + AES-256-GCM). Flask-free; knows nothing of the database."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = 1
MANIFEST = "manifest.json"
MAGIC = b"SISUMAKER-BACKUP-AES256GCM-1\n"  # an encrypted archive starts with this line
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be made or restored; the message is for the administrator (Indonesian)."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def describe_members(staging: Path) -> dict[str, dict]:
    """Every regular file under `staging` (POSIX relative name → size and SHA-256), the manifest excluded."""
    return {path.relative_to(staging).as_posix(): {"size": path.stat().st_size, "sha256": sha256_file(path)}
            for path in sorted(staging.rglob("*")) if path.is_file() and path.name != MANIFEST}


def write_archive(sources: dict[str, Path], manifest: dict, out: Path, passphrase: str | None = None) -> None:
    """Rule: a backup is one file, readable by nobody but its owner (it holds the regency's keys): the manifest
    first, then every member of `manifest["members"]` (read from `sources`); encrypted as a whole when a
    passphrase is given. Written beside `out` and renamed, so a half-written backup never carries its name."""
    out.parent.mkdir(parents=True, exist_ok=True)
    plain = out.with_name(out.name + ".part") if passphrase else out.with_name(out.name + ".tmp")
    fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
        data = json.dumps(manifest, indent=1, ensure_ascii=False, default=str).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(data), 0o600, int(manifest.get("created_epoch", 0))
        tar.addfile(info, io.BytesIO(data))
        for rel in manifest["members"]:
            tar.add(sources[rel], arcname=rel, recursive=False)
    try:
        if passphrase:
            _encrypt(plain, out.with_name(out.name + ".tmp"), passphrase)
            plain.unlink()
        os.replace(out.with_name(out.name + ".tmp"), out)
    finally:
        plain.unlink(missing_ok=True)
        out.with_name(out.name + ".tmp").unlink(missing_ok=True)


def is_encrypted(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def open_archive(path: Path, workdir: Path, passphrase: str | None = None) -> tuple[Path, dict]:
    """Rule: nothing from a backup is used before every member matches the manifest (size and SHA-256), no
    member is missing or extra, and no name escapes the folder. Returns (extracted folder, manifest)."""
    if not path.is_file():
        raise BackupError(f"Berkas cadangan {path} tidak ditemukan.")
    source = path
    if is_encrypted(path):
        if not passphrase:
            raise BackupError("Cadangan ini terenkripsi; berikan frasa sandinya (--passphrase-file atau "
                              "SISUMAKER_BACKUP_PASSPHRASE).")
        source = workdir / "archive.tar.gz"
        _decrypt(path, source, passphrase)
    target = workdir / "content"
    target.mkdir()
    try:
        with tarfile.open(source, mode="r:gz") as tar:
            for member in tar:
                name = PurePosixPath(member.name)
                if not member.isfile() or name.is_absolute() or ".." in name.parts:
                    raise BackupError(f"Arsip cadangan berisi entri yang tidak sah: {member.name!r}.")
                dest = target.joinpath(*name.parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(dest, "wb") as fh:  # type: ignore[union-attr]
                    shutil.copyfileobj(src, fh, CHUNK)
    except (tarfile.TarError, EOFError, OSError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(f"Arsip cadangan rusak atau terpotong dan tidak dapat dibaca ({exc.__class__.__name__}: "
                          f"{exc}). Tidak ada yang dipulihkan.") from None
    try:
        manifest = json.loads((target / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError("Arsip cadangan tidak memiliki manifest.json yang dapat dibaca; ini bukan cadangan "
                          "Sisumaker atau arsipnya rusak.") from None
    if manifest.get("app") != "sisumaker" or manifest.get("format") != FORMAT:
        raise BackupError(f"Format cadangan tidak dikenal ({manifest.get('app')!r}, format "
                          f"{manifest.get('format')!r}); versi ini membaca format {FORMAT}.")
    _check_members(target, manifest)
    return target, manifest


def _check_members(target: Path, manifest: dict) -> None:
    expected = manifest.get("members") or {}
    found = describe_members(target)
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    changed = sorted(k for k in set(expected) & set(found) if expected[k] != found[k])
    if missing or extra or changed:
        parts = []
        for label, names in (("hilang", missing), ("tidak tercatat", extra), ("isinya berubah", changed)):
            if names:
                parts.append(f"{len(names)} berkas {label} (mis. {names[0]})")
        raise BackupError("Arsip cadangan tidak cocok dengan manifest-nya: " + "; ".join(parts)
                          + ". Cadangan ini rusak atau telah diubah; tidak ada yang dipulihkan.")


# ------------------------------------------------------------------------------------------- encryption

def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase.encode())


def _encrypt(src: Path, dst: Path, passphrase: str) -> None:
    """MAGIC | salt (16) | nonce (12) | ciphertext | tag (16)."""
    salt, nonce = os.urandom(16), os.urandom(12)
    enc = Cipher(algorithms.AES(_key(passphrase, salt)), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(MAGIC)
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
        fout.write(MAGIC + salt + nonce)
        for chunk in iter(lambda: fin.read(CHUNK), b""):
            fout.write(enc.update(chunk))
        fout.write(enc.finalize() + enc.tag)


def _decrypt(src: Path, dst: Path, passphrase: str) -> None:
    """The plaintext is trusted only after the tag checks (it is written to a private work file until then)."""
    size = src.stat().st_size
    head = len(MAGIC) + 16 + 12
    if size < head + 16:
        raise BackupError("Arsip cadangan terenkripsi terpotong; tidak ada yang dipulihkan.")
    with open(src, "rb") as fin:
        fin.seek(len(MAGIC))
        salt, nonce = fin.read(16), fin.read(12)
        fin.seek(size - 16)
        tag = fin.read(16)
        fin.seek(head)
        dec = Cipher(algorithms.AES(_key(passphrase, salt)), modes.GCM(nonce, tag)).decryptor()
        dec.authenticate_additional_data(MAGIC)
        remaining = size - head - 16
        with open(dst, "wb") as fout:
            while remaining:
                chunk = fin.read(min(CHUNK, remaining))
                remaining -= len(chunk)
                fout.write(dec.update(chunk))
            try:
                fout.write(dec.finalize())
            except InvalidTag:
                raise BackupError("Frasa sandi salah, atau arsip cadangan terenkripsi telah rusak/diubah; tidak "
                                  "ada yang dipulihkan.") from None
