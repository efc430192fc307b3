"""The dialog that edits one member with the member's own questions (anggota.items).

It validates with the rules as the officer types (debounced), showing the issues of this
member's path; OK accepts even with errors, because a draft may be incomplete. A valid NIK fills
an empty birth date and sex, with a note the officer can act on. Enter past the last question
puts the focus on OK, so one more Enter (or Ctrl+Enter anywhere) keeps the member.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import questionnaire as q
from app import rules
from app.gui.form import comments as shown_comments
from app.gui.form.issues import WARNING_COLOUR
from app.gui.form.nikfill import fill_from_nik
from app.gui.form.section import SectionView
from app.gui.form.text import ui

VALIDATE_MS = 300
_FILLED_NOTE = {
    frozenset({q.BIRTH_DATE, q.SEX}): "filled_both",
    frozenset({q.BIRTH_DATE}): "filled_birth",
    frozenset({q.SEX}): "filled_sex",
}


def member_spec() -> dict:
    return q.load_schema()["properties"][q.MEMBERS]["items"]


def _draft_check(record: dict) -> rules.Result:
    return rules.check(record, rules.Context(), final=False)


class MemberDialog(QDialog):
    """Edits a copy of member `index` (an index equal to the number of members adds one).
    `record` gives the household as it stands (visit date for ages, the other members for
    cross-member rules); `checker` runs the rules on a whole record."""

    def __init__(
        self,
        member: dict | None,
        index: int,
        lang: str = "id",
        *,
        record: Callable[[], dict] | None = None,
        checker: Callable[[dict], rules.Result] | None = None,
        parent: QWidget | None = None,
        spec: dict | None = None,  # a member's questions in the household's version
    ):
        super().__init__(parent)
        self.index, self.lang = index, lang
        self._record = record or dict
        self._checker = checker or _draft_check
        self.setWindowTitle(ui("member_title", lang, n=index + 1))
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        # A 1366x768 laptop leaves 705 px under the taskbar and title bar.
        self.resize(min(760, screen.width()), min(680, screen.height() - 25))

        self.section = SectionView(
            spec or member_spec(), (q.MEMBERS, index), lang, root=self._record, reserved=""
        )
        self.section.set_values(member or {})
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.section)

        # A supervisor's comments on the member as a whole (those on a question sit under it).
        self.comment = QLabel()
        self.comment.setObjectName("supervisorComment")
        self.comment.setWordWrap(True)
        self.comment.setTextFormat(Qt.TextFormat.RichText)  # comments.html escapes
        self.comment.setStyleSheet(shown_comments.STYLE)
        self.comment.setVisible(False)

        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {WARNING_COLOUR};")
        self.note.setVisible(False)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ui("ok", lang))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(ui("cancel", lang))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(self.comment)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)

        self.issues: list[rules.Issue] = []
        self._timer = QTimer(self, singleShot=True, interval=VALIDATE_MS)
        self._timer.timeout.connect(self.validate_now)
        self.section.changed.connect(self._edited)
        self.section.finished.connect(
            lambda: self.buttons.button(QDialogButtonBox.StandardButton.Ok).setFocus()
        )
        self.validate_now()
        self.section.focus_field(q.NIK)

    def show_comments(self, per_field: dict[str | None, list[str]]) -> None:
        """A supervisor's comments: at their questions; the rest above them."""
        self.section.show_comments({k: v for k, v in per_field.items() if k in self.section.rows})
        rest = [t for k, texts in per_field.items() if k not in self.section.rows for t in texts]
        self.comment.setText(shown_comments.html(rest))
        self.comment.setVisible(bool(rest))

    def member(self) -> dict:
        return self.section.values()

    def _edited(self, name: str) -> None:
        if name == q.NIK:
            self._fill_from_nik()
        self._timer.start()

    def _fill_from_nik(self) -> None:
        filled = fill_from_nik(self.section.current(), q.visit_date(self._record()))
        for name, value in filled.items():
            if name in self.section.rows:
                self.section.set_field(name, value)
        key = _FILLED_NOTE.get(frozenset(filled))
        if key:
            self.note.setText(ui(key, self.lang))
            self.note.setVisible(True)

    def validate_now(self) -> list[rules.Issue]:
        """Check the household with this member in place; show this member's issues."""
        self._timer.stop()
        record = dict(self._record())
        rows = list(record.get(q.MEMBERS) or [])
        if self.index < len(rows):
            rows[self.index] = self.member()
        else:
            rows.append(self.member())
        record[q.MEMBERS] = rows
        result = self._checker(record)
        mine = (q.MEMBERS, self.index)
        self.issues = [i for i in result.issues if tuple(i.path[:2]) == mine]
        self.section.show_issues(self.issues)
        return self.issues

    def done(self, code: int) -> None:
        self._timer.stop()
        super().done(code)
