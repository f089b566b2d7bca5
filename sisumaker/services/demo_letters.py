"""A few realistic letters for the demo regency, registered and disposed through the real services."""
from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from sisumaker.extensions import db
from sisumaker.models import InboxItem, User
from sisumaker.services.access import viewer_for
from sisumaker.services.calendar import add_working_days
from sisumaker.services.dispositions import DispositionInput, dispose_letter
from sisumaker.services.files import FileStore, store_bytes
from sisumaker.services.letters import IncomingLetter, register_incoming

SAMPLES = (
    # clerk, sender, number, perihal, jenis, sifat, urgensi, classification, addressee username, days ago
    ("tu.setda", "Gubernur Banten", "005/1123-Ro.Pem/2026", "Undangan Rapat Koordinasi Kesiapsiagaan Banjir",
     "surat_undangan", "B", "segera", "300.2", "bupati", 1),
    ("tu.setda", "Kementerian Kesehatan RI", "PK.01.02/III/4512/2026", "Permintaan Data Prevalensi Stunting 2026",
     "surat_dinas", "B", "biasa", "400.7", "bupati", 2),
    ("tu.setda", "BPK RI Perwakilan Provinsi Banten", "45/LHP/XVIII.SRG/11/2026",
     "Laporan Hasil Pemeriksaan atas Belanja Modal", "surat_dinas", "R", "segera", "700.2", "bupati", 3),
    ("tu.setda", "DPD KNPI Kabupaten Serang", "012/DPD-KNPI/XI/2026", "Permohonan Audiensi dengan Bupati",
     "surat_dinas", "B", "biasa", "000.1.3", "bupati", 0),
    ("tu.kec.pulo-ampel", "Kepala Desa Banyuwangi", "140/27/Ds/2026", "Permohonan Perbaikan Jalan Desa",
     "surat_dinas", "B", "biasa", "600.1", "camat.pulo-ampel", 1),
)


def _scan_pdf(sender: str, number: str, perihal: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Helvetica-Bold", 14)
    c.drawCentredString(A4[0] / 2, 780, sender.upper())
    c.line(60, 765, A4[0] - 60, 765)
    c.setFont("Helvetica", 11)
    for i, line in enumerate([f"Nomor   : {number}", f"Perihal : {perihal}", "",
                              "Dengan hormat,", "Bersama ini kami sampaikan surat sebagaimana perihal di atas.",
                              "Atas perhatian dan kerja sama Bapak/Ibu, kami ucapkan terima kasih."]):
        c.drawString(60, 730 - i * 18, line)
    c.drawString(360, 560, "Hormat kami,")
    c.drawString(360, 490, "(contoh pindaian demo)")
    c.showPage()
    c.save()
    return buf.getvalue()


def seed_demo_letters(store: FileStore, today: date | None = None) -> int:
    """Register the sample letters and dispose one of them down to the Dinas Kesehatan."""
    today = today or date.today()
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(
        {s[0] for s in SAMPLES} | {s[8] for s in SAMPLES} | {"kadis.dinkes"})))}
    entries = []
    for clerk, sender, number, perihal, jenis, sifat, urgensi, code, to, ago in SAMPLES:
        received = today - timedelta(days=ago)
        scan = store_bytes(store, _scan_pdf(sender, number, perihal), "application/pdf", 1)
        entries.append(register_incoming(viewer_for(users[clerk]), IncomingLetter(
            sender=sender, number=number, letter_date=received - timedelta(days=2), received_on=received,
            jenis=jenis, perihal=perihal, sifat=sifat, urgensi=urgensi, classification_code=code,
            to_position_ids=(users[to].position_id,),
            event_date=today + timedelta(days=5) if jenis == "surat_undangan" else None,
            event_place="Pendopo Gubernur Banten" if jenis == "surat_undangan" else None), scan))
    bupati = viewer_for(users["bupati"])
    stunting = db.session.scalar(select(InboxItem).where(InboxItem.letter_id == entries[1].letter_id,
                                                         InboxItem.position_id == users["bupati"].position_id))
    dispose_letter(bupati, stunting.id, DispositionInput(
        recipient_ids=(users["kadis.dinkes"].position_id,), instructions=("Untuk ditindaklanjuti", "Siapkan jawaban"),
        note="Siapkan data per kecamatan.", deadline=add_working_days(today, 5)))
    return len(entries)


DEMO_SIGNERS = ("bupati", "sekda", "kadis.dinkes", "camat.pulo-ampel")


def seed_demo_signing(ctx, store: FileStore, passphrase: str, count: int = 3) -> int:
    """Certificates for a few demo officials (locked by the demo passphrase) and documents waiting for the
    Sekda's signature, submitted by the Bagian Umum's staff."""
    from sisumaker.documents import Kop, LetterDoc, Paragraph, Run, render_letter
    from sisumaker.services.certificates import active_certificate, enroll
    from sisumaker.services.signatures import SignerStep, Submission, new_token, submit_pdf

    users = {u.username: u for u in db.session.scalars(select(User).where(
        User.username.in_((*DEMO_SIGNERS, "staf.umum"))))}
    for name in DEMO_SIGNERS:
        if active_certificate(users[name]) is None:
            enroll(users[name], ctx, passphrase, passphrase)
    sekda = users["sekda"]
    drafter = viewer_for(users["staf.umum"])
    today = date.today()
    for i in range(1, count + 1):
        token = new_token()
        doc = LetterDoc(
            kind="nota_dinas", kop=Kop(regency="Kabupaten Serang", unit_name="Sekretariat Daerah",
                                       address="Jl. Veteran No. 1, Serang"),
            number=f"000.1.2/{100 + i}/Umum/{today.year}", date=today, place="Serang", sifat="Biasa",
            lampiran="-", perihal=f"Penggunaan Kendaraan Dinas Operasional ({i})",
            addressees=["Para Kepala Perangkat Daerah"],
            body_blocks=[Paragraph([Run("Dalam rangka tertib administrasi barang milik daerah, bersama ini "
                                        "disampaikan ketentuan penggunaan kendaraan dinas operasional.")])],
            signer_title=sekda.position.title, signer_name=sekda.full_name, signer_nip=sekda.nip,
            signer_capacity_prefix="", tembusan=["Bupati Serang"], verification_url=ctx.verification_url(token[0]))
        rendered = render_letter(doc)
        box = tuple(int(v) for v in rendered.stamp_box)
        submit_pdf(drafter, store, rendered.pdf, Submission(
            title=doc.perihal, jenis="nota_dinas", sifat="B", number=doc.number, doc_date=today,
            steps=(SignerStep(sekda.position_id, "ttd"),), stamp_page=rendered.stamp_page, stamp_box=box),
            max_bytes=20 * 1024 * 1024, token=token)
    return count
