"""The list on a laptop holding stubs (app/store/retention.py): the count line says how many
households are held in full and how many are stubs, and a stub says so in the Sync column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.gui.models import COL_SYNC
from app.policy import DEFAULT_RETENTION_DAYS
from app.store import Store, retention
from app.store.outbox import apply_events
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.test_gui_app import start, unlock  # noqa: F401 - `start` is a fixture
from tests.test_retention import Clock, family, sent, status

pytestmark = pytest.mark.usefixtures("qapp_translated")


def test_count_line_shows_households_in_full_and_stubs(start, qtbot, data_dir):
    clock = Clock()
    clock.now = datetime.now(UTC) - timedelta(days=DEFAULT_RETENTION_DAYS + 2)
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF, clock=clock) as s:
        decided, kept = family(1), family(2)
        sent(s, decided)
        s.save(kept)
        apply_events(s, [status(decided["id"], 1, "verified", 1)], cursor=1)
        clock.now = datetime.now(UTC)
        assert retention.purge(s).ids == [decided["id"]]
    app = start()
    unlock(qtbot, app)
    ws = app.window.workspace
    qtbot.waitUntil(lambda: ws.model.rowCount() == 2)
    assert ws.counts.text() == "Keluarga: 2 dari 2 \u00b7 1 lengkap, 1 hanya ringkasan"
    rows = {ws.model.row_at(ws.model.index(i, 0)).id: i for i in range(2)}
    stub = ws.model.index(rows[decided["id"]], COL_SYNC).data()
    assert stub == "Hanya ringkasan"  # short since the merge (the name keeps its room)
