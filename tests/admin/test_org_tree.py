"""Units and positions: add, rename, move (no cycles), close (only when empty and without unfinished mail)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from sisumaker.extensions import db
from sisumaker.models import Position, Unit
from sisumaker.services import admin_org
from sisumaker.services.errors import PermissionDenied, ValidationError
from sisumaker.services.org import assign_acting
from tests.admin.support import counts, last_event, post, snapshot, unit, user, write
from tests.helpers import text
from tests.letters.support import register, root_item


def refused(call, *args, **kwargs) -> dict[str, str]:
    """Run a service call that must be refused; return its messages and check nothing was written."""
    before = counts()
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    db.session.rollback()
    assert counts() == before
    return caught.value.errors


def new_unit(code="DINKES-BIDANG4", parent="DINKES", kind="bidang") -> Unit:
    write()
    made = admin_org.add_unit(user("admin"), parent_id=unit(parent).id, kind=kind, name=f"Bidang Baru {code}",
                              code=code)
    db.session.commit()
    return made


def test_add_unit_is_audited(ctx):
    made = new_unit("dinkes-bidang4")
    assert (made.code, made.parent.code, made.kind) == ("DINKES-BIDANG4", "DINKES", "bidang")
    event = last_event("unit.create")
    assert event.object_id == str(made.id) and event.actor_id == user("admin").id
    assert '"parent": "DINKES"' in event.detail


@pytest.mark.parametrize("kwargs, field, message", [
    (dict(code="DINKES"), "code", "Kode unit sudah dipakai unit lain."),
    (dict(code="bad code!"), "code", "Kode unit wajib diisi"),
    (dict(name=" "), "name", "Nama unit wajib diisi"),
    (dict(kind="kerajaan"), "kind", "Jenis unit tidak dikenal."),
    (dict(parent="DINKES-SEKSI11"), "parent_id", "Seksi tidak dapat membawahi unit lain."),
])
def test_add_unit_refusals(ctx, kwargs, field, message):
    kwargs = dict(kwargs)  # the parameter is shared by both databases' runs
    values = dict(parent_id=unit(kwargs.pop("parent", "DINKES")).id, kind="bidang", name="Bidang Baru",
                  code="DINKES-BIDANG9")
    values.update(kwargs)
    errors = refused(admin_org.add_unit, user("admin"), **values)
    assert errors[field].startswith(message)


def test_only_admins_change_the_tree(ctx):
    with pytest.raises(PermissionDenied):
        admin_org.add_unit(user("kadis.dinkes"), parent_id=unit("DINKES").id, kind="bidang", name="X", code="X-1")
    with pytest.raises(PermissionDenied):
        admin_org.close_position(user("sekda"), db.session.get(Position, user("kasi11.dinkes").position_id))


def test_rename_unit_keeps_codes_unique(ctx):
    target = unit("DINKES-BIDANG1")
    errors = refused(admin_org.rename_unit, user("admin"), target, name="Bidang Kesehatan Masyarakat",
                     code="DINKES-BIDANG2")
    assert errors == {"code": "Kode unit sudah dipakai unit lain."}
    write()
    admin_org.rename_unit(user("admin"), target, name="Bidang Kesehatan Masyarakat", code="DINKES-KESMAS")
    db.session.commit()
    assert (unit("DINKES-KESMAS").name, unit("DINKES-KESMAS").id) == ("Bidang Kesehatan Masyarakat", target.id)
    assert '"before": {"code": "DINKES-BIDANG1"' in last_event("unit.rename").detail


@pytest.mark.parametrize("target, new_parent, message", [
    ("DINKES", "DINKES", "Unit tidak dapat dipindahkan ke bawah dirinya sendiri atau unit bawahannya."),
    ("DINKES", "DINKES-BIDANG1", "Unit tidak dapat dipindahkan ke bawah dirinya sendiri atau unit bawahannya."),
    ("SETDA", "BAG-UMUM", "Unit tidak dapat dipindahkan ke bawah dirinya sendiri atau unit bawahannya."),
    ("DINKES-BIDANG1", "DINKES", "Unit sudah berada di bawah unit induk itu."),
    ("DINKES-BIDANG1", "DINKES-SEKSI21", "Seksi tidak dapat membawahi unit lain."),
])
def test_move_unit_refuses_cycles(ctx, target, new_parent, message):
    errors = refused(admin_org.move_unit, user("admin"), unit(target), unit(new_parent).id)
    assert errors["parent_id"] == message


def test_root_cannot_move_and_a_unit_moves_with_its_subtree(ctx):
    assert refused(admin_org.move_unit, user("admin"), unit("PEMKAB"), unit("SETDA").id) == {
        "": "Unit puncak (pemerintah kabupaten) tidak dapat dipindahkan."}
    write()
    admin_org.move_unit(user("admin"), unit("DINKES-BIDANG1"), unit("DINSOS").id)
    db.session.commit()
    assert unit("DINKES-BIDANG1").parent.code == "DINSOS"
    assert unit("DINKES-SEKSI11").parent.code == "DINKES-BIDANG1"  # the subtree came along
    assert last_event("unit.move").detail == '{"from": "DINKES", "to": "DINSOS"}'


def test_close_unit_refused_while_it_has_children_or_holders(ctx):
    errors = refused(admin_org.close_unit, user("admin"), unit("DINKES-BIDANG1"))
    assert "2 unit bawahan masih terbuka" in errors[""]
    errors = refused(admin_org.close_unit, user("admin"), unit("DINKES-SEKSI11"))
    assert "masih dipegang oleh kasi11.dinkes" in errors[""]
    assert refused(admin_org.close_unit, user("admin"), unit("PEMKAB"))[""].startswith("Unit belum dapat ditutup")


def test_close_empty_unit_closes_its_empty_positions(ctx):
    made = new_unit()
    write()
    head = admin_org.add_position(user("admin"), unit_id=made.id, title="Kepala Bidang 4", echelon="III.b",
                                  parent_id=user("kadis.dinkes").position_id, is_unit_head=True)
    staff = admin_org.add_position(user("admin"), unit_id=made.id, title="Analis Bidang 4", parent_id=head.id)
    db.session.commit()
    write()
    assert admin_org.close_unit(user("admin"), made) == 2
    db.session.commit()
    assert made.closed_on == date.today() and head.closed_on == staff.closed_on == date.today()
    assert last_event("unit.close").object_id == str(made.id)
    # a closed unit is no longer offered as a parent nor accepts positions
    assert made not in admin_org.parent_choices()
    assert "unit_id" in refused(admin_org.add_position, user("admin"), unit_id=made.id, title="X",
                                parent_id=head.parent_id)


def test_add_position_rules(ctx):
    bidang = unit("DINKES-BIDANG1")
    kadis = user("kadis.dinkes").position_id
    assert refused(admin_org.add_position, user("admin"), unit_id=bidang.id, title="Kepala Bidang Kedua",
                   parent_id=kadis, is_unit_head=True) == {
        "is_unit_head": "Unit ini sudah memiliki jabatan kepala yang aktif."}
    assert refused(admin_org.add_position, user("admin"), unit_id=bidang.id, title="", parent_id=None,
                   echelon="V.z") == {"title": "Nama jabatan wajib diisi, paling banyak 250 karakter.",
                                      "echelon": "Eselon tidak dikenal.",
                                      "parent_id": "Pilih jabatan atasan (rantai komando)."}
    write()
    made = admin_org.add_position(user("admin"), unit_id=bidang.id, title="Penelaah Teknis Kebijakan",
                                  parent_id=user("kabid1.dinkes").position_id)
    db.session.commit()
    assert made.parent_id == user("kabid1.dinkes").position_id and last_event("position.create")


def test_rename_and_move_position(ctx):
    kasi = db.session.get(Position, user("kasi11.dinkes").position_id)
    assert refused(admin_org.rename_position, user("admin"), kasi, "  ") == {
        "title": "Nama jabatan wajib diisi, paling banyak 250 karakter."}
    # the atasan cannot be the position itself or one of its bawahan (a cycle in the command tree)
    kabid = db.session.get(Position, user("kabid1.dinkes").position_id)
    assert refused(admin_org.move_position, user("admin"), kabid, unit_id=None, parent_id=kasi.id) == {
        "parent_id": "Atasan tidak boleh jabatan itu sendiri atau salah satu bawahannya."}
    # a second head in a unit is refused
    assert refused(admin_org.move_position, user("admin"), kasi, unit_id=unit("DINKES-SEKSI12").id,
                   parent_id=None) == {"is_unit_head": "Unit ini sudah memiliki jabatan kepala yang aktif."}
    team = new_unit("DINKES-TIM1", parent="DINKES-BIDANG2", kind="tim")
    write()
    admin_org.rename_position(user("admin"), kasi, "Ketua Tim Kerja Surveilans")
    admin_org.move_position(user("admin"), kasi, unit_id=team.id, parent_id=user("kabid2.dinkes").position_id)
    db.session.commit()
    assert (kasi.title, kasi.unit.code, kasi.parent_id) == ("Ketua Tim Kerja Surveilans", "DINKES-TIM1",
                                                            user("kabid2.dinkes").position_id)
    assert user("kasi11.dinkes").position_id == kasi.id  # the holder and the inbox move with the position


def test_close_position_blockers(ctx):
    kasi_user = user("kasi11.dinkes")
    kasi = db.session.get(Position, kasi_user.position_id)
    assert "masih dipegang oleh kasi11.dinkes" in refused(admin_org.close_position, user("admin"), kasi)[""]
    kabid = db.session.get(Position, user("kabid1.dinkes").position_id)
    assert "2 jabatan bawahan masih melapor kepadanya" in refused(admin_org.close_position, user("admin"), kabid)[""]
    # an empty position with unfinished mail, or with a Plt coming, stays open
    write()
    empty = admin_org.add_position(user("admin"), unit_id=kasi.unit_id, title="Analis Surveilans",
                                   parent_id=kasi.id)
    db.session.commit()
    entry = register(clerk="tu.dinkes", to=("kasi11.dinkes",), perihal="Laporan surveilans")
    item = root_item(entry.letter_id, "kasi11.dinkes")
    write()
    item.position_id = empty.id  # as if the letter had been addressed to the empty post
    db.session.commit()
    assert "1 surat/disposisi di kotak masuknya belum selesai" in refused(
        admin_org.close_position, user("admin"), empty)[""]
    write()
    item.status = "selesai"
    assign_acting(None, user=user("kasi12.dinkes"), position=empty, kind="plh",
                  starts_on=date.today() + timedelta(days=3), ends_on=date.today() + timedelta(days=5),
                  decree_number="SPT/9/2026")
    db.session.commit()
    assert "penugasan Plt/Plh yang berjalan atau akan datang" in refused(
        admin_org.close_position, user("admin"), empty)[""]
    # a finished assignment and finished mail no longer block
    assert admin_org.position_blockers(empty, today=date.today() + timedelta(days=6)) == []


def test_close_position_via_route(client_for, ctx):
    write()
    made = admin_org.add_position(user("admin"), unit_id=unit("DINKES-BIDANG1").id, title="Analis Kosong",
                                  parent_id=user("kabid1.dinkes").position_id)
    db.session.commit()
    client = client_for("admin")
    held = user("kasi11.dinkes").position_id
    before = snapshot(Position, held)
    response = post(client, f"/admin/jabatan/{held}/tutup", {}, page=f"/admin/jabatan/{held}")
    assert response.status_code == 422
    assert "Jabatan belum dapat ditutup: masih dipegang oleh kasi11.dinkes" in text(response)
    assert snapshot(Position, held) == before
    response = post(client, f"/admin/jabatan/{made.id}/tutup", {}, page=f"/admin/jabatan/{made.id}")
    assert response.status_code == 303
    assert snapshot(Position, made.id)["closed_on"] == date.today()


def test_unit_routes_show_messages_and_change_nothing(client_for, ctx):
    client = client_for("admin")
    dinkes = unit("DINKES").id
    before = counts()
    response = post(client, f"/admin/unit/{dinkes}/anak", {"kind": "bidang", "name": "Bidang X", "code": "DINKES"},
                    page=f"/admin/unit/{dinkes}")
    assert response.status_code == 422 and "Kode unit sudah dipakai unit lain." in text(response)
    response = post(client, f"/admin/unit/{dinkes}/pindah", {"parent_id": unit("DINKES-BIDANG2").id},
                    page=f"/admin/unit/{dinkes}")
    assert response.status_code == 422
    assert "Unit tidak dapat dipindahkan ke bawah dirinya sendiri atau unit bawahannya." in text(response)
    db.session.rollback()
    assert counts() == before
    response = post(client, f"/admin/unit/{dinkes}/anak", {"kind": "bidang", "name": "Bidang Farmasi",
                                                            "code": "DINKES-FARMASI"}, page=f"/admin/unit/{dinkes}")
    assert response.status_code == 303
    db.session.rollback()
    assert unit("DINKES-FARMASI").parent_id == dinkes
    page = text(client.get(f"/admin/unit/{dinkes}"))
    assert "Bidang Farmasi" in page
