"""Issue 13 in the app: a new questionnaire version arrives with a sync while the officer works
on a household. The notice "Kuesioner versi 2 tersedia." shows in the sync area without
touching the open form; the draft, opened again, is a version 2 form with every answer kept and
the officer told so; a new household is version 2; a final household keeps version 1. The real
app (MainWindow, Session, StoreWorker) against the real server on 127.0.0.1, offscreen."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from app import questionnaire as q
from sync.server import questionnaires
from sync.server.admins import CLI_ACTOR
from tests import records
from tests.questionnaires import V2_FILE
from tests.test_gui_app import CTRL, TIMEOUT, App, open_by_search, press, start, unlock  # noqa: F401
from tests.test_gui_sync import new_store, province  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("qapp_translated")


def publish_v2(province) -> None:
    with province.engine.begin() as conn:
        questionnaires.publish(conn, province.keys, V2_FILE.read_bytes(), actor=CLI_ACTOR)


def test_version_2_arrives_while_a_draft_is_open_and_applies_when_it_is_opened_again(
    start, province, qtbot, data_dir
):
    from app.store import Store
    from tests.conftest import PASSPHRASE

    new_store(data_dir, province)
    draft = records.numbered(1, status="draft")
    draft["program"] = {"program_bansos": [4]}  # PBI for the family: a code version 2 retired
    final = records.numbered(2)
    with Store.open(data_dir, PASSPHRASE) as store:
        store.save(draft)
        store.save(final)
    publish_v2(province)
    app = start()
    unlock(qtbot, app)
    ws = app.window.workspace
    page = open_by_search(qtbot, app, draft["no_kk"])
    form = page.form
    assert "ekonomi" not in form.section_keys()  # version 1, the only one on hand

    if not app.session.syncing:  # the automatic sync at unlock may be under way already
        app.session.sync()
    qtbot.waitUntil(lambda: bool(app.session.sync_notes.questionnaires), timeout=TIMEOUT)
    assert app.session.sync_notes.questionnaires == "Kuesioner versi 2 tersedia."
    assert app.window.household is page and page.form is form  # work in progress undisturbed
    assert form.record()["schema_version"] == 1

    page.closeRequested.emit()
    qtbot.waitUntil(lambda: app.window.household is None)
    assert ws.clock_warning.isVisible()
    assert ws.clock_warning.text() == "Kuesioner versi 2 tersedia."

    # Opened again: version 2, every answer kept, the officer told.
    page = open_by_search(qtbot, app, draft["no_kk"])
    assert "ekonomi" in page.form.section_keys()
    record = page.form.record()
    assert record["schema_version"] == 2
    assert record["program"]["program_bansos"] == [4]
    assert record["rumah"] == draft["rumah"] and record["aset"] == draft["aset"]
    for mine, was in zip(record["anggota"], draft["anggota"], strict=True):
        assert {k: mine.get(k) for k in was} == was
    assert page.state.text().startswith("Dibuka dengan kuesioner versi 2;")
    assert "pertanyaan baru wajib diisi" in page.state.text()
    # The member dialog asks version 2's questions.
    dialog = page.form.members.edit(0)
    assert "sektor_kerja" in dialog.section.rows
    dialog.reject()
    page.closeRequested.emit()
    qtbot.waitUntil(lambda: app.window.household is None)

    # A new household is version 2; the final keeps version 1.
    press(qtbot, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: app.window.household is not None)
    assert app.window.household.form.record()["schema_version"] == 2
    assert "ekonomi" in app.window.household.form.section_keys()
    app.window.household.closeRequested.emit()
    qtbot.waitUntil(lambda: app.window.household is None)
    with Store.open(data_dir, PASSPHRASE, write=False) as store:
        assert store.get(final["id"])[0]["schema_version"] == 1
    assert json.loads(V2_FILE.read_text("utf-8")) == q.schema_of(2)
