"""Fast keyboard entry (issue 12): the reference family enrolled by keyboard alone in the real
app on a real store, every key counted (tests/keyentry.py holds the family and the script;
`python -m bench --only keys` prints the same count)."""

from __future__ import annotations

from datetime import date

import pytest

from tests import keyentry
from tests.conftest import FAST_KDF, PASSPHRASE

pytestmark = pytest.mark.usefixtures("qapp_translated")


def test_reference_family_by_keyboard_alone_within_the_key_budget(qtbot, data_dir):
    keyentry.make_store(data_dir, PASSPHRASE, FAST_KDF)

    def wait(condition) -> None:
        qtbot.waitUntil(condition, timeout=10_000)

    worker, _session, window = keyentry.open_app(data_dir, PASSPHRASE, wait)
    qtbot.addWidget(window)
    try:
        rec = keyentry.family(date.today())
        kb = keyentry.Keyboard(wait)
        keyentry.enroll(kb, window, rec)
        wait(lambda: not worker.busy())
    finally:
        keyentry.close_app(worker, window)

    [saved] = keyentry.saved_records(data_dir, PASSPHRASE)
    assert saved.pop("paradata")["jumlah_kunjungan"] == 1  # kept by the editor, not typed
    assert saved == keyentry.expected(rec, saved["id"])
    assert saved["anggota"][5]["tanggal_lahir"] == str(date.today().year - 76)  # the year only
    assert kb.total <= keyentry.TARGET, (kb.total, " ".join(kb.log))
