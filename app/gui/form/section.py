"""One group of questions (a section, or one member) as a form: label above each field, help
in grey under it, then the rules' messages for it.

Skip logic runs live: after every edit each question's x-relevant is evaluated with this
section's current answers as scope and the whole record as root; hidden questions are hidden
and their answers cleared (repeated until stable, since clearing can hide more).

Enter, and an answer typed to its end (editor `completed`), move to the next question shown
that the officer can change; past the last one the section says `finished` (the household form
goes to the next section, the member dialog to its OK button).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLayout,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import questionnaire as q
from app import rules
from app.gui.form import comments as shown_comments
from app.gui.form import issues as shown_issues
from app.gui.form.keys import EnterMovesFocus
from app.gui.form.text import Mnemonics
from app.gui.form.widgets import Editor, kind_of, make_editor

HELP_STYLE = "color: #555555;"  # 7.5:1 on white
COMPACT_RUN = 4  # this many number questions in a row go in a compact grid


def _runs(made: list[tuple[str, dict, Editor]]) -> list[list[tuple[str, dict, Editor]]]:
    """The questions in order, cut into runs of number questions and runs of the rest."""
    runs: list[list[tuple[str, dict, Editor]]] = []
    for item in made:
        number = kind_of(item[1]) == "number"
        if runs and (kind_of(runs[-1][0][1]) == "number") == number:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


@dataclass
class Row:
    name: str
    spec: dict
    editor: Editor
    label: QLabel
    help: QLabel | None
    message: QLabel
    index: int  # row in the QFormLayout; -1 for a cell of a compact grid (`box`)
    box: QWidget | None = None
    shown: bool = True
    html: str = ""
    plain: str = ""
    layout: QLayout | None = None  # label, answer, help, messages; a comment goes in too
    comment: QLabel | None = None  # a supervisor's comments (form/comments.py), made when needed
    comment_plain: str = ""


def needs_root(cond: object) -> bool:
    """True when a condition looks outside its own group: a "/path" or the member's age (which
    needs the visit date)."""
    if isinstance(cond, dict):
        if "age" in cond or str(cond.get("field", "")).startswith("/"):
            return True
        return any(
            needs_root(c) for c in cond.get("all", []) + cond.get("any", []) + [cond.get("not")]
        )
    return False


def _read_only(widget: QWidget) -> bool:
    """A control the officer cannot change (x-readonly, the notice version): Enter passes it."""
    is_read_only = getattr(widget, "isReadOnly", None)
    return bool(is_read_only and is_read_only())


class SectionView(QWidget):
    """The questions of `spec` (a group), or only `fields` of it; answers live at `prefix` in
    the record (("rumah",), ("anggota", 2), or () for root questions)."""

    changed = Signal(str)  # the question the officer changed
    finished = Signal()  # Enter (or a completed answer) on the last question shown

    def __init__(
        self,
        spec: dict,
        prefix: tuple = (),
        lang: str = "id",
        *,
        fields: list[str] | None = None,
        areas: list[str] | None = None,
        root: Callable[[], dict] | None = None,
        reserved: str = "",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.spec, self.prefix, self.lang = spec, tuple(prefix), lang
        self._root = root or dict
        self._partial = fields is not None
        self._extra: dict = {}
        self._loading = False
        self.enter = EnterMovesFocus(self.advance, self)

        outer = QVBoxLayout(self)
        self.header = QVBoxLayout()
        outer.addLayout(self.header)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.form.setVerticalSpacing(10)
        outer.addLayout(self.form)
        outer.addStretch(1)

        self.rows: dict[str, Row] = {}
        mnemonic = Mnemonics(reserved)
        made = []
        for name in fields if fields is not None else list(spec.get("properties", {})):
            sub = spec["properties"][name]
            editor = make_editor(name, sub, lang, areas)
            if editor is not None:
                made.append((name, sub, editor))
        for run in _runs(made):
            if len(run) >= COMPACT_RUN and kind_of(run[0][1]) == "number":
                self._add_grid(run, mnemonic)
            else:
                for name, sub, editor in run:
                    self._add_row(name, sub, editor, mnemonic)
        for name, sub, _editor in made:
            self.rows[name].editor.set_read_only(bool(sub.get("x-readonly")))
        self._needs_root = any(needs_root(r.spec.get("x-relevant")) for r in self.rows.values())
        self._chain_tab_order()
        self.refresh()

    # -- building ---------------------------------------------------------------------------

    def _add_row(self, name: str, spec: dict, editor: Editor, mnemonic: Mnemonics) -> None:
        # Label, answer, help and messages in one box, one row of the form: a wrapping label
        # in the form's own label column got a narrow width and one line's height ("Tanggal
        # kunjungan" was cut in half).
        field = QWidget()
        box = QVBoxLayout(field)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        label, help_label, message = self._texts(name, spec, editor, mnemonic)
        box.addWidget(label)
        box.addSpacing(4)
        box.addWidget(editor)
        for w in (help_label, message):
            if w is not None:
                box.addWidget(w)
        self.form.addRow(field)
        self._keep(
            Row(
                name, spec, editor, label, help_label, message, self.form.rowCount() - 1, layout=box
            )
        )

    def _add_grid(self, run: list[tuple[str, dict, Editor]], mnemonic: Mnemonics) -> None:
        """Number questions in a row of their own (the assets: 20 counts) as a compact grid,
        two to a line, each label beside its box: most of them fit on one screen, where one
        below the other only 8 did."""
        grid_widget = QWidget()
        grid = QGridLayout(grid_widget)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(28)
        grid.setVerticalSpacing(8)
        for i, (name, spec, editor) in enumerate(run):
            cell = QWidget()
            lines = QGridLayout(cell)
            lines.setContentsMargins(0, 0, 0, 0)
            lines.setHorizontalSpacing(8)
            lines.setVerticalSpacing(2)
            label, help_label, message = self._texts(name, spec, editor, mnemonic)
            editor.setFixedWidth(editor.fontMetrics().horizontalAdvance("0") * 10 + 24)
            lines.addWidget(label, 0, 0)
            lines.addWidget(editor, 0, 1, Qt.AlignmentFlag.AlignTop)
            lines.setColumnStretch(0, 1)
            for n, w in enumerate((help_label, message), start=1):
                if w is not None:
                    lines.addWidget(w, n, 0, 1, 2)
            grid.addWidget(cell, i // 2, i % 2, Qt.AlignmentFlag.AlignTop)
            self._keep(Row(name, spec, editor, label, help_label, message, -1, cell, layout=lines))
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.form.addRow(grid_widget)

    def _texts(
        self, name: str, spec: dict, editor: Editor, mnemonic: Mnemonics
    ) -> tuple[QLabel, QLabel | None, QLabel]:
        """A question's label (with its Alt+letter), its help in grey, and the place for the
        rules' messages."""
        title = q.text_of(spec, "x-label", self.lang) or name
        help_text = q.text_of(spec, "x-help", self.lang)
        label = QLabel(mnemonic(title))
        label.setWordWrap(True)
        label.setBuddy(editor)
        help_label = None
        if help_text:
            help_label = QLabel(help_text)
            help_label.setWordWrap(True)
            help_label.setStyleSheet(HELP_STYLE)
            font = help_label.font()
            font.setPointSizeF(font.pointSizeF() * 0.9)
            help_label.setFont(font)
            label.setToolTip(help_text)
            editor.setToolTip(help_text)
            for w in editor.focus_widgets():
                w.setToolTip(help_text)
        message = QLabel()
        message.setWordWrap(True)
        message.setVisible(False)
        editor.set_accessible(title, help_text)
        return label, help_label, message

    def _keep(self, row: Row) -> None:
        name, editor = row.name, row.editor
        self.rows[name] = row
        editor.changed.connect(lambda n=name: self._edited(n))
        editor.completed.connect(lambda n=name: self._completed(n))
        for w in editor.focus_widgets():
            self.enter.watch(w)

    def _chain_tab_order(self) -> None:
        chain = [w for r in self.rows.values() for w in r.editor.focus_widgets()]
        for a, b in zip(chain, chain[1:], strict=False):  # each with the next
            QWidget.setTabOrder(a, b)

    def add_header(self, widget: QWidget) -> None:
        """A widget above the questions (a section's help, the consent notice)."""
        self.header.addWidget(widget)

    # -- answers ----------------------------------------------------------------------------

    def editor(self, name: str) -> Editor:
        return self.rows[name].editor

    def names(self) -> list[str]:
        return list(self.rows)

    def is_shown(self, name: str) -> bool:
        return self.rows[name].shown

    def current(self) -> dict:
        """Every answer in the widgets (hidden questions are empty anyway)."""
        out = {}
        for name, row in self.rows.items():
            value = row.editor.value()
            if value is not None:
                out[name] = value
        return out

    def values(self) -> dict:
        """The answers of the questions shown, in schema order, then any properties without a
        widget the record came with (unknown ones kept so the rules can report them)."""
        out = {n: v for n, v in self.current().items() if self.rows[n].shown}
        for key, value in self._extra.items():
            out.setdefault(key, value)
        return out

    def set_values(self, values: dict | None) -> None:
        """Show stored answers without emitting `changed`; answers the skip logic hides are
        cleared, as prune() would."""
        values = values if isinstance(values, dict) else {}
        self._loading = True
        try:
            for name, row in self.rows.items():
                row.editor.set_value(values.get(name))
            # Kept as loaded: unknown properties and system fields without a widget (x-widget none).
            self._extra = (
                {} if self._partial else {k: v for k, v in values.items() if k not in self.rows}
            )
            self.refresh()
        finally:
            self._loading = False

    def set_field(self, name: str, value: object) -> None:
        """Set an answer as if the officer had typed it (skip logic runs, `changed` emitted)."""
        self.rows[name].editor.set_value(value)
        self._edited(name)

    def _edited(self, name: str) -> None:
        if self._loading:
            return
        self.refresh()
        self.changed.emit(name)

    def refresh(self) -> list[str]:
        """Re-evaluate x-relevant for every question; hide and clear what no longer applies.
        Returns the names of the answers cleared."""
        cleared: list[str] = []
        root = self._root() if self._needs_root else {}
        for _ in range(len(self.rows) + 1):
            scope = self.current()
            again = False
            for row in self.rows.values():
                cond = row.spec.get("x-relevant")
                if cond is None:
                    continue
                shown = q.evaluate(cond, scope, root)
                if shown != row.shown:
                    row.shown = shown
                    if row.box is not None:
                        row.box.setVisible(shown)
                    else:
                        self.form.setRowVisible(row.index, shown)
                if not shown and row.editor.value() is not None:
                    row.editor.clear()
                    cleared.append(row.name)
                    again = True
            if not again:
                break
        return cleared

    # -- messages ---------------------------------------------------------------------------

    def show_issues(self, issues: list[rules.Issue]) -> None:
        """Messages under each question; issues about other places are ignored. Labels whose
        text did not change are not touched, so re-validation stays cheap."""
        per_field: dict[str, list[rules.Issue]] = {}
        for issue in issues:
            name = shown_issues.field_of(issue, self.prefix)
            if name in self.rows:
                per_field.setdefault(name, []).append(issue)
        for name, row in self.rows.items():
            found = per_field.get(name, [])
            html = shown_issues.html(found, self.lang)
            if html == row.html:
                continue
            row.html = html
            row.message.setText(html)
            row.message.setVisible(bool(found))
            row.plain = " ".join(shown_issues.line(i, self.lang) for i in found)
            self._describe(row)

    def _describe(self, row: Row) -> None:
        help_text = row.help.text() if row.help else ""
        said = " ".join(t for t in (row.plain, row.comment_plain, help_text) if t)
        for w in row.editor.focus_widgets():
            w.setAccessibleDescription(said)

    def show_comments(self, per_field: dict[str, list[str]]) -> None:
        """A supervisor's comments under their questions (names of this section's questions);
        questions not named lose theirs."""
        for name, row in self.rows.items():
            texts = per_field.get(name, [])
            if row.comment is None:
                if not texts:
                    continue
                row.comment = QLabel()
                row.comment.setTextFormat(Qt.TextFormat.RichText)  # comments.html escapes
                row.comment.setObjectName("supervisorComment")
                row.comment.setWordWrap(True)
                row.comment.setStyleSheet(shown_comments.STYLE)
                if isinstance(row.layout, QGridLayout):  # a cell of the compact grid
                    row.layout.addWidget(row.comment, row.layout.rowCount(), 0, 1, 2)
                elif row.layout is not None:
                    row.layout.addWidget(row.comment)
            row.comment.setText(shown_comments.html(texts))
            row.comment.setVisible(bool(texts))
            row.comment_plain = shown_comments.plain(texts)
            self._describe(row)

    def comment(self, name: str) -> str:
        """The supervisor's comments shown at a question (plain text)."""
        return self.rows[name].comment_plain

    def message(self, name: str) -> str:
        """The message text shown under a question (plain text, for tests and screen readers)."""
        return self.rows[name].plain

    # -- focus ------------------------------------------------------------------------------

    def first_editor(self) -> Editor | None:
        return next((r.editor for r in self.rows.values() if r.shown), None)

    def focus_field(self, name: str | None = None) -> None:
        row = self.rows.get(name) if name else None
        editor = row.editor if row and row.shown else self.first_editor()
        if editor is None:
            return
        self._focus(editor)

    def _focus(self, widget: QWidget) -> None:
        widget.setFocus(Qt.FocusReason.TabFocusReason)  # as Tab does: a line's text is selected
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget)

    def _entries(self) -> list[tuple[Row, QWidget]]:
        """What Enter walks through: each question's entry controls, in order."""
        return [(r, w) for r in self.rows.values() for w in r.editor.entry_widgets()]

    def advance(self, widget: QWidget) -> None:
        """From `widget` (a control of some question) to the next entry control of a question
        shown that the officer can change; `finished` when there is none."""
        entries = self._entries()
        here = next((i for i, (_, w) in enumerate(entries) if w is widget), None)
        if here is None:  # a check box of a multiple choice: on from its question's last entry
            here = max(
                (i for i, (r, _) in enumerate(entries) if r.editor.isAncestorOf(widget)),
                default=None,
            )
        if here is None:
            return
        for row, w in entries[here + 1 :]:
            if row.shown and w.isEnabled() and not _read_only(w):
                self._focus(w)
                return
        self.finished.emit()

    def _completed(self, name: str) -> None:
        """An answer typed to its end: on to the next question, if the officer is still there."""
        editor = self.rows[name].editor
        focus = QApplication.focusWidget()
        if focus is not None and (focus is editor or editor.isAncestorOf(focus)):
            self.advance(editor.entry_widgets()[-1])
