"""The regency PKI: root CA, issuing CA, a time-stamping certificate, and officials' certificates.

Layout of the PKI directory (all private keys are PKCS#8 PEM encrypted under the key-encryption
secret, "KEK", that the app keeps in its instance folder; key files are created mode 0600):

    config.json      regency name, CRL URL, key algorithm, TSA policy OID
    root.pem         root CA certificate (20 years)       root.key.pem
    issuing.pem      issuing CA certificate (10 years)    issuing.key.pem
    tsa.pem          time-stamping certificate            tsa.key.pem
    registry.json    issued certificates and revocations (see `revocation.py`)
    crl.der          the last CRL built (cache; see `revocation.current_crl`)

Rules enforced here:
- CA keys never leave the directory unencrypted; a wrong KEK is refused with `PkiError`.
- Officials' certificates carry keyUsage digitalSignature + nonRepudiation (critical), EKU
  emailProtection + documentSigning, the CRL distribution point, and never outlive the issuing CA.
- The TSA certificate carries EKU timeStamping marked critical (RFC 3161 §2.3).
"""
from __future__ import annotations

import datetime as dt
import enum
import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .errors import PkiError

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

DOCUMENT_SIGNING_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning, RFC 9336
CLOCK_SKEW = dt.timedelta(minutes=5)
MIN_KEK_BYTES = 16


class KeyAlgorithm(str, enum.Enum):
    """Key type for CA and officials' keys (the TSA key is always RSA 3072)."""

    RSA_3072 = "rsa3072"
    EC_P256 = "ec-p256"


@dataclass(frozen=True)
class PkiConfig:
    """Settings fixed when the PKI is created; stored in config.json."""

    regency_name: str
    crl_url: str
    tsa_policy_oid: str
    key_algorithm: KeyAlgorithm = KeyAlgorithm.RSA_3072
    ca_issuers_url: str | None = None
    country: str = "ID"


@dataclass(frozen=True)
class PkiPaths:
    """Where each PKI file lives (build with `PkiPaths.at(directory)`)."""

    directory: Path
    config: Path
    root_cert: Path
    root_key: Path
    issuing_cert: Path
    issuing_key: Path
    tsa_cert: Path
    tsa_key: Path
    registry: Path
    crl: Path

    @classmethod
    def at(cls, directory: str | os.PathLike[str]) -> "PkiPaths":
        d = Path(directory)
        return cls(directory=d, config=d / "config.json", root_cert=d / "root.pem",
                   root_key=d / "root.key.pem", issuing_cert=d / "issuing.pem",
                   issuing_key=d / "issuing.key.pem", tsa_cert=d / "tsa.pem",
                   tsa_key=d / "tsa.key.pem", registry=d / "registry.json", crl=d / "crl.der")


@dataclass(frozen=True)
class Pki:
    """A loaded PKI: certificates plus the decrypted issuing-CA and TSA keys (the root key stays on disk)."""

    paths: PkiPaths
    config: PkiConfig
    root_cert: x509.Certificate
    issuing_cert: x509.Certificate
    issuing_key: PrivateKey
    tsa_cert: x509.Certificate
    tsa_key: rsa.RSAPrivateKey

    @property
    def chain(self) -> list[x509.Certificate]:
        """The CA chain above an official's certificate: issuing CA, then root."""
        return [self.issuing_cert, self.root_cert]


@dataclass(frozen=True)
class IssuedCertificate:
    """A freshly issued official certificate; `private_key` is set only if the PKI generated it."""

    certificate: x509.Certificate
    private_key: PrivateKey | None


def generate_kek() -> bytes:
    """Return a fresh random key-encryption secret (printable, 256 bits of entropy)."""
    import secrets

    return secrets.token_urlsafe(32).encode("ascii")


def generate_key(algorithm: KeyAlgorithm = KeyAlgorithm.RSA_3072) -> PrivateKey:
    """Generate a private key of the PKI's key algorithm."""
    if algorithm is KeyAlgorithm.EC_P256:
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)


def _years(start: dt.datetime, years: int) -> dt.datetime:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable only by its owner, atomically."""
    tmp = _tmp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def write_public(path: Path, data: bytes) -> None:
    """Write a file atomically (unique temporary name, then rename)."""
    tmp = _tmp_name(path)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _encrypt_key(key: PrivateKey, kek: bytes) -> bytes:
    """Rule: private keys are stored only as encrypted PKCS#8."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(kek),
    )


def _decrypt_key(path: Path, kek: bytes) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=kek)
    except FileNotFoundError as exc:
        raise PkiError(f"Berkas kunci PKI tidak ditemukan: {path.name}.") from exc
    except (ValueError, TypeError) as exc:
        raise PkiError("Kunci enkripsi PKI salah atau berkas kunci rusak.") from exc
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise PkiError("Jenis kunci PKI tidak didukung.")
    return key


def _name(common_name: str, config: PkiConfig, **extra: str) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, config.country),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, config.regency_name)]
    oid_for = {"ou": NameOID.ORGANIZATIONAL_UNIT_NAME, "title": NameOID.TITLE,
               "serial": NameOID.SERIAL_NUMBER}
    for key, value in extra.items():
        if value:
            attrs.append(x509.NameAttribute(oid_for[key], value))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _builder(subject: x509.Name, issuer_cert: x509.Certificate | None, issuer_name: x509.Name,
             public_key: PublicKey, not_before: dt.datetime, not_after: dt.datetime,
             issuer_public_key: PublicKey) -> x509.CertificateBuilder:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer_cert is not None:
        ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
    else:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False)
    return builder


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                         crl_sign=True, encipher_only=False, decipher_only=False)


def _leaf_extensions(builder: x509.CertificateBuilder, config: PkiConfig) -> x509.CertificateBuilder:
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(config.crl_url)], relative_name=None,
        reasons=None, crl_issuer=None)]), critical=False)
    if config.ca_issuers_url:
        builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier(config.ca_issuers_url))]), critical=False)
    return builder


def _leaf_key_usage(*, non_repudiation: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=non_repudiation,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)


def init_pki(directory: str | os.PathLike[str], kek: bytes, regency_name: str, crl_url: str, *,
             ca_issuers_url: str | None = None,
             key_algorithm: KeyAlgorithm = KeyAlgorithm.RSA_3072,
             now: dt.datetime | None = None) -> PkiPaths:
    """Create root CA (20 y), issuing CA (10 y) and TSA certificate in `directory`.

    Rule: refuses to overwrite an existing PKI (re-creating it would orphan every issued certificate).
    """
    if len(kek) < MIN_KEK_BYTES:
        raise PkiError("Kunci enkripsi PKI terlalu pendek (minimal 16 bita).")
    paths = PkiPaths.at(directory)
    if paths.config.exists() or paths.root_cert.exists():
        raise PkiError(f"PKI sudah ada di {paths.directory}; tidak ditimpa.")
    paths.directory.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.directory, 0o700)
    config = PkiConfig(regency_name=regency_name, crl_url=crl_url,
                       tsa_policy_oid=f"2.25.{uuid.uuid4().int}",  # X.667 UUID arc: unique, unregistered
                       key_algorithm=key_algorithm, ca_issuers_url=ca_issuers_url)
    start = _now(now) - CLOCK_SKEW

    root_key = generate_key(key_algorithm)
    root_name = _name(f"{regency_name} Root CA", config)
    root_cert = (
        _builder(root_name, None, root_name, root_key.public_key(), start, _years(start, 20),
                 root_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    issuing_key = generate_key(key_algorithm)
    issuing_cert = (
        _builder(_name(f"{regency_name} Issuing CA", config), root_cert, root_cert.subject,
                 issuing_key.public_key(), start, _years(start, 10), root_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    tsa_builder = _builder(_name(f"{regency_name} Time-Stamping Authority", config), issuing_cert,
                           issuing_cert.subject, tsa_key.public_key(), start,
                           issuing_cert.not_valid_after_utc - dt.timedelta(days=1),
                           issuing_key.public_key())
    tsa_cert = (
        _leaf_extensions(tsa_builder, config)
        .add_extension(_leaf_key_usage(non_repudiation=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(issuing_key, hashes.SHA256())
    )

    _write_private(paths.root_key, _encrypt_key(root_key, kek))
    _write_private(paths.issuing_key, _encrypt_key(issuing_key, kek))
    _write_private(paths.tsa_key, _encrypt_key(tsa_key, kek))
    for path, cert in ((paths.root_cert, root_cert), (paths.issuing_cert, issuing_cert),
                       (paths.tsa_cert, tsa_cert)):
        write_public(path, cert.public_bytes(serialization.Encoding.PEM))
    write_public(paths.registry, json.dumps({"issued": {}, "revoked": {}}, indent=1).encode())
    cfg = {"regency_name": regency_name, "crl_url": crl_url, "ca_issuers_url": ca_issuers_url,
           "key_algorithm": key_algorithm.value, "tsa_policy_oid": config.tsa_policy_oid,
           "country": config.country}
    write_public(paths.config, json.dumps(cfg, indent=1).encode())
    return paths


def _load_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError as exc:
        raise PkiError(f"PKI belum dibuat (berkas {path.name} tidak ada).") from exc


def load_pki(directory: str | os.PathLike[str], kek: bytes) -> Pki:
    """Load the PKI; the issuing-CA and TSA keys are decrypted with `kek` (wrong KEK -> PkiError)."""
    paths = PkiPaths.at(directory)
    try:
        raw = json.loads(paths.config.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise PkiError(f"PKI belum dibuat di {paths.directory}.") from exc
    config = PkiConfig(regency_name=raw["regency_name"], crl_url=raw["crl_url"],
                       tsa_policy_oid=raw["tsa_policy_oid"],
                       key_algorithm=KeyAlgorithm(raw["key_algorithm"]),
                       ca_issuers_url=raw.get("ca_issuers_url"), country=raw.get("country", "ID"))
    tsa_key = _decrypt_key(paths.tsa_key, kek)
    if not isinstance(tsa_key, rsa.RSAPrivateKey):
        raise PkiError("Kunci TSA harus RSA.")
    return Pki(paths=paths, config=config, root_cert=_load_cert(paths.root_cert),
               issuing_cert=_load_cert(paths.issuing_cert),
               issuing_key=_decrypt_key(paths.issuing_key, kek),
               tsa_cert=_load_cert(paths.tsa_cert), tsa_key=tsa_key)


@contextmanager
def locked_registry(paths: PkiPaths) -> Iterator[dict[str, Any]]:
    """Read-modify-write registry.json under an exclusive lock; written back atomically on success."""
    lock_path = paths.directory / "registry.lock"
    with open(lock_path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = read_registry(paths)
            yield data
            write_public(paths.registry, json.dumps(data, indent=1, sort_keys=True).encode())
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_registry(paths: PkiPaths) -> dict[str, Any]:
    """Return {"issued": {serial_hex: {...}}, "revoked": {serial_hex: {...}}}."""
    try:
        data: dict[str, Any] = json.loads(paths.registry.read_text("utf-8"))
    except FileNotFoundError:
        data = {}
    data.setdefault("issued", {})
    data.setdefault("revoked", {})
    return data


def serial_hex(serial: int) -> str:
    """Canonical registry key for a certificate serial number."""
    return format(serial, "x")


def issue_official_certificate(pki: Pki, *, common_name: str, nip_or_id: str, position_title: str,
                               organisation: str, public_key: PublicKey | None = None,
                               email: str | None = None, validity_years: int = 2,
                               now: dt.datetime | None = None) -> IssuedCertificate:
    """Issue an official's signing certificate from the issuing CA and record it in the registry.

    Rules: keyUsage digitalSignature + nonRepudiation (critical); EKU emailProtection (needed by
    NSS/poppler and Adobe for document signers) + documentSigning; CRL distribution point; the
    certificate never outlives the issuing CA. If `public_key` is None a key pair is generated and
    returned (to be wrapped at once into a passphrase-protected PKCS#12, see `keystore.make_pkcs12`).
    """
    if not common_name.strip() or not nip_or_id.strip():
        raise ValueError("common_name and nip_or_id are required")
    private_key = None
    if public_key is None:
        private_key = generate_key(pki.config.key_algorithm)
        public_key = private_key.public_key()
    start = _now(now) - CLOCK_SKEW
    not_after = min(_years(start, validity_years),
                    pki.issuing_cert.not_valid_after_utc - dt.timedelta(minutes=1))
    subject = _name(common_name.strip(), pki.config, ou=organisation.strip(),
                    title=position_title.strip(), serial=nip_or_id.strip())
    builder = _builder(subject, pki.issuing_cert, pki.issuing_cert.subject, public_key, start,
                       not_after, pki.issuing_key.public_key())
    builder = _leaf_extensions(builder, pki.config)
    builder = builder.add_extension(_leaf_key_usage(non_repudiation=True), critical=True)
    builder = builder.add_extension(x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING_OID]), critical=False)
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    cert = builder.sign(pki.issuing_key, hashes.SHA256())
    with locked_registry(pki.paths) as reg:
        reg["issued"][serial_hex(cert.serial_number)] = {
            "common_name": common_name, "nip": nip_or_id, "position": position_title,
            "organisation": organisation, "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat()}
    return IssuedCertificate(certificate=cert, private_key=private_key)


def export_root_pem(pki: Pki) -> bytes:
    """The root certificate in PEM, for relying parties to trust (e.g. `pki export-root FILE.pem`)."""
    return pki.root_cert.public_bytes(serialization.Encoding.PEM)


def chain_pem(pki: Pki) -> bytes:
    """Issuing CA + root in PEM (for a caIssuers URL or manual import)."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in pki.chain)


def cert_matches_key(cert: x509.Certificate, key: PrivateKey) -> bool:
    """True when `key` is the private half of `cert`'s public key."""
    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return cert.public_key().public_bytes(der, spki) == key.public_key().public_bytes(der, spki)
