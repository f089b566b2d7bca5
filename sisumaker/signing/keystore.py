"""Officials' key stores: PKCS#12 under the official's own passphrase, and passphrase rules.

Rules enforced here:
- A key store is written only as PKCS#12 with PBES2 (PBKDF2-SHA256 + AES-256-CBC) for both the key
  and certificate bags and an HMAC-SHA256 MAC; the passphrase itself is never stored.
- A wrong passphrase raises `WrongPassphrase` (pyHanko's `SimpleSigner.load_pkcs12` would return
  None instead, which is easy to mistake for success).
- A new passphrase must be at least 10 characters, mix character classes, avoid common words and
  the user's own name (`check_passphrase_strength`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from .errors import WrongPassphrase
from .pki import PrivateKey, cert_matches_key

PKCS12_KDF_ROUNDS = 100_000
MIN_PASSPHRASE_LENGTH = 10

COMMON_WORDS = frozenset({
    "password", "passw0rd", "sandi", "katasandi", "kata sandi", "rahasia", "qwerty", "qwertyuiop",
    "asdfghjkl", "123456", "1234567890", "12345678", "abcdef", "admin", "administrator",
    "indonesia", "merdeka", "bismillah", "alhamdulillah", "pemerintah", "kabupaten", "pemkab",
    "sekda", "bupati", "pegawai", "welcome", "letmein", "iloveyou", "sayang", "cinta",
    "sisumaker", "tandatangan", "tte", "jakarta",
})


@dataclass(frozen=True)
class KeyStoreContents:
    """What a PKCS#12 holds: the private key, its certificate, and any CA certificates."""

    private_key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


def _encode(passphrase: str | bytes) -> bytes:
    return passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase


def make_pkcs12(cert: x509.Certificate, key: PrivateKey, chain: list[x509.Certificate],
                passphrase: str | bytes, *, friendly_name: str | None = None,
                kdf_rounds: int = PKCS12_KDF_ROUNDS) -> bytes:
    """Serialise key + certificate + chain as AES-256 PKCS#12 under `passphrase`.

    Rule: only PBESv2-SHA256-AES256-CBC with an HMAC-SHA256 MAC (no legacy RC2/3DES).
    """
    if not passphrase:
        raise ValueError("a PKCS#12 key store needs a passphrase")
    if not cert_matches_key(cert, key):
        raise ValueError("certificate and private key do not match")
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(kdf_rounds)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(_encode(passphrase))
    )
    name = (friendly_name or cert.subject.rfc4514_string()).encode("utf-8")
    return pkcs12.serialize_key_and_certificates(name, key, cert, chain or None, encryption)


def load_pkcs12(data: bytes, passphrase: str | bytes) -> KeyStoreContents:
    """Open a PKCS#12 key store; a wrong passphrase (or damaged file) raises `WrongPassphrase`.

    Also accepts externally issued PKCS#12 files (import), as long as they hold one RSA or EC key
    with its certificate.
    """
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, _encode(passphrase))
    except (ValueError, TypeError) as exc:
        raise WrongPassphrase() from exc
    if key is None or cert is None:
        raise WrongPassphrase("Berkas kunci tidak berisi kunci privat dan sertifikat.")
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise WrongPassphrase("Jenis kunci dalam berkas tidak didukung (hanya RSA atau EC).")
    return KeyStoreContents(private_key=key, certificate=cert, chain=tuple(extra))


def rewrap_pkcs12(data: bytes, old_passphrase: str | bytes, new_passphrase: str | bytes,
                  *, extra_chain: list[x509.Certificate] | None = None) -> bytes:
    """Re-encrypt a key store under a new passphrase (change of passphrase, or import of a
    legacy-encrypted external PKCS#12 into the AES-256 format)."""
    contents = load_pkcs12(data, old_passphrase)
    chain = list(contents.chain) or list(extra_chain or [])
    return make_pkcs12(contents.certificate, contents.private_key, chain, new_passphrase)


def _classes(text: str) -> set[str]:
    found = set()
    for ch in text:
        if ch.islower():
            found.add("lower")
        elif ch.isupper():
            found.add("upper")
        elif ch.isdigit():
            found.add("digit")
        else:
            found.add("other")
    return found


def check_passphrase_strength(passphrase: str, *, username: str | None = None,
                              full_name: str | None = None) -> list[str]:
    """Return the problems with a new passphrase (empty list = acceptable), in Bahasa Indonesia.

    Rules: at least 10 characters; not a single character class; not a common word (or a common
    word with digits/symbols around it); not containing the username or a part of the full name.
    """
    problems: list[str] = []
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        problems.append(f"Frasa sandi minimal {MIN_PASSPHRASE_LENGTH} karakter.")
    if passphrase and len(_classes(passphrase)) < 2:
        problems.append("Frasa sandi harus memadukan jenis karakter, misalnya huruf dan angka.")
    if passphrase and len(set(passphrase)) <= 2:
        problems.append("Frasa sandi tidak boleh berupa karakter yang diulang-ulang.")
    lowered = passphrase.lower()
    core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered)
    if lowered in COMMON_WORDS or core in COMMON_WORDS or lowered.strip() in COMMON_WORDS:
        problems.append("Frasa sandi terlalu umum dan mudah ditebak.")
    if username and len(username) >= 3 and username.lower() in lowered:
        problems.append("Frasa sandi tidak boleh memuat nama pengguna.")
    if full_name:
        parts = [p for p in re.split(r"[\s.,']+", full_name.lower()) if len(p) >= 4]
        if any(p in lowered for p in parts):
            problems.append("Frasa sandi tidak boleh memuat nama Anda.")
    return problems
