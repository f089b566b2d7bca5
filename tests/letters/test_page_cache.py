"""The cached inbox and register pages (sisumaker/page_cache.py, services/page_versions.py): a page viewed once is
served again from the cache, and every change it shows — whoever makes it, through the ORM or a Core statement,
in another process's app — is on the very next view. Each test first views the page (so it is cached), then
changes something through the services of a separate app (`ctx`), then views again."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from sisumaker.database import begin_write
from sisumaker.extensions import db
from sisumaker.models import InboxItem, Letter, PageVersion, Position
from sisumaker.services import admin_org, calendar, notifications
from sisumaker.services.dispositions import open_item, recall_disposition
from sisumaker.services.letters import cancel_entry
from sisumaker.services.org import assign_acting
from sisumaker.services.page_versions import read_versions
from tests.helpers import csrf_token, login, text
from tests.letters.support import bell_count, dispose, pos, register, root_item, tab_counts, user, viewer

TODAY = date.today()


def _cache(app):
    return app.extensions["sisumaker_page_cache"]


def _commit(change, *args, **kwargs):
    begin_write()
    result = change(*args, **kwargs)
    db.session.commit()
    return result


def test_a_page_seen_twice_is_served_from_the_cache_with_the_sessions_own_token(ctx, client_for, web_app):
    register("tu.setda", perihal="Surat XR-CACHE-HIT")
    bupati = client_for("bupati")
    assert "Selamat datang" in text(bupati.get("/"))  # a page with a message is never kept
    first = text(bupati.get("/"))
    hits = _cache(web_app).hits
    second = text(bupati.get("/"))
    assert _cache(web_app).hits == hits + 1 and second == first and "XR-CACHE-HIT" in second

    # a second session of the same official: the same page, but its own CSRF token, which its forms can use
    other = web_app.test_client()
    login(other, "bupati")
    other.get("/")
    page = text(other.get("/"))
    mine = re.findall(r'name="csrf_token" value="([^"]+)"', first)
    theirs = re.findall(r'name="csrf_token" value="([^"]+)"', page)
    assert mine and theirs and set(mine).isdisjoint(theirs)
    assert other.post("/notifikasi/baca-semua", data={"csrf_token": theirs[0]}).status_code == 303
    assert bell_count(text(bupati.get("/notifikasi/jumlah"))) == 0  # and the first session's cached bell follows


@pytest.mark.parametrize("change", ["register", "dispose", "open", "recall", "report_bell"])
def test_every_mail_change_is_on_the_next_view(ctx, client_for, change):
    entry = register("tu.setda", perihal="Surat XR-CACHE-MAIL")
    item = root_item(entry.letter_id, "bupati")
    bupati, kadis = client_for("bupati"), client_for("kadis.dinkes")
    before_bupati, before_kadis = tab_counts(text(bupati.get("/"))), tab_counts(text(kadis.get("/")))
    bell_before = bell_count(text(kadis.get("/notifikasi/jumlah")))
    if change == "register":
        register("tu.setda", perihal="Surat baru XR-CACHE-NEW")
        page = text(bupati.get("/"))
        assert "XR-CACHE-NEW" in page and tab_counts(page)["semua"] == before_bupati["semua"] + 1
    elif change == "dispose":
        dispose("bupati", item.id, ("kadis.dinkes",))
        page = text(kadis.get("/"))
        assert "XR-CACHE-MAIL" in page and tab_counts(page)["belum-dibaca"] == before_kadis["belum-dibaca"] + 1
        assert bell_count(text(kadis.get("/notifikasi/jumlah"))) == bell_before + 1
        assert tab_counts(text(bupati.get("/")))["perlu-disposisi"] == before_bupati["perlu-disposisi"] - 1
    elif change == "open":
        _commit(open_item, viewer("bupati"), item.id)  # read on the phone, the desk's page follows
        assert tab_counts(text(bupati.get("/")))["belum-dibaca"] == before_bupati["belum-dibaca"] - 1
    elif change == "recall":
        child = dispose("bupati", item.id, ("kadis.dinkes",))[0]
        assert "XR-CACHE-MAIL" in text(kadis.get("/"))
        _commit(recall_disposition, viewer("bupati"), child.id)
        assert "XR-CACHE-MAIL" not in text(kadis.get("/"))
    else:  # a Core UPDATE of the bell (mark all read), not through the unit of work
        dispose("bupati", item.id, ("kadis.dinkes",))
        assert bell_count(text(kadis.get("/notifikasi/jumlah"))) == bell_before + 1
        _commit(notifications.mark_all_read, viewer("kadis.dinkes").position_ids)
        assert bell_count(text(kadis.get("/notifikasi/jumlah"))) == 0


def test_a_cancelled_entry_is_on_the_clerks_next_view_of_the_register(ctx, client_for):
    entry = register("tu.setda", perihal="Surat XR-CACHE-CANCEL")
    clerk = client_for("tu.setda")
    assert "XR-CACHE-CANCEL" in text(clerk.get("/surat-masuk"))
    _commit(cancel_entry, viewer("tu.setda"), entry.id, "Tercatat ganda XR")
    page = text(clerk.get("/surat-masuk"))
    assert "Alasan: Tercatat ganda XR" in page


def test_an_edited_letter_is_on_every_page_it_reached(ctx, client_for):
    entry = register("tu.setda", perihal="Perihal lama XR-CACHE-EDIT")
    bupati, clerk = client_for("bupati"), client_for("tu.setda")
    assert "XR-CACHE-EDIT" in text(bupati.get("/")) and "XR-CACHE-EDIT" in text(clerk.get("/surat-masuk"))
    begin_write()
    db.session.get(Letter, entry.letter_id).perihal = "Perihal baru XR-CACHE-FIXED"
    db.session.commit()
    assert "XR-CACHE-FIXED" in text(bupati.get("/")) and "XR-CACHE-FIXED" in text(clerk.get("/surat-masuk"))


def test_organisation_and_calendar_changes_reach_every_cached_page(ctx, client_for):
    """A renamed position (shown as the sender of a disposition), a new acting post, a new holiday."""
    entry = register("tu.setda", perihal="Surat XR-CACHE-ORG")
    child = dispose("bupati", root_item(entry.letter_id, "bupati").id, ("kadis.dinkes",))[0]
    kadis, kabid = client_for("kadis.dinkes"), client_for("kabid2.dinkes")
    admin = user("admin")
    assert "dari Bupati Kabupaten XR" not in text(kadis.get("/"))
    _commit(admin_org.rename_position, admin, db.session.get(Position, pos("bupati")), "Bupati Kabupaten XR")
    assert "dari Bupati Kabupaten XR" in text(kadis.get("/"))

    assert "XR-CACHE-ORG" not in text(kabid.get("/"))
    _commit(assign_acting, None, user=user("kabid2.dinkes"), position=db.session.get(Position, pos("kadis.dinkes")),
            kind="plh", starts_on=TODAY, ends_on=TODAY + timedelta(days=3), decree_number="800/98/DINKES")
    assert "XR-CACHE-ORG" in text(kabid.get("/"))

    # a deadline on the last working day is overdue today; declared a holiday, that day's deadline moves to the
    # next working day and is not overdue any more (the calendar decides "lewat")
    last_working_day = calendar.overdue_cutoff(TODAY)
    begin_write()
    db.session.get(InboxItem, child.id).deadline = last_working_day
    db.session.commit()
    assert "(lewat)" in text(kadis.get("/?f=tenggat"))
    _commit(calendar.add_holiday, admin, last_working_day, "Libur XR", "libur_nasional")
    assert "XR-CACHE-ORG" in text(kadis.get("/?f=tenggat")) and "(lewat)" not in text(kadis.get("/?f=tenggat"))


def test_a_change_never_flushed_before_the_commit_still_bumps(ctx):
    """The commit's own flush comes after the commit hook: the hook flushes first, or the change would slip by."""
    entry = register("tu.setda", perihal="Surat XR-CACHE-UNFLUSHED")
    before = read_versions(db.session, [pos("bupati")])
    begin_write()
    db.session.get(Letter, entry.letter_id).perihal = "Diubah tanpa flush XR"
    db.session.commit()
    assert read_versions(db.session, [pos("bupati")])[1] > before[1]


def test_counters_are_bumped_at_commit_only(ctx):
    """A rolled-back change bumps nothing; a savepoint rolled back inside a committed transaction still leaves
    the outer transaction's bumps (too many bumps cost a render, too few would serve a stale page)."""
    bupati = pos("bupati")
    start = read_versions(db.session, [bupati])
    begin_write()
    notifications_of = viewer("bupati").position_ids
    notifications.mark_all_read(notifications_of)
    db.session.rollback()
    assert read_versions(db.session, [bupati]) == start

    register("tu.setda", perihal="Surat XR-CACHE-SAVEPOINT")  # commits: the Bupati's counter moves
    moved = read_versions(db.session, [bupati])
    assert moved[1] > start[1] and moved[0] == start[0]
    begin_write()
    notifications.mark_all_read(notifications_of)
    with db.session.begin_nested() as nested:
        db.session.get(Position, pos("sekda")).title = "Sekda XR"
        db.session.flush()
        nested.rollback()
    db.session.commit()
    after = read_versions(db.session, [bupati])
    assert after[1] > moved[1]
    assert db.session.scalar(select(PageVersion.version).where(PageVersion.scope == "pos",
                                                               PageVersion.key == bupati)) == after[1]
