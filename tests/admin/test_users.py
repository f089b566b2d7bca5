"""Accounts: create (NIP checked, password shown once), transfer (the inbox stays with the position), password
reset ends old sessions, disabled accounts cannot log in."""
from __future__ import annotations

import re

import pytest
from sisumaker.extensions import db
from sisumaker.models import InboxItem, Position, User
from sisumaker.services import admin_org, admin_users
from sisumaker.services.access import viewer_for
from sisumaker.services.admin_users import NewAccount
from sisumaker.services.errors import ValidationError
from sisumaker.services.inbox import inbox_items
from tests.admin.support import counts, last_event, post, snapshot, unit, user, write
from tests.helpers import login, text
from tests.letters.support import register, root_item

NIP = "198503122010011004"


def account(**overrides) -> dict:
    values = dict(username="kabid4.dinkes", full_name="dr. Rina Marlina, M.Kes.", role="pejabat", nip=NIP,
                  email="rina@serangkab.go.id", position_id="", password="", confirm="")
    values.update(overrides)
    return values


def vacant_position(title="Kepala Bidang 4 Dinas Kesehatan") -> Position:
    write()
    made = admin_org.add_unit(user("admin"), parent_id=unit("DINKES").id, kind="bidang", name="Bidang 4 Dinas "
                              "Kesehatan", code="DINKES-BIDANG4")
    position = admin_org.add_position(user("admin"), unit_id=made.id, title=title, echelon="III.b",
                                      parent_id=user("kadis.dinkes").position_id, is_unit_head=True)
    db.session.commit()
    return position


def test_create_with_generated_password_shown_once(client_for, web_app, ctx):
    position = vacant_position()
    client = client_for("admin")
    response = post(client, "/admin/pengguna/baru", account(position_id=position.id), page="/admin/pengguna/baru")
    assert response.status_code == 200, text(response)[:3000]
    shown = re.search(r"<code>([A-Za-z0-9]{14})</code>", text(response)).group(1)
    db.session.rollback()
    made = user("kabid4.dinkes")
    assert (made.nip, made.position_id, made.role, made.email) == (NIP, position.id, "pejabat", "rina@serangkab.go.id")
    assert shown not in made.password_hash and last_event("user.create").object_id == str(made.id)
    assert shown not in text(client.get(f"/admin/pengguna/{made.id}"))  # shown once only
    fresh = web_app.test_client()
    assert login(fresh, "kabid4.dinkes", shown).status_code == 302


@pytest.mark.parametrize("overrides, message", [
    (dict(nip="19850312201001100"), "NIP harus terdiri dari 18 angka."),
    (dict(nip="198513122010011004"), "Tanggal lahir pada NIP (digit 1–8) bukan tanggal yang ada."),
    (dict(nip="198503122010013004"), "Digit ke-15 NIP (jenis kelamin) harus 1 (laki-laki) atau 2 (perempuan)."),
    (dict(username="kadis.dinkes"), "Nama pengguna sudah dipakai."),
    (dict(username="nama dengan spasi"), "Nama pengguna wajib diisi, tanpa spasi, paling banyak 80 karakter."),
    (dict(full_name=""), "Nama lengkap wajib diisi."),
    (dict(role="raja"), "Peran tidak dikenal."),
    (dict(email="bukan-surel"), "Alamat surel tidak valid."),
    (dict(password="pendek", confirm="pendek"), "Kata sandi minimal 10 karakter."),
    (dict(password="cukup-panjang-1", confirm="lain-sekali-22"), "Konfirmasi kata sandi tidak sama."),
    (dict(position_id="kadis"), "Pilih jabatan yang ada."),
    (dict(position_id="kadis.dinkes"), "Jabatan struktural ini masih dipegang oleh kadis.dinkes"),
])
def test_create_refusals_change_nothing(client_for, ctx, overrides, message):
    overrides = dict(overrides)  # the parameter is shared by both databases' runs
    if overrides.get("position_id") == "kadis.dinkes":
        overrides["position_id"] = user("kadis.dinkes").position_id
    elif overrides.get("position_id") == "kadis":
        overrides["position_id"] = ""
    client = client_for("admin")
    before = counts()
    response = post(client, "/admin/pengguna/baru", account(**overrides), page="/admin/pengguna/baru")
    assert response.status_code == 422
    assert message in text(response)
    db.session.rollback()
    assert counts() == before


def test_staff_positions_take_several_holders(ctx):
    staff = user("staf.umum").position
    write()
    made, generated = admin_users.create_account(user("admin"), NewAccount(
        username="staf2.umum", full_name="Budi Santoso", role="staf", position_id=staff.id, password="rahasia-sekali"))
    db.session.commit()
    assert generated is None and made.position_id == staff.id
    assert sorted(u.username for u in staff.holders) == ["staf.umum", "staf2.umum"]


def test_transfer_leaves_the_old_inbox_with_the_position(client_for, ctx):
    """Mutasi: kabid1.dinkes moves to a new post. The letter addressed to the old post stays there; the move is a
    privilege change, so the official's open session ends; signed in again he sees the new post's (empty) inbox;
    whoever takes the old post sees the old letter."""
    entry = register(clerk="tu.dinkes", to=("kabid1.dinkes",), perihal="Permohonan data imunisasi triwulan III")
    moved = user("kabid1.dinkes")
    old_position = moved.position_id
    item_id = root_item(entry.letter_id, "kabid1.dinkes").id
    new_position = vacant_position()
    official = client_for("kabid1.dinkes")  # logged in before the transfer
    assert "Permohonan data imunisasi triwulan III" in text(official.get("/"))

    response = post(client_for("admin"), f"/admin/pengguna/{moved.id}/jabatan", {"position_id": new_position.id},
                    page=f"/admin/pengguna/{moved.id}")
    assert response.status_code == 303
    db.session.rollback()
    assert user("kabid1.dinkes").position_id == new_position.id
    assert db.session.get(InboxItem, item_id).position_id == old_position  # the mailbox stayed
    assert viewer_for(user("kabid1.dinkes")).position_ids == {new_position.id}
    assert inbox_items(viewer_for(user("kabid1.dinkes")))[0] == []
    assert official.get("/").status_code == 302  # the session of the old post ended with the move
    assert login(official, "kabid1.dinkes").status_code == 302
    page = text(official.get("/"))  # signed in again: the new position's inbox
    assert "Permohonan data imunisasi triwulan III" not in page and new_position.title in page
    assert official.get(f"/surat/{entry.letter_id}").status_code == 404
    event = last_event("user.assign")
    assert event.object_id == str(moved.id) and f'"from": {old_position}' in event.detail

    # the successor takes the old post and finds the letter waiting
    successor = user("kasi12.dinkes")
    response = post(client_for("admin"), f"/admin/pengguna/{successor.id}/jabatan", {"position_id": old_position},
                    page=f"/admin/pengguna/{successor.id}")
    assert response.status_code == 303
    db.session.rollback()
    items, _ = inbox_items(viewer_for(user("kasi12.dinkes")))
    assert [i.id for i in items] == [item_id]
    assert "Permohonan data imunisasi triwulan III" in text(client_for("kasi12.dinkes").get("/"))


def test_transfer_refusals(ctx):
    moved = user("kabid1.dinkes")
    for target, message in [(user("kabid2.dinkes").position_id, "masih dipegang oleh kabid2.dinkes"),
                            (moved.position_id, "Pengguna sudah memegang jabatan itu."), (None, "Pilih jabatan")]:
        with pytest.raises(ValidationError) as caught:
            admin_users.assign_position(user("admin"), moved, target)
        assert message in caught.value.errors["position_id"]
        db.session.rollback()
    assert user("kabid1.dinkes").position_id == moved.position_id


def test_position_search_without_javascript(client_for, ctx):
    target = user("kasi11.dinkes")
    response = post(client_for("admin"), f"/admin/pengguna/{target.id}/jabatan", {"action": "cari",
                                                                                  "cari": "seksi 2.1 kesehatan"},
                    page=f"/admin/pengguna/{target.id}")
    assert response.status_code == 200
    assert f'value="{user("kasi21.dinkes").position_id}"' in text(response)


def test_password_reset_ends_old_sessions(client_for, web_app, ctx):
    target = user("kasi11.dinkes")
    old_session = client_for("kasi11.dinkes")
    assert old_session.get("/").status_code == 200
    version = target.session_version
    admin = client_for("admin")
    response = post(admin, f"/admin/pengguna/{target.id}/sandi", {"password": "pendek", "confirm": "pendek"},
                    page=f"/admin/pengguna/{target.id}")
    assert response.status_code == 422 and "Kata sandi minimal 10 karakter." in text(response)
    assert snapshot(User, target.id)["session_version"] == version
    response = post(admin, f"/admin/pengguna/{target.id}/sandi", {"password": "", "confirm": ""},
                    page=f"/admin/pengguna/{target.id}")
    assert response.status_code == 200
    temporary = re.search(r"<code>([A-Za-z0-9]{14})</code>", text(response)).group(1)
    assert snapshot(User, target.id)["session_version"] == version + 1
    assert old_session.get("/").status_code == 302  # the old session ended
    assert last_event("user.password").object_id == str(target.id)
    fresh = web_app.test_client()
    assert login(fresh, "kasi11.dinkes").status_code == 401  # the demo password no longer works
    assert login(fresh, "kasi11.dinkes", temporary).status_code == 302
    # an admin-chosen password by the same rule
    response = post(admin, f"/admin/pengguna/{target.id}/sandi", {"password": "Sandi-Baru-2026", "confirm":
                                                                  "Sandi-Baru-2026"}, page=f"/admin/pengguna/{target.id}")
    assert response.status_code == 303
    assert fresh.get("/").status_code == 302
    assert login(web_app.test_client(), "kasi11.dinkes", "Sandi-Baru-2026").status_code == 302


def test_disabled_user_cannot_log_in_and_sessions_end(client_for, web_app, ctx):
    target = user("kasi11.dinkes")
    session = client_for("kasi11.dinkes")
    assert session.get("/").status_code == 200
    admin = client_for("admin")
    response = post(admin, f"/admin/pengguna/{target.id}/status", {"enable": "0"}, page=f"/admin/pengguna/{target.id}")
    assert response.status_code == 303
    assert session.get("/").status_code == 302
    refused = login(web_app.test_client(), "kasi11.dinkes")
    assert refused.status_code == 401 and "Akun Anda dinonaktifkan. Hubungi admin Diskominfo." in text(refused)
    assert last_event("user.disable").object_id == str(target.id)
    response = post(admin, f"/admin/pengguna/{target.id}/status", {"enable": "1"}, page=f"/admin/pengguna/{target.id}")
    assert response.status_code == 303 and last_event("user.enable")
    assert login(web_app.test_client(), "kasi11.dinkes").status_code == 302


def test_admin_cannot_disable_themselves(client_for, ctx):
    admin = user("admin")
    response = post(client_for("admin"), f"/admin/pengguna/{admin.id}/status", {"enable": "0"},
                    page=f"/admin/pengguna/{admin.id}")
    assert response.status_code == 422 and "Anda tidak dapat menonaktifkan akun Anda sendiri." in text(response)
    assert snapshot(User, admin.id)["is_enabled"] is True


def test_user_list_search_and_fragment(client_for, ctx):
    client = client_for("admin")
    page = text(client.get("/admin/pengguna?q=kasi11.dinkes"))
    assert "kasi11.dinkes" in page and "kasi12.dinkes" not in page
    nip = user("kasi11.dinkes").nip
    assert "kasi11.dinkes" in text(client.get(f"/admin/pengguna?q={nip}"))
    fragment = client.get("/admin/pengguna?q=dinkes", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and text(fragment).startswith('<div id="daftar-pengguna">')
    assert "Berikutnya" in text(client.get("/admin/pengguna"))  # ~1,000 accounts: paginated
    second = text(client.get("/admin/pengguna?hal=2"))
    assert "Sebelumnya" in second
