"""CSV export from the app: the dialog opened with Ctrl+E, driven with keys, the export running on
the real StoreWorker over a real encrypted store; progress, cancel, lock and a folder that cannot
be written. Offscreen, in Bahasa Indonesia."""

from __future__ import annotations

import csv
import os
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app import households
from app import questionnaire as q
from app.export.layout import mask
from app.i18n import tr
from app.store import Store
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered
from tests.test_gui_app import (
    ALT,
    CTRL,
    ENTER,
    TIMEOUT,
    App,
    focused,
    press,
    press_mnemonic,
    start,  # noqa: F401 - the fixture
    type_text,
    unlock,
)
from tests.test_gui_sync import wait_idle

pytestmark = pytest.mark.usefixtures("qapp_translated")

FILES = ("households.csv", "members.csv", "manifest.json")


def new_store(data_dir, finals=3, demo=0) -> None:
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as store:
        for n in range(1, finals + 1):
            store.save(numbered(n))
        if demo:
            households.add_demo(store, demo, seed=5)


def open_dialog(qtbot, app: App, folder: Path):
    """Ctrl+E from the list; the folder field has focus: type the folder over the default."""
    press(qtbot, Qt.Key.Key_E, CTRL)
    qtbot.waitUntil(
        lambda: app.window.export_dialog is not None and app.window.export_dialog.isVisible()
    )
    dialog = app.window.export_dialog
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.folder)
    assert "KHBS-ekspor-" in dialog.folder.text()  # the default
    press(qtbot, Qt.Key.Key_A, CTRL)
    type_text(qtbot, str(folder))
    return dialog


def read(path: Path, delimiter: str) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def test_export_with_the_shortcut_excel_and_masked_ids(start, qtbot, data_dir, tmp_path):
    new_store(data_dir, finals=3, demo=20)
    app = start()
    unlock(qtbot, app)
    out = tmp_path / "laporan"
    dialog = open_dialog(qtbot, app, out)
    # The defaults: masked numbers, Excel (Indonesia), labels in the app's language; and the
    # plain-text warning is there before anything is written.
    assert dialog.mask_ids.isChecked() and dialog.excel.isChecked()
    assert not dialog.omit_health.isChecked() and dialog.lang.currentData() == "id"
    assert "tanpa enkripsi" in dialog.warning.text()
    seen: list[int] = []
    dialog.progress.valueChanged.connect(seen.append)
    press(qtbot, ENTER)  # Export is the default button
    qtbot.waitUntil(lambda: not dialog.running, timeout=TIMEOUT)

    with Store.open(data_dir, PASSPHRASE) as store:
        records = {hid: rec for hid, rec in store.records()}
    members = sum(len(r.get(q.MEMBERS) or []) for r in records.values())
    assert dialog.message.text() == tr(
        "cli.export_done", "id", households=len(records), members=members, path=str(out)
    )
    assert sorted(os.listdir(out)) == sorted(FILES)
    assert (out / "households.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel
    homes, people = read(out / "households.csv", ";"), read(out / "members.csv", ";")
    assert len(homes) == len(records) and len(people) == members
    for row in homes:
        real = records[row["household_id"]][q.KK]
        assert row[q.KK] == mask(real) != real
    for row in people:
        real = records[row["household_id"]][q.MEMBERS][int(row["no_urut"]) - 1][q.NIK]
        assert row[q.NIK] == mask(real) != real
    assert dialog.progress.value() == dialog.progress.maximum() == len(records)
    assert seen[-1] == len(records)
    # Esc closes the dialog; focus goes back to the list.
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: app.window.export_dialog is None)


def test_filters_and_status_choice(start, qtbot, data_dir, tmp_path):
    """Final households only, plain CSV (comma), NIK in full: what card issuance needs."""
    new_store(data_dir, finals=2)
    with Store.open(data_dir, PASSPHRASE) as store:
        households.save_draft(store, numbered(9, status="draft"))
    app = start()
    unlock(qtbot, app)
    out = tmp_path / "final"
    dialog = open_dialog(qtbot, app, out)
    press(qtbot, Qt.Key.Key_T, ALT)  # "S&tatus:"
    assert focused() is dialog.status
    type_text(qtbot, "F")  # "Final"
    assert dialog.status.currentData() == "final"
    for box in (dialog.mask_ids, dialog.excel):  # unchecked: full NIK and KK, plain CSV
        press_mnemonic(qtbot, box)
        qtbot.waitUntil(lambda box=box: not box.isChecked())  # after the click's animation
    press(qtbot, ENTER)
    qtbot.waitUntil(lambda: not dialog.running, timeout=TIMEOUT)
    homes = read(out / "households.csv", ",")
    assert len(homes) == 2
    assert {h[q.KK] for h in homes} == {numbered(n)[q.KK] for n in (1, 2)}
    assert dialog.progress.value() == dialog.progress.maximum() == 2


@pytest.fixture
def answered(monkeypatch):
    """A laptop slow enough for the officer to react: at its first report the worker waits
    until the test has answered it (set the event), then asks again whether to go on. Without
    it a fast worker may finish all 600 households before the GUI thread gets the GIL."""
    from app.export import laptop

    event = threading.Event()
    real = laptop.export_store

    def export_store(*args, progress, **kwargs):
        def paused(n: int):
            answer = progress(n)
            if n > 0 and not event.is_set():
                event.wait(TIMEOUT / 1000)
                answer = progress(n)
            return answer

        return real(*args, progress=paused, **kwargs)

    monkeypatch.setattr(laptop, "export_store", export_store)
    return event


def test_cancel_midway_leaves_no_files(start, qtbot, data_dir, tmp_path, answered):
    new_store(data_dir, finals=0, demo=600)
    app = start()
    unlock(qtbot, app)
    out = tmp_path / "batal"
    dialog = open_dialog(qtbot, app, out)
    cancelled: list[bool] = []

    def first_progress(value: int) -> None:
        if value > 0 and not cancelled:  # Esc at the worker's first report: the dialog stays
            cancelled.append((out / ".households.csv.part").exists())
            press(qtbot, Qt.Key.Key_Escape)
            answered.set()

    dialog.progress.valueChanged.connect(first_progress)
    press(qtbot, ENTER)
    qtbot.waitUntil(lambda: not dialog.running, timeout=TIMEOUT)
    assert cancelled == [True] and dialog.isVisible()  # it was half written
    assert dialog.message.text() == "Ekspor dibatalkan. Tidak ada berkas yang ditulis."
    assert not out.exists()  # not even the folder the export made
    assert dialog.export_button.isEnabled()  # can start again


def test_locking_during_export_closes_the_dialog(start, qtbot, data_dir, tmp_path, answered):
    new_store(data_dir, finals=0, demo=600)
    app = start()
    unlock(qtbot, app)
    out = tmp_path / "kunci"
    dialog = open_dialog(qtbot, app, out)
    locked: list[bool] = []

    def lock_on_first_progress(value: int) -> None:
        if value > 0 and not locked:
            locked.append((out / ".members.csv.part").exists())
            press(qtbot, Qt.Key.Key_L, CTRL)  # the lock shortcut, from the dialog
            answered.set()

    dialog.progress.valueChanged.connect(lock_on_first_progress)
    press(qtbot, ENTER)
    qtbot.waitUntil(lambda: app.window.export_dialog is None, timeout=TIMEOUT)
    assert locked == [True]  # it was half written
    assert not [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not app.window]
    assert app.page() is app.window.unlock_page and not app.session.is_unlocked
    wait_idle(qtbot, app)  # the export has stopped and the store is closed
    assert not out.exists()  # not even the folder the export made


def test_a_folder_that_cannot_be_written_shows_why(start, qtbot, data_dir, tmp_path):
    new_store(data_dir, finals=1)
    app = start()
    unlock(qtbot, app)
    (tmp_path / "catatan.txt").write_text("x")
    out = tmp_path / "catatan.txt" / "ekspor"  # under a file: no one can make this folder
    dialog = open_dialog(qtbot, app, out)
    press(qtbot, ENTER)
    expected = tr("export.unwritable", "id", path=str(out))
    qtbot.waitUntil(lambda: dialog.message.text() == expected, timeout=TIMEOUT)
    assert dialog.isVisible() and not dialog.running and not dialog.progress.isVisible()
    assert dialog.export_button.isEnabled() and dialog.folder.isEnabled()
    # Another folder, Enter again: the same dialog exports.
    dialog.folder.setFocus()
    press(qtbot, Qt.Key.Key_A, CTRL)
    type_text(qtbot, str(tmp_path / "ekspor"))
    press(qtbot, ENTER)
    qtbot.waitUntil(lambda: (tmp_path / "ekspor" / "manifest.json").exists(), timeout=TIMEOUT)
