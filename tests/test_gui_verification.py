"""Households from the province's list in the app: counts left to verify per village, and the
side-by-side choice when the province changed a household the officer had started. Real store,
real worker thread, offscreen; the pull's events are applied to the store before the app opens
it, as a sync would."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from app import households
from app import questionnaire as q
from app.gui.models import COL_STATUS, COL_SYNC
from app.gui.views.province_change import ProvinceChangeDialog
from app.store import Store, assigned
from app.verification import THEIRS
from tests import records
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.test_assigned import DESA_A, DESA_B, candidate, listed, pull
from tests.test_gui_app import (  # noqa: F401 - `start` is a fixture
    ALT,
    CTRL,
    ENTER,
    TIMEOUT,
    focused,
    press,
    reopen,
    start,
    type_text,
    unlock,
)

pytestmark = pytest.mark.usefixtures("qapp_translated")


@pytest.fixture(scope="module")
def key():
    from app.province_key import ProvinceKeyPair

    return ProvinceKeyPair.generate()


def test_counts_left_to_verify_per_village(start, qtbot, data_dir, key):
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        pull(
            s,
            key,
            [
                candidate(key, listed(n, desa), seq=n)
                for n, desa in ((1, DESA_A), (2, DESA_A), (3, DESA_B))
            ],
        )
    app = start()
    unlock(qtbot, app)
    ws = app.window.workspace
    assert ws.verify_counts.isVisible()
    assert ws.verify_counts.text() == "Perlu diverifikasi: Menteng 1 \u00b7 Palangka 2"
    ws.status.setCurrentIndex(ws.status.findData("to_verify"))
    assert ws.status.currentText() == "Perlu diverifikasi"
    assert ws.proxy.rowCount() == 3
    assert ws.proxy.index(0, COL_STATUS).data() == "Perlu diverifikasi"


def test_province_change_is_chosen_per_answer(start, qtbot, data_dir, key):
    rec = listed(1)
    mine = dict(rec, no_kk="6271030101888888")
    theirs = listed(
        1, lokasi={"kode_desa": DESA_A, "alamat": "Jalan Garuda 3"}, no_kk="6271030101777777"
    )
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        pull(s, key, [candidate(key, rec)])
        households.save_draft(s, mine, expected_revision=1)
        pull(s, key, [candidate(key, theirs, revision=2, seq=2)])
    app = start()
    unlock(qtbot, app)
    ws = app.window.workspace
    assert "diubah provinsi" in ws.proxy.index(0, COL_SYNC).data()
    ws.table.setFocus()
    ws.table.selectRow(0)
    ws.table.setCurrentIndex(ws.proxy.index(0, 0))
    press(qtbot, ENTER)
    controller = app.window.province_change
    qtbot.waitUntil(lambda: controller.dialog is not None and controller.dialog.isVisible())
    dialog: ProvinceChangeDialog = controller.dialog
    rows = {key_: dialog.question_of[key_] for key_ in dialog.groups}
    assert sorted(rows.values()) == sorted([q.label(("no_kk",)), q.label(("lokasi", "alamat"))])
    address = next(k for k, text in rows.items() if text == q.label(("lokasi", "alamat")))
    dialog.choose(address, THEIRS)  # the new address; the officer's KK number stays
    press_in(qtbot, dialog, ENTER)
    qtbot.waitUntil(
        lambda: app.window.household is not None and app.page() is app.window.household,
        timeout=TIMEOUT,
    )
    shown = app.window.household.form.record()
    assert shown["no_kk"] == "6271030101888888" and shown["lokasi"]["alamat"] == "Jalan Garuda 3"
    qtbot.waitUntil(lambda: not any(r.province_changed for r in app.session.rows))
    app.window.lock()
    with reopen(data_dir) as s:
        stored, revision = s.get(rec["id"])
        assert revision == 3 and stored["lokasi"]["alamat"] == "Jalan Garuda 3"
        assert stored["no_kk"] == "6271030101888888"
        assert assigned.province_version(s, rec["id"]) is None
        assert assigned.listed(s, rec["id"]).origin == theirs


def test_cancel_and_lock_save_nothing(start, qtbot, data_dir, key):
    rec = listed(1)
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        pull(s, key, [candidate(key, rec)])
        households.save_draft(s, dict(rec, no_kk="6271030101888888"), expected_revision=1)
        pull(s, key, [candidate(key, listed(1, no_kk="6271030101777777"), revision=2, seq=2)])
    app = start()
    unlock(qtbot, app)
    app.window._open_household(rec["id"])
    controller = app.window.province_change
    qtbot.waitUntil(lambda: controller.dialog is not None and controller.dialog.isVisible())
    press_in(qtbot, controller.dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: controller.dialog is None)
    assert app.page() is app.window.workspace
    app.window._open_household(rec["id"])
    qtbot.waitUntil(lambda: controller.dialog is not None and controller.dialog.isVisible())
    app.window.lock()
    qtbot.waitUntil(lambda: controller.dialog is None)
    with reopen(data_dir) as s:
        assert s.get(rec["id"])[1] == 2 and assigned.province_version(s, rec["id"])


def press_in(qtbot, dialog, key) -> None:
    qtbot.keyClick(dialog.focusWidget() or dialog, key)


def test_listed_household_opens_in_the_form_unchanged(start, qtbot, data_dir, key):
    """Opening and closing a household from the list changes nothing: it stays untouched (so a
    newer province version still replaces it) and still counts as to verify. The form shows
    today as the visit date (the list has none), as for a new household; it is stored only
    with the officer's first change."""
    rec = listed(1)
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        pull(s, key, [candidate(key, rec)])
    app = start()
    unlock(qtbot, app)
    app.window._open_household(rec["id"])
    qtbot.waitUntil(lambda: app.window.household is not None, timeout=TIMEOUT)
    form = app.window.household.form
    today = date.today().isoformat()
    assert q.canonical(form.record()) == q.canonical(dict(rec, tanggal_kunjungan=today))
    press(qtbot, Qt.Key.Key_W, CTRL)
    qtbot.waitUntil(lambda: app.page() is app.window.workspace)
    app.window.lock()
    with reopen(data_dir) as s:
        assert s.get(rec["id"]) == (rec, 1)
        assert s.rows()[0].sync_state == "to_verify"


def test_only_what_the_province_changed_is_offered(start, qtbot, data_dir, key):
    """Regression: the officer had answered the whole visit (dwelling, assets, members, RT/RW)
    when the province corrected one name. The dialog listed every answer the officer had added
    (81 rows) beside an empty "province's version", burying the one change; it now compares
    with the version the officer started from and offers only the province's change."""
    rec = listed(1)
    mine = records.numbered(
        1, id=rec["id"], status="draft", verifikasi={"sumber": 1, "keberadaan_keluarga": 1}
    )
    theirs = listed(1)
    theirs["anggota"][1]["nama"] = "Rosmiati Ilas (ralat)"
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        pull(s, key, [candidate(key, rec)])
        households.save_draft(s, mine, expected_revision=1)
        pull(s, key, [candidate(key, theirs, revision=2, seq=2)])
    app = start()
    unlock(qtbot, app)
    app.window._open_household(rec["id"])
    controller = app.window.province_change
    qtbot.waitUntil(lambda: controller.dialog is not None and controller.dialog.isVisible())
    dialog: ProvinceChangeDialog = controller.dialog
    assert list(dialog.groups) == ["anggota/1:1/nama"]
    dialog.choose("anggota/1:1/nama", THEIRS)
    press_in(qtbot, dialog, ENTER)
    qtbot.waitUntil(
        lambda: app.window.household is not None and app.page() is app.window.household,
        timeout=TIMEOUT,
    )
    shown = app.window.household.form.record()
    assert shown["anggota"][1]["nama"] == "Rosmiati Ilas (ralat)"
    assert shown["rumah"] == mine["rumah"] and shown["lokasi"] == mine["lokasi"]  # the officer's
