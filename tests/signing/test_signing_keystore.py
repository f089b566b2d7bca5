"""Officials' PKCS#12 key stores and passphrase rules."""
from __future__ import annotations

import pytest
from pyhanko.sign import signers

from sisumaker.signing import (
    WrongPassphrase,
    check_passphrase_strength,
    load_pkcs12,
    make_pkcs12,
    signer_from_pkcs12,
)
from sisumaker.signing.keystore import rewrap_pkcs12

from .conftest import PASSPHRASE

AES256_CBC_OID_DER = bytes.fromhex("060960864801650304012a")  # 2.16.840.1.101.3.4.1.42


def test_pkcs12_roundtrip_uses_aes256(official, pki):
    assert AES256_CBC_OID_DER in official.p12  # PBES2 with aes256-CBC
    assert bytes.fromhex("2a864886f70d010c0103") not in official.p12  # no pbeWithSHAAnd3-KeyTripleDES
    contents = load_pkcs12(official.p12, PASSPHRASE)
    assert contents.certificate == official.cert
    assert set(contents.chain) == set(pki.chain)


def test_wrong_passphrase_raises(official):
    with pytest.raises(WrongPassphrase) as err:
        load_pkcs12(official.p12, "Salah-Sandi-2026")
    assert "Frasa sandi salah" in err.value.message
    with pytest.raises(WrongPassphrase):
        signer_from_pkcs12(official.p12, "Salah-Sandi-2026")


def test_pyhanko_load_pkcs12_returns_none_on_wrong_passphrase(official, tmp_path):
    """The planning fact this module works around: pyHanko does not raise."""
    path = tmp_path / "k.p12"
    path.write_bytes(official.p12)
    assert signers.SimpleSigner.load_pkcs12(str(path), passphrase=b"Salah-Sandi-2026") is None


def test_rewrap_changes_passphrase(official):
    new = rewrap_pkcs12(official.p12, PASSPHRASE, "Teh-Manis-Hangat-7")
    assert load_pkcs12(new, "Teh-Manis-Hangat-7").certificate == official.cert
    with pytest.raises(WrongPassphrase):
        load_pkcs12(new, PASSPHRASE)


def test_make_pkcs12_refuses_mismatched_key(pki, official):
    from cryptography.hazmat.primitives.asymmetric import ec

    with pytest.raises(ValueError):
        make_pkcs12(official.cert, ec.generate_private_key(ec.SECP256R1()), pki.chain, PASSPHRASE)


@pytest.mark.parametrize("passphrase, expected_fragment", [
    ("Ab1!", "minimal 10 karakter"),
    ("abcdefghijkl", "memadukan jenis karakter"),
    ("aaaaaaaaaaaa", "diulang-ulang"),
    ("Password123", "terlalu umum"),
    ("bismillah2026!", "terlalu umum"),
    ("budi.santoso-77", "nama pengguna"),
    ("Santoso#Kopi99", "nama Anda"),
])
def test_weak_passphrases(passphrase, expected_fragment):
    problems = check_passphrase_strength(passphrase, username="budi.santoso",
                                         full_name="Drs. Budi Santoso, M.Si.")
    assert any(expected_fragment in p for p in problems), problems


def test_strong_passphrase_accepted():
    assert check_passphrase_strength("Kopi-Tubruk-2026!", username="budi.santoso",
                                     full_name="Drs. Budi Santoso, M.Si.") == []
