"""Organisation rules on the demo regency: command subtrees, acting officials (Plt/Plh), creating users."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from sisumaker.extensions import db
from sisumaker.models import ActingAssignment, AuditEvent, Position, Unit, User
from sisumaker.services.errors import PermissionDenied, ValidationError
from sisumaker.services.org import (acting_position_ids, acting_positions, assign_acting, chain_of_command,
                                    command_subtree_ids, create_user, in_command_subtree, is_subordinate)
from tests.helpers import login, text


def user(username: str) -> User:
    found = db.session.scalar(select(User).where(User.username == username))
    assert found is not None, f"demo user {username!r} missing"
    return found


def pos(username: str) -> int:
    return user(username).position_id


def desa_heads(kecamatan_code: str) -> list[int]:
    kec = db.session.scalar(select(Unit).where(Unit.code == kecamatan_code))
    return [p.id for u in kec.children if u.kind in ("desa", "kelurahan") for p in u.positions if p.is_unit_head]


def python_subtree(root: int) -> set[int]:
    """Independent reference: walk the parent pointers in Python."""
    children = defaultdict(list)
    for pid, parent in db.session.execute(select(Position.id, Position.parent_id)):
        children[parent].append(pid)
    found, todo = set(), [root]
    while todo:
        node = todo.pop()
        found.add(node)
        todo.extend(children[node])
    return found


# (member, root, inside?) — DINKES reports through Asisten 1; DISHUB through Asisten 2; Inspektorat to the Bupati.
SUBTREE_CASES = [
    ("kasi11.dinkes", "kabid1.dinkes", True),
    ("kasi11.dinkes", "kadis.dinkes", True),
    ("kasi11.dinkes", "asisten1", True),
    ("kasi11.dinkes", "sekda", True),
    ("kasi11.dinkes", "bupati", True),
    ("kasi11.dinkes", "kasi11.dinkes", True),
    ("kasi11.dinkes", "kabid2.dinkes", False),
    ("kasi11.dinkes", "kadis.dishub", False),
    ("kasi11.dinkes", "asisten2", False),
    ("kasi11.dinkes", "wabup", False),
    ("kadis.dinkes", "kasi11.dinkes", False),
    ("tu.dinkes", "kadis.dinkes", True),
    ("kadis.inspektorat", "bupati", True),
    ("kadis.inspektorat", "sekda", False),
    ("tu.kec.pulo-ampel", "camat.pulo-ampel", True),
    ("camat.pulo-ampel", "camat.anyar", False),
    ("camat.pulo-ampel", "sekda", True),
]


def test_command_subtree_rule(demo_app):
    with demo_app.app_context():
        wrong = [(m, r, want) for m, r, want in SUBTREE_CASES if in_command_subtree(pos(m), pos(r)) is not want]
    assert wrong == []


def test_bupati_reaches_every_opd_head_and_camat(demo_app):
    with demo_app.app_context():
        bupati = pos("bupati")
        heads = db.session.scalars(select(User).where(User.username.like("kadis.%") | User.username.like("camat.%")))
        heads = list(heads)
        assert len(heads) >= 30 + 29
        assert all(is_subordinate(h.position_id, bupati) for h in heads)
        assert command_subtree_ids(bupati) == set(db.session.scalars(select(Position.id)))


def test_camat_reaches_the_desa_of_his_own_kecamatan_only(demo_app):
    with demo_app.app_context():
        camat = pos("camat.pulo-ampel")
        own, other = desa_heads("KEC-PULO-AMPEL"), desa_heads("KEC-ANYAR")
        assert len(own) >= 9 and len(other) >= 9
        assert all(in_command_subtree(p, camat) for p in own)
        assert not any(in_command_subtree(p, camat) for p in other)
        assert all(in_command_subtree(p, pos("camat.anyar")) for p in other)
        subtree = command_subtree_ids(camat)
        assert set(own) <= subtree and not set(other) & subtree


@pytest.mark.parametrize("root", ["bupati", "kadis.dinkes", "camat.pulo-ampel", "kabid3.dishub", "kasi11.dinkes"])
def test_command_subtree_ids_match_the_parent_pointers(demo_app, root):
    with demo_app.app_context():
        root_id = pos(root)
        ids = command_subtree_ids(root_id)
        assert ids == python_subtree(root_id)
        assert root_id in ids
        sample = sorted(ids)[:: max(1, len(ids) // 20)]
        assert all(in_command_subtree(p, root_id) for p in sample)


def test_is_subordinate_is_strict(demo_app):
    with demo_app.app_context():
        kadis, kasi = pos("kadis.dinkes"), pos("kasi11.dinkes")
        assert in_command_subtree(kadis, kadis) is True
        assert is_subordinate(kadis, kadis) is False
        assert is_subordinate(kasi, kadis) is True
        assert is_subordinate(kadis, kasi) is False


def test_chain_of_command_runs_nearest_first_up_to_the_bupati(demo_app):
    with demo_app.app_context():
        chain = [p.id for p in chain_of_command(pos("kasi11.dinkes"))]
        expected = [pos(u) for u in ("kasi11.dinkes", "kabid1.dinkes", "kadis.dinkes", "asisten1", "sekda", "bupati")]
    assert chain == expected


# --------------------------------------------------------------------------------------------- acting (Plt/Plh)

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 6)


@pytest.mark.parametrize(("on", "sees_acting"), [
    (FIRST - timedelta(days=1), False),
    (FIRST, True),
    (FIRST + timedelta(days=2), True),
    (LAST, True),
    (LAST + timedelta(days=1), False),
], ids=["day-before", "first-day", "middle", "last-day", "day-after"])
def test_plh_acts_only_within_the_date_range(demo_app, on, sees_acting):
    with demo_app.app_context():
        kasi, kadis_position = user("kasi11.dinkes"), db.session.get(Position, pos("kadis.dinkes"))
        assign_acting(user("admin"), user=kasi, position=kadis_position, kind="plh", starts_on=FIRST,
                      ends_on=LAST, decree_number="800.1.3/12/DINKES/2026")
        db.session.commit()
        acting = acting_positions(kasi, on)
        assert acting[0].capacity == "definitif" and acting[0].position.id == kasi.position_id
        assert (kadis_position.id in acting_position_ids(kasi, on)) is sees_acting
        labels = [ap.label for ap in acting]
        if sees_acting:
            assert labels == [kasi.position.title, "Plh. " + kadis_position.title]
            assert acting[1].assignment.decree_number == "800.1.3/12/DINKES/2026"
        else:
            assert labels == [kasi.position.title]
        # the definitive holder keeps the position throughout
        assert kadis_position.id in acting_position_ids(user("kadis.dinkes"), on)


def test_plt_label_and_closed_positions(demo_app):
    with demo_app.app_context():
        sekcam, camat_position = user("sekcam.anyar"), db.session.get(Position, pos("camat.anyar"))
        assign_acting(None, user=sekcam, position=camat_position, kind="plt", starts_on=FIRST, ends_on=LAST,
                      decree_number="100.3/7/KEC/2026")
        assert [ap.label for ap in acting_positions(sekcam, FIRST)][1] == "Plt. " + camat_position.title
        camat_position.closed_on = FIRST  # a closed position is no longer acted for
        db.session.flush()
        assert camat_position.id not in acting_position_ids(sekcam, FIRST)


def test_inbox_page_shows_the_acting_position_only_while_it_runs(demo_app):
    today = date.today()
    with demo_app.app_context():
        kasi = user("kasi21.dinsos")
        running = db.session.get(Position, pos("kadis.dinsos"))
        ended = db.session.get(Position, pos("kabid1.dinsos"))
        assign_acting(None, user=kasi, position=running, kind="plh", starts_on=today, ends_on=today,
                      decree_number="SPT/1/2026")
        assign_acting(None, user=kasi, position=ended, kind="plt", starts_on=today - timedelta(days=10),
                      ends_on=today - timedelta(days=1), decree_number="SPT/2/2026")
        db.session.commit()
        running_title, ended_title = running.title, ended.title
    client = demo_app.test_client()
    assert login(client, "kasi21.dinsos").status_code == 302
    html = text(client.get("/"))
    assert running_title in html and "Plh." in html and "SPT/1/2026" in html
    assert ended_title not in html and "SPT/2/2026" not in html


def test_assign_acting_refuses_bad_input_and_changes_nothing(demo_app):
    with demo_app.app_context():
        before = db.session.scalar(select(func.count(ActingAssignment.id)))
        kasi = user("kasi11.dinkes")
        with pytest.raises(ValidationError) as caught:
            assign_acting(None, user=kasi, position=kasi.position, kind="pj", starts_on=LAST, ends_on=FIRST,
                          decree_number=" ")
        assert set(caught.value.errors) == {"kind", "ends_on", "decree_number", "position_id"}
        assert caught.value.errors["ends_on"] == "Tanggal selesai tidak boleh sebelum tanggal mulai."
        with pytest.raises(PermissionDenied):
            assign_acting(user("kadis.dinkes"), user=kasi, position=user("kadis.dinkes").position, kind="plh",
                          starts_on=FIRST, ends_on=LAST, decree_number="X/1")
        assert db.session.scalar(select(func.count(ActingAssignment.id))) == before


# --------------------------------------------------------------------------------------------- create_user

GOOD = dict(username="budi.baru", full_name="Budi Baru, S.Kom.", password="kata-sandi-panjang", role="staf",
            nip="199201012019031002")


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"nip": "199202302019031002"}, "nip", "Tanggal lahir pada NIP (digit 1–8) bukan tanggal yang ada."),
    ({"nip": "1992"}, "nip", "NIP harus terdiri dari 18 angka."),
    ({"username": "BUPATI"}, "username", "Nama pengguna sudah dipakai."),
    ({"username": "budi baru"}, "username",
     "Nama pengguna wajib diisi, tanpa spasi, paling banyak 80 karakter."),
    ({"full_name": "  "}, "full_name", "Nama lengkap wajib diisi."),
    ({"password": "pendek"}, "password", "Kata sandi minimal 10 karakter."),
    ({"role": "raja"}, "role", "Peran tidak dikenal."),
    ({"nip": "SEKDA"}, "nip", None),  # replaced below by the sekda's own NIP: a duplicate
], ids=["impossible-nip", "short-nip", "duplicate-username", "space-in-username", "no-name", "short-password",
        "unknown-role", "duplicate-nip"])
def test_create_user_refuses_bad_input_with_field_errors(demo_app, changes, field, message):
    with demo_app.app_context():
        admin = user("admin")
        if changes.get("nip") == "SEKDA":
            changes, message = {"nip": user("sekda").nip}, "NIP sudah terdaftar pada pengguna lain."
        counts = (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(AuditEvent.id))))
        with pytest.raises(ValidationError) as caught:
            create_user(admin, **{**GOOD, **changes})
        assert caught.value.errors == {field: message}
        db.session.commit()  # even a commit after the refusal must find nothing to write
        assert (db.session.scalar(select(func.count(User.id))),
                db.session.scalar(select(func.count(AuditEvent.id)))) == counts
        assert db.session.scalar(select(User).where(User.username == "budi.baru")) is None


def test_create_user_reports_every_bad_field_at_once(demo_app):
    with demo_app.app_context():
        with pytest.raises(ValidationError) as caught:
            create_user(None, username="", full_name="", password="x", role="?", nip="123")
        assert set(caught.value.errors) == {"username", "full_name", "password", "role", "nip"}


def test_create_user_needs_an_admin_and_audits_success(demo_app):
    with demo_app.app_context():
        with pytest.raises(PermissionDenied) as caught:
            create_user(user("kadis.dinkes"), **GOOD)
        assert caught.value.message == "Hanya admin yang dapat mengelola pengguna dan jabatan."
        created = create_user(user("admin"), **{**GOOD, "username": "  Budi.Baru "},
                              position=db.session.get(Position, pos("kasi11.dinkes")))
        db.session.commit()
        assert created.username == "budi.baru" and created.nip == GOOD["nip"]
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert (last.action, last.object_id, last.actor_id) == ("user.create", str(created.id), user("admin").id)
    client = demo_app.test_client()
    assert login(client, "budi.baru", GOOD["password"]).status_code == 302
