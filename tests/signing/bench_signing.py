"""Micro-benchmark: one-page letter, PAdES B-LT + QR stamp, regency TSA (RSA-3072), official
keys RSA-3072 and EC P-256.

Compares a reused CachedSigner with re-opening the PKCS#12 for every document (what a naive
worker does), and with pyHanko's SimpleSigner reused (which re-parses its key per signature).
Run:  .venv/bin/python -m tests.signing.bench_signing [N]
Not collected by pytest (file name does not start with test_).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from pyhanko.sign import signers

from sisumaker.signing import (
    KeyAlgorithm,
    TrustAnchors,
    current_crl,
    init_pki,
    load_pki,
    make_timestamper,
    sign_pdf,
    signer_from_pkcs12,
)
from sisumaker.signing.tsa import to_asn1_cert
from tests.signing.conftest import PASSPHRASE, letter_pdf, make_official, stamp_for


def _medians_ms(variants: dict[str, Callable[[], object]], n: int) -> dict[str, float]:
    """Round-robin over the variants (so background load hits all alike); median per variant."""
    times: dict[str, list[float]] = {label: [] for label in variants}
    for fn in variants.values():
        fn()  # warm-up
    for _ in range(n):
        for label, fn in variants.items():
            t0 = time.perf_counter()
            fn()
            times[label].append((time.perf_counter() - t0) * 1000)
    return {label: statistics.median(ts) for label, ts in times.items()}


def main(n: int = 20, algorithm: KeyAlgorithm = KeyAlgorithm.RSA_3072) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        kek = b"bench-kek-" + b"z" * 32
        init_pki(Path(tmp) / "pki", kek, "Kabupaten Contoh", "https://example.go.id/pki/crl.der",
                 key_algorithm=algorithm)
        pki = load_pki(Path(tmp) / "pki", kek)
        official = make_official(pki)
        tsa, trust, crl = make_timestamper(pki), TrustAnchors.from_pki(pki), current_crl(pki)
        pdf, stamp = letter_pdf(), stamp_for(official)
        chain = [to_asn1_cert(c) for c in pki.chain]

        def sign_with(signer) -> bytes:
            return sign_pdf(pdf, signer=signer, pki_trust=trust, stamp=stamp, field_name="TTE",
                            reason=None, location=None, certify_final=True, tsa=tsa, crl_der=crl)

        cached = official.signer
        simple_reused = signers.SimpleSigner.load_pkcs12_data(official.p12, chain, PASSPHRASE.encode())
        results = _medians_ms({
            "CachedSigner reused (batch)": lambda: sign_with(cached),
            "SimpleSigner reused (re-parses key per signature)": lambda: sign_with(simple_reused),
            "SimpleSigner.load_pkcs12_data per document": lambda: sign_with(
                signers.SimpleSigner.load_pkcs12_data(official.p12, chain, PASSPHRASE.encode())),
            "signer_from_pkcs12 per document": lambda: sign_with(
                signer_from_pkcs12(official.p12, PASSPHRASE)),
            "open PKCS#12 only (signer_from_pkcs12)": lambda: signer_from_pkcs12(
                official.p12, PASSPHRASE),
        }, n)
        assert isinstance(simple_reused.signing_cert, asn1_x509.Certificate)
        width = max(map(len, results))
        print(f"median of {n}, one-page letter, B-LT + QR stamp, official key {algorithm.value}:")
        for label, ms in results.items():
            print(f"  {label:<{width}}  {ms:7.1f} ms")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    for algo in KeyAlgorithm:
        main(count, algo)
