"""The members roster: a table of the household's members (columns from x-roster-columns) with
Add, Edit and Remove. Editing opens a MemberDialog on a copy; OK puts the member back. After a
member is added the focus is on Add again, so Enter starts the next member."""

from __future__ import annotations

import copy
from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import dates, rules
from app import questionnaire as q
from app.gui.form import comments as shown_comments
from app.gui.form import issues as shown_issues
from app.gui.form.keys import ENTER_KEYS
from app.gui.form.member_dialog import MemberDialog, member_spec
from app.gui.form.text import ui
from app.gui.form.widgets import kind_of, number_text

_ROSTER = q.load_schema()["properties"][q.MEMBERS]
COLUMNS: tuple[str, ...] = tuple(_ROSTER.get("x-roster-columns", [q.NIK, q.NAME]))


def _col(name: str) -> int:
    return COLUMNS.index(name) if name in COLUMNS else -1


COL_NIK, COL_NAME, COL_RELATION, COL_SEX, COL_BIRTH_DATE, COL_PRESENCE = (
    _col(n) for n in (q.NIK, q.NAME, q.RELATION, q.SEX, q.BIRTH_DATE, q.PRESENCE)
)
COL_CHECK = len(COLUMNS)  # the rules' verdict on the row, as text


class MemberTableModel(QAbstractTableModel):
    """Members as rows, x-roster-columns as columns (coded answers shown by their labels), then
    a "Periksa" column with the row's error and warning counts."""

    def __init__(self, lang: str = "id", parent=None, spec: dict | None = None):
        super().__init__(parent)
        self.lang = lang
        self._rows: list[dict] = []
        self._counts: dict[int, tuple[int, int]] = {}
        self._comments: dict[int, list[str]] = {}  # a supervisor's, per member (comments.py)
        self._specs = [(spec or member_spec())["properties"].get(c, {}) for c in COLUMNS]

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self._rows = [dict(r) if isinstance(r, dict) else {} for r in rows]
        self._counts = {}
        self.endResetModel()

    def rows(self) -> list[dict]:
        return copy.deepcopy(self._rows)

    def row(self, i: int) -> dict:
        return copy.deepcopy(self._rows[i])

    def set_row(self, i: int, member: dict) -> None:
        self._rows[i] = dict(member)
        self.dataChanged.emit(self.index(i, 0), self.index(i, self.columnCount() - 1))

    def append(self, member: dict) -> int:
        i = len(self._rows)
        self.beginInsertRows(QModelIndex(), i, i)
        self._rows.append(dict(member))
        self.endInsertRows()
        return i

    def remove(self, i: int) -> None:
        self.beginRemoveRows(QModelIndex(), i, i)
        del self._rows[i]
        self._counts = {}
        self.endRemoveRows()

    def set_comments(self, comments: dict[int, list[str]]) -> None:
        self._comments = comments
        if self._rows:
            self.dataChanged.emit(
                self.index(0, COL_CHECK), self.index(len(self._rows) - 1, COL_CHECK)
            )

    def set_counts(self, counts: dict[int, tuple[int, int]]) -> None:
        if counts == self._counts:
            return
        self._counts = counts
        if self._rows:
            self.dataChanged.emit(
                self.index(0, COL_CHECK), self.index(len(self._rows) - 1, COL_CHECK)
            )

    # -- Qt model ---------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS) + 1

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        col = index.column()
        if col == COL_CHECK:
            return self._check_data(index.row(), role)
        value = self._rows[index.row()].get(COLUMNS[col])
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            return self.display(col, value)
        if role == Qt.ItemDataRole.UserRole:
            return value
        return None

    def display(self, col: int, value: object) -> str:
        if q.is_empty(value):
            return ""
        spec = self._specs[col]
        if isinstance(value, bool):
            return ui("yes" if value else "no", self.lang)
        if q.options(spec):
            return q.option_label(spec, value, self.lang)
        if kind_of(spec) == "date":
            return dates.shown(value)  # DD-MM-YYYY, as the documents print it
        return number_text(value) if isinstance(value, (int, float)) else str(value)

    def _check_data(self, row: int, role):
        errors, warnings = self._counts.get(row, (0, 0))
        said = self._comments.get(row, [])
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            counted = shown_issues.count_text(errors, warnings, self.lang)
            parts = [counted] if counted else []
            if said:
                parts.append(shown_comments.short_count_text(len(said)))
            if said and role != Qt.ItemDataRole.DisplayRole:
                parts.append(shown_comments.plain(said))
            return " · ".join(parts)
        if role == Qt.ItemDataRole.ForegroundRole and (errors or warnings):
            return QColor(shown_issues.ERROR_COLOUR if errors else shown_issues.WARNING_COLOUR)
        if role == Qt.ItemDataRole.ForegroundRole and said:
            return QColor(shown_comments.COLOUR)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1) if 0 <= section < len(self._rows) else None
        if section == COL_CHECK:
            return ui("check_col", self.lang)
        if 0 <= section < len(COLUMNS):
            return q.text_of(self._specs[section], "x-label", self.lang) or COLUMNS[section]
        return None


class MemberTable(QTableView):
    """Enter or double-click edits the current member; Delete removes it (after asking)."""

    editRequested = Signal(int)
    removeRequested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.doubleClicked.connect(lambda index: self.editRequested.emit(index.row()))

    def keyPressEvent(self, event):
        row = self.currentIndex().row()
        if event.key() in ENTER_KEYS and row >= 0:
            self.editRequested.emit(row)
        elif event.key() == Qt.Key.Key_Delete and row >= 0:
            self.removeRequested.emit(row)
        else:
            super().keyPressEvent(event)


class MembersView(QWidget):
    """The roster page. `record` and `checker` are set by the household form so the member
    dialog sees the whole household; alone, the view checks its members as a draft."""

    changed = Signal()

    def __init__(self, lang: str = "id", parent: QWidget | None = None, spec: dict | None = None):
        super().__init__(parent)
        self.lang = lang
        self.spec = spec or member_spec()  # a member's questions, in the household's version
        self.record: Callable[[], dict] = lambda: {q.MEMBERS: self.model.rows()}
        self.checker: Callable[[dict], rules.Result] | None = None
        self.confirm_remove: Callable[[int], bool] = self._ask_remove
        self.dialog: MemberDialog | None = None
        # A supervisor's comments per member index, per question (None: the member as a whole).
        self.comments: dict[int, dict[str | None, list[str]]] = {}

        self.model = MemberTableModel(lang, self, self.spec)
        self.table = MemberTable()
        self.table.setModel(self.model)
        self.table.setAccessibleName(ui("members_table", lang))
        self.table.editRequested.connect(self.edit)
        self.table.removeRequested.connect(self.remove)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.add_button = QPushButton(ui("add_member", lang))
        self.edit_button = QPushButton(ui("edit_member", lang))
        self.remove_button = QPushButton(ui("remove_member", lang))
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(lambda: self.edit(self.current_row()))
        self.remove_button.clicked.connect(lambda: self.remove(self.current_row()))
        buttons = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.remove_button):
            b.setAutoDefault(True)  # Enter presses the button that has the focus, as Space does
            buttons.addWidget(b)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        QWidget.setTabOrder(self.add_button, self.edit_button)
        QWidget.setTabOrder(self.edit_button, self.remove_button)
        QWidget.setTabOrder(self.remove_button, self.table)
        self.model.modelReset.connect(self._update_buttons)
        self.model.rowsInserted.connect(self._update_buttons)
        self.model.rowsRemoved.connect(self._update_buttons)
        self._update_buttons()

    def rows(self) -> list[dict]:
        return self.model.rows()

    def set_rows(self, rows: list[dict] | None) -> None:
        if self.dialog is not None:  # another household is shown: its member edit is moot
            self.dialog.reject()
        self.model.set_rows(rows if isinstance(rows, list) else [])

    def current_row(self) -> int:
        return self.table.currentIndex().row()

    def select(self, i: int) -> None:
        if 0 <= i < self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(i, 0))
            self.table.setFocus()

    def _update_buttons(self, *_args) -> None:
        has_rows = self.model.rowCount() > 0
        self.edit_button.setEnabled(has_rows)
        self.remove_button.setEnabled(has_rows)

    # -- actions ----------------------------------------------------------------------------

    def add(self) -> MemberDialog:
        return self._open(None, self.model.rowCount())

    def edit(self, i: int, field: str | None = None) -> MemberDialog | None:
        if not 0 <= i < self.model.rowCount():
            return None
        dialog = self._open(self.model.row(i), i)
        if field:
            dialog.section.focus_field(field)
        return dialog

    def _open(self, member: dict | None, index: int) -> MemberDialog:
        if self.dialog is not None:
            self.dialog.reject()
        dialog = MemberDialog(
            member,
            index,
            self.lang,
            record=self.record,
            checker=self.checker,
            parent=self,
            spec=self.spec,
        )
        dialog.show_comments(self.comments.get(index, {}))
        dialog.accepted.connect(lambda: self._accepted(dialog))
        dialog.finished.connect(lambda _code: self._closed(dialog))
        self.dialog = dialog
        dialog.open()  # window-modal, does not block: the app's event loop keeps running
        return dialog

    def _accepted(self, dialog: MemberDialog) -> None:
        member = dialog.member()
        added = dialog.index >= self.model.rowCount()
        if added:
            self.model.append(member)
        else:
            self.model.set_row(dialog.index, member)
        self.changed.emit()
        self.select(dialog.index)
        if added:
            self.add_button.setFocus()  # the next member is one Enter away

    def _closed(self, dialog: MemberDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def remove(self, i: int) -> bool:
        if not 0 <= i < self.model.rowCount() or not self.confirm_remove(i):
            return False
        self.model.remove(i)
        self.changed.emit()
        self.select(min(i, self.model.rowCount() - 1))
        return True

    def _ask_remove(self, i: int) -> bool:
        name = self.model.row(i).get(q.NAME) or "-"
        answer = QMessageBox.question(
            self,
            ui("remove_title", self.lang),
            ui("remove_ask", self.lang, n=i + 1, name=name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    # -- messages ---------------------------------------------------------------------------

    def show_comments(self, comments: dict[int, dict[str | None, list[str]]]) -> None:
        """A supervisor's comments: counted on each member's row, shown in the member's dialog
        at their questions."""
        self.comments = comments
        self.model.set_comments(
            {i: [t for texts in per.values() for t in texts] for i, per in comments.items()}
        )
        if self.dialog is not None:
            self.dialog.show_comments(comments.get(self.dialog.index, {}))

    def show_issues(self, issues: list[rules.Issue]) -> None:
        """Counts per member in the table; issues about the roster as a whole (no head) above
        it; the open dialog re-checks its own member."""
        counts: dict[int, tuple[int, int]] = {}
        whole = []
        for issue in issues:
            if tuple(issue.path[:1]) != (q.MEMBERS,):
                continue
            if issue.member is None:
                whole.append(issue)
                continue
            e, w = counts.get(issue.member, (0, 0))
            counts[issue.member] = (e + 1, w) if issue.severity == rules.ERROR else (e, w + 1)
        self.model.set_counts(counts)
        self.message.setText(shown_issues.html(whole, self.lang))
        self.message.setVisible(bool(whole))
