"""Sync in the app: enroll with the province from the dialog, Sync now, a server that is down,
the automatic sync timer. The real app (MainWindow, Session, StoreWorker thread) on a real store,
against the real server (SQLite) served by uvicorn on 127.0.0.1 in a thread, as in
tests/server/test_api.py. Driven with the keyboard, offscreen, in Bahasa Indonesia."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app.gui.models import COL_SYNC
from app.i18n import tr
from app.store import Store
from sync.client import SyncClient
from sync.server import keys, repo
from sync.server.api.app import create_app
from sync.server.db import open_database
from sync.server.settings import Settings as ServerSettings
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.liveserver import LiveServer  # noqa: E402
from tests.records import numbered
from tests.test_gui_app import (
    ENTER,
    TIMEOUT,
    App,
    focused,
    press,
    press_mnemonic,
    reactivate,
    start,  # noqa: F401 - the fixture: start(sync_minutes=...) -> App
    type_text,
    unlock,
)

pytestmark = pytest.mark.usefixtures("qapp_translated")

AREA = "62.71.03"  # kecamatan Jekan Raya: holds tests.records.DESA
SENT = "Terkirim"  # the Sync column of a household the province has taken
WAITING = "Menunggu dikirim"


@dataclass
class Province:
    live: LiveServer
    engine: object
    officer: str
    keys: object = None  # the unwrapped province keys (sync.server.keys), as the CLI opens them
    db_url: str = ""

    @property
    def url(self) -> str:
        return self.live.url

    def code(self) -> str:
        with self.engine.begin() as conn:
            return repo.create_enroll_code(conn, self.officer).code


@pytest.fixture
def province(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = open_database(url, create=True)
    with engine.begin() as conn:
        unwrapped = keys.create(conn, PASSPHRASE, kdf=FAST_KDF)
    with engine.begin() as conn:
        officer = repo.add_officer(conn, "Sari Petugas", [AREA])
    live = LiveServer(create_app(ServerSettings(db_url=url), unwrapped))
    with live:
        yield Province(live, engine, officer, unwrapped, url)
    engine.dispose()


def new_store(data_dir, province: Province | None = None, households=()) -> None:
    """A store on disk (fast KDF), enrolled with `province` if given, holding final households."""
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as store:
        if province is not None:
            SyncClient(store).enroll(province.url, province.code())
        for n in households:
            store.save(numbered(n))


def sync_column(app: App) -> list[str]:
    m = app.window.workspace.model
    return [m.index(r, COL_SYNC).data() for r in range(m.rowCount())]


def wait_idle(qtbot, app: App) -> None:
    """Everything queued on the worker (a lock's close of the store included) has run."""
    with qtbot.waitCallback(timeout=TIMEOUT) as done:
        app.worker.submit(lambda _state: None, done)


def message_boxes() -> list[QMessageBox]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def test_enroll_from_the_dialog_then_sync_now(start, province, qtbot, data_dir):
    new_store(data_dir)
    app = start()
    unlock(qtbot, app)
    ws = app.window.workspace
    assert not ws.sync_button.isEnabled() and ws.enroll_button.isVisible()

    press_mnemonic(qtbot, ws.enroll_button)
    qtbot.waitUntil(
        lambda: app.window.enroll_dialog is not None and app.window.enroll_dialog.isVisible()
    )
    dialog = app.window.enroll_dialog
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.server)
    # Plain HTTP to another machine: the client refuses it, the dialog says why in Indonesian.
    type_text(qtbot, "http://192.0.2.10:8080")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.code
    type_text(qtbot, province.code())
    press(qtbot, ENTER)
    qtbot.waitUntil(
        lambda: dialog.message.text() == tr("sync.error.insecure_url", "id"), timeout=TIMEOUT
    )
    assert dialog.isVisible() and not app.session.is_enrolled
    # The right address (HTTP to this machine is allowed): Shift+Tab back to it.
    press(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert focused() is dialog.server
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, province.url)
    press(qtbot, ENTER)  # Enter in the address field with a code typed: enroll
    qtbot.waitUntil(lambda: app.session.is_enrolled, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: app.window.enroll_dialog is None)
    reactivate(qtbot, app.window)
    assert ws.sync_button.isEnabled() and not ws.enroll_button.isVisible()
    assert app.session.areas == [AREA]
    never = ws.last_sync.text()

    # Two final households arrive in the store (as the form would save them), then Sync now.
    press(qtbot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, app)
    with Store.open(data_dir, PASSPHRASE) as store:
        store.save(numbered(1))
        store.save(numbered(2))
    unlock(qtbot, app)
    assert sync_column(app) == [WAITING, WAITING]
    assert ws.sync_button.isEnabled()
    progress: list[tuple[int, int, int]] = []
    app.session.syncProgress.connect(lambda *a: progress.append(a))
    states: list[tuple[bool, bool]] = []  # (syncing, Sync now enabled), after the window's slot
    app.session.syncStateChanged.connect(
        lambda: states.append((app.session.syncing, ws.sync_button.isEnabled()))
    )
    press_mnemonic(qtbot, ws.sync_button)  # a mnemonic clicks after a short animation
    qtbot.waitUntil(lambda: sync_column(app) == [SENT, SENT], timeout=TIMEOUT)
    assert not app.session.syncing and ws.sync_button.isEnabled()
    assert states[0] == (True, False)  # never two syncs at once
    assert progress[0][:2] == (0, 2) and progress[-1][:2] == (2, 2) and progress[-1][2] > 0
    assert not ws.sync_progress.isVisible()
    assert ws.last_sync.text() != never and app.session.last_sync
    assert not ws.sync_message.isVisible() and not message_boxes()


def test_a_server_that_is_down_leaves_the_households_waiting(start, province, qtbot, data_dir):
    new_store(data_dir, province, households=(1, 2))
    province.live.__exit__()  # the province's server goes away
    app = start()
    unlock(qtbot, app)
    ws = app.window.workspace
    assert sync_column(app) == [WAITING, WAITING]
    never = ws.last_sync.text()
    press_mnemonic(qtbot, ws.sync_button)
    qtbot.waitUntil(lambda: ws.sync_message.isVisible(), timeout=TIMEOUT)
    assert ws.sync_message.text() == tr("sync.error.network", "id")
    assert "Traceback" not in ws.sync_message.text() and not message_boxes()
    assert not app.session.syncing and ws.sync_button.isEnabled()  # can try again
    assert sync_column(app) == [WAITING, WAITING] and ws.last_sync.text() == never
    # The app stays usable: search, and the store still answers.
    press(qtbot, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert focused() is ws.search
    wait_idle(qtbot, app)  # the worker still takes operations
    assert sync_column(app) == [WAITING, WAITING]


def test_automatic_sync_runs_while_unlocked_and_stops_on_lock(start, province, qtbot, data_dir):
    new_store(data_dir, province, households=(1, 2))
    app = start(sync_minutes=0.005)  # 300 ms
    unlock(qtbot, app)
    assert app.session.auto_timer.isActive()
    qtbot.waitUntil(lambda: sync_column(app) == [SENT, SENT], timeout=TIMEOUT)
    assert app.session.last_sync

    press(qtbot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert not app.session.is_unlocked and not app.session.auto_timer.isActive()
    started: list[int] = []
    app.session.syncStateChanged.connect(lambda: started.append(app.session.syncing))
    qtbot.wait(800)  # more than two ticks
    assert not any(started) and not app.session.syncing


def test_first_run_can_enroll_straight_away(start, province, qtbot, data_dir):
    app = start()
    page = app.window.first_run
    assert page.enroll.isEnabled()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    page.passphrase.setFocus()
    type_text(qtbot, PASSPHRASE)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is page.confirm
    type_text(qtbot, PASSPHRASE)
    press_mnemonic(qtbot, page.enroll)  # Alt+letter checks the radio button
    qtbot.waitUntil(page.enroll.isChecked)
    page.confirm.setFocus()
    press(qtbot, ENTER)
    qtbot.waitUntil(lambda: app.window.enroll_dialog is not None, timeout=60_000)
    dialog = app.window.enroll_dialog
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.server)
    type_text(qtbot, province.url)
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, province.code())
    press(qtbot, ENTER)
    qtbot.waitUntil(lambda: app.session.is_enrolled, timeout=TIMEOUT)
    assert app.window.workspace.sync_button.isEnabled()


def test_a_clock_two_days_fast_is_shown_with_the_households_sent_back(
    start, province, qtbot, data_dir
):
    """Issue 10 item 6: the laptop's clock runs two days fast, so today's visit is dated the
    day after tomorrow and the province refuses it. The sync area says so: the clock's offset,
    and the household (by its head's name, a link that opens it) with the reason."""
    import time
    from datetime import date, timedelta

    ahead = 2 * 86400
    rec = numbered(1)
    rec["tanggal_kunjungan"] = rec["persetujuan"]["tanggal"] = (
        date.today() + timedelta(days=2)
    ).isoformat()
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as store:
        SyncClient(store).enroll(province.url, province.code())
        store.save(rec)
        store.save(numbered(2))  # visited on a day the province agrees is past
    app = start()
    app.session.sync_clock = lambda: time.time() + ahead
    unlock(qtbot, app)
    ws = app.window.workspace
    assert not ws.clock_warning.isVisible() and not ws.attention.isVisible()
    press_mnemonic(qtbot, ws.sync_button)
    qtbot.waitUntil(lambda: ws.clock_warning.isVisible(), timeout=TIMEOUT)
    assert ws.clock_warning.text().startswith("Jam laptop 2 hari lebih cepat dari server provinsi.")
    assert ws.attention.isVisible()
    text = ws.attention.text()
    assert f'href="{rec["id"]}"' in text and numbered(2)["id"] not in text
    assert "Yohanes Ilas" in text  # the head's name, as the list shows it
    assert "tanggal kunjungan di masa depan (periksa jam laptop)" in text
    assert "Dikembalikan provinsi" in text
    assert not ws.sync_message.isVisible() and not message_boxes()
    assert abs(app.session.sync_notes.clock_offset_s - ahead) <= 5
    # The name is a link: it opens the household to fix.
    opened: list[str] = []
    ws.openRequested.connect(opened.append)
    ws.attention.linkActivated.emit(rec["id"])
    assert opened == [rec["id"]]

    # Locking forgets it all; the clock set right again, the next sync says nothing of it.
    press(qtbot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert ws.clock_warning.isHidden() and ws.attention.isHidden() and not ws.attention.text()
    unlock(qtbot, app)
    app.session.sync_clock = time.time
    press_mnemonic(qtbot, ws.sync_button)
    qtbot.waitUntil(
        lambda: (
            not app.session.syncing
            and app.session.sync_notes.clock_offset_s is not None
            and abs(app.session.sync_notes.clock_offset_s) <= 5
        ),
        timeout=TIMEOUT,
    )
    assert not ws.clock_warning.isVisible()
    assert ws.attention.isVisible()  # still sent back until the officer fixes it


def test_photos_upload_after_the_records_with_their_own_progress(
    start, province, qtbot, data_dir, monkeypatch
):
    """Sync now, the officer says Yes to the photos: the records go (households sent), then
    the photos, counted apart in the status ("Foto: 3 dari 6 terkirim"), all delivered on
    the GUI thread by signals while the network thread sends."""
    import threading

    from app import evidence
    from app.store import attachments
    from tests import photos as phone

    new_store(data_dir, province)
    with Store.open(data_dir, PASSPHRASE) as store:
        for n in (1, 2):
            rec = numbered(n)
            store.save(rec)
            for seed in range(3):
                prepared = evidence.prepare_photo(phone.phone_jpeg(seed=10 * n + seed))
                attachments.add(store, rec["id"], "photo", prepared.content, prepared.thumbnail, {})
    app = start()
    unlock(qtbot, app)
    ws = app.window.workspace
    monkeypatch.setattr(
        "app.gui.main_window.QMessageBox.question",
        lambda *a: QMessageBox.StandardButton.Yes,  # "Kirim foto sekarang?" Ya
    )
    seen: list[tuple[str, int, int, str, int]] = []
    gui = threading.get_ident()
    app.session.syncProgress.connect(
        lambda d, t, _b: seen.append(("records", d, t, ws.sync_progress.format(), gui))
    )
    app.session.photoProgress.connect(
        lambda d, t, _b: seen.append(
            ("photos", d, t, ws.sync_progress.format(), threading.get_ident())
        )
    )
    press_mnemonic(qtbot, ws.sync_button)
    qtbot.waitUntil(lambda: sync_column(app) == [SENT, SENT], timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not app.session.syncing, timeout=TIMEOUT)
    stages = [s[0] for s in seen]
    assert "photos" in stages and stages.index("photos") > max(
        i for i, s in enumerate(stages) if s == "records"
    )  # every record before any photo
    shown = [(d, t, text) for stage, d, t, text, _ in seen if stage == "photos"]
    assert shown[0][:2] == (0, 6) and shown[-1][:2] == (6, 6)
    assert [d for d, _, _ in shown] == sorted(d for d, _, _ in shown)
    assert any(text.startswith("Foto: 3 dari 6 terkirim") for _, _, text in shown), shown
    assert all(ident == gui for *_, ident in seen)  # delivered on the GUI thread
    with province.engine.begin() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM attachments").scalar()
    assert stored == 6
    assert not ws.sync_progress.isVisible() and not message_boxes()
