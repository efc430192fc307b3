"""The reference family of issue 12, enrolled in the app with the keyboard alone, every key
counted. One script for two users: tests/test_gui_keys.py runs it and checks the record saved
in the store; `python -m bench --only keys` prints the count beside the old form's and CSPro's.

The family: the head (46), his wife (41, high blood pressure), three children (16, 12 and 6)
and his widowed mother, of whom only the year of birth is known (her KK shows 01-07), with two
disabilities (physical, blind). A Dayak household in Menteng, Palangka Raya, on the officer's
first visit; the officer's laptop is enrolled for kecamatan Jekan Raya. Ages are counted back
from today, so the script reaches the same questions whatever the date.

The officer types what a KK and the interview give, the fast way the form offers: NIK, KK and
dates straight through (they move on by themselves), codes for coded answers, "0" for "none",
Enter to move on, Ctrl+PgDown to leave a page whose last questions stay empty (GPS, notes).

Counting: keys go to the focused widget (or the completer's open list, where the window system
sends them) with QTest.keyClick/keyClicks. Every key press counts one: characters, Enter, Tab,
arrows, PgDown, and each modifier held (Ctrl+PgDown is 2, Alt+F is 2, a capital letter is 2:
Shift and the letter). A count, not a time.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QWidget

from app import dates
from app import questionnaire as q
from tests import records

OLD_KEYS = 827  # issue 12: the same family on the form before (521 characters, 304 navigation)
CSPRO_KEYS = 575  # issue 12: a CSPro data-entry application, roughly 550-600
TARGET = 560

AREA = "62.71.03"  # kecamatan Jekan Raya, the officer's assigned area
SHIFTED = set('~!@#$%^&*()_+{}|:"<>?')
ENTER, TAB, PGDOWN = Qt.Key.Key_Return, Qt.Key.Key_Tab, Qt.Key.Key_PageDown
NO, CTRL, ALT = (
    Qt.KeyboardModifier.NoModifier,
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.AltModifier,
)


# -- the family -------------------------------------------------------------------------------


def born(age: int, today: date) -> str:
    """A birth date `age` full years before today (100 days past the birthday)."""
    day = today - timedelta(days=100)
    return day.replace(year=day.year - age, day=min(day.day, 28)).isoformat()


def person(
    nama: str, age: int, sex: int, hubungan: int, serial: int, today: date, **answers
) -> dict:
    birth = born(age, today)
    m = {
        "nik": records.nik_for(birth, sex, serial=serial),
        "nama": nama,
        "tempat_lahir": "Palangka Raya",
        "tanggal_lahir": birth,
        "hubungan": hubungan,
        "jenis_kelamin": sex,
    }
    m.update(answers)
    return m


def family(today: date) -> dict:
    """The household as the officer records it (what the store should hold, id aside)."""
    visit = today.isoformat()
    mother_year = today.year - 76
    mother = person(
        "Ineh Bungai",
        76,
        2,
        6,
        9,
        today,
        tempat_lahir="Tumbang Samba",
        status_kawin=4,
        keberadaan=1,
        domisili=1,
        partisipasi_sekolah=0,
        bekerja=False,
        disabilitas=[1, 4],
        penyakit_kronis=[0],
        jaminan_kesehatan=1,
    )
    # Her NIK carries the KK's conventional 01-07; the officer keeps the year only.
    mother["nik"] = records.nik_for(f"{mother_year}-07-01", 2, serial=9)
    mother["tanggal_lahir"] = str(mother_year)
    children = {
        "status_kawin": 1,
        "keberadaan": 1,
        "domisili": 1,
        "partisipasi_sekolah": 1,
        "bekerja": False,
        "disabilitas": [0],
        "penyakit_kronis": [0],
        "jaminan_kesehatan": 1,
    }
    return {
        "schema_version": q.schema_version(),
        "status": "final",
        "no_kk": "6271031204200007",
        "tanggal_kunjungan": visit,
        "lokasi": {
            "kode_desa": "62.71.03.1002",
            "rt": "4",
            "rw": "2",
            "alamat": "Jl. Rajawali No. 7",
        },
        "persetujuan": {
            "diberikan": True,
            "nama_pemberi": "Yohanes Ilas",
            "hubungan_pemberi": 1,
            "tanggal": visit,
            "versi_pemberitahuan": _notice_version(),
        },
        "rumah": {
            "status_kepemilikan": 1,
            "bukti_kepemilikan": 3,
            "jumlah_keluarga": 1,
            "luas_lantai": 36,
            "jenis_lantai": 6,
            "kondisi_lantai": 2,
            "jenis_dinding": 3,
            "kondisi_dinding": 2,
            "jenis_atap": 3,
            "kondisi_atap": 2,
            "fasilitas_bab": 1,
            "jenis_kloset": 1,
            "pembuangan_tinja": 1,
            "sumber_air_minum": 2,
            "sumber_penerangan": 1,
            "daya_listrik": 2,
            "bahan_bakar_memasak": 4,
        },
        "aset": {
            "tabung_gas_3kg": 1,
            "tabung_gas_5kg_lebih": 0,
            "lemari_es": 1,
            "ac": 0,
            "pemanas_air": 0,
            "telepon_rumah": 0,
            "tv_datar": 1,
            "emas_gram": 0,
            "komputer": 0,
            "sepeda_motor": 1,
            "sepeda": 1,
            "mobil": 0,
            "perahu": 0,
            "perahu_motor": 0,
            "smartphone": 2,
            "luas_sawah_kebun_ha": 1.5,
            "luas_lahan_lain_ha": 0,
            "rumah_lain": 0,
            "ternak_besar": 0,
            "ternak_kecil": 5,
        },
        "program": {"program_bansos": [4]},
        "kebutuhan": {"layanan": [1, 2]},
        "anggota": [
            person(
                "Yohanes Ilas",
                46,
                1,
                1,
                3,
                today,
                status_kawin=2,
                keberadaan=1,
                domisili=1,
                partisipasi_sekolah=2,
                ijazah_tertinggi=3,
                bekerja=True,
                status_pekerjaan=1,
                pekerjaan="Petani karet",
                disabilitas=[0],
                penyakit_kronis=[0],
                jaminan_kesehatan=1,
            ),
            person(
                "Rosmiati Ilas",
                41,
                2,
                2,
                2,
                today,
                tempat_lahir="Kasongan",
                status_kawin=2,
                keberadaan=1,
                domisili=1,
                partisipasi_sekolah=2,
                ijazah_tertinggi=2,
                bekerja=False,
                disabilitas=[0],
                penyakit_kronis=[1],
                hamil=False,
                jaminan_kesehatan=1,
            ),
            person("Dimas Ilas", 16, 1, 3, 4, today, ijazah_tertinggi=2, **children),
            person("Maria Ilas", 12, 2, 3, 5, today, ijazah_tertinggi=1, hamil=False, **children),
            person(
                "Yosua Ilas",
                6,
                1,
                3,
                6,
                today,
                ijazah_tertinggi=0,
                **{k: v for k, v in children.items() if k not in ("status_kawin", "bekerja")},
            ),
            mother,
        ],
    }


DESA_TYPED = "mente"  # the start of "Menteng": Enter takes the first match


def _notice_version() -> str:
    return q.load_schema()["properties"]["persetujuan"]["x-notice"]["version"]


# -- keys -------------------------------------------------------------------------------------


@dataclass
class Keyboard:
    """Sends keys where the window system would and counts them."""

    wait: Callable[[Callable[[], bool]], None]
    characters: int = 0  # printable characters typed
    navigation: int = 0  # Enter, Tab, arrows, PgDown ...
    modifiers: int = 0  # Shift for capitals and symbols, Ctrl, Alt
    log: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.characters + self.navigation + self.modifiers

    @staticmethod
    def target() -> QWidget:
        widget = QApplication.activePopupWidget() or QApplication.focusWidget()
        assert widget is not None, "nothing has keyboard focus"
        return widget

    def type(self, text: str) -> None:
        for char in text:  # one by one: a completer list may open on the way
            QTest.keyClicks(self.target(), char)
            self.characters += 1
            self.modifiers += char.isupper() or char in SHIFTED
        self.log.append(text)

    def press(self, key: Qt.Key, modifier: Qt.KeyboardModifier = NO) -> None:
        QTest.keyClick(self.target(), key, modifier)
        self.navigation += 1
        self.modifiers += modifier.value.bit_count()
        ctrl, alt = "Ctrl+" if modifier & CTRL else "", "Alt+" if modifier & ALT else ""
        self.log.append(f"<{ctrl}{alt}{key.name[4:]}>")


def wait_until(condition: Callable[[], bool], timeout_ms: int = 10_000) -> None:
    """For scripts outside pytest (the bench): the event loop runs while waiting."""
    end = time.monotonic() + timeout_ms / 1000
    while not condition():
        assert time.monotonic() < end, "timed out"
        QTest.qWait(10)


# -- the script -------------------------------------------------------------------------------


def owner(view, widget: QWidget | None) -> str | None:
    for name, row in view.rows.items():
        if widget is not None and (widget is row.editor or row.editor.isAncestorOf(widget)):
            return name
    return None


def read_only(editor) -> bool:
    """Filled by the system (x-readonly, the notice version): Enter passes it by."""
    return all(
        not w.isEnabled() or (hasattr(w, "isReadOnly") and w.isReadOnly())
        for w in editor.entry_widgets()
    )


def _answer(kb: Keyboard, view, name: str, value: object) -> None:
    """Type `value` into question `name` (focused) the shortest way the form offers."""
    from app.gui.form.location import DesaEditor
    from app.gui.form.widgets import (
        ChoiceEditor,
        DateEditor,
        MultiChoiceEditor,
        YesNoEditor,
        number_text,
        same,
    )

    editor = view.editor(name)
    if q.is_empty(value) or same(editor.value(), value):
        return  # nothing to type (a date or sex the NIK filled in): Enter moves on
    if isinstance(editor, MultiChoiceEditor):
        kb.type(("" if editor.single else " ").join(str(v) for v in value))
    elif isinstance(editor, YesNoEditor):
        kb.type("1" if value else "2")
    elif isinstance(editor, ChoiceEditor):
        kb.type(str(value))
    elif isinstance(editor, DateEditor):
        shown = dates.shown(value)
        kb.type(shown[6:] if shown.startswith("00-00-") else shown.replace("-", ""))
    elif isinstance(editor, DesaEditor):
        kb.type(DESA_TYPED)
        kb.wait(lambda: QApplication.activePopupWidget() is not None)
        kb.press(ENTER)  # takes the first match and moves on
    else:
        kb.type(number_text(value))
    assert same(editor.value(), value), (name, editor.value(), value)


def fill(kb: Keyboard, view, values: dict, leave: Callable[[], None]) -> None:
    """Answer the questions of a page or member in order. Where an answer did not move on by
    itself, Enter (Tab from a text area); when every question left is to stay empty and that
    takes more than one Enter, `leave` (Ctrl+PgDown on a page, Ctrl+Enter in the dialog)."""
    from app.gui.form.widgets import TextAreaEditor

    names = [n for n in view.names() if not read_only(view.editor(n))]
    for i, name in enumerate(names):
        if not view.is_shown(name):
            assert name not in values, f"{name} is hidden"
            continue
        rest = [n for n in names[i:] if view.is_shown(n)]
        if all(q.is_empty(values.get(n)) for n in rest):
            entries = sum(len(view.editor(n).entry_widgets()) for n in rest)
            if entries > 1 or isinstance(view.editor(name), TextAreaEditor):
                leave()
                return
        assert owner(view, QApplication.focusWidget()) == name, (
            name,
            owner(view, QApplication.focusWidget()),
        )
        _answer(kb, view, name, values.get(name))
        if owner(view, QApplication.focusWidget()) == name:
            kb.press(TAB if isinstance(view.editor(name), TextAreaEditor) else ENTER)


def enroll(kb: Keyboard, window, rec: dict) -> None:
    """From the household list: Ctrl+N, every page, every member, Alt+F. Back on the list."""
    kb.press(Qt.Key.Key_N, CTRL)
    kb.wait(
        lambda: window.household is not None and window.stack.currentWidget() is window.household
    )
    page = window.household
    form = page.form
    members = form.section(q.MEMBERS)

    def next_page() -> None:
        kb.press(PGDOWN, CTRL)

    for key in form.section_keys():
        if not form.is_section_shown(key):
            continue
        assert form.section_keys()[form.current_section()] == key, (key, form.current_section())
        if key == q.MEMBERS:
            break
        view = form.section(key)
        values = (
            {k: v for k, v in rec.items() if k in view.names()} if key == "" else rec.get(key, {})
        )
        fill(kb, view, values, next_page)

    assert QApplication.focusWidget() is members.add_button
    for i, member in enumerate(rec[q.MEMBERS]):
        kb.press(ENTER)  # Add member has the focus
        kb.wait(lambda: members.dialog is not None and members.dialog.isVisible())
        dialog = members.dialog
        kb.wait(lambda d=dialog: QApplication.focusWidget() is d.section.editor(q.NIK).line)
        fill(kb, dialog.section, member, lambda: kb.press(ENTER, CTRL))
        if members.dialog is dialog:  # past the last question the focus is on OK
            assert QApplication.focusWidget() is dialog.buttons.button(
                QDialogButtonBox.StandardButton.Ok
            )
            kb.press(ENTER)
        kb.wait(lambda: members.dialog is None)
        _reactivate(kb, window)
        kb.wait(lambda: QApplication.focusWidget() is members.add_button)
        assert members.model.rowCount() == i + 1

    mnemonic = page.finalise_button.text().replace("&&", "")
    letter = mnemonic[mnemonic.index("&") + 1].upper()
    kb.press(Qt.Key(ord(letter)), ALT)  # Alt+F: Finalkan
    kb.wait(lambda: window.stack.currentWidget() is window.workspace)


def _reactivate(kb: Keyboard, window: QWidget) -> None:
    """A window manager activates the main window again when a dialog on it closes; the
    offscreen platform does not, so do it here (no key)."""
    if not window.isActiveWindow():
        window.activateWindow()
        kb.wait(window.isActiveWindow)


def expected(rec: dict, household_id: str) -> dict:
    """What the store holds after finalising `rec` (app/households.py prepare_final)."""
    return q.canonical(q.prune(dict(copy.deepcopy(rec), id=household_id)))


# -- the app around it (the bench; the test builds the same with pytest-qt) ------------------


def make_store(data_dir: Path, passphrase: str, kdf) -> None:
    """An empty store on a laptop enrolled for kecamatan Jekan Raya."""
    from app.store import Store

    with Store.create(data_dir, passphrase, kdf=kdf) as store:
        store.set_officer("PT-0042", [AREA])


def open_app(data_dir: Path, passphrase: str, wait: Callable[[Callable[[], bool]], None]):
    """The app as app/gui/app.py builds it, shown, active and unlocked (the passphrase typed,
    not counted): (worker, session, window) on the household list."""
    from app.gui.main_window import MainWindow
    from app.gui.session import Session
    from app.gui.settings import Settings
    from app.gui.worker import StoreWorker

    worker = StoreWorker()
    session = Session(data_dir, worker, Settings(lang="id"))
    window = MainWindow(session)
    window.resize(1366, 705)  # a 1366x768 laptop less taskbar and title bar
    window.show()
    window.activateWindow()
    wait(window.isActiveWindow)
    field = window.unlock_page.passphrase
    wait(lambda: QApplication.focusWidget() is field)
    QTest.keyClicks(field, passphrase)
    QTest.keyClick(field, ENTER)
    wait(lambda: session.is_unlocked and window.stack.currentWidget() is window.workspace)
    return worker, session, window


def close_app(worker, window) -> None:
    """What the end of app.run() does: the window goes, then the worker finishes and stops."""
    window.close()
    worker.shutdown()


def saved_records(data_dir: Path, passphrase: str) -> list[dict]:
    from app.store import Store

    with Store.open(data_dir, passphrase) as store:
        return [rec for _, rec in store.records()]
