"""Household list model and proxy, tested without a window."""

import pytest
from PySide6.QtCore import Qt

from app.gui.models import (
    COL_CARD,
    COL_DESA,
    COL_HEAD,
    COL_KK,
    COL_STATUS,
    COL_SYNC,
    HouseholdFilterProxy,
    HouseholdTableModel,
    status_key,
)
from app.questionnaire import SUMMARY_SEP as SEP
from app.store import HouseholdRow


def row(
    hid,
    status="final",
    sync="pending",
    desa="62.71.03.1001",
    head="Yohanes Ilas",
    updated="2026-11-29T08:00:00.000000Z",
):
    return HouseholdRow(
        hid,
        1,
        status,
        desa,
        sync,
        updated,
        SEP.join(["627103010110000" + hid[-1], head, head, "6271031204800003"]),
    )


ROWS = [
    row("a1"),
    row("b2", status="draft", sync="local", head="Siti Aminah", desa="62.12.01.2001"),
    row("c3", sync="synced", head="Darius Tundan", updated="2026-11-28T08:00:00.000000Z"),
    row("d4", sync="rejected", head="Rahmat"),
    row("e5", sync="training", head="Maria"),
]
pytestmark = pytest.mark.usefixtures("qapp_translated")
NAMES = {"62.71.03.1001": "Bukit Tunggal", "62.12.01.2001": "Desa X"}


def test_model_passes_qt_model_tester(qtmodeltester):
    model = HouseholdTableModel()
    model.set_rows(ROWS, NAMES)
    qtmodeltester.check(model)
    proxy = HouseholdFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)


def test_display_and_status_keys():
    model = HouseholdTableModel()
    model.set_rows(ROWS, NAMES)
    assert model.rowCount() == 5 and model.columnCount() == 12
    assert model.data(model.index(0, COL_HEAD)) == "Yohanes Ilas"
    assert model.data(model.index(0, COL_KK)) == "6271030101100001"
    assert model.data(model.index(1, COL_DESA)) == "Desa X"
    assert [status_key(r) for r in ROWS] == ["final", "draft", "synced", "attention", "training"]
    assert model.data(model.index(3, COL_STATUS), Qt.ItemDataRole.UserRole) == "attention"


def test_put_row_updates_or_appends():
    model = HouseholdTableModel()
    model.set_rows(ROWS[:2], NAMES)
    model.put_row(row("a1", head="Yohanes Baru"))
    assert model.rowCount() == 2 and model.data(model.index(0, COL_HEAD)) == "Yohanes Baru"
    model.put_row(row("z9", desa="62.01.01.2001"), "Desa Baru")
    assert model.rowCount() == 3 and model.data(model.index(2, COL_DESA)) == "Desa Baru"


def test_proxy_filters_by_desa_status_and_search():
    model = HouseholdTableModel()
    model.set_rows(ROWS, NAMES)
    proxy = HouseholdFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_desa("62.12.01.2001")
    assert proxy.rowCount() == 1
    proxy.set_desa(None)
    proxy.set_status("attention")
    assert proxy.rowCount() == 1
    proxy.set_status(None)
    proxy.set_search_ids({"a1", "c3"})
    assert proxy.rowCount() == 2
    proxy.set_search_ids(None)
    assert proxy.rowCount() == 5


def test_damaged_row_shows_no_content():
    model = HouseholdTableModel()
    model.set_rows(
        [HouseholdRow("x", 3, "final", "62.71.03.1001", "pending", "", damaged=True)], NAMES
    )
    assert "rusak" in model.data(model.index(0, COL_HEAD))  # Indonesian, from the .ts


def test_gui_excepthook_never_prints_the_exception_text(capsys):
    import sys

    from app.gui.app import safe_excepthook

    try:
        raise ValueError("Yohanes Ilas 6271031204800003")
    except ValueError:
        safe_excepthook(*sys.exc_info())
    err = capsys.readouterr().err
    assert "ValueError" in err and "test_gui_models.py" in err
    assert "Yohanes" not in err and "6271031204800003" not in err


def test_province_reason_shows_as_tooltip():
    model = HouseholdTableModel()
    rejected = row("r1", sync="rejected")
    rejected.sync_reason = "outside_area"
    model.set_rows([rejected, row("a1")], NAMES)
    tip = model.data(model.index(0, COL_STATUS), Qt.ItemDataRole.ToolTipRole)
    assert tip.endswith("outside_area") and tip.startswith("Provinsi")
    assert model.data(model.index(1, COL_STATUS), Qt.ItemDataRole.ToolTipRole) is None


def test_card_number_and_province_duplicates_are_shown():
    model = HouseholdTableModel()
    carded = row("k1", sync="synced")
    carded.card_number, carded.sync_reason = "KHBS-62-0041", "verified"
    doubled = row("d2", sync="synced")
    doubled.province_duplicates = ("kk", "nik")
    model.set_rows([carded, doubled, row("a1")], NAMES)
    assert model.headerData(COL_CARD, Qt.Orientation.Horizontal) == "Nomor kartu"
    assert [model.data(model.index(r, COL_CARD)) for r in range(3)] == ["KHBS-62-0041", "", ""]
    # The duplicate is visible in the Sync column, and the tooltip says which number.
    assert model.data(model.index(0, COL_SYNC)) == "Terkirim"
    assert model.data(model.index(1, COL_SYNC)) == "Terkirim \u26a0 ganda di provinsi"
    assert model.data(model.index(1, COL_SYNC), Qt.ItemDataRole.ToolTipRole).splitlines() == [
        "Provinsi: nomor KK juga ada di keluarga lain di provinsi",
        "Provinsi: NIK juga ada di keluarga lain di provinsi",
    ]
    assert model.data(model.index(0, COL_SYNC), Qt.ItemDataRole.ToolTipRole) == "Provinsi: verified"
    assert model.data(model.index(2, COL_SYNC), Qt.ItemDataRole.ToolTipRole) is None
    # A duplicate warning does not by itself make the household "needs attention".
    assert status_key(doubled) == "synced"


def test_listed_households_to_verify_changed_and_released():
    from app.gui.models import to_verify_counts

    fresh = row("v1", status="draft", sync="to_verify")
    fresh.listed = True
    started = row("v2", status="draft", sync="local", desa="62.12.01.2001")
    started.listed, started.province_changed = True, True
    moved = row("v3", sync="pending")
    moved.listed, moved.released = True, True
    model = HouseholdTableModel()
    model.set_rows([fresh, started, moved, ROWS[1]], NAMES)
    assert [status_key(r) for r in (fresh, started, moved)] == ["to_verify", "draft", "final"]
    assert model.data(model.index(0, COL_STATUS)) == "Perlu diverifikasi"
    assert model.data(model.index(0, COL_SYNC)) == "Belum dikirim"
    assert model.data(model.index(1, COL_SYNC)).endswith("\u26a0 diubah provinsi")
    assert "pindah petugas" in model.data(model.index(2, COL_SYNC))
    assert "petugas lain" in model.data(model.index(2, COL_SYNC), Qt.ItemDataRole.ToolTipRole)
    proxy = HouseholdFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_status("to_verify")
    assert proxy.rowCount() == 1
    # Still drafts from the list, per village; a household typed by the officer is not counted.
    assert to_verify_counts([fresh, started, moved, ROWS[1]]) == {
        "62.71.03.1001": 1,
        "62.12.01.2001": 1,
    }


def test_today_and_progress():
    from datetime import date, timedelta

    from app.gui.models import is_today, progress, to_revisit, waiting_to_send

    today = date(2026, 12, 3)
    due = row("t1", status="draft", sync="local")
    due.outcome, due.revisit_on = 4, "2026-12-02"  # overdue counts as today's work
    later = row("t2", status="draft", sync="local")
    later.outcome, later.revisit_on = 4, "2026-12-09"
    seen = row("t3")
    seen.visited_on, seen.outcome = today.isoformat(), 1
    old = row("t4", sync="synced")
    old.visited_on = (today - timedelta(days=3)).isoformat()
    rows = [due, later, seen, old]
    assert [is_today(r, today) for r in rows] == [True, False, True, False]
    assert waiting_to_send(rows) == 1 and to_revisit(rows) == 2
    p = progress(rows)["62.71.03.1001"]
    assert (p.listed, p.visited, p.final, p.sent) == (4, 4, 2, 1)
