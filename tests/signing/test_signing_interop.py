"""Independent agreement: poppler's pdfsig (NSS) trusts our signatures, zbar reads our QR."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from sisumaker.signing import StampSpec, export_root_pem

from .conftest import VERIFY_URL, make_official

NEEDS_PDFSIG = pytest.mark.skipif(not (shutil.which("pdfsig") and shutil.which("certutil")),
                                  reason="pdfsig/certutil (poppler-utils, libnss3-tools) not installed")
NEEDS_ZBAR = pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                                reason="pdftoppm/zbarimg (poppler-utils, zbar-tools) not installed")


def _nss_db_trusting(root_pem: bytes, tmp_path) -> str:
    db = tmp_path / "nssdb"
    db.mkdir()
    (tmp_path / "root.pem").write_bytes(root_pem)
    subprocess.run(["certutil", "-N", "--empty-password", "-d", f"sql:{db}"], check=True,
                   capture_output=True)
    subprocess.run(["certutil", "-A", "-n", "root", "-t", "CT,C,C", "-i", str(tmp_path / "root.pem"),
                    "-d", f"sql:{db}"], check=True, capture_output=True)
    return f"sql:{db}"


def _pdfsig(nssdir: str, pdf_path) -> str:
    result = subprocess.run(["pdfsig", "-nssdir", nssdir, str(pdf_path)], capture_output=True,
                            text=True, timeout=60)
    return result.stdout


@NEEDS_PDFSIG
def test_pdfsig_trusts_every_signature(pki, letter, sign, tmp_path):
    paraf = sign(letter, make_official(pki), final=False, field="Paraf-1",
                 stamp=StampSpec(page=0, box=(72, 80, 300, 140), url=VERIFY_URL + "p",
                                 signer_name="Andi Wijaya", position_label="Kepala Bagian Hukum",
                                 code="P1", paraf=True))
    final = sign(paraf, make_official(pki), final=True, field="TTE")
    nssdir = _nss_db_trusting(export_root_pem(pki), tmp_path)
    for name, pdf in (("paraf.pdf", paraf), ("final.pdf", final)):
        path = tmp_path / name
        path.write_bytes(pdf)
        out = _pdfsig(nssdir, path)
        count = len(re.findall(r"^Signature #\d+:", out, flags=re.M))
        assert count == (1 if name == "paraf.pdf" else 2), out
        assert out.count("Signature Validation: Signature is Valid.") == count, out
        assert out.count("Certificate Validation: Certificate is Trusted.") == count, out


@NEEDS_PDFSIG
def test_pdfsig_does_not_trust_without_root(pki, official, letter, sign, tmp_path):
    """Control: the same file is not trusted by an NSS database that lacks our root."""
    db = tmp_path / "empty"
    db.mkdir()
    subprocess.run(["certutil", "-N", "--empty-password", "-d", f"sql:{db}"], check=True,
                   capture_output=True)
    path = tmp_path / "signed.pdf"
    path.write_bytes(sign(letter, official))
    out = _pdfsig(f"sql:{db}", path)
    assert "Signature is Valid." in out and "Certificate is Trusted." not in out


@NEEDS_ZBAR
def test_qr_decodes_to_verification_url(official, letter, sign, tmp_path):
    path = tmp_path / "signed.pdf"
    path.write_bytes(sign(letter, official))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True, capture_output=True, timeout=60)
    (png,) = tmp_path.glob("page*.png")
    result = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip().splitlines() == [VERIFY_URL]


@NEEDS_PDFSIG
def test_pdfsig_trusts_ec_p256_signature(ec_pki, letter, tmp_path):
    from sisumaker.signing import TrustAnchors, current_crl, make_timestamper, sign_pdf

    from .conftest import stamp_for

    official = make_official(ec_pki)
    signed = sign_pdf(letter, signer=official.signer, pki_trust=TrustAnchors.from_pki(ec_pki),
                      stamp=stamp_for(official), field_name="TTE", reason=None, location=None,
                      certify_final=True, tsa=make_timestamper(ec_pki), crl_der=current_crl(ec_pki))
    path = tmp_path / "ec.pdf"
    path.write_bytes(signed)
    out = _pdfsig(_nss_db_trusting(export_root_pem(ec_pki), tmp_path), path)
    assert "Signature is Valid." in out and "Certificate is Trusted." in out, out
