"""The audit log page: filters, pages, the htmx fragment, and the chain check (intact and broken)."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import text as sql

from sisumaker.extensions import db
from sisumaker.models import AuditEvent
from sisumaker.services import audit
from tests.admin.support import post, user, write
from tests.helpers import text


def add_events(count: int, action="uji.kejadian", object_type="uji", actor=None) -> None:
    write()
    for i in range(count):
        audit.record(actor, action, object_type, i, {"n": i})
    db.session.commit()


def test_filters_by_actor_action_object_and_dates(client_for, ctx):
    client = client_for("admin")
    add_events(3, actor=user("kadis.dinkes"))
    add_events(2, action="uji.lain", object_type="lain")
    page = text(client.get("/admin/audit?pelaku=kadis.dinkes&aksi=uji.kejadian"))
    assert page.count("uji.kejadian") >= 3 and "#" in page
    assert "uji.lain</strong>" not in page
    only = text(client.get("/admin/audit?aksi=uji.&jenis=lain&objek=1"))
    assert only.count("<strong>#") == 1 and "uji.lain" in only
    assert "uji.kejadian</strong>" not in only
    assert "<strong>#" not in text(client.get("/admin/audit?pelaku=tidak.ada"))
    assert "Pengguna &#39;tidak.ada&#39; tidak ditemukan." in text(client.get("/admin/audit?pelaku=tidak.ada"))
    # date range in WIB calendar days: move one event to last year
    write()
    db.session.execute(sql("UPDATE audit_event SET at = :at WHERE action = 'uji.lain' AND object_id = '0'"),
                       {"at": datetime(2025, 6, 1, 3, 0, tzinfo=timezone.utc)})
    db.session.commit()
    old = text(client.get("/admin/audit?aksi=uji.lain&dari=2025-06-01&sampai=2025-06-01"))
    assert old.count("<strong>#") == 1
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()  # the filter's days are WIB days
    recent = text(client.get(f"/admin/audit?aksi=uji.lain&dari={today}&sampai={today}"))
    assert recent.count("<strong>#") == 1
    bad = text(client.get("/admin/audit?dari=2026-05-02&sampai=2026-05-01"))
    assert "Tanggal akhir tidak boleh sebelum tanggal awal." in bad


def test_pages_and_fragment(client_for, ctx):
    client = client_for("admin")
    add_events(120)
    first = text(client.get("/admin/audit?aksi=uji.kejadian"))
    assert first.count("<strong>#") == 50 and "Lebih lama" in first
    third = text(client.get("/admin/audit?aksi=uji.kejadian&hal=3"))
    assert third.count("<strong>#") == 20 and "Lebih lama" not in third and "Lebih baru" in third
    fragment = client.get("/admin/audit?aksi=uji.kejadian&hal=2", headers={"HX-Request": "true"})
    body = text(fragment)
    assert body.startswith('<div id="log-audit">') and "<html" not in body and body.count("<strong>#") == 50
    assert "aksi=uji.kejadian" in body  # page links keep the filter
    assert fragment.headers.get("Vary") and "HX-Request" in fragment.headers["Vary"]


def test_admin_actions_are_in_the_log(client_for, ctx):
    client = client_for("admin")
    target = user("kasi11.dinkes")
    post(client, f"/admin/pengguna/{target.id}/status", {"enable": "0"}, page=f"/admin/pengguna/{target.id}")
    page = text(client.get(f"/admin/audit?pelaku=admin&jenis=user&objek={target.id}"))
    assert "user.disable" in page and "kasi11.dinkes" in page


def test_chain_check_intact_and_broken(client_for, ctx):
    client = client_for("admin")
    add_events(5)
    ok = post(client, "/admin/audit/periksa", {}, page="/admin/audit")
    assert ok.status_code == 200
    db.session.rollback()
    total = db.session.query(AuditEvent).count()
    assert f"Rantai audit utuh:</strong> {total} kejadian diperiksa." in text(ok)
    fragment = post(client, "/admin/audit/periksa", {}, page="/admin/audit", headers={"HX-Request": "true"})
    assert text(fragment).startswith('<div id="hasil-rantai"') and "utuh" in text(fragment)
    # someone edits a row behind the application's back
    write()
    victim = db.session.query(AuditEvent).filter(AuditEvent.action == "uji.kejadian").order_by(AuditEvent.seq).first()
    seq = victim.seq
    db.session.execute(sql("UPDATE audit_event SET detail = '{\"n\": 99}' WHERE seq = :s"), {"s": seq})
    db.session.commit()
    broken = post(client, "/admin/audit/periksa", {}, page="/admin/audit")
    assert f"Rantai audit RUSAK pada kejadian #{seq}:</strong> isi baris telah diubah" in text(broken)
    cli = ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert cli.exit_code == 1 and f"#{seq}" in cli.output  # the page says what the CLI says
