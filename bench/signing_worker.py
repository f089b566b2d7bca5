"""Batch signing through the real worker, as a ratio to a raw pyHanko loop on the same documents (goal >= 0.8).

    .venv/bin/python bench/signing_worker.py              # 100 one-page letters
    .venv/bin/python bench/signing_worker.py --n 100 --rounds 3 --keep

What it does, in one run (everything in a temporary folder, removed afterwards unless --keep):
1. builds a SQLite database (schema, demo regency), the regency PKI (`create_pki`), enrols the Sekda with a
   passphrase (`certificates.enroll`) and submits N x rounds different one-page letters for the Sekda's signature
   through the upload service (`submit_pdf`), as a drafter of Bagian Umum; starts a throwaway redis-server and one
   `flask --app sisumaker worker` (warm: it has registered) and logs in as the Sekda;
2. per round, on N of those letters: raw = sign their source PDFs in a loop in this process with
   `sisumaker.signing.sign_pdf`, a CachedSigner opened once, the same TSA, CRL, level (PAdES B-LT, certification)
   and the same QR stamp as the worker's; worker = POST /tte/tandatangani with the N requests and one passphrase
   (the web request checks it, seals it for the worker and enqueues one job) and poll the database until all N
   are signed. Raw loops run before and after every batch; a batch is compared with the mean of the two around it
   (so load from elsewhere on the machine hits both sides);
3. checks every signed PDF has exactly one signature and a sample validates; prints documents/second for both and
   the ratio (the median over rounds). Exits 1 when a document failed or did not validate, 2 on a setup failure.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from harness import log, start_redis  # noqa: E402

PASSPHRASE = "Bench-" + secrets.token_hex(4) + "-TTE!"
DEMO_PASSWORD = "bench-sisumaker-2026"
GOAL = 0.8


def letter(i: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Helvetica-Bold", 14)
    c.drawCentredString(297, 790, "PEMERINTAH KABUPATEN SERANG")
    c.setFont("Helvetica", 10)
    c.drawCentredString(297, 774, "SEKRETARIAT DAERAH · Jl. Veteran No. 1, Serang")
    c.line(60, 766, 535, 766)
    c.setFont("Helvetica", 11)
    c.drawString(72, 730, f"Nomor   : 800/{i + 1}/Setda/2026")
    c.drawString(72, 714, "Perihal : Undangan rapat koordinasi")
    text = c.beginText(72, 670)
    for line in ("Dengan hormat,", "", f"Bersama ini kami mengundang Saudara (surat ke-{i + 1}) untuk menghadiri",
                 "rapat koordinasi pelaksanaan e-office pada hari Senin pukul 09.00 WIB di Aula Setda.",
                 "", "Atas perhatian Saudara kami ucapkan terima kasih."):
        text.textLine(line)
    c.drawText(text)
    c.showPage()
    c.save()
    return buf.getvalue()


def build(workdir: Path, n: int, redis_url: str):
    """The app, with the demo regency, the PKI, the Sekda enrolled and N letters waiting for the Sekda."""
    os.environ["SISUMAKER_INSTANCE_PATH"] = str(workdir / "instance")
    from sqlalchemy import select

    from sisumaker import create_app
    from sisumaker.extensions import db
    from sisumaker.models import User
    from sisumaker.pki_runtime import create_pki, pki_context
    from sisumaker.services.access import viewer_for
    from sisumaker.services.certificates import enroll
    from sisumaker.services.seed import seed_demo
    from sisumaker.services.signatures import SignerStep, Submission, submit_pdf
    from sisumaker.storage import file_store_for

    config = dict(DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite'}", SECRET_KEY=secrets.token_hex(32),
                  REDIS_URL=redis_url, ENV_NAME="development", RATELIMIT_STORAGE_URI="memory://",
                  SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False,
                  LOGIN_LIMIT_PER_ADDRESS="1000 per minute", LOGIN_LIMIT_PER_ACCOUNT="1000 per minute")
    app = create_app(config)
    with app.app_context():
        db.create_all()
        seed_demo(None, password=DEMO_PASSWORD, production=False)
        db.session.commit()
        create_pki(app, "Kabupaten Serang")
        user = lambda name: db.session.scalar(select(User).where(User.username == name))  # noqa: E731
        sekda, drafter = user("sekda"), user("staf.umum")
        enroll(sekda, pki_context(app), PASSPHRASE, PASSPHRASE)
        viewer = viewer_for(drafter)
        for i in range(n):
            submit_pdf(viewer, file_store_for(app), letter(i),
                       Submission(title=f"Undangan rapat koordinasi {i + 1}", jenis="surat_undangan", sifat="B",
                                  number=f"800/{i + 1}/Setda/2026", doc_date=None,
                                  steps=(SignerStep(sekda.position_id, "ttd"),)), max_bytes=20 * 1024 * 1024)
        db.session.commit()
    return app, config


def raw_loop(app, request_ids: list[int]) -> float:
    """Sign these requests' source PDFs in this process, exactly as the worker would; returns seconds."""
    from sqlalchemy import select

    from sisumaker.extensions import db
    from sisumaker.models import Certificate, SignatureRequest, User
    from sisumaker.pki_runtime import pki_context
    from sisumaker.services.signatures import TTD_BOX
    from sisumaker.signing import StampSpec, current_crl, sign_pdf, signer_from_pkcs12
    from sisumaker.storage import file_store_for

    with app.app_context():
        ctx, store = pki_context(app), file_store_for(app)
        sekda = db.session.scalar(select(User).where(User.username == "sekda"))
        cert = db.session.scalar(select(Certificate).where(Certificate.user_id == sekda.id))
        requests = list(db.session.scalars(select(SignatureRequest).where(SignatureRequest.id.in_(request_ids))
                                           .order_by(SignatureRequest.id)))
        sources = [(req, store.read(req.document.source_file)) for req in requests]
        started = time.perf_counter()
        signer = signer_from_pkcs12(cert.pkcs12, PASSPHRASE)  # once per batch, as in the worker
        crl = current_crl(ctx.pki)
        for req, pdf in sources:
            box = (int(req.stamp_x), int(req.stamp_y), int(req.stamp_x + req.stamp_w), int(req.stamp_y + req.stamp_h))
            assert box == TTD_BOX
            stamp = StampSpec(page=req.stamp_page, box=box, url=ctx.verification_url(req.document.token),
                              signer_name=sekda.full_name, position_label=sekda.position.title,
                              code=req.document.code)
            sign_pdf(pdf, signer=signer, pki_trust=ctx.trust, stamp=stamp, field_name=f"TTE1-{req.id}",
                     reason="Tanda tangan elektronik", location=ctx.location, certify_final=True, tsa=ctx.tsa,
                     crl_der=crl)
        return time.perf_counter() - started


class BenchWorker:
    """One warm `flask --app sisumaker worker` subprocess (it has registered before the first batch)."""

    def __init__(self, app, config: dict, workdir: Path):
        from rq import Worker

        from sisumaker.queue import redis_connection

        env = {k: v for k, v in os.environ.items() if not k.startswith(("SISUMAKER_", "FLASK_")) and k != "REDIS_URL"}
        env.update(SISUMAKER_DATABASE_URL=config["DATABASE_URL"], SISUMAKER_REDIS_URL=config["REDIS_URL"],
                   REDIS_URL=config["REDIS_URL"], SISUMAKER_INSTANCE_PATH=str(workdir / "instance"),
                   SISUMAKER_SECRET_KEY=config["SECRET_KEY"], SISUMAKER_ENV_NAME="development",
                   SISUMAKER_RATELIMIT_STORAGE_URI="memory://", TZ="Asia/Jakarta", PYTHONPATH=str(ROOT))
        flask = ROOT / ".venv" / "bin" / "flask"
        cmd = [str(flask)] if flask.exists() else [sys.executable, "-m", "flask"]
        self.log = workdir / "worker.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen([*cmd, "--app", "sisumaker", "worker"], env=env, cwd=ROOT, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        with app.app_context():
            self.connection = redis_connection(app)
        deadline = time.monotonic() + 60
        while not Worker.all(connection=self.connection):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the worker did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)
        self.client = app.test_client()
        page = self.client.get("/masuk").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        self.client.post("/masuk", data={"csrf_token": token, "username": "sekda", "password": DEMO_PASSWORD})

    def run(self, app, request_ids: list[int]) -> tuple[float, float | None]:
        """POST one batch of these requests as the Sekda (one passphrase) and wait until the worker has signed
        them all; returns (seconds from the POST to the last signature, the job's own seconds)."""
        from rq.job import Job
        from sqlalchemy import func, select

        from sisumaker.extensions import db
        from sisumaker.models import SignatureRequest

        page = self.client.get("/tte/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        started = time.perf_counter()
        response = self.client.post("/tte/tandatangani", data={"csrf_token": token, "passphrase": PASSPHRASE,
                                                               "request_ids": [str(i) for i in request_ids]})
        if response.status_code != 303:
            raise SystemExit(f"signing was refused ({response.status_code})")
        batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
        with app.app_context():
            while True:
                db.session.rollback()
                done = db.session.scalar(select(func.count(SignatureRequest.id)).where(
                    SignatureRequest.batch_id == batch_id, SignatureRequest.status.in_(("signed", "failed"))))
                if done == len(request_ids):
                    break
                if self.proc.poll() is not None:
                    raise SystemExit(f"the worker died:\n{self.log.read_text()[-3000:]}")
                time.sleep(0.02)
        elapsed = time.perf_counter() - started
        job = Job.fetch(f"sign-batch-{batch_id}", connection=self.connection)
        for _ in range(200):  # the job records its end just after its last commit
            job.refresh()
            if job.ended_at:
                break
            time.sleep(0.01)
        job_seconds = (job.ended_at - job.started_at).total_seconds() if job.ended_at and job.started_at else None
        return elapsed, job_seconds

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def check(app, n: int, sample: int) -> list[str]:
    """Problems with the worker's output: failures, signature counts, a sample's validation."""
    from sqlalchemy import select

    from sisumaker.extensions import db
    from sisumaker.models import SignatureRequest
    from sisumaker.pki_runtime import pki_context
    from sisumaker.signing import current_crl, signature_count, validate_pdf
    from sisumaker.storage import file_store_for

    problems = []
    with app.app_context():
        ctx, store = pki_context(app), file_store_for(app)
        requests = list(db.session.scalars(select(SignatureRequest).order_by(SignatureRequest.id)))
        for i, req in enumerate(requests):
            if req.status != "signed":
                problems.append(f"request {req.id}: {req.status} {req.error or ''}")
                continue
            pdf = store.read(req.document.current_file)
            if signature_count(pdf) != 1:
                problems.append(f"document {req.document_id}: {signature_count(pdf)} signatures")
            if i % max(1, n // sample) == 0:
                report = validate_pdf(pdf, [ctx.pki.root_cert], crls=[current_crl(ctx.pki)],
                                      intermediates=[ctx.pki.issuing_cert])
                if not report.ok:
                    problems.append(f"document {req.document_id}: {report.verdict}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="documents in a batch (default 100)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="batches of N, each between two raw loops on the same documents (default 1)")
    parser.add_argument("--sample", type=int, default=10, help="signed documents to validate fully (default 10)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, files, logs)")
    args = parser.parse_args()
    os.environ["TZ"] = "Asia/Jakarta"
    time.tzset()
    workdir = Path(tempfile.mkdtemp(prefix="sisu-bench-sign-"))
    redis = worker = None
    try:
        try:
            redis, redis_url = start_redis(workdir)
            t = time.perf_counter()
            app, config = build(workdir, args.n * args.rounds, redis_url)
            log(f"setup: demo regency, PKI, Sekda enrolled, {args.n * args.rounds} letters waiting "
                f"({time.perf_counter() - t:.1f} s); {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
            with app.app_context():
                from sqlalchemy import select

                from sisumaker.extensions import db
                from sisumaker.models import SignatureRequest

                ids = list(db.session.scalars(select(SignatureRequest.id).order_by(SignatureRequest.id)))
            worker = BenchWorker(app, config, workdir)
        except SystemExit as exc:
            log(f"setup failed: {exc}")
            return 2
        rounds = [ids[r * args.n:(r + 1) * args.n] for r in range(args.rounds)]
        raws, results = [raw_loop(app, rounds[0])], []
        for r, batch in enumerate(rounds):
            results.append(worker.run(app, batch))
            raws.append(raw_loop(app, rounds[r + 1] if r + 1 < len(rounds) else batch))
        worker.stop()
        worker = None
        problems = check(app, args.n * args.rounds, args.sample)
        n = args.n
        log(f"\n{'round':<7}{'path':<30}{'docs':>6}{'seconds':>9}{'docs/s':>8}{'ratio':>7}")
        ratios = []
        for r, (e2e, job) in enumerate(results, start=1):
            raw = (raws[r - 1] + raws[r]) / 2  # the raw loops just before and just after this batch
            ratios.append(raw / e2e)
            log(f"{r:<7}{'raw pyHanko loop (mean)':<30}{n:>6}{raw:>9.2f}{n / raw:>8.1f}")
            log(f"{'':<7}{'worker: POST to last signed':<30}{n:>6}{e2e:>9.2f}{n / e2e:>8.1f}{raw / e2e:>7.2f}")
            if job:
                log(f"{'':<7}{'worker: job only':<30}{n:>6}{job:>9.2f}{n / job:>8.1f}{raw / job:>7.2f}")
        ratio = sorted(ratios)[len(ratios) // 2]
        log(f"\nratio worker (end to end) / raw: {ratio:.2f}{' (median)' if len(ratios) > 1 else ''}  "
            f"(goal >= {GOAL}: {'met' if ratio >= GOAL else 'NOT met'})")
        if problems:
            log(f"\n{len(problems)} problem(s):\n  " + "\n  ".join(problems[:20]))
            return 1
        log(f"all {args.n * args.rounds} documents signed once; {min(args.sample, args.n)} validated in full")
        return 0
    finally:
        if worker is not None:
            worker.stop()
        if redis is not None:
            redis.terminate()
            redis.wait(10)
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
