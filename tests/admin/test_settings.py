"""Number patterns (checked by the numbering's own rule, used by the numbering) and recipient groups (expanded
by the delivery's own rule)."""
from __future__ import annotations

from datetime import date

import pytest

from sisumaker.extensions import db
from sisumaker.models import NumberPattern, RecipientGroup, RecipientGroupMember
from sisumaker.services import admin_config
from sisumaker.services.delivery import group_units
from sisumaker.services.numbering import assign_number
from tests.admin.support import counts, last_event, newest, post, snapshot, unit, user, write
from tests.helpers import text


def pattern_form(**overrides) -> dict:
    data = dict(jenis="surat_dinas", unit_id=str(unit("BKPSDM").id), pattern="{klasifikasi}/{nomor}/{unit}/{tahun}")
    data.update(overrides)
    return data


def test_pattern_is_created_and_used_by_the_numbering(client_for, ctx):
    client = client_for("admin")
    response = post(client, "/admin/pola/baru", pattern_form(pattern="{nomor}/{klasifikasi}/{unit}/{bulan_romawi}/{tahun}"),
                    page="/admin/pola")
    assert response.status_code == 303, text(response)[:2000]
    made = newest(NumberPattern)
    assert (made.jenis, made.unit.code, made.legal) == ("surat_dinas", "BKPSDM", False)
    assert last_event("pattern.create").object_id == str(made.id)
    on = date(2026, 3, 9)
    write()
    assert assign_number("surat_dinas", unit("BKPSDM"), "800", on) == "1/800/BKPSDM/III/2026"
    assert assign_number("surat_dinas", unit("DINKES"), "800", on) == "800/1/DINKES/2026"  # the general one
    db.session.rollback()
    # the edited pattern is the one the numbering uses from now on (same row, same sequence)
    response = post(client, f"/admin/pola/{made.id}", pattern_form(pattern="{klasifikasi}/{nomor}/BKPSDM-SET/{tahun}"),
                    page=f"/admin/pola/{made.id}")
    assert response.status_code == 303
    db.session.rollback()  # forget the pattern as loaded before the edit
    write()
    assert assign_number("surat_dinas", unit("BKPSDM"), "800", on) == "800/1/BKPSDM-SET/2026"
    db.session.rollback()
    assert '"before"' in last_event("pattern.update").detail
    assert "800/123/BKPSDM-SET/" in text(client.get("/admin/pola"))  # the example shown


@pytest.mark.parametrize("overrides, message", [
    (dict(pattern="{klasifikasi}/{unit}/{tahun}"), "Pola nomor harus memuat {nomor}."),
    (dict(pattern="{nomor}/{unit"), "Pola nomor memuat kurung kurawal yang tidak berpasangan."),
    (dict(pattern="{nomor}/{kode_rahasia}"), "Penanda tidak dikenal: kode_rahasia."),
    (dict(jenis="surat_cinta"), "Jenis naskah tidak dikenal."),
    (dict(unit_id="DINKES-SEKSI11"), "pola untuk unit ini tidak akan pernah dipakai."),
    (dict(jenis="", unit_id=""), "Sudah ada pola untuk jenis naskah dan unit ini; ubah pola yang ada."),
    (dict(jenis="nota_dinas", unit_id=""), "Sudah ada pola untuk jenis naskah dan unit ini; ubah pola yang ada."),
])
def test_pattern_refusals(client_for, ctx, overrides, message):
    overrides = dict(overrides)  # the parameter is shared by both databases' runs
    if overrides.get("unit_id") == "DINKES-SEKSI11":
        overrides["unit_id"] = str(unit("DINKES-SEKSI11").id)
    client = client_for("admin")
    before = counts()
    response = post(client, "/admin/pola/baru", pattern_form(**overrides), page="/admin/pola")
    assert response.status_code == 422 and message in text(response)
    assert counts() == before


def test_editing_a_pattern_into_a_bad_one_changes_nothing(client_for, ctx):
    client = client_for("admin")
    general = next(p for p in admin_config.patterns(user("admin")) if p.jenis is None)
    before = snapshot(NumberPattern, general.id)
    response = post(client, f"/admin/pola/{general.id}", pattern_form(jenis="", unit_id="", pattern="{unit}/{tahun}"),
                    page=f"/admin/pola/{general.id}")
    assert response.status_code == 422 and "Pola nomor harus memuat {nomor}." in text(response)
    assert snapshot(NumberPattern, general.id) == before


def test_group_is_created_edited_and_expanded_by_delivery(client_for, ctx):
    client = client_for("admin")
    members = [unit("DINKES").id, unit("DINSOS").id, unit("KEC-ANYAR").id]
    response = post(client, "/admin/grup/baru", {"name": "OPD Bidang Sosial", "unit_ids": members},
                    page="/admin/grup/baru")
    assert response.status_code == 303, text(response)[:2000]
    group = newest(RecipientGroup)
    group_id = group.id
    assert sorted(m.unit_id for m in group.members) == sorted(members)
    assert group_units([f"grup-{group_id}"]) == sorted(members)
    assert last_event("group.create").object_id == str(group_id)
    response = post(client, f"/admin/grup/{group_id}", {"name": "OPD Sosial", "unit_ids": members[:1]},
                    page=f"/admin/grup/{group_id}")
    assert response.status_code == 303
    db.session.rollback()
    db.session.expunge_all()
    assert db.session.get(RecipientGroup, group_id).name == "OPD Sosial"
    assert group_units([f"grup-{group_id}"]) == members[:1]
    assert '"before": {"name": "OPD Bidang Sosial"' in last_event("group.update").detail
    assert "OPD Sosial" in text(client.get("/admin/grup"))


def test_group_refusals(client_for, ctx):
    client = client_for("admin")
    write()
    admin_config.save_group(user("admin"), "Kecamatan Pesisir", (unit("KEC-ANYAR").id,))
    db.session.commit()
    cases = [
        ({"name": "", "unit_ids": [unit("DINKES").id]}, "Nama grup wajib diisi"),
        ({"name": "kecamatan pesisir", "unit_ids": [unit("DINKES").id]}, "Nama grup sudah dipakai."),
        ({"name": "Grup Kosong"}, "Pilih minimal satu unit penerima."),
        ({"name": "Grup Aneh", "unit_ids": ["999999"]}, "Ada unit yang tidak ada atau sudah ditutup."),
    ]
    for data, message in cases:
        before = counts()
        response = post(client, "/admin/grup/baru", data, page="/admin/grup/baru")
        assert response.status_code == 422 and message in text(response), message
        assert counts() == before
    # a member without an open head position could never receive a broadcast
    write()
    from sisumaker.services import admin_org

    bare = admin_org.add_unit(user("admin"), parent_id=unit("KEC-ANYAR").id, kind="desa", name="Desa Baru",
                              code="DES-ANYAR-BARU")
    db.session.commit()
    before = counts()
    response = post(client, "/admin/grup/baru", {"name": "Desa baru", "unit_ids": [bare.id]}, page="/admin/grup/baru")
    assert response.status_code == 422 and "tidak memiliki jabatan kepala yang aktif" in text(response)
    assert counts() == before
    assert db.session.query(RecipientGroupMember).count() == 1
