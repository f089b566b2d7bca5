"""Micro-benchmark of the BSrE path against the stand-in: per document, the time the app spends (stamp baked into
the page, base64 + JSON + HTTP) beside the stand-in's own signing, and N documents in N calls vs one call.
Run:  .venv/bin/python -m tests.bsre.bench_bsre [N] [latency seconds]
Not collected by pytest (file name does not start with test_).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from sisumaker.signing import StampSpec
from sisumaker.signing.backends import BsreBackend, SignatureJob, prepare_for_remote
from sisumaker.signing.bsre import BsreClient, BsreConfig, BsreCredential, BsreIdentity, SignatureProperties
from tests.bsre.standin import PASSWORD, USERNAME, StandIn, make_ca
from tests.tte.conftest import letter_pdf

NIK, SECRET = "3604011203800001", "Bench-BSrE-2026!"


def main(n: int = 20, latency: float = 0.0) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-bsre-"))
    standin = StandIn(make_ca(work / "ca"), work / "standin", latency=latency)
    standin.add_user(NIK, "Pejabat Uji", SECRET)
    client = BsreClient(BsreConfig(standin.url, USERNAME, PASSWORD))
    backend = BsreBackend(client, BsreIdentity(nik=NIK), BsreCredential(passphrase=SECRET))
    pdfs = [letter_pdf(f"Nomor 800/{i}/2026") for i in range(n)]
    stamp = StampSpec(page=-1, box=(300, 48, 560, 128), url="https://sisumaker.example.go.id/v/bench",
                      signer_name="Pejabat Uji", position_label="Sekretaris Daerah", code="BENCH001")
    jobs = [SignatureJob(pdf=p, stamp=stamp, field_name="TTE1", reason="TTE", location="Serang", certify_final=True)
            for p in pdfs]
    backend.sign(jobs[0])  # warm-up
    bake, total = [], []
    for job in jobs:
        t0 = time.perf_counter()
        prepare_for_remote(job)
        bake.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        backend.sign(job)
        total.append(time.perf_counter() - t0)
    prepared = [prepare_for_remote(j)[0] for j in jobs]
    t0 = time.perf_counter()
    client.sign_pdf(BsreIdentity(nik=NIK), BsreCredential(passphrase=SECRET), prepared, [SignatureProperties()])
    one_call = time.perf_counter() - t0
    standin.close()
    print(f"documents: {n}, stand-in latency per call: {latency * 1000:.0f} ms")
    print(f"stamp baked into the page: median {statistics.median(bake) * 1000:.1f} ms")
    print(f"sign through BSrE, one call per document: median {statistics.median(total) * 1000:.1f} ms, "
          f"{n / sum(total):.1f} documents/s")
    print(f"sign {n} documents in one call: {one_call * 1000:.0f} ms ({n / one_call:.1f} documents/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20, float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
