"""One editor widget per kind of question, chosen from the schema (docs/questionnaire.md,
"Widgets derived from types").

Every editor has `value()` (a JSON value, or None when unanswered), `set_value(v)` (silent: it
does not emit `changed`) and a `changed` signal for edits by the officer. An editor hands back
the value it was given, unchanged, until the officer edits it: "", [], 36.0 or an unknown code in
a stored record survive a round trip, and only the rules judge them.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from app import questionnaire as q
from app.gui.form.text import ui

DESA_CODE = re.compile(r"62\.\d{2}\.\d{2}\.\d{4}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
W = TypeVar("W", bound=QWidget)


def kind_of(spec: dict) -> str:
    """The widget kind of a question: x-widget when given, else derived from its type."""
    if spec.get("x-widget"):
        return spec["x-widget"]
    kind = spec.get("type")
    if kind == "boolean":
        return "yesno"
    if kind in ("integer", "number"):
        return "choice" if "enum" in spec else "number"
    if kind == "string":
        if "enum" in spec:
            return "choice"
        return "date" if spec.get("format") == "date" else "text"
    if kind == "array" and "enum" in spec.get("items", {}):
        return "multichoice"
    return "none"


def same(a: object, b: object) -> bool:
    """Equal as JSON values: True is not 1 here."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


class Editor(QWidget):
    """Base of all editors: one inner control (or several), a value, a `changed` signal."""

    changed = Signal()

    def __init__(self, name: str, spec: dict, lang: str = "id", parent: QWidget | None = None):
        super().__init__(parent)
        self.name, self.spec, self.lang = name, spec, lang
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._loaded: object = None
        self._loaded_raw: object = None

    # Subclasses implement _read() (the widget's answer) and _write(v) (show v, silently).
    def _read(self) -> object:
        raise NotImplementedError

    def _write(self, value: object) -> None:
        raise NotImplementedError

    def value(self) -> object:
        raw = self._read()
        if raw == self._loaded_raw and _same_kind(raw, self._loaded_raw):
            return copy.deepcopy(self._loaded)  # untouched: exactly what was stored
        return raw

    def set_value(self, value: object) -> None:
        was = self.signalsBlocked()
        self.blockSignals(True)
        try:
            self._write(value)
        finally:
            self.blockSignals(was)
        self._loaded, self._loaded_raw = value, self._read()

    def clear(self) -> None:
        self.set_value(None)

    def focus_widgets(self) -> list[QWidget]:
        """The controls that take keyboard focus, in tab order."""
        return [self.focusProxy() or self]

    def set_accessible(self, name: str, description: str = "") -> None:
        self.setAccessibleName(name)
        for w in self.focus_widgets():
            w.setAccessibleName(name)
            w.setAccessibleDescription(description)

    def set_read_only(self, on: bool) -> None:
        for w in self.focus_widgets():
            if hasattr(w, "setReadOnly"):
                w.setReadOnly(on)
            else:
                w.setEnabled(not on)

    def _inner(self, widget: W) -> W:
        self._layout.addWidget(widget)
        self.setFocusProxy(widget)
        return widget


def _same_kind(a: object, b: object) -> bool:
    return isinstance(a, bool) == isinstance(b, bool)


# -- text -------------------------------------------------------------------------------------


class TextEditor(Editor):
    def __init__(self, name, spec, lang="id", parent=None):
        super().__init__(name, spec, lang, parent)
        self.line = self._inner(QLineEdit())
        self._max = spec.get("maxLength", 32767)
        self.line.setMaxLength(self._max)
        self.line.textEdited.connect(self.changed)

    def _read(self):
        text = self.line.text()
        return text if text.strip() else None

    def _write(self, value):
        text = "" if value is None else str(value)
        self.line.setMaxLength(max(self._max, len(text)))  # never cut a stored answer
        self.line.setText(text)


class TextAreaEditor(Editor):
    def __init__(self, name, spec, lang="id", parent=None):
        super().__init__(name, spec, lang, parent)
        self.edit = self._inner(QPlainTextEdit())
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * 4 + 12)
        self.edit.textChanged.connect(self.changed)  # silent in set_value: signals blocked

    def _read(self):
        text = self.edit.toPlainText()
        return text if text.strip() else None

    def _write(self, value):
        self.edit.setPlainText("" if value is None else str(value))


# -- numbers ----------------------------------------------------------------------------------


class NumberValidator(QValidator):
    """Digits with "." as decimal point whatever the locale; "," typed is taken as ".". The
    schema's range is left to the rules, which say what the limits are."""

    def __init__(self, integer: bool, negative: bool, parent=None):
        super().__init__(parent)
        sign = "-?" if negative else ""
        frac = "" if integer else r"(\.\d*)?"
        self._full = re.compile(rf"{sign}\d{{1,12}}{frac}")
        self._part = re.compile(rf"{sign}(\d{{0,12}}{frac})?")

    def validate(self, text: str, pos: int):
        text = text.replace(",", ".")
        if text == "" or self._full.fullmatch(text):
            return QValidator.State.Acceptable, text, pos
        if self._part.fullmatch(text):
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Invalid, text, pos


def number_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def parse_number(text: str) -> object:
    """int for whole numbers typed without a point, float otherwise; text that is not a number
    comes back as typed, so the rules can report it."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text


class NumberEditor(Editor):
    def __init__(self, name, spec, lang="id", parent=None):
        super().__init__(name, spec, lang, parent)
        self.line = self._inner(QLineEdit())
        negative = spec.get("minimum", -1) < 0
        self.line.setValidator(NumberValidator(spec.get("type") == "integer", negative, self.line))
        self.line.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.line.setMaximumWidth(self.line.fontMetrics().horizontalAdvance("0") * 16 + 16)
        self.line.textEdited.connect(self.changed)

    def _read(self):
        return parse_number(self.line.text())

    def _write(self, value):
        self.line.setText(number_text(value))


# -- dates ------------------------------------------------------------------------------------


class _DateLine(QLineEdit):
    """A masked YYYY-MM-DD line: typing digits fills it; empty means unanswered."""

    MASK = "9999-99-99;_"

    def __init__(self):
        super().__init__()
        self.setInputMask(self.MASK)

    def focusInEvent(self, event):
        super().focusInEvent(event)
        if not any(c.isdigit() for c in self.text()):
            QTimer.singleShot(0, lambda: self.setCursorPosition(0))


class DateEditor(Editor):
    def __init__(self, name, spec, lang="id", parent=None):
        super().__init__(name, spec, lang, parent)
        self.line = self._inner(_DateLine())
        self.line.setMaximumWidth(self.line.fontMetrics().horizontalAdvance("0000-00-00") + 24)
        self.line.textEdited.connect(self.changed)

    def _read(self):
        text = self.line.text()
        if not any(c.isdigit() for c in text):
            return None
        return text.strip("-") if self.line.inputMask() else text

    def _write(self, value):
        text = "" if value is None else str(value)
        # A stored value that does not fit the mask is shown as it is, for the rules to flag.
        self.line.setInputMask(_DateLine.MASK if not text or ISO_DATE.fullmatch(text) else "")
        self.line.setText(text)


# -- coded answers ----------------------------------------------------------------------------


class ChoiceEditor(Editor):
    """A combo box: "— pilih —" first, then "code. label". Typing the code selects it."""

    def __init__(self, name, spec, lang="id", parent=None):
        super().__init__(name, spec, lang, parent)
        self.combo = self._inner(QComboBox())
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._values: list[object] = []
        for value, text in [(None, ui("choose", lang))] + self._items():
            self._values.append(value)
            self.combo.addItem(text)
        self.combo.currentIndexChanged.connect(self._index_changed)

    def _items(self) -> list[tuple[object, str]]:
        return [(o["value"], f"{o['value']}. {q.text_of(o, 'label', self.lang)}") for o in q.options(self.spec)]

    def _index_changed(self, _index):
        self.changed.emit()  # by mouse, popup or typing the code; set_value blocks it

    def _read(self):
        i = self.combo.currentIndex()
        return self._values[i] if 0 <= i < len(self._values) else None

    def _write(self, value):
        self.combo.blockSignals(True)
        try:
            index = next((i for i, v in enumerate(self._values) if same(v, value)), None)
            if index is None:  # an unknown code: keep it visible, the rules report it
                self._values.append(value)
                self.combo.addItem(f"{value} (?)")
                index = len(self._values) - 1
            self.combo.setCurrentIndex(index)
        finally:
            self.combo.blockSignals(False)


class YesNoEditor(ChoiceEditor):
    def _items(self):
        return [(True, ui("yes", self.lang)), (False, ui("no", self.lang))]


class MultiChoiceEditor(Editor):
    """One check box per option, two columns when there are many."""

    def __init__(self, name, spec, lang="id", parent=None):
        super().__init__(name, spec, lang, parent)
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: list[tuple[object, QCheckBox]] = []
        opts = q.options(spec)
        per_column = len(opts) if len(opts) <= 6 else (len(opts) + 1) // 2
        for i, o in enumerate(opts):
            check = QCheckBox(f"{o['value']}. {q.text_of(o, 'label', lang)}".replace("&", "&&"))
            check.toggled.connect(self.changed)
            grid.addWidget(check, i % per_column, i // per_column)
            self.boxes.append((o["value"], check))
        self._unknown: list[object] = []
        self._inner(box)
        if self.boxes:
            box.setFocusProxy(self.boxes[0][1])

    def focus_widgets(self):
        return [c for _, c in self.boxes]

    def set_accessible(self, name, description=""):
        self.setAccessibleName(name)
        for _, check in self.boxes:
            check.setAccessibleName(f"{name}: {check.text()}")
            check.setAccessibleDescription(description)

    def _read(self):
        return [v for v, c in self.boxes if c.isChecked()] + list(self._unknown)

    def _write(self, value):
        chosen = value if isinstance(value, list) else []
        for v, check in self.boxes:
            check.blockSignals(True)
            check.setChecked(any(same(v, c) for c in chosen))
            check.blockSignals(False)
        known = [v for v, _ in self.boxes]
        self._unknown = [c for c in chosen if not any(same(c, k) for k in known)]


EDITORS: dict[str, type[Editor]] = {
    "text": TextEditor,
    "textarea": TextAreaEditor,
    "number": NumberEditor,
    "date": DateEditor,
    "choice": ChoiceEditor,
    "multichoice": MultiChoiceEditor,
    "yesno": YesNoEditor,
}


def make_editor(name: str, spec: dict, lang: str = "id", areas: list[str] | None = None) -> Editor | None:
    """The editor for one question, or None for questions the form does not show."""
    kind = kind_of(spec)
    if kind == "none":
        return None
    if kind in ("desa", "gps"):
        from app.gui.form.location import DesaEditor, GpsEditor  # they build on the editors here

        editor: Editor = DesaEditor(name, spec, lang, areas=areas) if kind == "desa" else GpsEditor(name, spec, lang)
    else:
        editor = EDITORS.get(kind, TextEditor)(name, spec, lang)
    editor.set_value(None)
    return editor
