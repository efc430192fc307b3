"""Issue 6 in the app, end to end: the province imports a DTSEN list with the real
`khbs-server assignments import`, the enrolled laptop presses "Sync now" and gets the two
families "to verify", the officer opens one, marks it found, corrects a name, completes the
visit and finalises; the next sync sends it and the province sees the correction against the
list. Then a family not found: the dwelling sections go, location, KK and members are enough.

The real app (MainWindow, Session, StoreWorker thread) on a real encrypted store, against the
real server (SQLite) on 127.0.0.1 (tests/test_gui_sync.py). Answers are set through the form's
API (SectionView.set_field, the member dialog), as an officer's typing would set them; the
keyboard itself is covered by tests/test_gui_app.py."""

from __future__ import annotations

from datetime import date

import pytest

from app import questionnaire as q
from app.gui.models import COL_KK, COL_STATUS, COL_SYNC
from sync.server.assignments import changes_against_list, import_candidates, read_candidates
from tests.records import LISTED, numbered
from tests.server.test_assignments import rows_of, write
from tests.server.test_cli import Server
from tests.test_gui_app import (  # noqa: F401 - `start` is a fixture
    TIMEOUT,
    App,
    answering_message_boxes,
    open_by_search,
    press_mnemonic,
    reactivate,
    start,
    unlock,
)
from tests.test_gui_sync import SENT, new_store, province  # noqa: F401 - `province` is a fixture

pytestmark = pytest.mark.usefixtures("qapp_translated")

TO_VERIFY = "Perlu diverifikasi"
AWAY = ("persetujuan", "rumah", "aset", "program", "kebutuhan")  # not asked of a family away


def rows_by_kk(app: App) -> dict[str, tuple[str, str]]:
    """KK number -> (status, Sync column) of each household in the list."""
    m = app.window.workspace.model
    return {
        m.index(r, COL_KK).data(): (m.index(r, COL_STATUS).data(), m.index(r, COL_SYNC).data())
        for r in range(m.rowCount())
    }


def sync_now(qtbot, app: App) -> None:
    """The Sync now button by its mnemonic; back when the sync has finished without error."""
    ws = app.window.workspace
    with qtbot.waitSignal(
        app.session.syncStateChanged,
        timeout=TIMEOUT,
        check_params_cb=lambda: not app.session.syncing,
    ):
        press_mnemonic(qtbot, ws.sync_button)
    qtbot.waitUntil(lambda: not app.session.syncing and ws.sync_button.isEnabled(), timeout=TIMEOUT)
    assert not ws.sync_message.isVisible(), ws.sync_message.text()


def answer_all(view, values: dict) -> None:
    """Set each answer of `values` the view shows, in question order, as if typed (skip logic
    runs after each, so a question shown by an earlier answer can be answered next)."""
    for name in view.names():
        if name in values and view.is_shown(name):
            view.set_field(name, values[name])


def complete_member(qtbot, app: App, form, i: int, full: dict, **changes) -> dict:
    """Open member i of the roster, correct `changes`, answer what the list did not hold (from
    the complete sample member `full`), OK. Returns the member as the form now has it."""
    dialog = form.members.edit(i)
    qtbot.waitUntil(lambda: dialog.isVisible())
    section = dialog.section
    for name, value in changes.items():
        section.set_field(name, value)
    answer_all(
        section,
        {k: v for k, v in full.items() if k not in changes and section.editor(k).value() is None},
    )
    gone: list[bool] = []
    dialog.destroyed.connect(lambda: gone.append(True))
    dialog.accept()
    qtbot.waitUntil(lambda: bool(gone))  # its window destroyed (deleteLater), not just hidden
    assert form.members.dialog is None
    reactivate(qtbot, app.window)
    return form.record()[q.MEMBERS][i]


def finalise(qtbot, app: App) -> list:
    """Alt+F on the household page; warnings to confirm are answered Yes. Back on the list once
    the final household is stored."""
    page = app.window.household
    with answering_message_boxes(qtbot) as answered:
        press_mnemonic(qtbot, page.finalise_button)
        qtbot.waitUntil(lambda: app.page() is app.window.workspace, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not app.worker.busy(), timeout=TIMEOUT)
    return answered


@pytest.fixture
def listed_laptop(start, province, qtbot, data_dir, tmp_path):
    """The province imports sample households 1 and 2 as a DTSEN list (the real CLI); the
    enrolled laptop's app is unlocked and has pressed Sync now once."""
    listing = write(tmp_path / "dtsen.csv", rows_of(1) + rows_of(2))
    Server(province.db_url, tmp_path / "server-home").ok("assignments", "import", str(listing))
    new_store(data_dir, province)
    app = start()
    unlock(qtbot, app)
    assert app.window.workspace.model.rowCount() == 0
    sync_now(qtbot, app)
    return app


def test_a_listed_family_found_and_corrected_reaches_the_province(listed_laptop, province, qtbot):
    app = listed_laptop
    ws = app.window.workspace
    one, two = numbered(1), numbered(2)
    qtbot.waitUntil(lambda: ws.model.rowCount() == 2, timeout=TIMEOUT)
    assert {kk: status for kk, (status, _) in rows_by_kk(app).items()} == {
        one["no_kk"]: TO_VERIFY,
        two["no_kk"]: TO_VERIFY,
    }
    assert ws.verify_counts.isVisible()
    assert ws.verify_counts.text() == "Perlu diverifikasi: Palangka 2"

    # The officer opens the first family: the list's members, the verification section.
    page = open_by_search(qtbot, app, one["no_kk"])
    form = page.form
    listed = form.record()
    assert [m["nama"] for m in listed[q.MEMBERS]] == [m["nama"] for m in one[q.MEMBERS]]
    assert [m["nik"] for m in listed[q.MEMBERS]] == [m["nik"] for m in one[q.MEMBERS]]
    assert listed["lokasi"] == {
        "kode_desa": one["lokasi"]["kode_desa"],
        "alamat": one["lokasi"]["alamat"],
    }
    assert form.is_section_shown("verifikasi")
    ver = form.section("verifikasi")
    sumber = ver.editor("sumber")
    assert sumber.value() == 1 and not sumber.combo.isEnabled()  # read-only: set by the system
    # The visit is today, as for a household started on the laptop.
    today = date.today().isoformat()
    assert form.section("").editor(q.VISIT_DATE).value() == today

    # Found, living here (visit outcome 1, interviewed; the whereabouts question is then not
    # asked); one name corrected; the rest of the visit answered.
    assert not ver.is_shown("keberadaan_keluarga")  # the outcome comes first
    form.section("").set_field(q.OUTCOME, 1)
    assert all(form.is_section_shown(key) for key in AWAY)
    assert not ver.is_shown("keberadaan_keluarga") and not ver.is_shown("catatan_verifikasi")
    corrected = "Rosmiati Ilas Br. Sinaga"
    for i, full in enumerate(one[q.MEMBERS]):
        changes = {"nama": corrected} if i == 1 else {}
        member = complete_member(qtbot, app, form, i, full, **changes)
        assert member["nama"] == (corrected if i == 1 else full["nama"])
    answer_all(form.section("lokasi"), {"rt": one["lokasi"]["rt"], "rw": one["lokasi"]["rw"]})
    answer_all(form.section("persetujuan"), dict(one["persetujuan"], tanggal=today))
    for key in ("rumah", "aset", "program", "kebutuhan"):
        answer_all(form.section(key), one[key])
    assert not form.check(final=True).errors, [i.code for i in form.result.errors]
    assert finalise(qtbot, app) == [], "nothing to confirm"

    # Still one to verify; the finalised one waits to be sent, then goes.
    assert ws.verify_counts.text() == "Perlu diverifikasi: Palangka 1"
    assert rows_by_kk(app)[two["no_kk"]][0] == TO_VERIFY
    assert rows_by_kk(app)[one["no_kk"]][0] != TO_VERIFY
    sync_now(qtbot, app)
    qtbot.waitUntil(lambda: rows_by_kk(app)[one["no_kk"]][1] == SENT, timeout=TIMEOUT)
    assert ws.verify_counts.text() == "Perlu diverifikasi: Palangka 1"

    # The province sees, against its list, the officer's correction and the result.
    with province.engine.connect() as conn:
        (found,) = changes_against_list(conn, province.keys)
    changed = {d.key: d for d in found.changes}
    assert changed[q.OUTCOME].theirs == 1
    name = changed["anggota/1:1/nama"]
    assert (name.mine, name.theirs) == ("Rosmiati Ilas", corrected)  # list -> officer
    assert not any(
        k.startswith("anggota/0") or k.startswith("anggota/2")
        for k in changed
        if k.endswith("/nama")
    )


def test_a_listed_family_not_found_is_sent_with_location_kk_and_members(
    start, province, qtbot, data_dir, tmp_path
):
    with province.engine.begin() as conn:  # the import as the CLI does it, in process
        found = read_candidates(write(tmp_path / "dtsen.csv", rows_of(2)))
        import_candidates(conn, province.keys, found)
    new_store(data_dir, province)
    app = start()
    unlock(qtbot, app)
    ws = app.window.workspace
    sync_now(qtbot, app)
    qtbot.waitUntil(lambda: ws.model.rowCount() == 1, timeout=TIMEOUT)
    assert ws.verify_counts.text() == "Perlu diverifikasi: Palangka 1"
    two = numbered(2)

    page = open_by_search(qtbot, app, two["no_kk"])
    form = page.form
    ver = form.section("verifikasi")
    form.section("").set_field(q.OUTCOME, 6)  # visit outcome: family not found
    assert not any(form.is_section_shown(key) for key in AWAY)
    assert ver.is_shown("catatan_verifikasi") and not ver.is_shown("keberadaan_keluarga")
    ver.set_field("catatan_verifikasi", "Rumah kosong, tetangga tidak kenal.")
    answer_all(form.section("lokasi"), {"rt": two["lokasi"]["rt"], "rw": two["lokasi"]["rw"]})
    record = form.record()
    assert not set(AWAY) & set(record)
    # The members as listed, nothing more: no whereabouts of people nobody could ask about.
    assert record[q.MEMBERS] == [{k: m[k] for k in LISTED} for m in two[q.MEMBERS]]
    assert not form.check(final=True).errors, [i.code for i in form.result.errors]
    finalise(qtbot, app)

    assert not ws.verify_counts.isVisible()  # nothing left to verify
    sync_now(qtbot, app)
    qtbot.waitUntil(lambda: rows_by_kk(app)[two["no_kk"]][1] == SENT, timeout=TIMEOUT)

    with province.engine.connect() as conn:
        (change,) = changes_against_list(conn, province.keys)
    changed = {d.key: d for d in change.changes}
    assert changed[q.OUTCOME].theirs == 6
    assert not any(k.split("/")[0] in AWAY for k in changed)
