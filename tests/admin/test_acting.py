"""Acting officials (Plt/Plh) from the console: appointment, the acting user's inbox during the dates only,
overlaps refused, ending early, cancelling before the start, current and past lists."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from sisumaker.extensions import db
from sisumaker.models import ActingAssignment
from sisumaker.services import admin_acting
from sisumaker.services.access import viewer_for
from sisumaker.services.errors import ValidationError
from sisumaker.services.inbox import inbox_items
from tests.admin.support import counts, last_event, newest, post, snapshot, user, write
from tests.helpers import text
from tests.letters.support import register, root_item

TODAY = date.today()


def appoint(client, position_id: int, **overrides):
    data = dict(username="sekretaris.dinkes", kind="plt", starts_on=TODAY.isoformat(),
                ends_on=(TODAY + timedelta(days=10)).isoformat(), decree_number="800.1.3/45/BKPSDM/2026")
    data.update(overrides)
    return post(client, f"/admin/jabatan/{position_id}/plt", data, page=f"/admin/jabatan/{position_id}")


def test_acting_user_sees_the_position_inbox_during_its_dates(client_for, ctx):
    entry = register(clerk="tu.dinkes", to=("kadis.dinkes",), perihal="Undangan rapat kerja kesehatan daerah")
    item_id = root_item(entry.letter_id, "kadis.dinkes").id
    kadis_position = user("kadis.dinkes").position_id
    acting = client_for("sekretaris.dinkes")
    assert "Undangan rapat kerja kesehatan daerah" not in text(acting.get("/"))

    response = appoint(client_for("admin"), kadis_position)
    assert response.status_code == 303, text(response)[:2000]
    event = last_event("acting.assign")
    assert event.object_id == str(kadis_position) and "800.1.3/45/BKPSDM/2026" in event.detail
    page = text(acting.get("/"))
    assert "Undangan rapat kerja kesehatan daerah" in page and "Plt." in page
    sekretaris = user("sekretaris.dinkes")
    for day, sees in [(TODAY - timedelta(days=1), False), (TODAY, True), (TODAY + timedelta(days=10), True),
                      (TODAY + timedelta(days=11), False)]:
        items, _ = inbox_items(viewer_for(sekretaris, day), today=day)
        assert (item_id in [i.id for i in items]) is sees, day


@pytest.mark.parametrize("overrides, message", [
    (dict(username="tidak.ada"), "Pengguna tidak ditemukan."),
    (dict(kind="pj"), "Jenis penugasan harus Plt atau Plh."),
    (dict(starts_on="2026-13-01"), "Tanggal tidak valid (gunakan format TTTT-BB-HH)."),
    (dict(ends_on=(TODAY - timedelta(days=1)).isoformat()), "Tanggal selesai tidak boleh sebelum tanggal mulai."),
    (dict(decree_number=" "), "Nomor surat perintah/keputusan penugasan wajib diisi."),
    (dict(username="kadis.dinkes"), "Pengguna sudah memegang jabatan ini secara definitif."),
])
def test_appointment_refusals(client_for, ctx, overrides, message):
    client = client_for("admin")
    before = counts()
    response = appoint(client, user("kadis.dinkes").position_id, **overrides)
    assert response.status_code == 422 and message in text(response)
    assert counts() == before


def test_one_acting_official_per_position_and_day(client_for, ctx):
    client = client_for("admin")
    kadis_position = user("kadis.dinkes").position_id
    assert appoint(client, kadis_position).status_code == 303
    response = appoint(client, kadis_position, username="kabid1.dinkes", kind="plh",
                       starts_on=(TODAY + timedelta(days=10)).isoformat(),
                       ends_on=(TODAY + timedelta(days=12)).isoformat())
    assert response.status_code == 422
    assert "Jabatan ini sudah memiliki Plt. (sekretaris.dinkes)" in text(response)
    # the day after the first one ends is free
    response = appoint(client, kadis_position, username="kabid1.dinkes", kind="plh",
                       starts_on=(TODAY + timedelta(days=11)).isoformat(),
                       ends_on=(TODAY + timedelta(days=12)).isoformat())
    assert response.status_code == 303


def test_disabled_users_and_closed_positions_are_refused(ctx):
    write()
    target = user("kasi11.dinkes")
    target.is_enabled = False
    db.session.commit()
    with pytest.raises(ValidationError) as caught:
        admin_acting.appoint(user("admin"), username="kasi11.dinkes", position_id=user("kadis.dinkes").position_id,
                             kind="plh", starts_on=TODAY, ends_on=TODAY, decree_number="X/1")
    assert caught.value.errors == {"username": "Akun pengguna ini nonaktif."}


def test_end_early_and_cancel(client_for, ctx):
    client = client_for("admin")
    kadis_position = user("kadis.dinkes").position_id
    assert appoint(client, kadis_position).status_code == 303
    running = newest(ActingAssignment)
    for last_day, message in [((TODAY + timedelta(days=10)), "harus sebelum tanggal selesai semula"),
                              ((TODAY - timedelta(days=1)), "tidak boleh sebelum tanggal mulai")]:
        response = post(client, f"/admin/plt/{running.id}/akhiri", {"ends_on": last_day.isoformat()},
                        page="/admin/plt")
        assert response.status_code == 422 and message in text(response)
    response = post(client, f"/admin/plt/{running.id}/batal", {}, page="/admin/plt")
    assert response.status_code == 422 and "Penugasan sudah dimulai" in text(response)
    response = post(client, f"/admin/plt/{running.id}/akhiri", {"ends_on": TODAY.isoformat()}, page="/admin/plt")
    assert response.status_code == 303
    assert snapshot(ActingAssignment, running.id)["ends_on"] == TODAY
    assert '"before": "%s"' % (TODAY + timedelta(days=10)) in last_event("acting.end").detail
    sekretaris = user("sekretaris.dinkes")
    assert kadis_position not in viewer_for(sekretaris, TODAY + timedelta(days=1)).position_ids

    # a future assignment is cancelled (the row goes, the audit keeps it)
    response = appoint(client, kadis_position, username="kabid2.dinkes", kind="plh",
                       starts_on=(TODAY + timedelta(days=20)).isoformat(),
                       ends_on=(TODAY + timedelta(days=21)).isoformat(), decree_number="SPT/77/2026")
    assert response.status_code == 303
    future_id = newest(ActingAssignment).id
    assert post(client, f"/admin/plt/{future_id}/batal", {}, page="/admin/plt").status_code == 303
    db.session.rollback()
    db.session.expunge_all()
    assert db.session.get(ActingAssignment, future_id) is None
    assert "SPT/77/2026" in last_event("acting.cancel").detail


def test_current_and_past_lists(client_for, ctx):
    write()
    from sisumaker.services.org import assign_acting

    assign_acting(None, user=user("kabid1.dinsos"), position=user("kadis.dinsos").position, kind="plh",
                  starts_on=TODAY - timedelta(days=9), ends_on=TODAY - timedelta(days=2), decree_number="SPT/LAMA/1")
    assign_acting(None, user=user("kabid2.dinsos"), position=user("kadis.dinsos").position, kind="plt",
                  starts_on=TODAY, ends_on=TODAY + timedelta(days=30), decree_number="SPT/BARU/2")
    db.session.commit()
    client = client_for("admin")
    current, past = text(client.get("/admin/plt")), text(client.get("/admin/plt?lihat=lalu"))
    assert "SPT/BARU/2" in current and "SPT/LAMA/1" not in current
    assert "SPT/LAMA/1" in past and "SPT/BARU/2" not in past
