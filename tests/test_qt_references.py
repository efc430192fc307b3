"""PySide6 keeps its references to None, True and False: each kind of call the app makes into Qt
(and Qt into the app) is made many times and the singletons' counts must not fall.

PySide6 6.12.0 (Python 3.11) failed this: every void method returned None, and signal.emit()
returned True, without taking a reference, so each call took one from the count until the
process died ("Fatal Python error: bool_dealloc" or "none_dealloc"). On Python 3.12 and later
these objects are immortal and their counts mean nothing, so the test has nothing to check."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable

import pytest
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QSortFilterProxyModel,
    QStringListModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeyEvent, QValidator
from PySide6.QtWidgets import QLineEdit, QWidget

pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="None, True and False are immortal from Python 3.12"
)

CALLS = 1000
SINGLETONS = {"None": None, "True": True, "False": False}


def lost_references(call: Callable[[], object]) -> dict[str, int]:
    """How many references to None, True and False `CALLS` calls took and never gave back.
    A call that keeps one (a leak, not a crash) raises a count and is not counted."""
    gc.collect()
    before = {name: sys.getrefcount(obj) for name, obj in SINGLETONS.items()}
    for _ in range(CALLS):
        call()
    gc.collect()
    after = {name: sys.getrefcount(obj) for name, obj in SINGLETONS.items()}
    # A sound call loses none; a defect loses one per call. A tenth of the calls is far from
    # both: whatever else runs meanwhile (nothing here) cannot fake it.
    return {
        name: before[name] - after[name]
        for name in SINGLETONS
        if before[name] - after[name] > CALLS // 10
    }


class Emitter(QObject):
    flag = Signal(bool)
    value = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.got: list[object] = []

    @Slot(bool)
    def on_flag(self, flag: bool) -> None:
        self.got.append(flag)
        del self.got[:]


class ReturnsFilter(QObject):
    def __init__(self, answer: bool, parent: QObject) -> None:
        super().__init__(parent)
        self.answer = answer

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        return self.answer


class Digits(QValidator):
    def validate(self, text: str, pos: int):
        return QValidator.State.Acceptable, text, pos


class Filtered(QSortFilterProxyModel):
    def filterAcceptsRow(self, row, parent) -> bool:  # noqa: N802 - Qt API
        return row % 2 == 0


def calls(qapp) -> dict[str, Callable[[], object]]:
    """One of each kind of call the app makes (views, form, models, worker, sync job)."""
    emitter = Emitter()
    emitter.flag.connect(emitter.on_flag)
    emitter.value.connect(lambda v: None)
    emitter.setObjectName("emitter")
    line = QLineEdit()
    line.setValidator(Digits(line))
    widget = QWidget()
    widget.setProperty("flag", True)
    watched = {answer: QLineEdit() for answer in (True, False)}
    for answer, w in watched.items():
        w.installEventFilter(ReturnsFilter(answer, parent=w))
    key = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier, "a")
    proxy = Filtered()
    proxy.setSourceModel(QStringListModel(["a", "b", "c", "d"], proxy))

    def filter_change() -> None:
        proxy.beginFilterChange()
        proxy.endFilterChange()

    return {
        "Signal(bool).emit(True) to a slot": lambda: emitter.flag.emit(True),
        "Signal(bool).emit(False) to a slot": lambda: emitter.flag.emit(False),
        "Signal(object).emit(None) to a lambda": lambda: emitter.value.emit(None),
        "a Qt signal emitted from Python": lambda: emitter.objectNameChanged.emit("x"),
        "a void method (setObjectName)": lambda: emitter.setObjectName("emitter"),
        "a void method (QWidget.update)": lambda: widget.update(),
        "a bool method (isVisible)": lambda: widget.isVisible(),
        "a bool property": lambda: widget.property("flag"),
        "eventFilter returning True": lambda: QCoreApplication.sendEvent(watched[True], key),
        "eventFilter returning False": lambda: QCoreApplication.sendEvent(watched[False], key),
        "a QValidator": lambda: line.setText("12"),
        "filterAcceptsRow and begin/endFilterChange": filter_change,
    }


KINDS = [
    "Signal(bool).emit(True) to a slot",
    "Signal(bool).emit(False) to a slot",
    "Signal(object).emit(None) to a lambda",
    "a Qt signal emitted from Python",
    "a void method (setObjectName)",
    "a void method (QWidget.update)",
    "a bool method (isVisible)",
    "a bool property",
    "eventFilter returning True",
    "eventFilter returning False",
    "a QValidator",
    "filterAcceptsRow and begin/endFilterChange",
]


@pytest.mark.parametrize("kind", KINDS)
def test_a_kind_of_call_keeps_its_references(qapp, kind):
    lost = lost_references(calls(qapp)[kind])
    assert lost == {}, (
        f"{kind}: references lost in {CALLS} calls: {lost}. This PySide6 build returns None, "
        "True or False without a reference (6.12.0 on Python 3.11 did), and the app dies with "
        "'Fatal Python error: none_dealloc' or 'bool_dealloc' (pyproject.toml)"
    )
