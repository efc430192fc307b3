"""One editor widget per kind of question, chosen from the schema (docs/questionnaire.md,
"Widgets derived from types").

Every editor has `value()` (a JSON value, or None when unanswered), `set_value(v)` (silent: it
does not emit `changed`) and a `changed` signal for edits by the officer. An editor hands back
the value it was given, unchanged, until the officer edits it: "", [], 36.0 or an unknown code in
a stored record survive a round trip, and only the rules judge them.

Fast keyboard entry (docs/questionnaire.md, "Keyboard entry"): an editor emits `completed` when
the officer has typed an answer that cannot go on (16 digits of a NIK, 8 of a date, a code no
longer code starts with); the section then moves to the next question. Coded answers take their
codes from the keyboard.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QValidator
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app import dates
from app import questionnaire as q
from app.gui.form.text import ui

DESA_CODE = re.compile(r"62\.\d{2}\.\d{2}\.\d{4}")
FIXED_DIGITS = re.compile(r"\^\[0-9\]\{(\d+)\}\$")  # a pattern such as ^[0-9]{16}$
DATE_FORMATS = ("date", dates.PARTIAL_FORMAT)
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
        return "date" if spec.get("format") in DATE_FORMATS else "text"
    if kind == "array" and "enum" in spec.get("items", {}):
        return "multichoice"
    return "none"


def same(a: object, b: object) -> bool:
    """Equal as JSON values: True is not 1 here."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def fixed_length(spec: dict) -> int | None:
    """The number of digits a text answer always has (NIK and KK: 16), from its pattern."""
    found = FIXED_DIGITS.fullmatch(spec.get("pattern", ""))
    return int(found.group(1)) if found else None


def typed_digit(event: QKeyEvent) -> str | None:
    """The digit a key press types (top row or keypad), or None (Alt+1 is a shortcut)."""
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    text = event.text()
    if mods == Qt.KeyboardModifier.NoModifier and len(text) == 1 and "0" <= text <= "9":
        return text
    return None


class Editor(QWidget):
    """Base of all editors: one inner control (or several), a value, a `changed` signal, and
    `completed` when typing has finished the answer (the section moves on)."""

    changed = Signal()
    completed = Signal()

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

    def entry_widgets(self) -> list[QWidget]:
        """The controls Enter walks through (Tab walks focus_widgets): a multiple choice is
        answered in its code field, its check boxes are for the mouse and Tab."""
        return self.focus_widgets()

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
        self._digits = fixed_length(spec)
        self.line.textEdited.connect(self._typed)

    def _typed(self, text: str) -> None:
        self.changed.emit()
        n = self._digits
        if (
            n
            and len(text) == n
            and text.isascii()
            and text.isdigit()
            and self.line.cursorPosition() == n
        ):
            self.completed.emit()

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
        self._layout.addStretch(1)  # at the left, under its label
        self.line.textEdited.connect(self.changed)

    def _read(self):
        return parse_number(self.line.text())

    def _write(self, value):
        self.line.setText(number_text(value))


# -- dates ------------------------------------------------------------------------------------


class TypedCharValidator(QValidator):
    """Refuses a character outside `allowed` typed into text that has none: an odd stored
    answer (letters in a date from an import) can still be corrected in place."""

    def __init__(self, allowed: str, parent=None):
        super().__init__(parent)
        self.allowed = allowed

    def validate(self, text: str, pos: int):
        if (
            0 < pos <= len(text)
            and text[pos - 1] not in self.allowed
            and all(c in self.allowed for c in text[: pos - 1] + text[pos:])
        ):
            return QValidator.State.Invalid, text, pos
        return QValidator.State.Acceptable, text, pos


class DateEditor(Editor):
    """A date typed as Indonesian documents print it, DD-MM-YYYY: digits straight through
    ("30042022" shows as 30-04-2022 and moves on), separators optional. Stored as ISO 8601
    (app/dates.py); a birth date (format partial-date) also takes 00 for an unknown day or
    month, or the year alone. Text that is no date is kept as typed, for the rules to report."""

    SHAPE = re.compile(r"\d{1,2}[-./ ]\d{1,2}[-./ ]\d{4}")  # complete: the year has 4 digits

    def __init__(self, name, spec, lang="id", parent=None):
        super().__init__(name, spec, lang, parent)
        self.partial = spec.get("format") == dates.PARTIAL_FORMAT
        self.line = self._inner(QLineEdit())
        self.line.setMaxLength(10)
        self.line.setValidator(TypedCharValidator("0123456789-./ ", self.line))
        self.line.setPlaceholderText(ui("date_hint", lang))
        self.line.setMaximumWidth(self.line.fontMetrics().horizontalAdvance("00-00-00000") + 24)
        self._layout.addStretch(1)  # at the left, under its label
        self.line.textEdited.connect(self._typed)
        self.line.editingFinished.connect(self._tidy)

    def _typed(self, text: str) -> None:
        at_end = self.line.cursorPosition() == len(text)
        if at_end and text.isascii() and text.isdigit() and len(text) > 4:
            text = f"{text[:2]}-{text[2:4]}-{text[4:]}"  # 30042 -> 30-04-2
            self.line.setText(text)
        self.changed.emit()
        if at_end and self.SHAPE.fullmatch(text):
            self._tidy()
            self.completed.emit()

    def _tidy(self) -> None:
        """Show what was typed the way it is kept: 1.5.2022 -> 01-05-2022, 1950 -> 00-00-1950
        (only when that reads back as the same answer)."""
        text = self.line.text()
        value = dates.typed(text, self.partial)
        if value is None:
            return
        shown = dates.shown(value)
        if shown != text and dates.typed(shown, self.partial) == value:
            self.line.setText(shown)

    def _read(self):
        return dates.typed(self.line.text(), self.partial)

    def _write(self, value):
        text = dates.shown(value)
        self.line.setMaxLength(max(10, len(text)))  # never cut a stored answer
        self.line.setText(text)


# -- coded answers ----------------------------------------------------------------------------


class CodeCombo(QComboBox):
    """A combo box that takes answer codes from the keyboard. When every code has one digit,
    the digit chooses and the answer is complete. When some have two (10, 11), a code is
    complete after two digits (01 ... 11); one digit chooses that code and waits for a second
    digit, Enter or Tab. A digit that starts no code beeps."""

    completed = Signal()

    def __init__(self):
        super().__init__()
        self._forms: dict[str, int] = {}  # "3", "03", "10" -> item index
        self._width = 1
        self._typed = ""

    def set_codes(self, codes: dict[str, int]) -> None:
        self._width = max((len(c) for c in codes), default=1)
        self._forms = dict(codes)
        for code, index in codes.items():
            self._forms.setdefault(code.zfill(self._width), index)

    def focusInEvent(self, event):
        self._typed = ""
        super().focusInEvent(event)

    def keyPressEvent(self, event):
        digit = typed_digit(event)
        if digit is None or not self._forms:
            self._typed = ""
            super().keyPressEvent(event)
            return
        self.type_code(digit)

    def type_code(self, digit: str) -> None:
        typed = self._typed + digit
        if not any(f.startswith(typed) for f in self._forms):
            typed = digit  # not a continuation: a new code
            if not any(f.startswith(typed) for f in self._forms):
                self._typed = ""
                QApplication.beep()
                return
        index = self._forms.get(typed)
        if index is not None:
            self.setCurrentIndex(index)
        if len(typed) >= self._width:
            self._typed = ""
            self.completed.emit()
        else:
            self._typed = typed


class ChoiceEditor(Editor):
    """A combo box: "— pilih —" first, then "code. label". Typing the code selects it."""

    def __init__(self, name, spec, lang="id", parent=None):
        super().__init__(name, spec, lang, parent)
        self.combo = self._inner(CodeCombo())
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._values: list[object] = [None]
        self.combo.addItem(ui("choose", lang))
        codes: dict[str, int] = {}
        for value, code, label in self._items():
            codes[code] = len(self._values)
            self._values.append(value)
            self.combo.addItem(f"{code}. {label}")
        self.combo.set_codes({c: i for c, i in codes.items() if c.isdigit()})
        self.combo.currentIndexChanged.connect(self._index_changed)
        self.combo.completed.connect(self.completed)

    def _items(self) -> list[tuple[object, str, str]]:
        """(value, code as typed, label) of each answer."""
        return [
            (o["value"], str(o["value"]), q.text_of(o, "label", self.lang))
            for o in q.offered(self.spec)
        ]

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
    """Yes and no as codes 1 and 2, as paper questionnaires print them."""

    def _items(self):
        return [(True, "1", ui("yes", self.lang)), (False, "2", ui("no", self.lang))]


class CodeListValidator(QValidator):
    """Codes separated by spaces or commas. Only the code being typed (at the cursor) is
    judged: one that is no code, and starts none, is refused."""

    def __init__(self, codes: list[str], parent=None):
        super().__init__(parent)
        self.codes = codes
        self.single = all(len(c) == 1 for c in codes)

    def validate(self, text: str, pos: int):
        if any(not (c.isdigit() or c in " ,") for c in text) or not text.isascii():
            return QValidator.State.Invalid, text, pos
        if 0 < pos <= len(text) and text[pos - 1].isdigit():
            if self.single:
                ok = text[pos - 1] in self.codes
            else:
                start = pos
                while start > 0 and text[start - 1].isdigit():
                    start -= 1
                end = pos
                while end < len(text) and text[end].isdigit():
                    end += 1
                token = text[start:end]
                ok = any(c.startswith(token) for c in self.codes)
            if not ok:
                return QValidator.State.Invalid, text, pos
        return QValidator.State.Acceptable, text, pos


class MultiChoiceEditor(Editor):
    """A code field above one check box per option (two columns when there are many). The
    officer types the codes ("2 5"; "25" when every code has one digit) and the boxes follow;
    clicking a box writes its code. Enter moves on from the code field; Tab visits the boxes.
    A question with an x-none answer ("0. Tidak ada") moves on as soon as that code alone is
    typed; ticking it clears the other boxes and ticking another clears it."""

    def __init__(self, name, spec, lang="id", parent=None):
        super().__init__(name, spec, lang, parent)
        opts = q.offered(spec)  # a retired code in an earlier answer is kept (_unknown)
        self.none = spec.get("x-none")
        codes = [
            str(o["value"])
            for o in opts
            if isinstance(o["value"], int) and not isinstance(o["value"], bool)
        ]
        self.single = all(len(c) == 1 for c in codes)
        self.codes = QLineEdit()
        self.codes.setValidator(CodeListValidator(codes, self.codes))
        self.codes.setPlaceholderText(ui("codes_hint", lang))
        self.codes.setMaximumWidth(self.codes.fontMetrics().horizontalAdvance("0") * 24 + 16)
        self.codes.textEdited.connect(self._typed)
        self.codes.editingFinished.connect(self._tidy)

        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(self.codes)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        column.addLayout(grid)
        self.boxes: list[tuple[object, QCheckBox]] = []
        self.group = QButtonGroup(self)  # one connection for all the boxes
        self.group.setExclusive(False)
        per_column = len(opts) if len(opts) <= 6 else (len(opts) + 1) // 2
        for i, o in enumerate(opts):
            check = QCheckBox(f"{o['value']}. {q.text_of(o, 'label', lang)}".replace("&", "&&"))
            self.group.addButton(check, i)
            grid.addWidget(check, i % per_column, i // per_column)
            self.boxes.append((o["value"], check))
        self.group.idToggled.connect(self._ticked)
        self._unknown: list[object] = []
        self._inner(box)
        box.setFocusProxy(self.codes)

    def focus_widgets(self):
        return [self.codes] + [c for _, c in self.boxes]

    def entry_widgets(self):
        return [self.codes]

    def set_accessible(self, name, description=""):
        self.setAccessibleName(name)
        self.codes.setAccessibleName(name)
        self.codes.setAccessibleDescription(
            " ".join(t for t in (description, ui("codes_hint", self.lang)) if t)
        )
        for _, check in self.boxes:
            check.setAccessibleName(f"{name}: {check.text()}")
            check.setAccessibleDescription(description)

    def set_read_only(self, on):
        self.codes.setReadOnly(on)
        for _, check in self.boxes:
            check.setEnabled(not on)

    def parse(self, text: str) -> list[object]:
        """The known codes in typed text, in option order."""
        tokens = re.findall(r"\d+", text)
        if self.single:
            tokens = [d for t in tokens for d in t]
        typed = {int(t) for t in tokens}
        return [v for v, _ in self.boxes if not isinstance(v, bool) and v in typed]

    def _typed(self, text: str) -> None:
        chosen = self.parse(text)
        self._unknown = []  # the typed codes are the answer now
        self._check(chosen)
        self.changed.emit()
        at_end = self.codes.cursorPosition() == len(text)
        if at_end and self.none is not None and text.strip() == str(self.none):
            self.completed.emit()

    def _ticked(self, index: int, on: bool) -> None:
        value = self.boxes[index][0]
        chosen = [v for v, c in self.boxes if c.isChecked()]
        if on and self.none is not None:  # "none" excludes the rest, and the rest exclude it
            if same(value, self.none):
                chosen = [value]
            else:
                chosen = [v for v in chosen if not same(v, self.none)]
            self._check(chosen)
        self.codes.setText(self._text(chosen + self._unknown))
        self.changed.emit()

    def _tidy(self) -> None:
        """The code field shows the answer in option order once the officer leaves it."""
        text = self._text(self._read())
        if self.codes.text() != text:
            self.codes.setText(text)

    def _check(self, chosen: list[object]) -> None:
        was = self.group.blockSignals(True)  # the group tells of each box itself
        try:
            for v, check in self.boxes:
                check.blockSignals(True)
                check.setChecked(any(same(v, c) for c in chosen))
                check.blockSignals(False)
        finally:
            self.group.blockSignals(was)

    @staticmethod
    def _text(values: list[object]) -> str:
        return " ".join(str(v) for v in values)

    def _read(self):
        return [v for v, c in self.boxes if c.isChecked()] + list(self._unknown)

    def _write(self, value):
        chosen = value if isinstance(value, list) else []
        self._check(chosen)
        known = [v for v, _ in self.boxes]
        self._unknown = [c for c in chosen if not any(same(c, k) for k in known)]
        self.codes.setText(self._text(self._read()))


EDITORS: dict[str, type[Editor]] = {
    "text": TextEditor,
    "textarea": TextAreaEditor,
    "number": NumberEditor,
    "date": DateEditor,
    "choice": ChoiceEditor,
    "multichoice": MultiChoiceEditor,
    "yesno": YesNoEditor,
}


def make_editor(
    name: str, spec: dict, lang: str = "id", areas: list[str] | None = None
) -> Editor | None:
    """The editor for one question, or None for questions the form does not show."""
    kind = kind_of(spec)
    if kind == "none":
        return None
    if kind == "attachment":
        from app.gui.form.attachment import AttachmentEditor  # builds on the editors here

        attached = AttachmentEditor(name, spec, lang)
        attached.set_value(None)
        return attached
    if kind in ("desa", "gps"):
        from app.gui.form.location import DesaEditor, GpsEditor  # they build on the editors here

        editor: Editor = (
            DesaEditor(name, spec, lang, areas=areas)
            if kind == "desa"
            else GpsEditor(name, spec, lang)
        )
    else:
        editor = EDITORS.get(kind, TextEditor)(name, spec, lang)
    editor.set_value(None)
    return editor
