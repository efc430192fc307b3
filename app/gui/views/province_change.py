"""The province changed a listed household after the officer started: both versions side by
side, only the answers that differ, a choice per answer. Layout only; app/gui/verifying.py
runs it and app/verification.py does the merging."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import questionnaire as q
from app.gui.form.text import ui
from app.i18n import tr as msg  # not `tr`: lupdate would take these keys for Qt texts
from app.verification import MINE, THEIRS, Difference


class ProvinceChangeDialog(QDialog):
    def __init__(self, differences: list[Difference], lang: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("The province changed this household"))
        self.lang = lang
        intro = QLabel(
            self.tr(
                "The province sent a newer version of this household after you started on it. "
                "Nothing was overwritten. For each answer below, choose the version to keep."
            )
        )
        intro.setWordWrap(True)
        self.groups: dict[str, QButtonGroup] = {}
        self.question_of: dict[str, str] = {}
        grid = QGridLayout()
        titles = self.tr("Question"), self.tr("Your version"), self.tr("Province's version")
        for column, title in enumerate(titles):
            grid.addWidget(QLabel(f"<b>{title}</b>"), 0, column)
        for n, d in enumerate(differences, start=1):
            self.question_of[d.key] = self.question(d)
            question = QLabel(self.question_of[d.key])
            question.setWordWrap(True)
            mine = QRadioButton(self.value_text(d, d.mine))
            theirs = QRadioButton(self.value_text(d, d.theirs))
            text = question.text()
            mine.setAccessibleName(self.tr("Keep yours: %1").replace("%1", text))
            theirs.setAccessibleName(self.tr("Take the province's: %1").replace("%1", text))
            group = QButtonGroup(self)
            group.addButton(mine)
            group.addButton(theirs)
            mine.setChecked(True)  # nothing changes unless the officer says so
            self.groups[d.key] = group
            grid.addWidget(question, n, 0)
            grid.addWidget(mine, n, 1)
            grid.addWidget(theirs, n, 2)
        grid.setRowStretch(len(differences) + 1, 1)  # a few answers sit at the top, not spread
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 3)
        body = QWidget()
        body.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from choice to choice

        self.all_mine = QPushButton(self.tr("Keep all &yours"))
        self.all_theirs = QPushButton(self.tr("Take all the &province's"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("&Save my choices"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.addButton(self.all_mine, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.all_theirs, QDialogButtonBox.ButtonRole.ActionRole)
        for b in self.buttons.buttons():
            if isinstance(b, QPushButton):  # all of them: the box makes push buttons
                b.setAutoDefault(False)  # Enter always means Save, wherever focus is
        self.ok.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.all_mine.clicked.connect(lambda: self.choose_all(MINE))
        self.all_theirs.clicked.connect(lambda: self.choose_all(THEIRS))
        self.resize(820, 520)
        if self.groups:
            next(iter(self.groups.values())).buttons()[0].setFocus()

    def choices(self) -> dict[str, str]:
        return {
            key: THEIRS if group.buttons()[1].isChecked() else MINE
            for key, group in self.groups.items()
        }

    def choose(self, key: str, side: str) -> None:
        self.groups[key].buttons()[1 if side == THEIRS else 0].setChecked(True)

    def choose_all(self, side: str) -> None:
        for key in self.groups:
            self.choose(key, side)

    # -- texts ------------------------------------------------------------------------------------

    def question(self, d: Difference) -> str:
        if d.whole_member:
            n = (d.member if d.member is not None else d.theirs_member or 0) + 1
            return self.tr("Member %1 (whole member)").replace("%1", str(n))
        text = q.label(d.path, self.lang)
        if d.member is not None:
            return msg("where.member", self.lang, n=d.member + 1, field=text)
        return text

    def value_text(self, d: Difference, value: object) -> str:
        if value is None:
            return self.tr("(empty)") if not d.whole_member else self.tr("(not in this version)")
        if d.whole_member and isinstance(value, dict):
            return f"{value.get(q.NAME) or ''} ({value.get(q.NIK) or '-'})"
        try:
            spec = q.field_spec(d.path)
        except (KeyError, TypeError):
            spec = {}
        if isinstance(value, bool):
            return ui("yes") if value else ui("no")
        if isinstance(value, list):
            return ", ".join(q.option_label(spec, v, self.lang) for v in value) or self.tr("(none)")
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in value.items())
        return q.option_label(spec, value, self.lang)
