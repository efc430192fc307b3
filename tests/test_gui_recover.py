"""Forgotten passphrase in the app: the unlock page's "Forgot the passphrase?" shows the store
id to read to the province, takes their recovery code and a new passphrase, and opens the
workspace with everything still there. (The province side: tests/server/test_recovery.py.)"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from app.i18n import tr
from app.recovery import format_code
from app.store import Store
from tests import records
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.test_gui_app import TIMEOUT, start  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("qapp_translated")
NEW = "danau-tahai-2027"


@pytest.fixture
def laptop(data_dir):
    """A store holding one household; returns (store id, recovery code) as the province
    would give them."""
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        s.save(records.household(status="draft"))
        return s.store_id, format_code(s._data_key)


def test_forgotten_passphrase_is_recovered_in_the_app(start, laptop, qtbot, data_dir):  # noqa: F811
    store_id, code = laptop
    app = start()
    app.window.unlock_page.forgot_button.click()
    dialog = app.window.recover_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.store_id.text() == store_id, timeout=TIMEOUT)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)

    # A mistyped code is refused with a message and changes nothing.
    dialog.code.setText(code[:-2] + ("AA" if not code.endswith("AA") else "BB"))
    dialog.passphrase.setText(NEW)
    dialog.confirm.setText(NEW)
    ok.click()
    qtbot.waitUntil(lambda: dialog.message.text() != "", timeout=TIMEOUT)
    assert dialog.message.text() == tr("error.recovery_code", "id")
    assert not app.session.is_unlocked

    dialog.confirm.setText(NEW + "x")  # passphrases that differ never reach the store
    ok.click()
    assert dialog.message.text() and not dialog.busy.isVisible()

    dialog.code.setText(code.lower())
    dialog.confirm.setText(NEW)
    ok.click()
    qtbot.waitUntil(lambda: app.session.is_unlocked, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: app.window.recover_dialog is None)
    assert app.page() is app.window.workspace
    assert app.window.workspace.model.rowCount() == 1
    app.window.lock()
    app.worker.shutdown()
    with Store.open(data_dir, NEW) as s:  # the new passphrase opens it, data intact
        assert len(s.rows()) == 1


def test_closing_the_dialog_before_the_id_arrives_is_harmless(start, laptop, qtbot):  # noqa: F811
    app = start()
    app.window.unlock_page.forgot_button.click()
    app.window.recover_dialog.reject()
    qtbot.waitUntil(lambda: app.window.recover_dialog is None)
    assert app.page() is app.window.unlock_page
