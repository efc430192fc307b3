"""The settings dialog (issue 12): language, idle-lock minutes and automatic sync chosen by
keyboard in the real app, applied at once (no restart) and kept in settings.json as before."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.gui.app import install_translator
from app.gui.settings import FILENAME, Settings
from app.i18n import current_lang
from tests import keyentry
from tests.conftest import FAST_KDF, PASSPHRASE

pytestmark = pytest.mark.usefixtures("qapp_translated")
CTRL = Qt.KeyboardModifier.ControlModifier


def focused():
    return QApplication.focusWidget()


def test_settings_by_keyboard_apply_at_once_and_are_kept(qtbot, qapp, data_dir):
    keyentry.make_store(data_dir, PASSPHRASE, FAST_KDF)

    def wait(condition) -> None:
        qtbot.waitUntil(condition, timeout=10_000)

    worker, session, window = keyentry.open_app(data_dir, PASSPHRASE, wait)
    qtbot.addWidget(window)
    try:
        assert window.workspace.new_button.text() == "Keluarga &baru"
        QTest.keyClick(focused(), Qt.Key.Key_Comma, CTRL)
        wait(lambda: window.settings_dialog is not None)
        dialog = window.settings_dialog
        assert dialog is not None and dialog.auto_sync.isChecked()  # 5 minutes by default
        wait(lambda: focused() is dialog.language)
        QTest.keyClick(dialog.language, Qt.Key.Key_Down)  # English
        QTest.keyClick(dialog.language, Qt.Key.Key_Tab)
        assert focused() is dialog.idle
        QTest.keyClick(dialog.idle, Qt.Key.Key_A, CTRL)
        QTest.keyClicks(dialog.idle, "3")
        QTest.keyClick(dialog.idle, Qt.Key.Key_Tab)
        assert focused() is dialog.auto_sync
        QTest.keyClick(dialog.auto_sync, Qt.Key.Key_Space)  # off
        QTest.keyClick(dialog.auto_sync, Qt.Key.Key_Return)  # Save, the default button
        wait(lambda: window.settings_dialog is None)

        # Applied without a restart: the list speaks English, the lock comes after 3 minutes.
        assert current_lang() == "en"
        assert window.workspace.new_button.text() == "&New household"
        assert window.stack.currentWidget() is window.workspace
        assert window.idle.minutes() == 3 and window.idle.is_running()
        assert not session.auto_timer.isActive()
        wait(lambda: (data_dir / FILENAME).exists())
        wait(lambda: json.loads((data_dir / FILENAME).read_text())["lang"] == "en")
        stored = json.loads((data_dir / FILENAME).read_text())
        assert stored == {"lang": "en", "idle_lock_minutes": 3, "sync_minutes": 0}
        assert Settings.load(data_dir) == Settings("en", 3, 0)

        # Automatic sync on again: the default period comes back.
        window.open_settings()
        dialog = window.settings_dialog
        assert dialog is not None and not dialog.auto_sync.isChecked()
        assert dialog.language.currentData() == "en" and dialog.idle.value() == 3
        dialog.auto_sync.setChecked(True)
        dialog.accept()
        wait(lambda: Settings.load(data_dir).sync_minutes == Settings.sync_minutes)
    finally:
        keyentry.close_app(worker, window)
        install_translator(qapp, "id")  # the session's translator, for the tests after this


def test_the_settings_dialog_closes_on_lock(qtbot, data_dir):
    keyentry.make_store(data_dir, PASSPHRASE, FAST_KDF)

    def wait(condition) -> None:
        qtbot.waitUntil(condition, timeout=10_000)

    worker, _session, window = keyentry.open_app(data_dir, PASSPHRASE, wait)
    qtbot.addWidget(window)
    try:
        window.open_settings()
        assert window.settings_dialog is not None
        window.lock()
        wait(lambda: window.settings_dialog is None)
        window.open_settings()  # locked: nothing opens
        assert window.settings_dialog is None
    finally:
        keyentry.close_app(worker, window)
