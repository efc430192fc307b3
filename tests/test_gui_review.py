"""The supervision loop in the officer's app (issue 15): a household a supervisor returned is in
"Perlu perbaikan", the form shows each comment at its question (a member's NIK: on the member's
row and in the member's dialog), the officer corrects and finalises again and the new revision
waits in the outbox; the card number the province issues appears in the list; and the whole
loop against the real server and its review and card commands.

The first test feeds the store a return made by tests/review_events.py exactly as the server
seals it (HPKE to the device's box key, review_info); the others run against the real server."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from app import questionnaire as q
from app.gui.form.members import COL_CHECK
from app.gui.models import COL_CARD, COL_KK, COL_STATUS
from app.province_key import ProvinceKeyPair
from app.store import Store
from app.store.outbox import apply_events, apply_results
from sync.server import repo
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered
from tests.review_events import comment, review
from tests.server.test_cli import Server
from tests.test_gui_app import (  # noqa: F401 - `start` is a fixture
    CTRL,
    ENTER,
    TIMEOUT,
    App,
    answering_message_boxes,
    focused,
    press,
    press_mnemonic,
    reactivate,
    start,
    type_text,
    unlock,
)
from tests.test_gui_sync import new_store, province  # noqa: F401 - `province` is a fixture
from tests.test_gui_verify_flow import sync_now

pytestmark = pytest.mark.usefixtures("qapp_translated")

RETURNED = "Perlu perbaikan"
NIK_TEXT = "NIK tidak sesuai KK, cek lagi digit terakhir"
FLOOR_TEXT = "Foto menunjukkan lantai tanah, bukan semen"
DEVICE = "device-test"


def status_of(app: App, kk: str) -> str:
    m = app.window.workspace.model
    return next(
        m.index(r, COL_STATUS).data()
        for r in range(m.rowCount())
        if m.index(r, COL_KK).data() == kk
    )


def on_store(qtbot, app: App, fn):
    """fn(store) on the app's store worker; its answer."""
    got: list = []
    with qtbot.waitCallback(timeout=TIMEOUT) as done:
        app.worker.submit(lambda state: fn(state.store), lambda r: (got.append(r), done(r)))
    return got[0]


def open_returned(qtbot, app: App):
    """Alt+P: the "Perlu perbaikan" filter, the first of them selected; Enter opens it and its
    review panel fills."""
    ws = app.window.workspace
    qtbot.waitUntil(ws.returned_button.isVisible)
    press_mnemonic(qtbot, ws.returned_button)  # a mnemonic clicks after a short animation
    qtbot.waitUntil(lambda: ws.status.currentData() == "returned")
    assert focused() is ws.table
    press(qtbot, ENTER)
    qtbot.waitUntil(lambda: app.window.household is not None and app.page() is app.window.household)
    page = app.window.household
    qtbot.waitUntil(page.review.isVisible, timeout=TIMEOUT)
    return page


def correct_nik_at_the_comment(qtbot, app: App, page, member: int, new_nik: str) -> None:
    """Ctrl+K to the comment list, Enter on the NIK comment
    opens the member at the NIK with the comment under it; the corrected NIK typed; Ctrl+Enter."""
    panel, form = page.review, page.form
    press(qtbot, Qt.Key.Key_K, CTRL)
    assert focused() is panel.comments
    nik_row = next(
        i for i in range(panel.comments.count()) if NIK_TEXT in panel.comments.item(i).text()
    )
    assert panel.comments.currentRow() == 0
    for _ in range(nik_row):
        press(qtbot, Qt.Key.Key_Down)
    assert panel.comments.currentRow() == nik_row
    press(qtbot, ENTER)
    members = form.members
    qtbot.waitUntil(lambda: members.dialog is not None and members.dialog.isVisible())
    dialog = members.dialog
    assert dialog.index == member
    nik = dialog.section.editor(q.NIK)
    qtbot.waitUntil(lambda: focused() is nik.line)
    assert NIK_TEXT in dialog.section.comment(q.NIK)
    assert dialog.section.rows[q.NIK].comment.isVisible()
    press(qtbot, Qt.Key.Key_A, CTRL)
    type_text(qtbot, new_nik)
    press(qtbot, ENTER, CTRL)
    qtbot.waitUntil(lambda: members.dialog is None)
    reactivate(qtbot, app.window)
    assert form.record()[q.MEMBERS][member][q.NIK] == new_nik


def finalise(qtbot, app: App) -> None:
    page = app.window.household
    with answering_message_boxes(qtbot):
        press_mnemonic(qtbot, page.finalise_button)
        qtbot.waitUntil(lambda: app.page() is app.window.workspace, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not app.worker.busy(), timeout=TIMEOUT)


def test_a_returned_household_is_corrected_at_the_comment_and_finalised_again(
    start, qtbot, data_dir
):
    rec, other = numbered(1), numbered(2)
    box = ProvinceKeyPair.generate()
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as store:
        for r in (rec, other):
            store.save(r)
        apply_results(
            store, [{"id": r["id"], "revision": 1, "outcome": "accepted"} for r in (rec, other)]
        )
        returned = review(
            box.public_bytes(),
            DEVICE,
            rec["id"],
            1,
            [
                comment("anggota.1.nik", NIK_TEXT, member_id="m-2"),
                comment("rumah.jenis_lantai", FLOOR_TEXT),
            ],
            note="Dua hal perlu diperbaiki",
        )
        assert apply_events(store, [returned], 1, box=(DEVICE, box)).reviews == 1

    app = start()
    unlock(qtbot, app)
    ws = app.window.workspace
    assert status_of(app, rec["no_kk"]) == RETURNED
    assert status_of(app, other["no_kk"]) == "Terkirim"
    assert "Perlu perbaikan: 1" in ws.counts.text()
    assert ws.returned_button.text() == "&Perlu perbaikan (1)"

    page = open_returned(qtbot, app)
    assert ws.proxy.rowCount() == 1
    panel, form = page.review, page.form
    assert "Dikembalikan pengawas untuk perbaikan (putaran 1," in panel.headline.text()
    assert "Dua hal perlu diperbaiki" in panel.detail.text()
    assert panel.detail.textFormat() == Qt.TextFormat.PlainText  # a note is never markup
    lines = [panel.comments.item(i).text() for i in range(panel.comments.count())]
    wife = rec[q.MEMBERS][1]["nama"]
    assert any(f"Anggota 2 ({wife}), NIK" in t and NIK_TEXT in t for t in lines), lines
    assert any(FLOOR_TEXT in t for t in lines), lines
    # Beside the question: the dwelling's floor; the member's row; the list of sections.
    keys = form.section_keys()
    assert FLOOR_TEXT in form.section("rumah").comment("jenis_lantai")
    members_item = form.section_list.item(keys.index(q.MEMBERS)).text()
    assert "Komentar pengawas: 1" in members_item
    check = form.members.model.index(1, COL_CHECK)
    assert "Komentar: 1" in check.data()
    assert NIK_TEXT in check.data(Qt.ItemDataRole.ToolTipRole)
    assert form.members.model.index(0, COL_CHECK).data() == ""

    new_nik = rec[q.MEMBERS][1][q.NIK][:12] + "0999"
    correct_nik_at_the_comment(qtbot, app, page, 1, new_nik)
    finalise(qtbot, app)

    # Out of "Perlu perbaikan" (the filter now shows none), final and waiting to be sent.
    qtbot.waitUntil(lambda: status_of(app, rec["no_kk"]) == "Final")
    assert ws.proxy.rowCount() == 0 and not ws.returned_button.isVisible()
    assert "Perlu perbaikan" not in ws.counts.text()
    record, revision = on_store(qtbot, app, lambda s: s.get(rec["id"]))
    assert record["status"] == "final" and record[q.MEMBERS][1][q.NIK] == new_nik
    assert on_store(qtbot, app, lambda s: s.queued_revision(rec["id"])) == revision > 1


def test_the_card_number_the_province_issues_appears_in_the_list(start, province, qtbot, data_dir):
    new_store(data_dir, province, households=[1])
    app = start()
    unlock(qtbot, app)
    sync_now(qtbot, app)
    hid = numbered(1)["id"]
    with province.engine.begin() as conn:
        repo.set_household_status(conn, hid, "verified", card_number="KHBS-62-0000042")
    sync_now(qtbot, app)
    m = app.window.workspace.model
    qtbot.waitUntil(lambda: m.index(0, COL_CARD).data() == "KHBS-62-0000042", timeout=TIMEOUT)


def test_the_whole_loop_against_a_real_server(start, province, qtbot, data_dir, tmp_path):
    """The officer's app and the real server with its review and card commands (`khbs-server
    review return|verify`, `cards issue`, as a supervisor's automation runs them): finalised and
    sent; returned with a comment on one member's NIK; seen at that question, corrected, sent
    again; the supervisor finds the new revision in the queue and verifies it; cards are issued
    and the card number appears on the laptop; the history shows both decisions. (The console's
    side of the same loop is tests/server/test_review_browser.py.)"""
    rec = numbered(1)
    hid = rec["id"]
    server = Server(province.db_url, tmp_path / "server-home")
    new_store(data_dir, province, households=[1])
    app = start()
    unlock(qtbot, app)
    sync_now(qtbot, app)  # revision 1 reaches the province
    queue = json.loads(server.ok("review", "list", "--json").stdout)
    assert [(h["household_id"], h["revision"]) for h in queue["households"]] == [(hid, 1)]

    server.ok(
        "review",
        "return",
        "--id",
        hid,
        "--revision",
        "1",
        "--reason",
        "nik_wrong",
        "--note",
        "Cocokkan dengan KK asli",
        "--comment",
        "anggota.1.nik",
        "nik_wrong",
        NIK_TEXT,
    )
    sync_now(qtbot, app)
    assert status_of(app, rec["no_kk"]) == RETURNED
    notes = app.window.workspace.attention  # the sync's notes list it with its sentence
    assert notes.isVisible() and "dikembalikan pengawas untuk perbaikan" in notes.text()

    page = open_returned(qtbot, app)
    assert "Alasan: NIK tidak sesuai KK/KTP" in page.review.detail.text()  # the console's label
    new_nik = rec[q.MEMBERS][1][q.NIK][:12] + "0999"
    correct_nik_at_the_comment(qtbot, app, page, 1, new_nik)
    finalise(qtbot, app)
    sync_now(qtbot, app)
    row = next(r for r in app.session.rows if r.id == hid)
    assert row.returned_revision is None and not row.returned  # "received" closed the return

    # Back in the supervisor's queue with the new revision; verified; cards issued.
    queue = json.loads(server.ok("review", "list", "--json").stdout)
    ((back,),) = [[h for h in queue["households"] if h["household_id"] == hid]]
    assert back["revision"] == row.revision > 1 and back["rounds"] == 1
    server.ok("review", "verify", "--id", hid, "--revision", str(back["revision"]))
    issued = json.loads(server.ok("cards", "issue", "--json").stdout)
    (card,) = issued["cards"]
    assert card["household_id"] == hid
    number = card["card_number"]
    sync_now(qtbot, app)
    m = app.window.workspace.model
    qtbot.waitUntil(lambda: m.index(0, COL_CARD).data() == number, timeout=TIMEOUT)
    assert status_of(app, rec["no_kk"]) == "Terkirim"

    # The household's history: the return with its comment, then the verification.
    ws = app.window.workspace
    ws.status.setCurrentIndex(0)
    ws.table.setFocus()
    ws.table.selectRow(0)
    press(qtbot, ENTER)
    qtbot.waitUntil(lambda: app.window.household is not None and app.page() is app.window.household)
    page = app.window.household
    qtbot.waitUntil(page.review.isVisible, timeout=TIMEOUT)
    assert page.review.headline.text() == "Diperiksa provinsi: 2 keputusan"
    assert not page.review.comments.isVisible()
    press(qtbot, Qt.Key.Key_H, CTRL)
    qtbot.waitUntil(lambda: page.history_dialog is not None and page.history_dialog.isVisible())
    text = page.history_dialog.text.toPlainText()
    assert "Putaran 1: dikembalikan untuk perbaikan" in text and NIK_TEXT in text
    assert "NIK tidak sesuai KK/KTP" in text and "Cocokkan dengan KK asli" in text
    assert "Diverifikasi" in text and text.index("Putaran 1") < text.index("Diverifikasi")
