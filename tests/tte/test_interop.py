"""Independent agreement on documents the app signed: poppler's pdfsig, trusting only the root exported by
`flask pki export-root` in an NSS database, calls every signature valid and its certificate trusted; the QR on
the page rendered at 150 dpi decodes (zbar) to exactly the document's verification URL."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.tte.support import NEEDS_TOOLS, qr_codes, sign_all

pytestmark = NEEDS_TOOLS


def nss_db(tmp_path, root_pem_path=None) -> str:
    """An NSS database trusting the PEM at `root_pem_path` (or nothing)."""
    db = tmp_path / ("nss-root" if root_pem_path else "nss-empty")
    db.mkdir()
    subprocess.run(["certutil", "-N", "--empty-password", "-d", f"sql:{db}"], check=True, capture_output=True)
    if root_pem_path:
        subprocess.run(["certutil", "-A", "-n", "akar-kabupaten", "-t", "CT,C,C", "-i", str(root_pem_path),
                        "-d", f"sql:{db}"], check=True, capture_output=True)
    return f"sql:{db}"


def pdfsig(nssdir: str, path) -> str:
    return subprocess.run(["pdfsig", "-nssdir", nssdir, str(path)], capture_output=True, text=True,
                          timeout=60).stdout


@pytest.fixture
def exported_root(tte, tmp_path):
    path = tmp_path / "akar.pem"
    result = tte.web.test_cli_runner().invoke(args=["pki", "export-root", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    return path


def test_pdfsig_trusts_every_signature_of_an_app_signed_document(tte, exported_root, tmp_path):
    paraf_doc, plain_doc = tte.submit(1, parafs=("kabag.umum",), title="SK Paraf")[0], tte.submit(1)[0]
    sign_all(tte, "kabag.umum")
    sign_all(tte, "sekda")
    trusted = nss_db(tmp_path, exported_root)
    for doc_id, expected in ((paraf_doc, 2), (plain_doc, 1)):
        path = tmp_path / f"dokumen-{doc_id}.pdf"
        path.write_bytes(tte.current_pdf(doc_id))
        out = pdfsig(trusted, path)
        assert len(re.findall(r"^Signature #\d+:", out, flags=re.M)) == expected, out
        assert out.count("Signature Validation: Signature is Valid.") == expected, out
        assert out.count("Certificate Validation: Certificate is Trusted.") == expected, out
        assert out.count(f"Signer Certificate Common Name: {tte.user('sekda').full_name}") == 1, out
    # control: the same file in an NSS database without our root is valid but not trusted
    out = pdfsig(nss_db(tmp_path), tmp_path / f"dokumen-{plain_doc}.pdf")
    assert "Signature is Valid." in out and "Certificate is Trusted." not in out, out


def test_the_qr_decodes_to_exactly_the_verification_url(tte, tmp_path):
    from sisumaker.pki_runtime import pki_context

    single = tte.submit(1)[0]
    stacked = tte.submit(1, parafs=("kabag.umum", "sekda"), signer="bupati", title="SK dua paraf")[0]
    for username in ("kabag.umum", "sekda", "bupati"):
        sign_all(tte, username)
    for doc_id, stamps in ((single, 1), (stacked, 3)):  # every stamp's QR reads, the stacked parafs' too
        doc = tte.document(doc_id)
        url = pki_context(tte.web).verification_url(doc.token)
        assert url == f"http://localhost:5000/v/{doc.token}"
        path = tmp_path / f"qr-{doc_id}.pdf"
        path.write_bytes(tte.current_pdf(doc_id))
        assert qr_codes(path, tmp_path / f"qr-{doc_id}") == [url] * stamps
        # and the URL works: it is this document's public page
        page = tte.web.test_client().get(url.removeprefix("http://localhost:5000"))
        assert page.status_code == 200 and doc.code in page.get_data(as_text=True)


def test_the_qr_is_on_the_chosen_page(tte, tmp_path):
    """A three-page PDF stamped on page 2: the QR is there and nowhere else."""
    from tests.tte.conftest import letter_pdf

    (doc_id,) = tte.submit(1, pdf=letter_pdf("Tiga halaman", pages=3), stamp_page=1)
    sign_all(tte, "sekda")
    path = tmp_path / "tiga.pdf"
    path.write_bytes(tte.current_pdf(doc_id))
    token = tte.document(doc_id).token
    assert qr_codes(path, tmp_path / "p2", page=2) == [f"http://localhost:5000/v/{token}"]
    for page in (1, 3):
        assert qr_codes(path, tmp_path / f"p{page}", page=page) == []
