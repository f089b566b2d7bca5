"""Working days (services.calendar) across weekends, national holidays and cuti bersama; dispositions with a
deadline in working days; the inbox's 'tenggat dekat' and overdue marks; the admin's holiday page."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import AuditEvent, Holiday, InboxItem
from sisumaker.services import calendar
from sisumaker.services.dispositions import DispositionInput, dispose_letter, tracking_trees
from sisumaker.services.errors import PermissionDenied, ValidationError
from sisumaker.services.inbox import inbox_counts
from tests.helpers import csrf_token, text
from tests.letters.support import pos, register, root_item, user, viewer


def test_the_2026_skb_is_seeded(ctx):
    days = {h.day: h.kind for h in db.session.scalars(select(Holiday))}
    assert len(days) == 25  # 17 libur nasional + 8 cuti bersama
    assert sum(k == "cuti_bersama" for k in days.values()) == 8
    assert days[date(2026, 3, 21)] == "libur_nasional" and days[date(2026, 3, 23)] == "cuti_bersama"


@pytest.mark.parametrize("start, n, expected", [
    (date(2026, 1, 9), 1, date(2026, 1, 12)),     # Friday + 1 -> Monday (weekend)
    (date(2026, 1, 15), 1, date(2026, 1, 19)),    # Thursday + 1: Isra Mikraj Friday, weekend -> Monday
    (date(2026, 3, 17), 1, date(2026, 3, 25)),    # Idul Fitri: 18 cuti, 19 Nyepi, 20 cuti, 21-22, 23-24 cuti
    (date(2026, 3, 16), 3, date(2026, 3, 26)),
    (date(2026, 2, 13), 1, date(2026, 2, 18)),    # Imlek: 16 cuti bersama, 17 libur
    (date(2026, 5, 13), 2, date(2026, 5, 19)),    # 14 Kenaikan, 15 cuti, weekend, 18 Mon, 19 Tue
    (date(2026, 3, 21), 0, date(2026, 3, 25)),    # zero from a day off: the next working day
    (date(2026, 3, 25), 0, date(2026, 3, 25)),
    (date(2026, 12, 23), 1, date(2026, 12, 28)),  # 24 cuti, 25 Natal, weekend
])
def test_add_working_days(ctx, start, n, expected):
    assert calendar.add_working_days(start, n) == expected


def test_working_days_between_and_is_working_day(ctx):
    assert calendar.working_days_between(date(2026, 3, 13), date(2026, 3, 31)) == 7  # 16,17,25,26,27,30,31
    assert calendar.working_days_between(date(2026, 3, 31), date(2026, 3, 13)) == -7
    assert calendar.working_days_between(date(2026, 1, 5), date(2026, 1, 12)) == 5
    assert not calendar.is_working_day(date(2026, 8, 17)) and not calendar.is_working_day(date(2026, 8, 15))
    assert calendar.is_working_day(date(2026, 8, 18))
    # March 2026: 22 weekdays minus 7 weekday holidays (16 Feb not in March; 18,19,20,23,24 + none else) = 17
    assert sum(calendar.is_working_day(date(2026, 3, d)) for d in range(1, 32)) == 17


def test_overdue_cutoff_moves_a_deadline_on_a_day_off_to_the_next_working_day(ctx):
    # a deadline on Saturday 21 March (Idul Fitri) is due on Wednesday 25 March: not overdue on the 25th
    assert calendar.overdue_cutoff(date(2026, 3, 25)) == date(2026, 3, 17)
    assert calendar.overdue_cutoff(date(2026, 3, 26)) == date(2026, 3, 25)


def test_an_admin_edits_the_calendar_and_deadlines_follow(ctx):
    admin = user("admin")
    assert calendar.add_working_days(date(2026, 11, 26), 1) == date(2026, 11, 27)
    calendar.add_holiday(admin, date(2026, 11, 27), "Hari Jadi Kabupaten", "libur_nasional")
    db.session.commit()
    assert calendar.add_working_days(date(2026, 11, 26), 1) == date(2026, 11, 30)
    with pytest.raises(ValidationError):
        calendar.add_holiday(admin, date(2026, 11, 27), "Lagi", "libur_nasional")
    with pytest.raises(ValidationError) as caught:
        calendar.add_holiday(admin, date(2026, 11, 28), "", "libur")
    assert set(caught.value.errors) == {"name", "kind"}
    with pytest.raises(PermissionDenied):
        calendar.add_holiday(user("sekda"), date(2026, 11, 20), "Libur", "cuti_bersama")
    calendar.remove_holiday(admin, date(2026, 11, 27))
    db.session.commit()
    assert calendar.add_working_days(date(2026, 11, 26), 1) == date(2026, 11, 27)
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "holiday")))
    assert actions == ["holiday.add", "holiday.remove"]


def test_a_disposition_deadline_in_working_days(ctx):
    entry = register("tu.setda")
    item = root_item(entry.letter_id, "bupati")
    begin_write()
    data = DispositionInput((pos("kadis.dinkes"),), ("Untuk ditindaklanjuti",), deadline_working_days=3)
    [child] = dispose_letter(viewer("bupati"), item.id, data, today=date(2026, 3, 17))
    db.session.commit()
    assert child.deadline == date(2026, 3, 27)  # 25, 26, 27 March: the Lebaran holidays are skipped
    detail = db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "letter.dispose"))
    assert '"deadline_working_days": 3' in detail and "2026-03-27" in detail
    for bad in (DispositionInput((pos("sekda"),), ("Pelajari",), deadline_working_days=0),
                DispositionInput((pos("sekda"),), ("Pelajari",), deadline_working_days=2,
                                 deadline=date(2026, 3, 30))):
        with pytest.raises(ValidationError) as caught:
            dispose_letter(viewer("bupati"), item.id, bad, today=date(2026, 3, 17))
        assert "deadline" in caught.value.errors
        db.session.rollback()


def test_tenggat_dekat_and_overdue_honour_the_calendar(ctx):
    entry = register("tu.setda")
    item = root_item(entry.letter_id, "bupati")
    # Deadline Wednesday 25 March; on Tuesday 17 March that is 1 working day away: tenggat dekat.
    begin_write()
    dispose_letter(viewer("bupati"), item.id, DispositionInput((pos("kadis.dinkes"),), ("Pelajari",),
                                                               deadline=date(2026, 3, 25)), today=date(2026, 3, 17))
    db.session.commit()
    v = viewer("kadis.dinkes")
    assert inbox_counts(v, today=date(2026, 3, 17))["tenggat"] == 1
    # Three calendar days before would have said so too; in working days 10 March is 6 away: not yet near.
    assert inbox_counts(v, today=date(2026, 3, 10))["tenggat"] == 0
    trees = tracking_trees(viewer("bupati"), entry.letter_id, today=date(2026, 3, 25))
    assert not trees[0].children[0].overdue
    trees = tracking_trees(viewer("bupati"), entry.letter_id, today=date(2026, 3, 26))
    assert trees[0].children[0].overdue


def test_the_holiday_page_is_for_admins_and_changes_are_audited(client_for, ctx):
    admin = client_for("admin")
    page = admin.get("/admin/hari-libur?tahun=2026")
    assert page.status_code == 200 and "Idulfitri 1447 Hijriah" in text(page)
    assert client_for("sekda").get("/admin/hari-libur").status_code == 403
    token = csrf_token(admin, "/admin/hari-libur")
    bad = admin.post("/admin/hari-libur", data={"csrf_token": token, "day": "2026-13-01", "name": "X",
                                                "kind": "cuti_bersama"})
    assert bad.status_code == 422 and "Tanggal tidak valid" in text(bad)
    done = admin.post("/admin/hari-libur", data={"csrf_token": token, "day": "2026-11-27",
                                                 "name": "Hari Jadi Kabupaten", "kind": "libur_nasional"})
    assert done.status_code == 303
    db.session.rollback()
    assert db.session.get(Holiday, date(2026, 11, 27)).name == "Hari Jadi Kabupaten"
    gone = admin.post("/admin/hari-libur/2026-11-27/hapus", data={"csrf_token": token})
    assert gone.status_code == 303
    db.session.rollback()
    assert db.session.get(Holiday, date(2026, 11, 27)) is None
    assert client_for("sekda").post("/admin/hari-libur/2026-03-23/hapus",
                                    data={"csrf_token": csrf_token(client_for("sekda"), "/")}).status_code == 403
    db.session.rollback()
    assert db.session.get(Holiday, date(2026, 3, 23)) is not None


def test_the_disposition_form_takes_working_days(client_for, ctx):
    entry = register("tu.setda")
    item = root_item(entry.letter_id, "bupati")
    client = client_for("bupati")
    page = client.get(f"/disposisi/{item.id}")
    assert "hari kerja" in text(page)
    token = csrf_token(client, f"/disposisi/{item.id}")
    response = client.post(f"/disposisi/{item.id}/teruskan", data={
        "csrf_token": token, "recipients": str(pos("sekda")), "instructions": "Pelajari", "deadline_days": "2",
        "action": "kirim"})
    assert response.status_code == 303
    db.session.rollback()
    child = db.session.scalar(select(InboxItem).where(InboxItem.parent_id == item.id))
    assert child.deadline == calendar.add_working_days(date.today(), 2)
    bad = client.post(f"/disposisi/{item.id}/teruskan", data={
        "csrf_token": token, "recipients": str(pos("kadis.dinkes")), "instructions": "Pelajari",
        "deadline_days": "abc", "action": "kirim"})
    assert bad.status_code == 422 and "Harus berupa angka" in text(bad)
