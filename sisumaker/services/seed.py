"""Demo regency from `regency.json`: units, positions, one user per position, a clerk per OPD and kecamatan."""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from sisumaker.extensions import db
from sisumaker.models import Position, Unit, User
from sisumaker.services import audit
from sisumaker.services.errors import PermissionDenied

# Which Asisten coordinates which OPD; the rest (and kecamatan) report through the Sekda directly.
ASSISTANT_OF = {
    0: {"DINDIKBUD", "DINKES", "DINSOS", "DP3AKB", "DISDUKCAPIL", "DPMD", "KESBANGPOL", "SATPOLPP", "RSUD",
        "BPBD", "DISPORAPAR"},
    1: {"BAPPERIDA", "DPUPR", "DISPERKIM", "DLH", "DISHUB", "DPMPTSP", "DISKOPUM", "DISTAN", "DISKAN", "DKP",
        "DISPERINDAG", "DISNAKERTRANS"},
    2: {"BAPENDA", "BPKAD", "BKPSDM", "DISKOMINFOSATIK", "DPK"},
}
DIRECT_TO_BUPATI = {"INSPEKTORAT"}
PREFIXES = ["Suka", "Sindang", "Mekar", "Tanjung", "Kadu", "Pasir", "Bojong", "Teluk", "Karang", "Sumber",
            "Cipta", "Giri", "Tegal", "Marga", "Jaya", "Pagar", "Wana", "Sinar"]
SUFFIXES = ["jaya", "sari", "mulya", "maju", "wangi", "rahayu", "asih", "makmur", "harja", "galih", "tani",
            "laksana", "mekar", "rame", "kerta", "baru"]
FIRST = ["Ahmad", "Budi", "Siti", "Dewi", "Agus", "Rina", "Hendra", "Nurul", "Dedi", "Yuli", "Asep", "Euis",
         "Ujang", "Iis", "Bambang", "Sri", "Eko", "Lina", "Tatang", "Neneng", "Rudi", "Wati", "Imam", "Fitri"]
LAST = ["Hidayat", "Saputra", "Rahmawati", "Kurniawan", "Susanti", "Setiawan", "Maulana", "Lestari",
        "Firmansyah", "Nurhayati", "Gunawan", "Permana", "Sulastri", "Hakim", "Wijaya", "Fauzi"]


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def head_title(head: str, unit_name: str) -> str:
    """'Kepala Dinas' + 'Dinas Kesehatan' -> 'Kepala Dinas Kesehatan'; 'Sekretaris DPRD' stays as it is."""
    if unit_name.startswith("Sekretariat"):
        return head
    last = head.split()[-1]
    if head.startswith("Kepala") and unit_name.split()[0] == last:
        return f"{head.rsplit(' ', 1)[0]} {unit_name}"
    return f"{head} {unit_name}"


def default_fixture_path() -> Path:
    here = Path(__file__).resolve()
    shared = here.parents[3] / "shared" / "fixtures" / "regency.json"
    return shared if shared.exists() else here.parent.parent / "data" / "regency.json"


@dataclass
class _Builder:
    rnd: random.Random
    password_hash: str
    users: list[dict] = field(default_factory=list)
    nip_seq: int = 0

    def unit(self, kind: str, name: str, code: str, parent: Unit | None, address: str | None = None) -> Unit:
        u = Unit(kind=kind, name=name, code=code, parent=parent, address=address)
        db.session.add(u)
        return u

    def position(self, unit: Unit, title: str, parent: Position | None, echelon: str | None,
                 head: bool = False) -> Position:
        p = Position(unit=unit, title=title, parent=parent, echelon=echelon, is_unit_head=head)
        db.session.add(p)
        return p

    def person(self, username: str, position: Position | None, role: str, asn: bool = True,
               name: str | None = None) -> None:
        self.nip_seq += 1
        nip = None
        if asn:
            by = self.rnd.randrange(1966, 1994)
            nip = (f"{by}{self.rnd.randrange(1, 13):02d}{self.rnd.randrange(1, 29):02d}"
                   f"{by + self.rnd.randrange(22, 30)}{self.rnd.randrange(1, 13):02d}"
                   f"{self.rnd.choice('12')}{self.nip_seq % 999 + 1:03d}")
        full = name or f"{self.rnd.choice(FIRST)} {self.rnd.choice(LAST)}"
        self.users.append(dict(username=username, full_name=full, nip=nip, position=position, role=role))


def seed_demo(actor: User | None, *, password: str, production: bool, fixture: Path | None = None,
              desa_per_kecamatan: int | None = None) -> dict[str, int]:
    """Rule: demo data only outside production and only into an empty organisation."""
    if production:
        raise PermissionDenied("Data demo ditolak dalam mode produksi.")
    if db.session.scalar(select(func.count(Unit.id))):
        raise PermissionDenied("Basis data sudah berisi organisasi; data demo hanya untuk basis data kosong.")
    data = json.loads((fixture or default_fixture_path()).read_text())
    b = _Builder(random.Random(2026), generate_password_hash(password))
    root = b.unit("pemkab", data["name"], "PEMKAB", None, "Jl. Veteran No. 1, Serang")
    bupati = b.position(root, data["head"]["position"], None, None, head=True)
    wabup = b.position(root, data["head"]["deputy"], bupati, None)
    b.person("bupati", bupati, "pejabat", asn=False, name="H. Ahmad Suryana, S.Sos., M.Si.")
    b.person("wabup", wabup, "pejabat", asn=False, name="Hj. Dewi Kartika, S.E.")

    sec = data["secretariat"]
    setda = b.unit("setda", sec["name"], "SETDA", root)
    sekda = b.position(setda, sec["head"], bupati, "II.a", head=True)
    b.person("sekda", sekda, "pejabat")
    assistants: list[Position] = []
    for i, a in enumerate(sec["assistants"], start=1):
        au = b.unit("asisten", a["name"], f"ASISTEN{i}", setda)
        ap = b.position(au, a["name"], sekda, "II.b", head=True)
        b.person(f"asisten{i}", ap, "pejabat")
        assistants.append(ap)
        for section in a["sections"]:
            slug = slugify(section.removeprefix("Bagian "))
            bu = b.unit("bagian", section, f"BAG-{slug.upper()}", au)
            kabag = b.position(bu, f"Kepala {section}", ap, "III.a", head=True)
            b.person(f"kabag.{slug}", kabag, "pejabat")
            staff = b.position(bu, f"Analis Kebijakan {section}", kabag, None)
            b.person(f"staf.{slug}", staff, "staf")
            if slug == "umum":
                clerk = b.position(bu, "Pengadministrasi Persuratan Sekretariat Daerah", kabag, None)
                b.person("tu.setda", clerk, "agendaris")

    inner = data["opd_internal_units"]
    for opd in data["opd"]:
        code, lower = opd["code"], opd["code"].lower()
        kind = "badan" if opd["name"].startswith("Badan") else "dinas" if opd["name"].startswith("Dinas") else "lembaga"
        ou = b.unit(kind, opd["name"], code, root, f"Jl. {opd['name']}, Serang")
        superior = bupati if code in DIRECT_TO_BUPATI else next(
            (assistants[i] for i, codes in ASSISTANT_OF.items() if code in codes), sekda)
        head = b.position(ou, head_title(opd["head"], opd["name"]), superior, "II.b", head=True)
        b.person(f"kadis.{lower}", head, "pejabat")
        su = b.unit("sekretariat", f"{inner['secretary']['name']} {opd['name']}", f"{code}-SEKRETARIAT", ou)
        sekretaris = b.position(su, f"{inner['secretary']['head']} {opd['name']}", head, "III.a", head=True)
        b.person(f"sekretaris.{lower}", sekretaris, "pejabat")
        for j, sub in enumerate(inner["secretary"]["sub"], start=1):
            sbu = b.unit("subbag", f"{sub} {opd['name']}", f"{code}-SUBBAG{j}", su)
            kasubbag = b.position(sbu, f"Kepala {sub}", sekretaris, "IV.a", head=True)
            b.person(f"kasubbag{j}.{lower}", kasubbag, "pejabat")
            if j == 1:
                clerk = b.position(sbu, f"Pengadministrasi Persuratan {opd['name']}", kasubbag, None)
                b.person(f"tu.{lower}", clerk, "agendaris")
        for d in range(1, inner["divisions"] + 1):
            bu = b.unit("bidang", f"Bidang {d} {opd['name']}", f"{code}-BIDANG{d}", ou)
            kabid = b.position(bu, f"{inner['division_head']} {d} {opd['name']}", head, "III.b", head=True)
            b.person(f"kabid{d}.{lower}", kabid, "pejabat")
            for s in range(1, inner["sections_per_division"] + 1):
                seu = b.unit("seksi", f"Seksi {d}.{s} {opd['name']}", f"{code}-SEKSI{d}{s}", bu)
                kasi = b.position(seu, f"{inner['section_head']} {d}.{s} {opd['name']}", kabid, "IV.a", head=True)
                b.person(f"kasi{d}{s}.{lower}", kasi, "pejabat")

    ks = data["kecamatan_structure"]
    n_desa = desa_per_kecamatan or ks["desa_per_kecamatan_approx"]
    for name in data["kecamatan"]:
        slug = slugify(name)
        ku = b.unit("kecamatan", f"Kecamatan {name}", f"KEC-{slug.upper()}", root, f"Jl. Raya {name}")
        camat = b.position(ku, f"{ks['head']} {name}", sekda, "III.a", head=True)
        b.person(f"camat.{slug}", camat, "pejabat")
        sekcam = b.position(ku, f"{ks['secretary']} {name}", camat, "III.b")
        b.person(f"sekcam.{slug}", sekcam, "pejabat")
        clerk = b.position(ku, f"Pengadministrasi Persuratan Kecamatan {name}", sekcam, None)
        b.person(f"tu.kec.{slug}", clerk, "agendaris")
        for s, section in enumerate(ks["sections"], start=1):
            seu = b.unit("seksi", f"{section} Kecamatan {name}", f"KEC-{slug.upper()}-SEKSI{s}", ku)
            kasi = b.position(seu, f"Kepala {section} Kecamatan {name}", camat, "IV.a", head=True)
            b.person(f"kasi{s}.kec.{slug}", kasi, "pejabat")
        names: set[str] = set()
        count = n_desa + b.rnd.randrange(-1, 2) if desa_per_kecamatan is None else n_desa
        while len(names) < count:
            names.add(b.rnd.choice(PREFIXES).capitalize() + b.rnd.choice(SUFFIXES))
        for k, desa in enumerate(sorted(names)):
            kelurahan = k == 0 and len(name) % 3 == 0  # a few kecamatan have one kelurahan
            kind, title = ("kelurahan", "Lurah") if kelurahan else ("desa", ks["desa_head"])
            du = b.unit(kind, f"{kind.capitalize()} {desa}", f"{kind[:3].upper()}-{slug.upper()}-{desa.upper()}", ku)
            head = b.position(du, f"{title} {desa}", camat, None, head=True)
            b.person(f"{'lurah' if kelurahan else 'kades'}.{slug}.{desa.lower()}", head, "pejabat", asn=kelurahan)

    db.session.flush()
    kominfo_sek = db.session.scalar(select(Position).join(Unit).where(Unit.code == "DISKOMINFOSATIK-SEKRETARIAT"))
    admin_pos = b.position(kominfo_sek.unit, "Pranata Komputer Diskominfosatik (Admin Sisumaker)", kominfo_sek, None)
    b.person("admin", admin_pos, "admin")
    db.session.flush()
    db.session.execute(
        User.__table__.insert(),
        [dict(username=u["username"], full_name=u["full_name"], nip=u["nip"], position_id=u["position"].id,
              role=u["role"], password_hash=b.password_hash, is_enabled=True, session_version=1)
         for u in b.users],
    )
    counts = {
        "units": db.session.scalar(select(func.count(Unit.id))),
        "positions": db.session.scalar(select(func.count(Position.id))),
        "users": len(b.users),
    }
    from sisumaker.services.classification import seed_classifications

    seed_classifications()
    from sisumaker.services.calendar import seed_holidays

    seed_holidays()
    from sisumaker.services.numbering import seed_patterns

    seed_patterns()
    audit.record(actor, "demo.seed", "regency", None, counts)
    return counts
