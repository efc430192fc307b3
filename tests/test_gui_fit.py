"""Fits 1366x705 (issue 12): every page and dialog of the app, in both languages, walked at
1366x705 (app/gui/tour.py, the same walk `make screenshots` takes), and at each one every
label, button, check box, radio button, combo box, column header and list cell compared with
the room it got (app/gui/fit.py): nothing cut, no window larger than the screen; and no two
Alt+letters alike on one screen."""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QPushButton, QWidget

from app.gui import fit
from app.gui.app import install_translator
from app.gui.tour import tour

pytestmark = pytest.mark.usefixtures("qapp_translated")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_page_and_dialog_fits_1366x705(qapp, tmp_path, lang):
    found: dict[str, list[str]] = {}
    stops = []
    try:
        for name, widget in tour(tmp_path / "data", lang):
            stops.append(name)
            cut = fit.problems(widget) + clashing_mnemonics(widget)
            if cut:
                found[name] = cut
            if name == "form-aset":
                assert assets_on_one_screen(widget)
            if name == "form-location":  # the dwelling photo's point, taken in front of it
                assert evidence_attached(widget)
            if name == "form-errors":  # the draft saved after a refused Finalkan keeps this
                assert widget.household.state.text().startswith(("Belum bisa final", "Not final"))
    finally:
        install_translator(qapp, "id")  # the session's translator, for the tests after this
    for wanted in (
        "first-run",
        "households",
        "households-states",
        "export",
        "enroll",
        "settings",
        "form-identity",
        "form-anggota",
        "member",
        "form-errors",
        "province-change",
        "households-returned",
        "form-returned",
        "member-comment",
        "review-history",
        "photo-picker",
        "camera",
        "camera-taken",
        "signature",
        "form-evidence",
        "form-location",
        "locked",
        "recover",
    ):
        assert wanted in stops
    assert not found, "\n".join(
        f"{stop}: {line}" for stop, lines in found.items() for line in lines
    )


def clashing_mnemonics(top: QWidget) -> list[str]:
    """Two visible labels or buttons of one window with the same Alt+letter (the form's pages
    have their own test, tests/test_gui_form.py; this covers every other page and dialog)."""
    seen: dict[str, list[str]] = {}
    for w in [top, *top.findChildren(QWidget)]:
        if isinstance(w, (QLabel, QAbstractButton)) and w.isVisible() and w.isVisibleTo(top):
            found = re.search(r"&(\w)", w.text().replace("&&", ""))
            if found:
                seen.setdefault(found.group(1).lower(), []).append(w.text())
    return [f"Alt+{k.upper()} on {texts}" for k, texts in seen.items() if len(texts) > 1]


def evidence_attached(window) -> bool:
    """The photo and the signature attached, and the location the photo's GPS point."""
    evidence = window.household.evidence
    gps = evidence.gps.value()
    return (
        all(evidence.editors[n].value() for n in ("foto_rumah", "tanda_tangan"))
        and bool(gps)
        and abs(gps["lat"] + 2.2136) < 0.001
    )


def assets_on_one_screen(window) -> bool:
    """The 20 asset counts in a compact grid: every box within the page as first shown (one
    below the other, 8 fitted)."""
    page = window.household.form
    view = page.section("aset")
    scroll = page.pages[page.section_keys().index("aset")].scroll
    viewport = scroll.viewport()
    boxes = [view.editor(n) for n in view.names()]
    assert len(boxes) == 20
    return all(
        0 <= box.mapTo(viewport, box.rect().bottomLeft()).y() <= viewport.height() for box in boxes
    )


def test_the_window_opens_within_the_screen(qtbot, tmp_path):
    """Not 1100x720 as before: on a 1366x768 laptop its bottom buttons sat under the taskbar."""
    from app.gui.main_window import MainWindow
    from app.gui.session import Session
    from app.gui.settings import Settings
    from app.gui.worker import StoreWorker

    worker = StoreWorker()
    try:
        window = MainWindow(Session(tmp_path, worker, Settings()))
        qtbot.addWidget(window)
        assert fit.window_problems(window) == []
        assert window.height() <= fit.SCREEN.height() and window.width() <= fit.SCREEN.width()
    finally:
        worker.shutdown()


def test_the_check_sees_a_cut_label(qtbot):
    """The check itself: a label squeezed below its text's width, and a window taller than the
    screen, are reported."""
    window = QWidget()
    qtbot.addWidget(window)
    label = QLabel("Fasilitas tempat buang air besar", window)
    label.setGeometry(0, 0, 60, 20)
    window.resize(1366, 800)
    window.show()
    qtbot.waitExposed(window)
    lines = fit.problems(window)
    assert any("Fasilitas" in line for line in lines)
    QLabel("&Bahasa:", window).move(0, 40)  # the first run's clash, before its fix
    QPushButton("Mulai &bekerja sekarang", window).move(0, 80)
    for child in window.findChildren(QWidget):
        child.show()
    assert clashing_mnemonics(window) == ["Alt+B on ['&Bahasa:', 'Mulai &bekerja sekarang']"]
    assert any("window 1366x800" in line for line in lines)
