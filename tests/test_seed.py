"""The demo regency: predictable logins, the shape of the organisation, and when seeding is refused."""
from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import AuditEvent, Position, Unit, User
from sisumaker.services import audit
from sisumaker.services.errors import PermissionDenied
from sisumaker.services.nip import parse_nip
from sisumaker.services.seed import default_fixture_path, seed_demo, slugify
from tests.helpers import DEFAULT, login

REGENCY = json.loads(default_fixture_path().read_text())
README_LOGINS = ["bupati", "wabup", "sekda", "kadis.diskominfosatik", "tu.diskominfosatik", "camat.pulo-ampel",
                 "tu.kec.pulo-ampel", "admin"]
PRODUCTION = "Data demo ditolak dalam mode produksi."
NOT_EMPTY = "Basis data sudah berisi organisasi; data demo hanya untuk basis data kosong."


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_predictable_usernames(demo_app):
    expected = set(README_LOGINS)
    expected |= {f"kadis.{o['code'].lower()}" for o in REGENCY["opd"]}
    expected |= {f"tu.{o['code'].lower()}" for o in REGENCY["opd"]}
    expected |= {f"camat.{slugify(k)}" for k in REGENCY["kecamatan"]}
    expected |= {f"tu.kec.{slugify(k)}" for k in REGENCY["kecamatan"]}
    with demo_app.app_context():
        usernames = set(db.session.scalars(select(User.username)))
    assert expected - usernames == set()
    assert len(expected) == 4 + 2 * 30 + 2 * 29  # four README examples are among the generated ones


def test_every_unit_of_the_fixture_exists(demo_app):
    with demo_app.app_context():
        codes = set(db.session.scalars(select(Unit.code)))
        kinds = Counter(db.session.scalars(select(Unit.kind)))
    assert {o["code"] for o in REGENCY["opd"]} <= codes
    assert kinds["pemkab"] == 1 and kinds["setda"] == 1 and kinds["asisten"] == 3
    assert kinds["kecamatan"] == len(REGENCY["kecamatan"]) == 29
    assert kinds["bidang"] == 30 * REGENCY["opd_internal_units"]["divisions"]


def test_about_eleven_desa_per_kecamatan(demo_app):
    with demo_app.app_context():
        kecamatan = db.session.scalars(select(Unit).where(Unit.kind == "kecamatan")).all()
        per = {k.code: sum(u.kind in ("desa", "kelurahan") for u in k.children) for k in kecamatan}
        heads = db.session.scalars(select(Position).join(Unit).where(Unit.kind.in_(("desa", "kelurahan")),
                                                                      Position.is_unit_head)).all()
        camat_of = {k.id: next(p.id for p in k.positions if p.is_unit_head) for k in kecamatan}
        assert all(h.parent_id == camat_of[h.unit.parent_id] for h in heads), "a desa head reports to his camat"
    assert all(10 <= n <= 12 for n in per.values()), per
    assert 300 <= sum(per.values()) <= 340


def test_every_user_holds_a_position_and_every_position_has_a_holder(demo_app):
    with demo_app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.position_id.is_(None))) == 0
        empty = db.session.scalar(select(func.count(Position.id)).where(~Position.holders.any()))
        assert empty == 0
        assert count(User) == count(Position) > 900


def test_roles(demo_app):
    with demo_app.app_context():
        roles = dict(db.session.execute(select(User.username, User.role)).all())
    clerks = {u for u in roles if u.startswith("tu.")}
    assert clerks and all(roles[u] == "agendaris" for u in clerks)
    assert {u for u, r in roles.items() if r == "agendaris"} == clerks
    assert {u for u, r in roles.items() if r == "admin"} == {"admin"}
    assert all(roles[u] == "pejabat" for u in ("bupati", "sekda", "kadis.dinkes", "camat.pulo-ampel"))


def test_seeded_nips_are_possible_and_unique(demo_app):
    with demo_app.app_context():
        rows = db.session.execute(select(User.username, User.nip)).all()
    nips = [nip for _, nip in rows if nip]
    assert len(nips) == len(set(nips)) > 500
    for nip in nips:
        parse_nip(nip)  # raises on an impossible one
    by_name = dict(rows)
    assert by_name["bupati"] is None and by_name["wabup"] is None  # elected officials are not ASN


def test_titles_read_naturally(demo_app):
    with demo_app.app_context():
        titles = db.session.scalars(select(Position.title)).all()
        kadis = db.session.scalar(select(User).where(User.username == "kadis.dinkes")).position.title
        camat = db.session.scalar(select(User).where(User.username == "camat.pulo-ampel")).position.title
    doubled = [t for t in titles if re.search(r"\b(\w+) \1\b", t)]
    assert doubled == []
    assert kadis == "Kepala Dinas Kesehatan"
    assert camat == "Camat Pulo Ampel"


def test_seed_is_refused_in_production_mode(app):
    with app.app_context():
        with pytest.raises(PermissionDenied) as caught:
            seed_demo(None, password="sisumaker-demo", production=True)
        assert caught.value.message == PRODUCTION
        db.session.commit()
        assert count(Unit) == count(User) == 0


def test_seed_is_refused_into_a_non_empty_database(demo_app):
    with demo_app.app_context():
        units, users = count(Unit), count(User)
        with pytest.raises(PermissionDenied) as caught:
            seed_demo(None, password="sisumaker-demo", production=False)
        assert caught.value.message == NOT_EMPTY
        db.session.commit()
        assert (count(Unit), count(User)) == (units, users)


def test_cli_refuses_demo_data_with_the_production_default(schema_db_url, make_app):
    app = make_app(schema_db_url, schema=False, ENV_NAME=DEFAULT)
    assert app.config["ENV_NAME"] == "production"
    for args in (["seed-demo"], ["seed-demo", "--if-empty"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code != 0 and PRODUCTION in result.output
    with app.app_context():
        assert count(Unit) == count(User) == 0


def test_cli_seed_if_empty_is_idempotent(db_url, make_app):
    app = make_app(db_url, DEMO_PASSWORD="sandi-demo-khusus")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    loaded = re.search(r"Data demo dimuat: (\d+) unit, (\d+) jabatan, (\d+) pengguna\b", first.output)
    assert loaded, first.output
    with app.app_context():
        counts = (count(Unit), count(Position), count(User))
    assert counts == tuple(int(n) for n in loaded.groups())

    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert second.exit_code == 0 and "Organisasi sudah ada; data demo tidak dimuat ulang." in second.output
    third = runner.invoke(args=["seed-demo"])
    assert third.exit_code != 0 and NOT_EMPTY in third.output
    with app.app_context():
        assert (count(Unit), count(Position), count(User)) == counts
        seeds = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "demo.seed"))
        assert seeds == 1
        assert audit.verify_chain().ok
        hashes = set(db.session.scalars(select(User.password_hash)))
    assert len(hashes) == 1 and hashes.pop().startswith("scrypt:")  # a modern KDF (the test templates cheat)
    # the configured demo password is the one that works
    assert login(app.test_client(), "bupati", "sandi-demo-khusus").status_code == 302
    assert login(app.test_client(), "admin").status_code == 401
