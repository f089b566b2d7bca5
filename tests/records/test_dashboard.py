"""The adoption dashboard against the hand-counted fixture (tests/records/conftest.py), who may see which
dashboard, and the lists behind the numbers."""
from __future__ import annotations

from datetime import date

import pytest

from sisumaker.services.dashboard import Period, dashboard, parse_period
from sisumaker.services.dashboard_lists import HIDDEN, dashboard_list
from sisumaker.services.errors import PermissionDenied, ValidationError
from tests.helpers import text
from tests.letters.support import viewer
from tests.records.conftest import MARCH, unit_id

PERIOD = Period(*MARCH)
H = 3600


def _row(board, code):
    return next(f for f in board.rows if f.opd.code == code)


def test_figures_per_opd_and_for_the_regency(adoption):
    board = dashboard(viewer("bupati"), PERIOD, today=date(2026, 3, 10))
    dinkes, dishub = _row(board, "DINKES"), _row(board, "DISHUB")
    assert (dinkes.officials, dinkes.certified, dishub.certified) == (14, 1, 0)
    assert (dinkes.signed, dinkes.signed_pages, dishub.signed) == (1, 3, 0)
    assert (dinkes.letters, dinkes.electronic, dinkes.electronic_share) == (4, 1, 0.25)
    assert (dishub.letters, dishub.electronic) == (1, 0)
    assert dinkes.read_median == pytest.approx(4 * H, abs=1) and dishub.read_median == pytest.approx(1 * H, abs=1)
    assert dinkes.dispose_median == pytest.approx(7.5 * H, abs=1)  # 5 h and 10 h
    assert dishub.dispose_median == pytest.approx(3 * H, abs=1)
    assert (dinkes.dispositions, dinkes.overdue, dishub.dispositions, dishub.overdue) == (2, 1, 1, 0)
    assert (dinkes.circulars, dinkes.circulars_unread) == (1, 1)
    assert dinkes.sheets == 3 + 2 + 3 and dishub.sheets == 1  # (1 + 2 attachments) + 2 dispositions + 3 pages
    t = board.total
    assert (t.letters, t.electronic, t.signed, t.dispositions, t.overdue) == (5, 1, 1, 3, 1)
    assert t.read_median == pytest.approx(3 * H, abs=1)  # 1, 2, 4, 6 h -> (2 + 4) / 2
    assert t.dispose_median == pytest.approx(5 * H, abs=1)  # 3, 5, 10 h
    assert t.certified == 1 and t.reams == pytest.approx(9 / 500)
    others = [f for f in board.rows if f.opd.code not in ("DINKES", "DISHUB")]
    assert len(others) > 50 and not any(f.letters or f.dispositions or f.signed for f in others)


def test_overdue_counts_working_days(adoption):
    # Dishub's disposition is due on Friday 20 March, a cuti bersama day: due in fact on Wednesday 25 March.
    assert _row(dashboard(viewer("sekda"), PERIOD, today=date(2026, 3, 25)), "DISHUB").overdue == 0
    assert _row(dashboard(viewer("sekda"), PERIOD, today=date(2026, 3, 26)), "DISHUB").overdue == 1
    # Dinkes' open disposition due Friday 6 March is not overdue on that day, and is on the next working day
    assert _row(dashboard(viewer("sekda"), PERIOD, today=date(2026, 3, 6)), "DINKES").overdue == 0
    assert _row(dashboard(viewer("sekda"), PERIOD, today=date(2026, 3, 9)), "DINKES").overdue == 1


def test_the_period_filters(adoption):
    april = dashboard(viewer("admin"), Period(date(2026, 4, 1), date(2026, 4, 30)))
    assert (april.total.letters, april.total.signed, april.total.dispositions) == (0, 0, 0)
    assert april.total.certified == 1  # certificates are counted as of today
    first_days = dashboard(viewer("admin"), Period(date(2026, 3, 1), date(2026, 3, 3)))
    assert first_days.total.letters == 3  # L1, L2 and L5
    with pytest.raises(ValidationError):
        parse_period(date(2026, 3, 5), date(2026, 3, 1), date(2026, 3, 10))


@pytest.mark.parametrize("username, regency", [("bupati", True), ("sekda", True), ("admin", True)])
def test_regency_leaders_see_every_opd(adoption, username, regency):
    board = dashboard(viewer(username), PERIOD)
    assert board.scope.regency is regency and len(board.rows) == 60  # Setda, 30 OPD, 29 kecamatan


def test_an_opd_head_sees_only_his_opd(adoption):
    board = dashboard(viewer("kadis.dinkes"), PERIOD)
    assert [f.opd.code for f in board.rows] == ["DINKES"] and board.total.letters == 4
    with pytest.raises(PermissionDenied):
        dashboard(viewer("kadis.dinkes"), PERIOD, opd_id=unit_id("DISHUB"))
    assert [f.opd.code for f in dashboard(viewer("camat.pulo-ampel"), PERIOD).rows] == ["KEC-PULO-AMPEL"]
    for username in ("kabid1.dinkes", "tu.dinkes", "wabup", "sekretaris.dinkes", "kades.anyar.bojongtani"):
        with pytest.raises(PermissionDenied):
            dashboard(viewer(username), PERIOD)


def test_lists_behind_the_numbers(adoption):
    rows, _ = dashboard_list(viewer("kadis.dinkes"), "lewat-tenggat", PERIOD, today=date(2026, 3, 10))
    assert [r.title for r in rows] == ["Surat L2 dasbor"]
    rows, _ = dashboard_list(viewer("kadis.dinkes"), "dibaca", PERIOD)
    assert [r.title for r in rows] == ["Surat L4 dasbor", "Surat L3 dasbor", "Surat L2 dasbor", "Surat L1 dasbor"]
    rows, _ = dashboard_list(viewer("bupati"), "elektronik", PERIOD)
    assert [r.title for r in rows] == [HIDDEN] and rows[0].letter_id is None  # the Bupati may not read it
    rows, _ = dashboard_list(viewer("sekda"), "ttd", PERIOD)
    assert [r.title for r in rows] == ["Surat Keputusan Tim Stunting"]
    rows, _ = dashboard_list(viewer("admin"), "sertifikat", PERIOD)
    assert len(rows) == 1
    rows, _ = dashboard_list(viewer("bupati"), "surat", PERIOD, opd_id=unit_id("DISHUB"))
    assert len(rows) == 1
    with pytest.raises(PermissionDenied):
        dashboard_list(viewer("kadis.dishub"), "surat", PERIOD, opd_id=unit_id("DINKES"))


def test_dashboard_pages(adoption, client_for):
    page = client_for("kadis.dinkes").get("/dasbor?dari=2026-03-01&sampai=2026-03-31")
    html = text(page)
    assert page.status_code == 200 and "Dinas Kesehatan" in html and "Dinas Perhubungan" not in html
    assert "/dasbor/daftar/lewat-tenggat?" in html and "25%" in html
    regency = text(client_for("bupati").get("/dasbor?dari=2026-03-01&sampai=2026-03-31"))
    assert "<svg" in regency and "Dinas Perhubungan" in regency and 'class="chart-bar"' in regency
    drill = text(client_for("bupati").get(f"/dasbor?dari=2026-03-01&sampai=2026-03-31&opd={unit_id('DINKES')}"))
    assert "Seluruh kabupaten" in drill and "Dasbor Adopsi · Dinas Kesehatan" in drill and "chart-svg" not in drill
    assert "Seluruh kabupaten" not in html
    assert client_for("kabid1.dinkes").get("/dasbor").status_code == 403
    assert client_for("kadis.dinkes").get(f"/dasbor?opd={unit_id('DISHUB')}").status_code == 403
    assert client_for("bupati").get("/dasbor?dari=2026-03-31&sampai=2026-03-01").status_code == 422
    listing = client_for("kadis.dinkes").get("/dasbor/daftar/dibaca?dari=2026-03-01&sampai=2026-03-31")
    assert listing.status_code == 200 and "Surat L1 dasbor" in text(listing) and "Surat L6" not in text(listing)
    assert client_for("kadis.dinkes").get("/dasbor/daftar/apa").status_code == 422
