"""Visit outcomes in the app (issue 12 item 1): a refusal chosen with the keyboard and finalised,
consent "Tidak" turning into a refusal, a family nobody was home for under the "Kunjungi lagi"
(to revisit) filter and visited again, and, through the real server on 127.0.0.1, a listed
family refused and another nobody was home for reaching the province's counts by outcome.

The real app (MainWindow, Session, StoreWorker thread) on a real encrypted store, offscreen, in
Bahasa Indonesia, driven by keys as in tests/test_gui_app.py."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt

from app import households, visits
from app import questionnaire as q
from app.gui.form import HouseholdForm
from app.gui.models import COL_STATUS, COL_SYNC
from sync.server import repo
from tests import records
from tests.test_gui_app import (  # noqa: F401 - `start` and `stored` are fixtures
    CTRL,
    TIMEOUT,
    App,
    answering_message_boxes,
    fill,
    focused,
    open_by_search,
    press,
    press_mnemonic,
    reactivate,
    reopen,
    sample,
    start,
    stored,
    type_text,
    unlock,
)
from tests.test_gui_sync import SENT, province  # noqa: F401 - `province` is a fixture
from tests.test_gui_verify_flow import listed_laptop, sync_now  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("qapp_translated")

REVISIT = "Kunjungi lagi"  # the status of a family nobody was home for


def new_household(qtbot, app: App):
    """Ctrl+N, then focus on the first question of the first page."""
    w = app.window
    press(qtbot, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: w.household is not None and app.page() is w.household)
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    return w.household


def finalise(qtbot, app: App, page) -> list:
    """Alt+F; warnings to confirm answered with Enter; back on the list once stored."""
    with answering_message_boxes(qtbot) as answered:
        press_mnemonic(qtbot, page.finalise_button)
        qtbot.waitUntil(lambda: app.page() is app.window.workspace, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not app.worker.busy(), timeout=TIMEOUT)
    reactivate(qtbot, app.window)  # after the desa completer's popup (offscreen, see there)
    return answered


def filter_status(qtbot, app: App, text: str) -> None:
    """Alt+T (the Status filter's label), then type the status' first word (a space would
    open the combo's list): the combo picks it."""
    ws = app.window.workspace
    press(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    assert focused() is ws.status
    type_text(qtbot, text.split()[0])
    assert ws.status.currentText() == text


def open_kk(qtbot, app: App, kk: str):
    """open_by_search, once the list shows only this KK: a second search in a row would
    otherwise find the first one's result still showing (the search is debounced)."""
    ws = app.window.workspace
    ws.search.clear()
    qtbot.waitUntil(lambda: ws.proxy.rowCount() == ws.model.rowCount())
    return open_by_search(qtbot, app, kk)


def stored_records(data_dir) -> list[dict]:
    with reopen(data_dir) as store:
        return [rec for _, rec in store.records()]


def test_a_refusal_is_chosen_by_keyboard_and_finalised(start, stored, qtbot, data_dir):
    app = start()
    unlock(qtbot, app)
    page = new_household(qtbot, app)
    form, identity = page.form, page.form.section("")
    today = date.today().isoformat()
    # The first page: KK, visit date, then the outcome: "3." picks "3. Menolak".
    fill(qtbot, identity, {q.VISIT_DATE: today, q.OUTCOME: visits.REFUSED})
    assert not identity.is_shown("no_kk")  # no KK of a family that refused, not on the list
    assert [k for k in form.section_keys() if form.is_section_shown(k)] == ["", "lokasi"]
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    location = sample(today)["lokasi"]
    fill(qtbot, form.section("lokasi"), location)
    assert finalise(qtbot, app, page) == []  # nothing to confirm, no error
    ws = app.window.workspace
    refused = next(r for r in stored_records(data_dir) if r.get(q.OUTCOME))
    assert refused.pop("paradata")["jumlah_kunjungan"] == 1
    assert refused == {
        "schema_version": 1,
        "id": refused["id"],
        "status": "final",
        q.VISIT_DATE: today,
        q.OUTCOME: visits.REFUSED,
        "lokasi": location,
        "anggota": [],
    }
    statuses = {ws.model.index(r, COL_STATUS).data() for r in range(ws.model.rowCount())}
    assert statuses == {"Final", "Draf"}  # the refusal, and the stored sample draft


def test_consent_no_records_a_refusal_instead_of_blocking(qtbot):
    form = HouseholdForm(today=records.TODAY)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    form.set_record(households.new_record(records.TODAY))
    form.section("lokasi").set_values(records.household()["lokasi"])
    form.set_section(form.section_keys().index("persetujuan"))
    consent = form.section("persetujuan")
    consent.focus_field("diberikan")
    assert consent.editor("diberikan").isAncestorOf(focused())
    type_text(qtbot, "2")  # the code of "Tidak", as typed everywhere (keyboard entry)
    identity = form.section("")
    assert identity.editor(q.OUTCOME).value() == visits.REFUSED
    assert not form.is_section_shown("persetujuan") and form.current_section() == 0
    assert identity.editor(q.OUTCOME).isAncestorOf(focused())
    record = form.record()
    assert "persetujuan" not in record and record[q.OUTCOME] == visits.REFUSED
    final, result = households.prepare_final(record, form.context(), acknowledge=False)
    assert result.issues == [] and final["status"] == "final"


def test_a_listed_refusal_opens_again_with_its_kk(qtbot):
    """The KK's skip logic looks at the verification section, a later page: loading must not
    clear it before that page is filled (it would be lost at the next save)."""
    form = HouseholdForm(today=records.TODAY)
    qtbot.addWidget(form)
    rec = records.listed_away(7, hasil_kunjungan=visits.REFUSED, verifikasi={"sumber": 1})
    rec["anggota"] = [{k: m[k] for k in records.LISTED} for m in rec["anggota"]]
    form.set_record(rec)
    assert form.section("").editor("no_kk").value() == rec["no_kk"]
    assert form.record() == q.prune(rec)


def test_nobody_home_is_to_revisit_and_the_next_visit_keeps_the_first(
    start, stored, qtbot, data_dir
):
    app = start()
    unlock(qtbot, app)
    ws = app.window.workspace
    today = date.today()
    yesterday = (today - timedelta(days=1)).isoformat()
    page = new_household(qtbot, app)  # a dwelling not on the list: no KK to ask for
    fill(
        qtbot,
        page.form.section(""),
        {q.VISIT_DATE: yesterday, q.OUTCOME: visits.NOBODY_HOME, q.REVISIT_DATE: today.isoformat()},
    )
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    fill(qtbot, page.form.section("lokasi"), sample(yesterday)["lokasi"])
    assert finalise(qtbot, app, page) == []  # a visit record: final, for the province

    filter_status(qtbot, app, REVISIT)
    qtbot.waitUntil(lambda: ws.proxy.rowCount() == 1)
    row = ws.model.row_at(ws.proxy.mapToSource(ws.proxy.index(0, 0)))
    assert (row.outcome, row.status, row.kk) == (visits.NOBODY_HOME, "final", "")
    first = next(r for r in stored_records(data_dir) if r["id"] == row.id)["paradata"]
    assert first["jumlah_kunjungan"] == 1 and isinstance(first["durasi_detik"], int)
    assert ws.proxy.index(0, COL_STATUS).data() == REVISIT
    tip = ws.proxy.index(0, COL_STATUS).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == f"Tidak ada orang di rumah: kunjungi lagi pada {today.strftime('%d-%m-%Y')}"

    # The officer comes back today: opening it starts a new visit; this time they refuse.
    ws.table.setFocus()
    press(qtbot, Qt.Key.Key_Down)  # the one row under the filter
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.window.household is not None)
    page = app.window.household
    identity = page.form.section("")
    assert identity.editor(q.VISIT_DATE).value() == today.isoformat()
    assert identity.editor(q.OUTCOME).value() is None
    assert page.paradata.text().startswith("Kunjungan ke-2 · mulai ")  # the header
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    fill(qtbot, identity, {q.VISIT_DATE: today.isoformat(), q.OUTCOME: visits.REFUSED})
    assert finalise(qtbot, app, page) == []
    qtbot.waitUntil(lambda: ws.proxy.rowCount() == 0)  # no longer to revisit
    done = next(r for r in stored_records(data_dir) if r["id"] == row.id)
    assert done[q.HISTORY] == [f"{yesterday}:{visits.NOBODY_HOME}"]
    assert (done[q.OUTCOME], done[q.VISIT_DATE], done["status"]) == (
        visits.REFUSED,
        today.isoformat(),
        "final",
    )
    assert q.REVISIT_DATE not in done
    # Paradata: both visits counted, entry began at the first one, the time adds up.
    second = done["paradata"]
    assert second["jumlah_kunjungan"] == 2 and second["mulai"] == first["mulai"]
    assert second["durasi_detik"] >= first["durasi_detik"]


def test_listed_families_refused_and_nobody_home_reach_the_province(listed_laptop, province, qtbot):
    app = listed_laptop
    ws = app.window.workspace
    one, two = records.numbered(1), records.numbered(2)
    qtbot.waitUntil(lambda: ws.model.rowCount() == 2, timeout=TIMEOUT)
    today = date.today().isoformat()
    lokasi = {k: v for k, v in records.household()["lokasi"].items() if k in ("rt", "rw")}

    for family, outcome in ((one, visits.REFUSED), (two, visits.NOBODY_HOME)):
        page = open_kk(qtbot, app, family["no_kk"])
        form = page.form
        press(qtbot, Qt.Key.Key_PageDown, CTRL)
        press(qtbot, Qt.Key.Key_PageUp, CTRL)
        answers = {"no_kk": family["no_kk"], q.VISIT_DATE: today, q.OUTCOME: outcome}
        if outcome == visits.NOBODY_HOME:
            answers[q.REVISIT_DATE] = today
        fill(qtbot, form.section(""), answers)
        # Only the location (RT and RW: the list has none) and the listed members remain.
        shown = [k for k in form.section_keys() if form.is_section_shown(k)]
        assert shown == ["", "lokasi", "verifikasi", "anggota"]
        location = form.section("lokasi")
        for name, value in lokasi.items():
            location.set_field(name, value)
        assert finalise(qtbot, app, page) == []
    assert not ws.verify_counts.isVisible()  # both families visited

    sync_now(qtbot, app)
    assert [ws.model.index(r, COL_SYNC).data() for r in range(2)] == [SENT, SENT]
    with province.engine.connect() as conn:
        counts = repo.stats(conn)["by_regency_outcome"]
    assert counts == {records.DESA[:5]: {"3": 1, "4": 1}}
    filter_status(qtbot, app, REVISIT)
    qtbot.waitUntil(lambda: ws.proxy.rowCount() == 1)
    row = ws.model.row_at(ws.proxy.mapToSource(ws.proxy.index(0, 0)))
    assert row.kk == two["no_kk"]
