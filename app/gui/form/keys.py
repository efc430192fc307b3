"""Keyboard helpers shared by the form and the member dialog."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def is_enter(event: QEvent) -> bool:
    if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
        return False
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    return event.key() in ENTER_KEYS and mods == Qt.KeyboardModifier.NoModifier


class EnterMovesFocus(QObject):
    """Enter in a one-line field (line edit, combo box, check box) moves on to the next
    question, `advance(widget)`, instead of submitting a dialog: past the check boxes of a
    multiple choice, which Tab still visits one by one. Multi-line text keeps Enter for new
    lines."""

    WATCHED = (QLineEdit, QComboBox, QCheckBox)

    def __init__(self, advance: Callable[[QWidget], None], parent: QObject | None = None):
        super().__init__(parent)
        self.advance = advance

    def watch(self, widget: QWidget) -> None:
        if isinstance(widget, self.WATCHED):
            widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if is_enter(event) and isinstance(obj, QWidget):
            self.advance(obj)
            return True
        return False
