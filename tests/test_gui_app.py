"""The whole app as the officer uses it: MainWindow, Session and the real StoreWorker thread on a
real encrypted store in tmp_path, offscreen, driven with the keyboard (qtbot key clicks).

The window is built as app/gui/app.py builds it. Nothing here sets a widget's value directly:
answers are typed into the focused field, focus moves with Enter/Tab and Ctrl+PgDown, buttons
are pressed with their mnemonic or shortcut. Keys go where the window system would send them
(an open completer popup first). The one thing done for the offscreen platform is what a window
manager does: activate the main window again after a dialog closes (`reactivate`).

The last tests are regressions for faults found while writing these; each says what was wrong.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
from PySide6.QtCore import QAbstractListModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from app import dates
from app import questionnaire as q
from app.gui.form.location import DesaEditor, GpsEditor
from app.gui.form.section import SectionView
from app.gui.form.text import ui
from app.gui.form.widgets import (
    ChoiceEditor,
    DateEditor,
    MultiChoiceEditor,
    TextAreaEditor,
    YesNoEditor,
    number_text,
    same,
)
from app.gui.main_window import TITLE, MainWindow
from app.gui.models import COL_HEAD, COL_KK, COL_STATUS
from app.gui.session import Session
from app.gui.settings import Settings
from app.gui.views.household import HouseholdPage
from app.gui.worker import StoreWorker
from app.i18n import tr
from app.store import Store
from tests import keyentry, records
from tests.conftest import FAST_KDF, PASSPHRASE

pytestmark = pytest.mark.usefixtures("qapp_translated")

NO = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
ENTER = Qt.Key.Key_Return
TIMEOUT = 10_000  # ms; an unlock runs Argon2id on the worker


# -- the app ---------------------------------------------------------------------------------


@dataclass
class App:
    worker: StoreWorker
    session: Session
    window: MainWindow

    def page(self) -> QWidget:
        return self.window.stack.currentWidget()


@pytest.fixture
def start(qapp, qtbot, data_dir):
    """start(**settings) -> App, built as app/gui/app.py builds it, shown and active.
    Teardown ends it as app.run() does: window closed, then worker.shutdown()."""
    started: list[App] = []

    def make(**settings_fields) -> App:
        worker = StoreWorker()
        settings = Settings(**{"lang": "id", **settings_fields})
        session = Session(data_dir, worker, settings)
        window = MainWindow(session)
        qapp.installEventFilter(window.idle)
        qtbot.addWidget(window)
        app = App(worker, session, window)
        started.append(app)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        return app

    yield make
    for app in started:
        shut(qapp, app)


def shut(qapp, app: App) -> None:
    """What the end of app.run() does: the window goes, then the worker finishes and stops."""
    app.window.close()
    qapp.removeEventFilter(app.window.idle)
    app.worker.shutdown()


@pytest.fixture
def stored(data_dir):
    """A store on disk (fast KDF) holding the sample household as a draft; returns the
    sample (for its names and numbers)."""
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        s.save(records.household(status="draft"))
    return records.household()


def reopen(data_dir) -> Store:
    return Store.open(data_dir, PASSPHRASE)


# -- keys ------------------------------------------------------------------------------------


def focused() -> QWidget:
    w = QApplication.focusWidget()
    assert w is not None, "nothing has keyboard focus"
    return w


def target() -> QWidget:
    """Where the window system delivers a key: an open popup (a completer's list) first."""
    return QApplication.activePopupWidget() or focused()


def press(qtbot, key, modifier=NO) -> None:
    qtbot.keyClick(target(), key, modifier)


def type_text(qtbot, text: str) -> None:
    for char in text:  # one by one: a completer popup may open on the way
        qtbot.keyClicks(target(), char)


def mnemonic_key(text: str):
    """The Alt+letter a widget text offers ("&Finalkan" -> Key_F)."""
    plain = text.replace("&&", "")
    assert "&" in plain, f"no mnemonic in {text!r}"
    return Qt.Key(ord(plain[plain.index("&") + 1].upper()))


def press_mnemonic(qtbot, button) -> None:
    press(qtbot, mnemonic_key(button.text()), ALT)


def reactivate(qtbot, window: QWidget) -> None:
    """A window manager activates the main window again when a dialog on it closes; the
    offscreen platform does not, so do it here."""
    if not window.isActiveWindow():
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)


def unlock(qtbot, app: App, passphrase: str = PASSPHRASE) -> None:
    field = app.window.unlock_page.passphrase
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field)
    with qtbot.waitSignal(app.session.unlocked, timeout=TIMEOUT):
        type_text(qtbot, passphrase)
        press(qtbot, ENTER)
    qtbot.waitUntil(lambda: app.page() is app.window.workspace)


# -- answering questions with keys -------------------------------------------------------------


def owner(view: SectionView, widget: QWidget) -> str | None:
    for name, row in view.rows.items():
        if widget is row.editor or row.editor.isAncestorOf(widget):
            return name
    return None


def answer(qtbot, view: SectionView, name: str, value: object) -> None:
    """Question `name` of `view` has focus: type what gives it `value`, the fast way (codes for
    coded answers, DDMMYYYY for dates). A complete answer (16 digits, a date, a one-digit
    code, the desa chosen from its list) moves the focus on by itself; otherwise it stays."""
    editor = view.editor(name)
    assert owner(view, focused()) == name, f"focus is on {owner(view, focused())}, expected {name}"
    if q.is_empty(value) or same(editor.value(), value):  # [] (nothing checked) reads as None
        return
    if isinstance(editor, MultiChoiceEditor):
        type_text(qtbot, " ".join(str(v) for v in value))  # "1 4" ticks boxes 1 and 4
    elif isinstance(editor, GpsEditor):
        parts = list(editor.parts)
        for i, part in enumerate(parts):
            type_text(qtbot, number_text(value.get(part)))
            if i < len(parts) - 1:
                press(qtbot, ENTER)
    elif isinstance(editor, YesNoEditor):
        type_text(qtbot, "1" if value else "2")  # 1. Ya, 2. Tidak
    elif isinstance(editor, ChoiceEditor):
        type_text(qtbot, str(value))  # "3" picks "3. Anak"; "10" picks "10. Wali"
    elif isinstance(editor, DateEditor):
        type_text(qtbot, dates.shown(value).replace("-", ""))  # 2026-11-27 -> 27112026
    elif isinstance(editor, DesaEditor):
        type_text(qtbot, str(value))
        if QApplication.activePopupWidget():  # Enter takes the completer's choice, moves on
            press(qtbot, ENTER)
    else:  # text, text area, number
        if editor.value() is not None:
            press(qtbot, Qt.Key.Key_A, CTRL)
        type_text(qtbot, number_text(value))
    assert same(editor.value(), value), (name, editor.value(), value)


def fill(qtbot, view: SectionView, values: dict) -> None:
    """Answer every question shown, in order; Enter moves on where the answer did not (Tab
    from a text area, where Enter starts a new line). Focus ends on or after the last one.
    Questions the skip logic hides are not reachable and must not be in `values`."""
    names = view.names()
    for i, name in enumerate(names):
        if not view.is_shown(name):
            assert name not in values, f"{name} is hidden"
            continue
        if keyentry.read_only(view.editor(name)):
            continue  # filled by the system (the notice version): Enter passes it by
        answer(qtbot, view, name, values.get(name))
        still_here = owner(view, focused()) == name
        if still_here and any(view.is_shown(n) for n in names[i + 1 :]):
            press(qtbot, Qt.Key.Key_Tab if isinstance(view.editor(name), TextAreaEditor) else ENTER)
    assert view.values() == {k: v for k, v in values.items() if not q.is_empty(v)}


def open_by_search(qtbot, app: App, text: str):
    """Ctrl+F, type part of a name, Enter to the list, Enter opens the one household found."""
    ws = app.window.workspace
    press(qtbot, Qt.Key.Key_F, CTRL)
    assert focused() is ws.search
    type_text(qtbot, text)
    qtbot.waitUntil(lambda: ws.proxy.rowCount() == 1)  # the search is debounced
    press(qtbot, ENTER)
    assert focused() is ws.table
    press(qtbot, ENTER)
    qtbot.waitUntil(lambda: app.window.household is not None and app.page() is app.window.household)
    return app.window.household


def go_to_section(qtbot, form, key: str) -> None:
    """Ctrl+PgDown/PgUp from wherever focus is in the form to section `key`."""
    want = form.section_keys().index(key)
    while form.current_section() != want:
        step = Qt.Key.Key_PageDown if form.current_section() < want else Qt.Key.Key_PageUp
        press(qtbot, step, CTRL)


def add_member(qtbot, app: App, members, person: dict) -> None:
    """The Add member button by its mnemonic, the dialog filled with keys, Ctrl+Enter."""
    press_mnemonic(qtbot, members.add_button)
    qtbot.waitUntil(lambda: members.dialog is not None and members.dialog.isVisible())
    dialog = members.dialog
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.section.editor(q.NIK).line)
    fill(qtbot, dialog.section, person)
    press(qtbot, ENTER, CTRL)
    qtbot.waitUntil(lambda: members.dialog is None)
    reactivate(qtbot, app.window)


@contextmanager
def answering_message_boxes(qtbot):
    """Answers each message box that comes up (they run their own event loop) by pressing
    Enter on it, which takes its default button; yields the texts answered."""
    answered: list[tuple[str, object]] = []

    def answer_box() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            qtbot.keyClick(box, ENTER)
            answered.append((box.text(), box.standardButton(box.clickedButton())))

    timer = QTimer()
    timer.timeout.connect(answer_box)
    timer.start(20)
    try:
        yield answered
    finally:
        timer.stop()


class Blocker:
    """An operation that keeps the store worker busy until released: a slow disk, a big store."""

    def __init__(self, worker: StoreWorker, seconds: float = 5.0) -> None:
        self.started, self.release = threading.Event(), threading.Event()

        def fn(_state):
            self.started.set()
            self.release.wait(seconds)

        worker.submit(fn)


def row_status(app: App) -> list[tuple[str, str, str]]:
    """(KK, head, status key) of each household in the list."""
    m = app.window.workspace.model
    return [
        (
            m.index(r, COL_KK).data(),
            m.index(r, COL_HEAD).data(),
            m.index(r, COL_STATUS).data(Qt.ItemDataRole.UserRole),
        )
        for r in range(m.rowCount())
    ]


# -- what the screen shows ------------------------------------------------------------------


def visible_texts(window: QWidget) -> list[str]:
    """Every text a widget of the window holds: labels, line edits, text areas, combo boxes,
    and every cell of every item view."""
    out: list[str] = [window.windowTitle()]
    for w in window.findChildren(QWidget):
        if isinstance(w, (QLabel, QLineEdit)):
            out.append(w.text())
        elif isinstance(w, QPlainTextEdit):
            out.append(w.toPlainText())
        elif isinstance(w, QComboBox):
            out += [w.itemText(i) for i in range(w.count())] + [w.currentText()]
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            m = w.model()
            cols = 1 if isinstance(m, QAbstractListModel) else m.columnCount()
            cells = [m.index(r, c) for r in range(m.rowCount()) for c in range(cols)]
            out += [str(i.data() or "") for i in cells]
    return out


def personal(rec: dict) -> list[str]:
    """Names, NIKs and the KK number of a household."""
    out = [rec["no_kk"]]
    for m in rec.get("anggota", []):
        out += [m["nama"], m["nik"]]
    return out


def dialog_visible() -> bool:
    return any(isinstance(t, QDialog) and t.isVisible() for t in QApplication.topLevelWidgets())


def leaks(window: QWidget, rec: dict) -> list[str]:
    secrets = personal(rec)
    return [t for t in visible_texts(window) if any(s in t for s in secrets)]


def sample(today: str) -> dict:
    """The sample household as enrolled today, with only what the officer types: no GPS point,
    no empty answers."""
    people = [records.head(visit=today), records.wife(visit=today), records.child(visit=today)]
    rec = records.household(tanggal_kunjungan=today, anggota=people, peringatan_diterima=None)
    rec["lokasi"].pop("gps")
    rec["persetujuan"]["tanggal"] = today
    rec["program"].pop("program_lainnya")
    for m in rec["anggota"]:
        for k in [k for k, v in m.items() if q.is_empty(v)]:
            del m[k]
    return rec


# -- tests -----------------------------------------------------------------------------------


def test_officer_enrols_a_household_with_the_keyboard_only(start, qtbot, data_dir):
    app = start()
    w = app.window
    first = w.first_run
    assert app.page() is first and not Store.exists(data_dir)

    # First run: Tab from the language to the passphrase, its confirmation, Enter.
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first.language)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is first.passphrase
    type_text(qtbot, PASSPHRASE)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is first.confirm
    type_text(qtbot, PASSPHRASE)
    with qtbot.waitSignal(app.session.unlocked, timeout=TIMEOUT):
        press(qtbot, ENTER)
    assert app.page() is w.workspace and Store.exists(data_dir)

    # Ctrl+N: a new household; Ctrl+PgDown/PgUp puts focus on its first question.
    press(qtbot, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: w.household is not None and app.page() is w.household)
    page, form = w.household, w.household.form
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    today = date.today().isoformat()
    rec = sample(today)
    fill(qtbot, form.section(""), {"no_kk": rec["no_kk"], "tanggal_kunjungan": today})
    for key in ("lokasi", "persetujuan", "rumah", "aset", "program", "kebutuhan", q.MEMBERS):
        if form.section_keys()[form.current_section()] != key:  # Enter past the last question
            press(qtbot, Qt.Key.Key_PageDown, CTRL)  # goes on by itself; else Ctrl+PgDown
        assert form.section_keys()[form.current_section()] == key
        if key != q.MEMBERS:
            fill(qtbot, form.section(key), rec[key])

    members = form.section(q.MEMBERS)
    assert focused() is members.add_button  # no members yet: focus on Add
    for person in rec[q.MEMBERS]:
        add_member(qtbot, app, members, person)
    names = [m["nama"] for m in form.record()[q.MEMBERS]]
    assert names == ["Yohanes Ilas", "Rosmiati Ilas", "Dimas Ilas"]

    # Finalise by its mnemonic (Alt+F); any warning to confirm is answered with Enter.
    with answering_message_boxes(qtbot) as answered:
        press_mnemonic(qtbot, page.finalise_button)
        qtbot.waitUntil(lambda: app.page() is w.workspace, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not app.worker.busy())
    assert answered == []  # the sample household has nothing to confirm
    assert row_status(app) == [(rec["no_kk"], "Yohanes Ilas", "final")]
    assert w.workspace.model.index(0, COL_STATUS).data() == "Final"

    # A second household (a draft), so the search below has something to leave out.
    press(qtbot, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: w.household is not None and app.page() is w.household)
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    answer(qtbot, w.household.form.section(""), "no_kk", "6271030101100005")
    with qtbot.waitSignal(w.editor.saved, timeout=TIMEOUT):
        press(qtbot, Qt.Key.Key_S, CTRL)
    press(qtbot, Qt.Key.Key_W, CTRL)
    qtbot.waitUntil(lambda: app.page() is w.workspace)
    assert w.workspace.model.rowCount() == 2

    # Lock, unlock with the passphrase, find the household by part of the head's name.
    press(qtbot, Qt.Key.Key_L, CTRL)
    qtbot.waitUntil(lambda: app.page() is w.unlock_page)
    assert w.workspace.model.rowCount() == 0
    unlock(qtbot, app)
    assert w.workspace.model.rowCount() == 2
    page = open_by_search(qtbot, app, "yohan")

    shown = page.form.record()  # read back from the widgets
    assert shown.pop("paradata")["jumlah_kunjungan"] == 1  # filled by the app (app/paradata.py)
    found = next(r.id for r in app.session.rows if r.head == "Yohanes Ilas")
    assert shown == q.prune(dict(rec, id=found, status="final"))
    assert page.form.section("").editor("no_kk").line.text() == rec["no_kk"]
    assert page.form.section(q.MEMBERS).model.rowCount() == 3


def test_invalid_nik_is_refused_at_finalise(start, stored, qtbot):
    app = start()
    unlock(qtbot, app)
    page = open_by_search(qtbot, app, "Ilas")
    form = page.form
    go_to_section(qtbot, form, q.MEMBERS)
    members = form.section(q.MEMBERS)
    assert focused() is members.table
    press(qtbot, ENTER)  # edits the current member: the head
    qtbot.waitUntil(lambda: members.dialog is not None and members.dialog.isVisible())
    dialog = members.dialog
    assert dialog.index == 0
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.section.editor(q.NIK).line)
    bad = stored[q.MEMBERS][0][q.NIK][:12] + "0000"  # serial 0000
    answer(qtbot, dialog.section, q.NIK, bad)
    press(qtbot, ENTER, CTRL)
    qtbot.waitUntil(lambda: members.dialog is None)
    reactivate(qtbot, app.window)

    with answering_message_boxes(qtbot) as answered:
        with qtbot.waitSignal(app.window.editor.blocked, timeout=TIMEOUT):
            press_mnemonic(qtbot, page.finalise_button)
        qtbot.waitUntil(lambda: not app.worker.busy())  # the draft saved with what was typed
    assert answered == []
    assert app.page() is page  # still editing
    assert row_status(app) == [(stored["no_kk"], "Yohanes Ilas", "draft")]
    assert app.session.rows[0].members[0] == ("Yohanes Ilas", bad)  # kept as a draft
    assert page.state.text() != ""
    errors = [form.issue_list.item(i).text() for i in range(form.issue_list.count())]
    assert len(errors) == 1 and "NIK" in errors[0] and "0000" in errors[0]
    # The member's own messages say so: open it again with Enter.
    assert focused() is members.table and members.current_row() == 0
    press(qtbot, ENTER)
    qtbot.waitUntil(lambda: members.dialog is not None and members.dialog.isVisible())
    message = members.dialog.section.message(q.NIK)
    assert message.startswith(ui("error")) and "NIK" in message
    assert members.dialog.section.editor(q.NIK).value() == bad


def test_autosave_survives_closing_mid_edit(start, stored, qtbot, qapp, data_dir):
    app = start()
    unlock(qtbot, app)
    w = app.window
    press(qtbot, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: w.household is not None and app.page() is w.household)
    form = w.household.form
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    kk = "6271030101100009"
    answer(qtbot, form.section(""), "no_kk", kk)
    press(qtbot, Qt.Key.Key_PageDown, CTRL)  # a section change saves too
    qtbot.waitUntil(lambda: not app.worker.busy())  # as a person types: the save is back
    lokasi = form.section("lokasi")
    fill(qtbot, lokasi, {"kode_desa": records.DESA, "rt": "007"})
    household_id = form.record()["id"]
    assert form.record()["lokasi"] == {"kode_desa": records.DESA, "rt": "007"}

    shut(qapp, app)  # at once: well before the autosave timer

    with reopen(data_dir) as s:
        saved, _ = s.get(household_id)
        assert saved["status"] == "draft" and saved["no_kk"] == kk
        assert saved.get("lokasi") == {"kode_desa": records.DESA, "rt": "007"}
        assert len(s.rows()) == 2


def test_idle_lock_leaves_nothing_personal_on_screen(start, stored, qtbot):
    app = start(idle_lock_minutes=0.01)  # 0.6 s
    w = app.window
    unlock(qtbot, app)
    open_by_search(qtbot, app, "Ilas")
    assert leaks(w, stored)  # names and NIKs are on screen now
    # No more input: the app locks itself.
    qtbot.waitUntil(lambda: app.page() is w.unlock_page, timeout=5000)
    qtbot.waitUntil(lambda: not w.findChildren(HouseholdPage))  # the page is gone, not hidden
    assert not app.session.is_unlocked
    assert w.windowTitle() == "KHBS Enroll" == TITLE
    assert w.workspace.model.rowCount() == 0 and w.workspace.proxy.rowCount() == 0
    assert w.unlock_page.passphrase.text() == ""
    assert leaks(w, stored) == []


def test_lock_keeps_unsaved_typing_and_hides_it(start, stored, qtbot, qapp, data_dir):
    app = start()
    w = app.window
    unlock(qtbot, app)
    page = open_by_search(qtbot, app, "Ilas")
    go_to_section(qtbot, page.form, "lokasi")
    lokasi = page.form.section("lokasi")
    assert owner(lokasi, focused()) == "kode_desa"
    press(qtbot, ENTER)
    answer(qtbot, lokasi, "rt", "019")
    assert page.form.record()["lokasi"]["rt"] == "019" and leaks(w, stored)
    press(qtbot, Qt.Key.Key_L, CTRL)  # at once, on the household page: no autosave yet
    qtbot.waitUntil(lambda: app.page() is w.unlock_page)
    qtbot.waitUntil(lambda: not w.findChildren(HouseholdPage))  # gone, not hidden
    qtbot.waitUntil(lambda: not app.worker.busy())
    assert not app.session.is_unlocked and w.household is None
    assert w.windowTitle() == TITLE and w.workspace.model.rowCount() == 0
    assert leaks(w, stored) == []

    shut(qapp, app)
    with reopen(data_dir) as s:
        saved, _ = s.get(stored["id"])
    assert saved["lokasi"]["rt"] == "019"
    assert saved["lokasi"]["rw"] == stored["lokasi"]["rw"] and saved["status"] == "draft"


def test_wrong_passphrase_is_refused_in_indonesian(start, stored, qtbot):
    app = start()
    page = app.window.unlock_page
    assert app.page() is page
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.passphrase)
    type_text(qtbot, "bukan-kata-sandinya")
    press(qtbot, ENTER)
    qtbot.waitUntil(lambda: page.message.text() != "", timeout=TIMEOUT)

    assert page.message.text() == tr("error.wrong_passphrase", "id") == "Kata sandi salah."
    assert app.page() is page and not app.session.is_unlocked
    assert app.window.workspace.model.rowCount() == 0
    assert page.passphrase.isEnabled() and page.unlock_button.isEnabled()
    assert QApplication.focusWidget() is page.passphrase and page.passphrase.selectedText()
    # The wrong passphrase is selected: typing the right one replaces it.
    unlock(qtbot, app)
    assert app.window.workspace.model.rowCount() == 1


# -- regressions: faults found while writing the tests above ------------------------------


def test_acknowledged_warning_keeps_the_household_final(start, qtbot, data_dir):
    """Was: after "Yes" in the warning box the editor stayed dirty, and closing the page saved
    the form again as a draft, so the household went back to Draft."""
    people = [records.head(), records.wife(), records.child(tanggal_lahir="2018-05-16")]
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:  # the NIK says 2018-05-15
        s.save(records.household(status="draft", anggota=people))
    app = start()
    unlock(qtbot, app)
    page = open_by_search(qtbot, app, "Ilas")
    with answering_message_boxes(qtbot) as answered:
        press_mnemonic(qtbot, page.finalise_button)
        qtbot.waitUntil(lambda: app.page() is app.window.workspace, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not app.worker.busy())
    assert len(answered) == 1 and answered[0][1] == QMessageBox.StandardButton.Yes
    assert "Anggota ke-3, NIK" in answered[0][0]
    assert row_status(app) == [(records.KK, "Yohanes Ilas", "final")]


def test_closing_a_household_with_unsaved_typing_raises_nothing(start, stored, qtbot):
    """Was: the editor was a child of the page, deleted before the save it queued answered;
    the answer then raised RuntimeError ('Signal source has been deleted'). pytest-qt fails
    the test on any exception raised in a slot."""
    app = start()
    unlock(qtbot, app)
    page = open_by_search(qtbot, app, "Ilas")
    go_to_section(qtbot, page.form, "lokasi")
    press(qtbot, ENTER)
    answer(qtbot, page.form.section("lokasi"), "rt", "021")
    press(qtbot, Qt.Key.Key_W, CTRL)  # Back to list, before the autosave
    qtbot.waitUntil(lambda: app.page() is app.window.workspace)
    qtbot.waitUntil(lambda: not app.worker.busy())
    assert app.session.rows[0].revision == 2  # the typing was saved


def test_typing_during_a_save_is_kept_when_the_window_closes(start, stored, qtbot, qapp, data_dir):
    """Was: with a save in flight, closing the page queued nothing and left the follow-up save
    to a callback that never came: what was typed during the save was lost."""
    app = start()
    unlock(qtbot, app)
    page = open_by_search(qtbot, app, "Ilas")
    go_to_section(qtbot, page.form, "lokasi")
    lokasi = page.form.section("lokasi")
    press(qtbot, ENTER)
    blocker = Blocker(app.worker)  # a slow disk: the next save takes a while
    qtbot.waitUntil(blocker.started.is_set)
    answer(qtbot, lokasi, "rt", "011")
    press(qtbot, Qt.Key.Key_PageDown, CTRL)  # the section change saves: in flight
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    press(qtbot, ENTER)
    press(qtbot, ENTER)
    answer(qtbot, lokasi, "rw", "12")  # typed while that save runs
    app.window.close()
    blocker.release.set()
    qtbot.waitUntil(lambda: not app.worker.busy())
    shut(qapp, app)
    with reopen(data_dir) as s:
        saved, _ = s.get(stored["id"])
    assert saved["lokasi"]["rt"] == "011"
    assert saved["lokasi"]["rw"] == "12"


def test_a_household_opening_during_a_lock_stays_hidden(start, stored, qtbot):
    """Was: the answer to an open that arrived after a lock showed the decrypted household
    over the unlock page."""
    app = start()
    w = app.window
    unlock(qtbot, app)
    press(qtbot, Qt.Key.Key_F, CTRL)
    type_text(qtbot, "Ilas")
    qtbot.waitUntil(lambda: w.workspace.proxy.rowCount() == 1)
    press(qtbot, ENTER)
    blocker = Blocker(app.worker)  # the store is slow to answer
    qtbot.waitUntil(blocker.started.is_set)
    press(qtbot, ENTER)  # open ...
    press(qtbot, Qt.Key.Key_L, CTRL)  # ... and lock before it is open
    qtbot.waitUntil(lambda: app.page() is w.unlock_page)
    blocker.release.set()
    qtbot.waitUntil(lambda: not app.worker.busy())
    assert app.page() is w.unlock_page and w.household is None
    assert leaks(w, stored) == []


def test_shutdown_runs_the_saves_still_queued(start, stored, qtbot, qapp, data_dir):
    """Was: StoreWorker.shutdown() called QThread.quit(), which ends the worker's event loop
    after the operation it is running: the saves still queued behind it were dropped."""
    app = start()
    unlock(qtbot, app)
    page = open_by_search(qtbot, app, "Ilas")
    go_to_section(qtbot, page.form, "lokasi")
    press(qtbot, ENTER)
    answer(qtbot, page.form.section("lokasi"), "rt", "033")
    blocker = Blocker(app.worker, seconds=0.5)  # any slow operation running at exit
    qtbot.waitUntil(blocker.started.is_set)
    shut(qapp, app)  # the window's save is queued behind it
    with reopen(data_dir) as s:
        saved, _ = s.get(stored["id"])
    assert saved["lokasi"]["rt"] == "033"


def test_idle_lock_keeps_a_member_being_typed(start, stored, qtbot, data_dir):
    app = start(idle_lock_minutes=0.01)  # 0.6 s
    w = app.window
    unlock(qtbot, app)
    page = open_by_search(qtbot, app, "Ilas")
    go_to_section(qtbot, page.form, q.MEMBERS)
    members = page.form.section(q.MEMBERS)
    press_mnemonic(qtbot, members.add_button)
    qtbot.waitUntil(lambda: members.dialog is not None and members.dialog.isVisible())
    dialog = members.dialog
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.section.editor(q.NIK).line)
    grandma = records.member("Maria Bungai", "1950-02-03", 2, 6, serial=9)
    answer(qtbot, dialog.section, q.NIK, grandma[q.NIK])  # 16 digits: on to the name
    answer(qtbot, dialog.section, q.NAME, grandma[q.NAME])
    # The officer is called away: the app locks itself.
    qtbot.waitUntil(lambda: app.page() is w.unlock_page, timeout=5000)
    qtbot.waitUntil(lambda: not w.findChildren(HouseholdPage))
    qtbot.waitUntil(lambda: not app.worker.busy())
    assert leaks(w, stored) == [] and not dialog_visible()
    with reopen(data_dir) as s:
        saved, _ = s.get(stored["id"])
    assert [m[q.NAME] for m in saved[q.MEMBERS]][-1] == "Maria Bungai"


def test_language_chosen_on_first_run_is_the_apps_setting(start, qtbot):
    """Rules and store messages follow the officer's choice through app.i18n; the process
    environment is left alone."""
    import os

    from app.i18n import current_lang

    app = start()
    app.window.first_run.language.setCurrentIndex(1)  # English
    assert current_lang() == "en" and app.session.settings.lang == "en"
    assert tr("cli.interrupted") == tr("cli.interrupted", "en")
    assert os.environ["KHBS_LANG"] == "id"  # tests/conftest.py's, untouched
    app.window.first_run.language.setCurrentIndex(0)
    assert current_lang() == "id"
