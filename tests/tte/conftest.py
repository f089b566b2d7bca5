"""Fixtures for the TTE tests (issue 4): the regency PKI built once per session, officials enrolled once, and a
private copy of both for every test.

The PKI (root, issuing CA, TSA; RSA 3072, a few seconds) is created once into a template folder `keys/`
(kek + pki/), and each official's certificate and AES-256 PKCS#12 (under the session's PASSPHRASE) is issued
once into that template's registry. Every test copies the template into its own instance folder and gets the
officials' `certificate` rows inserted into its private demo database, so revoking in one test never touches
another. `tte` holds two apps on that database: `web` answers test clients, `svc` is for calling services
(see tests/letters/conftest.py for why they must differ).
"""
from __future__ import annotations

import io
import secrets
import shutil
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.helpers import RELAXED_LIMITS, login as login_helper
from tests.pki_support import SessionPki

PASSPHRASE = f"Tte-{secrets.token_hex(5)}-Serang!"  # random per session, so a scan for it cannot hit by luck
ENROLLED = ("sekda", "bupati", "kabag.umum", "kadis.dinkes")


def letter_pdf(text: str, *, pages: int = 1) -> bytes:
    """A one-page A4 letter with uncompressed content (a test can flip a byte of its text)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    for page in range(pages):
        c.setFont("Helvetica-Bold", 14)
        c.drawString(72, 770, "PEMERINTAH KABUPATEN SERANG")
        c.setFont("Helvetica", 11)
        c.drawString(72, 730, text)
        c.drawString(72, 710, f"Halaman {page + 1}. Dalam rangka tertib administrasi, surat ini disampaikan.")
        c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="session")
def pki_template(tmp_path_factory) -> SessionPki:
    return SessionPki(tmp_path_factory.mktemp("tte-pki"), PASSPHRASE)


def enrol_from_template(template: SessionPki, usernames=ENROLLED) -> None:
    """Insert the template's certificates for `usernames` (inside an app context; commits)."""
    from cryptography import x509
    from sqlalchemy import select

    from sisumaker.extensions import db
    from sisumaker.models import User
    from sisumaker.services.certificates import _record

    for username in usernames:
        user = db.session.scalar(select(User).where(User.username == username))
        pem, p12 = template.official(user)
        _record(user, x509.load_pem_x509_certificate(pem.encode()), p12, "regency")
    db.session.commit()


class Tte:
    """One test's signing world: its instance folder (keys/, files/), a web app and a service app."""

    def __init__(self, web, svc, instance_path: Path, db_url: str, template: SessionPki):
        self.web, self.svc, self.instance_path, self.db_url = web, svc, instance_path, db_url
        self.template = template
        self._clients: dict[str, object] = {}

    def set_base_url(self, url: str) -> None:
        """Where verification URLs (and so the QR codes) point, e.g. a live server's address."""
        for app in (self.web, self.svc):
            app.config["PUBLIC_BASE_URL"] = url
            self.template.preload(app, self.instance_path)

    def client(self, username: str):
        """A test client logged in through the real form (cached per username)."""
        if username not in self._clients:
            client = self.web.test_client()
            response = login_helper(client, username)
            assert response.status_code in (302, 303), f"login of {username} failed ({response.status_code})"
            self._clients[username] = client
        return self._clients[username]

    def user(self, username: str):
        from sqlalchemy import select

        from sisumaker.extensions import db
        from sisumaker.models import User

        return db.session.scalar(select(User).where(User.username == username))

    def submit(self, n: int = 1, *, signer: str = "sekda", parafs: tuple[str, ...] = (), sifat: str = "B",
               drafter: str = "staf.umum", title: str = "Surat Edaran Apel Pagi", jenis: str = "surat_dinas",
               pdf: bytes | None = None, signer_position: int | None = None, stamp_page: int = -1) -> list[int]:
        """`n` documents submitted through the service by `drafter` for `signer` (or `signer_position`), after
        the parafs in order; returns their ids (committed)."""
        from sisumaker.extensions import db
        from sisumaker.services.access import viewer_for
        from sisumaker.services.signatures import MAX_BATCH, SignerStep, Submission, submit_pdf
        from sisumaker.storage import file_store_for

        steps = tuple(SignerStep(self.user(u).position_id, "paraf") for u in parafs)
        steps += (SignerStep(signer_position or self.user(signer).position_id, "ttd"),)
        viewer, ids = viewer_for(self.user(drafter)), []
        assert n <= MAX_BATCH
        for i in range(n):
            data = Submission(title=f"{title} {i + 1}", jenis=jenis, sifat=sifat, number=f"800/{i + 1}/2026",
                              doc_date=None, steps=steps, stamp_page=stamp_page)
            body = pdf if pdf is not None else letter_pdf(f"Nomor 800/{i + 1}/2026 tentang {title} {i + 1}")
            ids.append(submit_pdf(viewer, file_store_for(), body, data, max_bytes=20 * 1024 * 1024).id)
        db.session.commit()
        return ids

    def waiting(self, username: str) -> list[int]:
        """Request ids waiting for `username` (ends the session's read snapshot first)."""
        from sisumaker.extensions import db
        from sisumaker.services.access import viewer_for
        from sisumaker.services.signatures import waiting_requests

        db.session.rollback()
        return [r.id for r in waiting_requests(viewer_for(self.user(username)))]

    def post_sign(self, username: str, ids: list[int] | None = None, passphrase: str = PASSPHRASE):
        """POST /tte/tandatangani as `username` for `ids` (default: everything waiting for them)."""
        from tests.helpers import csrf_token

        client = self.client(username)
        token = csrf_token(client, "/tte/")
        ids = self.waiting(username) if ids is None else ids
        return client.post("/tte/tandatangani", data={"csrf_token": token, "request_ids": [str(i) for i in ids],
                                                      "passphrase": passphrase})

    def document(self, doc_id: int):
        from sisumaker.extensions import db
        from sisumaker.models import SignDocument

        db.session.rollback()
        return db.session.get(SignDocument, doc_id)

    def current_pdf(self, doc_id: int) -> bytes:
        from sisumaker.storage import file_store_for

        return file_store_for().read(self.document(doc_id).current_file)

    def validate(self, pdf: bytes):
        from sisumaker.pki_runtime import pki_context
        from sisumaker.signing import current_crl, validate_pdf

        ctx = pki_context()
        return validate_pdf(pdf, [ctx.pki.root_cert], crls=[current_crl(ctx.pki)],
                            intermediates=[ctx.pki.issuing_cert])


@pytest.fixture
def make_tte(demo_db_url, make_app, instance_path, pki_template):
    """`make_tte(**config)`: the PKI copied into this test's instance folder, the officials enrolled, two apps
    (config overrides go to both). Yields with an app context of the service app pushed."""
    from sisumaker.extensions import db

    pushed = []

    def factory(**config) -> Tte:
        assert not pushed, "one Tte per test"
        svc = make_app(demo_db_url, schema=False, **config)
        web = make_app(demo_db_url, schema=False, **RELAXED_LIMITS, **config)
        context = svc.app_context()
        context.push()
        pushed.append(context)
        enrol_from_template(pki_template)  # issues into the template on first use, so copy afterwards
        pki_template.copy_to(instance_path)
        for app in (svc, web):
            pki_template.preload(app, instance_path)
        return Tte(web, svc, instance_path, demo_db_url, pki_template)

    yield factory
    for context in pushed:
        db.session.remove()
        context.pop()


@pytest.fixture
def tte(make_tte) -> Tte:
    """Signing without Redis: batches are signed in-process during the POST."""
    return make_tte()


class RedisServer:
    """A redis-server of one test's own on a unix socket, without persistence: `restart()` loses everything,
    as a crashed or restarted Redis does, and comes back on the same socket. With `appendonly=True` every write
    is fsynced to an append-only file first (appendfsync always), so a restart, even after SIGKILL, keeps it."""

    def __init__(self, exe: str, appendonly: bool = False):
        import tempfile

        self.exe = exe
        self.appendonly = appendonly
        self.dir = Path(tempfile.mkdtemp(prefix="tte-redis-"))  # short path: unix sockets allow ~100 chars
        self.socket = self.dir / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.proc = None
        self.start()

    def start(self) -> None:
        import subprocess
        import time

        from redis import Redis

        self.proc = subprocess.Popen(
            [self.exe, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700", "--save", "",
             *(["--appendonly", "yes", "--appendfsync", "always"] if self.appendonly else ["--appendonly", "no"]),
             "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            assert self.proc.poll() is None, (self.dir / "redis.log").read_text()
            try:
                Redis.from_url(self.url, socket_connect_timeout=1).ping()
                return
            except Exception:
                assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
                time.sleep(0.02)

    def stop(self) -> None:
        import signal

        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)  # no shutdown save either way (--save "")
            self.proc.wait(10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self):
        from redis import Redis

        return Redis.from_url(self.url)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def own_redis():
    """A throwaway redis-server for this test alone (restartable: see RedisServer)."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not on PATH (apt-get install redis-server)")
    server = RedisServer(exe)
    yield server
    server.close()
