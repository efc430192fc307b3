"""The desktop app when the store cannot be written (issue 10, items 3 and 4): the app holding
the store turns `khbs import` away with a message naming it; on a full disk the app unlocks and
a failed autosave says the edit is not saved. Real app, real worker, real store."""

from __future__ import annotations

import json
import os

import pytest
from PySide6.QtCore import Qt

from app.i18n import tr
from tests import records
from tests.records import numbered
from tests.test_cli import Khbs, write_jsonl
from tests.test_gui_app import (  # noqa: F401 - start and stored are fixtures
    CTRL,
    ENTER,
    TIMEOUT,
    answer,
    answering_message_boxes,
    go_to_section,
    open_by_search,
    press,
    reactivate,
    reopen,
    shut,
    start,
    stored,
    unlock,
)

pytestmark = pytest.mark.usefixtures("qapp_translated")


def store_closed(qtbot, app) -> None:
    """Wait until the worker has run everything queued (a lock queues closing the store)."""
    with qtbot.waitSignal(
        app.worker.busyChanged, check_params_cb=lambda busy: not busy, timeout=TIMEOUT
    ):
        app.worker.submit(lambda state: None)


def test_the_app_holding_the_store_turns_khbs_import_away(start, stored, qtbot, data_dir, tmp_path):
    """Was: `khbs import` wrote beside the app; the device-wide NIK check could be raced."""
    app = start()
    unlock(qtbot, app)
    khbs = Khbs(data_dir, tmp_path)
    source = write_jsonl(tmp_path / "one.jsonl", [numbered(100)])
    before = (data_dir / "khbs.db").read_bytes()
    proc = khbs.fails("import", str(source))
    assert (
        proc.stderr
        == "khbs: " + tr("error.store_in_use", "id", command="khbs gui", pid=os.getpid()) + "\n"
    )
    assert (data_dir / "khbs.db").read_bytes() == before
    # Reading beside the app is fine.
    assert json.loads(khbs.ok("status", "--json").stdout)["households"] == 1

    press(qtbot, Qt.Key.Key_L, CTRL)  # locked: the app lets go of the store
    store_closed(qtbot, app)
    assert "1 keluarga diimpor" in khbs.ok("import", str(source)).stdout


class TestFullDisk:
    @pytest.fixture
    def data_dir(self, small_disk):
        return small_disk.path / "data"

    def test_the_app_unlocks_on_a_full_disk(self, start, stored, qtbot, small_disk):
        """Was: unlocking wrote an audit row first, so a full disk locked the officer out."""
        small_disk.fill()
        app = start()
        unlock(qtbot, app)
        assert app.window.workspace.model.rowCount() == 1
        open_by_search(qtbot, app, "Ilas")  # and a household opens

    def test_a_failed_autosave_says_the_edit_is_not_saved(
        self, start, stored, qtbot, qapp, data_dir, small_disk
    ):
        """Was: "Kesalahan tak terduga (OperationalError). Tidak ada data yang hilang" while the
        edit was not saved."""
        app = start()
        unlock(qtbot, app)
        page = open_by_search(qtbot, app, "Ilas")
        go_to_section(qtbot, page.form, "lokasi")
        press(qtbot, ENTER)
        answer(qtbot, page.form.section("lokasi"), "rt", "077")
        small_disk.fill()
        try:  # free it whatever happens: a failing test must not leave a full disk to teardown
            with answering_message_boxes(qtbot) as answered:
                press(qtbot, Qt.Key.Key_S, CTRL)
                qtbot.waitUntil(lambda: bool(answered), timeout=TIMEOUT)
            assert answered[0][0] == tr("error.disk_full", "id")
            assert "TIDAK tersimpan" in answered[0][0] and "Kosongkan ruang disk" in answered[0][0]
            assert page.form.record()["lokasi"]["rt"] == "077"  # on screen, to save later
        finally:
            small_disk.free()
        reactivate(qtbot, app.window)
        with qtbot.waitSignal(app.window.editor.saved, timeout=TIMEOUT):
            press(qtbot, Qt.Key.Key_S, CTRL)
        shut(qapp, app)
        with reopen(data_dir) as s:
            saved, revision = s.get(records.household()["id"])
            assert saved["lokasi"]["rt"] == "077" and revision == 2
            assert s.verify().ok
