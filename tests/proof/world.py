"""The fixture world of the proof tests: letters of every sifat (one Rahasia letter held by another unit),
dispositions with a report attachment, drafts, signing documents, a signing batch and a certificate, built on a
copy of the demo regency through the real services.

Every object knows the demo users (of the matrix roles) who may see it; everything else is an outsider, who must
be refused and must never see the object's words (perihal, number) anywhere.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from sisumaker.database import begin_write
from sisumaker.extensions import db

# The matrix roles: one demo account each (None: anonymous).
ROLES = {
    "anonymous": None,
    "clerk": "tu.setda",
    "kadis": "kadis.dinkes",
    "camat": "camat.pulo-ampel",
    "kades": "kades.pulo-ampel.ciptawangi",
    "bupati": "bupati",
    "sekda": "sekda",
    "admin": "admin",
    "unrelated": "kabid1.dlh",
}
SIGNERS = ("sekda", "bupati", "kadis.dinkes")


@dataclass
class Obj:
    """One object of the world: its kind, id, who may see it, and the words only they may read."""

    kind: str
    label: str
    id: int
    insiders: frozenset[str]  # role names
    words: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


@dataclass
class World:
    objects: list[Obj] = field(default_factory=list)
    units: dict[str, int] = field(default_factory=dict)  # registering units of the world's letters, by clerk

    def of(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o.kind == kind]

    def get(self, label: str) -> Obj:
        return next(o for o in self.objects if o.label == label)

    def secrets(self) -> list[Obj]:
        """Objects whose words identify them (letters, drafts, documents)."""
        return [o for o in self.objects if o.words]


def _roles(*usernames: str) -> frozenset[str]:
    by_user = {u: r for r, u in ROLES.items() if u}
    return frozenset(by_user[u] for u in usernames if u in by_user)


def build_world(pki_ctx, store, passphrase: str) -> World:
    """Create the objects through the services (as the routes would) and commit. Runs in an app context."""
    from tests.letters.support import dispose, make_pdf, register, root_item, viewer
    from sisumaker.services.dispositions import open_item, report_progress
    from sisumaker.services.files import store_upload

    world = World()
    scan = lambda tag: store_upload(store, make_pdf(f"Pindaian {tag}"), max_bytes=20 * 1024 * 1024)  # noqa: E731

    def letter(label, clerk, to, sifat, insiders, disposed_to=None):
        tag = f"PRF{label}Q"
        entry = register(clerk, scan=scan(tag), sifat=sifat, to=(to,), perihal=f"Perihal rahasia {tag}",
                         number=f"NO/{tag}/2026", sender=f"Pengirim {tag}", summary=f"Ringkasan {tag}")
        root = root_item(entry.letter_id, to)
        words = (f"Perihal rahasia {tag}", f"NO/{tag}/2026", f"Pengirim {tag}", f"Ringkasan {tag}",
                 *((f"Laporan {tag}",) if disposed_to else ()))
        obj = Obj("letter", label, entry.letter_id, insiders, words,
                  {"entry_id": entry.id, "root_item": root.id, "clerk": clerk, "sifat": sifat})
        world.objects.append(obj)
        world.objects.append(Obj("entry", label, entry.id, _roles(clerk), (), {"letter": label}))
        world.objects.append(Obj("item", f"{label}-root", root.id, insiders, (), {"letter": label}))
        if disposed_to:
            child = dispose(to, root.id, (disposed_to,))[0]
            open_item(viewer(disposed_to), child.id)
            report_progress(viewer(disposed_to), child.id, done=False, report=f"Laporan {tag}",
                            attachment=store_upload(store, make_pdf(f"Lampiran {tag}"), max_bytes=20 * 1024 * 1024))
            db.session.commit()
            world.objects.append(Obj("item", f"{label}-child", child.id, insiders, (),
                                     {"letter": label, "parent": root.id}))
            obj.extra["child_item"] = child.id
        return obj

    letter("B", "tu.setda", "bupati", "B", _roles("bupati", "tu.setda"))
    letter("T", "tu.setda", "bupati", "T", _roles("bupati", "tu.setda"))
    letter("R", "tu.setda", "bupati", "R", _roles("bupati", "kadis.dinkes"), disposed_to="kadis.dinkes")
    letter("SR", "tu.kec.pulo-ampel", "camat.pulo-ampel", "SR", _roles("camat.pulo-ampel", ROLES["kades"]),
           disposed_to=ROLES["kades"])
    letter("R-other", "tu.dinkes", "kadis.dinkes", "R", _roles("kadis.dinkes"))
    _drafts(world)
    _documents(world, pki_ctx, store, passphrase)
    _console(world)
    return world


def _drafts(world: World) -> None:
    """A Rahasia draft in review (drafter staf.umum, paraf kabag.umum, signer sekda) and a konsep of the Kadis."""
    from tests.outgoing.support import content, routing, save

    tag = "PRFDRAFTRQ"
    rahasia = save("staf.umum", content(perihal=f"Konsep rahasia {tag}", sifat="R"),
                   routing(reviewers=("kabag.umum",), signer="sekda"))
    world.objects.append(Obj("draft", "draft-R-review", rahasia, _roles("sekda"), (f"Konsep rahasia {tag}",)))
    konsep = save("kadis.dinkes", content(perihal="Konsep biasa PRFDRAFTKQ", sifat="B"),
                  routing(reviewers=(), signer="kadis.dinkes", to=("bupati",)), send=False)
    world.objects.append(Obj("draft", "draft-B-konsep", konsep, _roles("kadis.dinkes"), ("Konsep biasa PRFDRAFTKQ",)))


def _documents(world: World, pki_ctx, store, passphrase: str) -> None:
    """A Rahasia document for the Sekda's TTE, a Biasa one the Sekda has put in a signing batch, his certificate."""
    from sisumaker.models import Certificate, User
    from sisumaker.services.access import viewer_for
    from sisumaker.services.files import store_bytes
    from sisumaker.services.signatures import SignerStep, Submission, register_document, start_batch
    from tests.letters.support import make_pdf, pos

    def document(label, drafter, signer, sifat, insiders):
        tag = f"PRFDOC{label}Q"
        stored = store_bytes(store, make_pdf(f"Dokumen {tag}"), "application/pdf", 1)
        drafter_user = db.session.scalar(select(User).where(User.username == drafter))
        begin_write()
        doc = register_document(drafter_user, stored, Submission(
            title=f"Dokumen rahasia {tag}", jenis="nota_dinas", sifat=sifat, number=f"DOC/{tag}",
            doc_date=date.today() - timedelta(days=1), steps=(SignerStep(pos(signer), "ttd"),)))
        db.session.commit()
        world.objects.append(Obj("document", label, doc.id, insiders, (f"Dokumen rahasia {tag}", f"DOC/{tag}"),
                                 {"token": doc.token}))
        return doc

    document("doc-R", "staf.umum", "sekda", "R", _roles("sekda"))
    queued = document("doc-B", "kadis.dinkes", "sekda", "B", _roles("kadis.dinkes", "sekda"))
    sekda = db.session.scalar(select(User).where(User.username == "sekda"))
    begin_write()
    request_id = queued.requests[0].id
    batch = start_batch(viewer_for(sekda), pki_ctx, [request_id], passphrase)
    db.session.commit()
    world.objects.append(Obj("batch", "batch-sekda", batch.id, _roles("sekda")))
    cert_id = db.session.scalar(select(func.max(Certificate.id)).where(Certificate.user_id == sekda.id))
    world.objects.append(Obj("certificate", "cert-sekda", cert_id, frozenset({"admin"})))


ADMINS = frozenset({"admin"})


def _console(world: World) -> None:
    """The objects of the admin console and the records pages, each only the admin's: a unit, a position, a user,
    a Plt assignment, a number pattern, a recipient group, a holiday and a classification code; and the
    registering units of the world's letters (the buku agenda and retention pages are asked about them)."""
    from sisumaker.models import (ActingAssignment, Classification, Holiday, NumberPattern, RecipientGroup, Unit,
                                  User)
    from sisumaker.services.access import register_unit_of
    from sisumaker.services.admin_acting import appoint
    from sisumaker.services.admin_config import PatternInput, save_group, save_pattern
    from sisumaker.services.calendar import add_holiday

    def user(username):
        return db.session.scalar(select(User).where(User.username == username))

    admin, dinkes = user("admin"), user("kadis.dinkes").position.unit
    begin_write()
    group = save_group(admin, "Grup uji bukti", (dinkes.id,))
    pattern = db.session.scalar(select(NumberPattern).order_by(NumberPattern.id)) or \
        save_pattern(admin, PatternInput("", dinkes.id, "{kode}/{nomor}/{unit}/{tahun}"))
    acting = appoint(admin, username="sekretaris.dinkes", position_id=user("kadis.dinkes").position_id, kind="plt",
                     starts_on=date.today() + timedelta(days=30), ends_on=date.today() + timedelta(days=40),
                     decree_number="800/PRF/2026")
    holiday_day = date(date.today().year + 1, 3, 3)
    add_holiday(admin, holiday_day, "Libur uji bukti", "libur_nasional")
    db.session.commit()
    code = db.session.scalar(select(Classification.code).where(Classification.code == "100"))
    for kind, label, ident, value in (
            ("unit", "unit-dinkes", dinkes.id, dinkes.id),
            ("position", "pos-kadis", user("kadis.dinkes").position_id, user("kadis.dinkes").position_id),
            ("user", "user-kabid", user("kabid1.dlh").id, user("kabid1.dlh").id),
            ("acting", "plt-dinkes", acting.id, acting.id),
            ("pattern", "pattern-1", pattern.id, pattern.id),
            ("group", "group-uji", group.id, group.id),
            ("holiday", "holiday-uji", 0, holiday_day.isoformat()),
            ("classification", "code-100", 0, code)):
        world.objects.append(Obj(kind, label, ident, ADMINS, (), {"value": value}))
    for clerk in ("tu.setda", "tu.kec.pulo-ampel", "tu.dinkes"):
        world.units[clerk] = register_unit_of(user(clerk).position).id
    assert db.session.get(Holiday, holiday_day) and db.session.get(RecipientGroup, group.id) \
        and db.session.get(ActingAssignment, acting.id) and db.session.get(Unit, dinkes.id)
