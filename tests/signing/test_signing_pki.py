"""Regency PKI: CA hierarchy, officials' certificates, revocation registry and CRL."""
from __future__ import annotations

import datetime as dt
import json
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sisumaker.signing import (
    CertificateRevoked,
    PkiError,
    build_crl,
    current_crl,
    ensure_not_revoked,
    export_root_pem,
    init_pki,
    issue_official_certificate,
    load_pki,
    revocation_status,
    revoke,
)
from sisumaker.signing.pki import DOCUMENT_SIGNING_OID, read_registry, serial_hex

from .conftest import CRL_URL, make_official


def _years(cert: x509.Certificate) -> float:
    return (cert.not_valid_after_utc - cert.not_valid_before_utc).days / 365.25


def test_hierarchy_and_tsa_certificate(pki):
    root, issuing, tsa = pki.root_cert, pki.issuing_cert, pki.tsa_cert
    assert root.issuer == root.subject and 19.9 < _years(root) < 20.1
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert issuing.issuer == root.subject and 9.9 < _years(issuing) < 10.1
    bc = issuing.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 0
    issuing.verify_directly_issued_by(root)
    tsa.verify_directly_issued_by(issuing)
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert tsa.not_valid_after_utc <= issuing.not_valid_after_utc


def test_keys_encrypted_at_rest_and_wrong_kek_refused(pki, kek):
    for path in (pki.paths.root_key, pki.paths.issuing_key, pki.paths.tsa_key):
        data = path.read_bytes()
        assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with pytest.raises(TypeError):
            serialization.load_pem_private_key(data, password=None)
    with pytest.raises(PkiError) as err:
        load_pki(pki.paths.directory, b"wrong-kek-" + b"y" * 32)
    assert "salah" in err.value.message


def test_init_refuses_to_overwrite(pki, kek):
    with pytest.raises(PkiError):
        init_pki(pki.paths.directory, kek, "Kabupaten Lain", CRL_URL)


def test_init_refuses_short_kek(tmp_path):
    with pytest.raises(PkiError):
        init_pki(tmp_path / "p", b"short", "Kabupaten Contoh", CRL_URL)


def test_official_certificate_profile(pki):
    issued = issue_official_certificate(
        pki, common_name="Ir. Siti Aminah", nip_or_id="198002022005012002",
        position_title="Kepala Dinas Pendidikan", organisation="Dinas Pendidikan",
        email="siti@contohkab.go.id")
    cert = issued.certificate
    cert.verify_directly_issued_by(pki.issuing_cert)
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.content_commitment
    assert not ku.value.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku and DOCUMENT_SIGNING_OID in eku
    cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == CRL_URL
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Ir. Siti Aminah"
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "198002022005012002"
    assert subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "Kepala Dinas Pendidikan"
    assert 1.9 < _years(cert) < 2.1
    assert issued.private_key is not None
    entry = read_registry(pki.paths)["issued"][serial_hex(cert.serial_number)]
    assert entry["nip"] == "198002022005012002"


def test_official_certificate_for_external_public_key(pki):
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    issued = issue_official_certificate(pki, common_name="A", nip_or_id="1", position_title="Staf",
                                        organisation="Dinas", public_key=key.public_key())
    assert issued.private_key is None
    assert issued.certificate.public_key() == key.public_key()


def test_export_root_pem(pki):
    pem = export_root_pem(pki)
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert x509.load_pem_x509_certificate(pem) == pki.root_cert


def test_revoke_is_persisted_and_listed_in_crl(pki):
    official = make_official(pki)
    serial = official.cert.serial_number
    assert revocation_status(pki, official.cert) is None
    entry = revoke(pki, serial, "cessation_of_operation", note="pensiun 1 Desember 2026")
    assert entry.reason_label == "pensiun / berhenti bertugas"
    # persisted in the registry file, readable by a fresh load
    raw = json.loads(pki.paths.registry.read_text())
    assert raw["revoked"][serial_hex(serial)]["reason"] == "cessation_of_operation"
    # idempotent: a second revocation keeps the first record
    again = revoke(pki, serial, "key_compromise")
    assert again.reason == x509.ReasonFlags.cessation_of_operation

    crl = x509.load_der_x509_crl(build_crl(pki))
    assert crl.is_signature_valid(pki.issuing_cert.public_key())
    assert crl.issuer == pki.issuing_cert.subject
    listed = crl.get_revoked_certificate_by_serial_number(serial)
    assert listed is not None
    reason = listed.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.cessation_of_operation
    assert crl.next_update_utc is not None
    assert dt.timedelta(days=6, hours=23) < crl.next_update_utc - crl.last_update_utc <= dt.timedelta(days=7)


def test_revoke_refuses_unknown_serial_future_time_and_hold(pki):
    official = make_official(pki)
    with pytest.raises(ValueError):
        revoke(pki, 12345, "superseded")
    with pytest.raises(ValueError):
        revoke(pki, official.cert.serial_number, "superseded",
               dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
    with pytest.raises(ValueError):
        revoke(pki, official.cert.serial_number, "certificate_hold")


def test_crl_number_grows(pki):
    first = x509.load_der_x509_crl(build_crl(pki))
    second = x509.load_der_x509_crl(build_crl(pki))
    n1 = first.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    n2 = second.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert n2 > n1


def test_current_crl_is_cached_until_registry_changes(pki):
    first = current_crl(pki)
    assert current_crl(pki) == first
    official = make_official(pki)  # issuing writes the registry too
    revoke(pki, official.cert.serial_number, "affiliation_changed")
    fresh = current_crl(pki)
    assert fresh != first
    assert x509.load_der_x509_crl(fresh).get_revoked_certificate_by_serial_number(
        official.cert.serial_number) is not None


def test_ensure_not_revoked(pki):
    official = make_official(pki)
    ensure_not_revoked(pki, official.cert)  # fresh certificate: fine
    revoke(pki, official.cert.serial_number, "affiliation_changed")
    with pytest.raises(CertificateRevoked) as err:
        ensure_not_revoked(pki, official.cert)
    assert "dicabut" in err.value.message and "mutasi" in err.value.message
