"""The supervision loop on the household page (layout only; app/gui/reviewing.py fills it): a
panel above the form with the open return (when, why, the supervisor's note, each comment: Enter
or a click goes to its question), the duplicate cases, and a button to the history of every
decision. Colour, an icon and words together; reachable with Tab, Ctrl+H opens the history."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app import questionnaire as q
from app.gui.form import comments as shown_comments
from app.gui.form.text import ui


def text(plain: str) -> str:
    """Plain text for Qt's rich text (which reads &#x27; literally: no quote escaping)."""
    return escape(plain, quote=False)


AMBER, AMBER_BACKGROUND = "#8a5300", "#fff4e0"
PATH_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class ShownComment:
    path: tuple
    where: str  # "Anggota ke-2 (Budi Santoso), NIK"
    text: str


@dataclass(frozen=True)
class ShownRound:
    decision: str  # returned / verified / rejected
    round: int | None
    when: str  # DD-MM-YYYY HH:MM
    reason: str  # the reason in words ("" for none)
    note: str
    comments: tuple[ShownComment, ...] = ()
    damaged: bool = False


@dataclass(frozen=True)
class ShownCase:
    kind: str  # "nik" / "kk"
    outcome: str  # sync.protocol.CASE_OUTCOMES
    reason: str


class ReviewPanel(QFrame):
    """Hidden until show_review() has something: an open return, cases or a history."""

    goTo = Signal(tuple, bool)  # path of a comment's question, open the member's dialog
    historyRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.icon = QLabel()
        style = QApplication.style()
        if style is not None:
            icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            self.icon.setPixmap(icon.pixmap(20, 20))
        self.headline = QLabel()
        self.headline.setObjectName("reviewHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.PlainText)  # a note is never markup
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.comments = QListWidget()
        self.comments.setAccessibleName(self.tr("Supervisor's comments"))
        self.comments.setToolTip(self.tr("Enter: go to the question (Ctrl+K: here)"))
        self.comments.setStyleSheet(f"color: {shown_comments.COLOUR};")
        self.cases = QLabel()
        self.cases.setWordWrap(True)
        self.cases.setTextFormat(Qt.TextFormat.RichText)
        self.history_button = QPushButton()
        self.history_button.setToolTip(self.tr("Every decision on this household (Ctrl+H)"))

        top = QHBoxLayout()
        top.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.headline, 1)
        top.addWidget(self.history_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.detail)
        layout.addWidget(self.comments)
        layout.addWidget(self.cases)
        self.setVisible(False)

        self.history_button.clicked.connect(self.historyRequested)
        self.comments.itemClicked.connect(lambda item: self._go(item, False))
        self.comments.itemActivated.connect(lambda item: self._go(item, True))

    def install_shortcut(self, page: QWidget) -> None:
        """On the page: Ctrl+K to the comments, Ctrl+H opens the history (no Alt+letters: the
        form's labels keep theirs)."""
        QShortcut(
            QKeySequence("Ctrl+H"),
            page,
            activated=lambda: self.historyRequested.emit() if self.isVisible() else None,
        )
        QShortcut(QKeySequence("Ctrl+K"), page, activated=self.focus_comments)

    def focus_comments(self) -> None:
        if self.comments.isVisible():
            self.comments.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _go(self, item: QListWidgetItem, open_member: bool) -> None:
        path = item.data(PATH_ROLE)
        if isinstance(path, (tuple, list)):
            self.goTo.emit(tuple(path), open_member)

    def show_review(
        self, open_return: ShownRound | None, cases: list[ShownCase], decisions: int
    ) -> None:
        returned = open_return is not None
        self.icon.setVisible(returned or any(c.outcome != "not_duplicate" for c in cases))
        self.setStyleSheet(
            f"QFrame#reviewPanel {{ background: {AMBER_BACKGROUND}; border: 1px solid {AMBER}; }}"
            f" QLabel#reviewHeadline {{ color: {AMBER}; font-weight: bold; }}"
            if returned
            else ""
        )
        if open_return is not None:
            self.headline.setText(self.returned_text(open_return))
            self.detail.setText(self.reason_text(open_return))
        else:
            self.headline.setText(
                self.tr("Checked by the province: %n decision(s)", "", decisions)
                if decisions
                else ""
            )
            self.detail.setText("")
        self.headline.setVisible(bool(self.headline.text()))
        self.detail.setVisible(bool(self.detail.text()))
        self.comments.clear()
        for c in open_return.comments if open_return else ():
            item = QListWidgetItem(f"{shown_comments.MARK} {c.where}: {c.text}")
            item.setData(PATH_ROLE, c.path)
            self.comments.addItem(item)
        self.comments.setVisible(self.comments.count() > 0)
        rows = min(self.comments.count(), 4)  # the list as high as its comments, up to four
        self.comments.setFixedHeight(
            rows * self.comments.sizeHintForRow(0) + 2 * self.comments.frameWidth() + 2
            if rows
            else 0
        )
        if self.comments.count():
            self.comments.setCurrentRow(0)
        self.cases.setText("<br>".join(text(self.case_text(c)) for c in cases))
        self.cases.setVisible(bool(cases))
        self.history_button.setText(self.tr("Review history (%1)…").replace("%1", str(decisions)))
        self.history_button.setVisible(decisions > 0)
        self.setVisible(returned or bool(cases) or decisions > 0)

    def where_text(self, path: tuple, record: dict, lang: str) -> str:
        """Where a comment points, in words: "Anggota 2 (Budi Santoso), NIK", "Rumah, Lantai",
        "Nomor KK"; the household as a whole for an empty path."""
        props = q.load_schema()["properties"]
        if not path:
            return self.tr("The household as a whole")
        head, rest = path[0], path[1:]
        spec = props.get(head) if isinstance(head, str) else None
        if spec is None:
            return ".".join(str(p) for p in path)
        if q.is_roster(spec) and rest and isinstance(rest[0], int):
            members = record.get(head) or []
            i = rest[0]
            name = members[i].get(q.NAME) if 0 <= i < len(members) else None
            where = ui("member_title", lang, n=i + 1) + (f" ({name})" if name else "")
            inner = spec["items"]["properties"].get(rest[1]) if len(rest) > 1 else None
        elif q.is_group(spec):
            where = q.text_of(spec, "x-label", lang) or head
            inner = spec["properties"].get(rest[0]) if rest else None
        else:
            return q.text_of(spec, "x-label", lang) or head
        label = q.text_of(inner, "x-label", lang) if isinstance(inner, dict) else None
        return f"{where}, {label}" if label else where

    def returned_text(self, r: ShownRound) -> str:
        """ "Dikembalikan pengawas untuk perbaikan (putaran 2, 03-12-2026 09:30)"."""
        if r.round:
            return (
                self.tr("Returned by the supervisor for correction (round %1, %2)")
                .replace("%1", str(r.round))
                .replace("%2", r.when)
            )
        return self.tr("Returned by the supervisor for correction (%1)").replace("%1", r.when)

    def reason_text(self, r: ShownRound) -> str:
        parts = []
        if r.reason:
            parts.append(self.tr("Reason: %1").replace("%1", r.reason))
        if r.note:
            parts.append(self.tr("Note: %1").replace("%1", r.note))
        if r.comments:
            parts.append(self.tr("Correct what each comment says (Ctrl+K), then finalise again."))
        return " · ".join(parts)

    def case_text(self, c: ShownCase) -> str:
        kind = {"nik": self.tr("NIK"), "kk": self.tr("KK number")}.get(c.kind, c.kind)
        said = {
            "open": self.tr(
                "Duplicate case (%1) open at the province: waiting for the regency's decision."
            ),
            "keep_this": self.tr("Duplicate case (%1) decided: this household keeps it."),
            "keep_other": self.tr(
                "Duplicate case (%1) decided: the other household keeps it. Check this "
                "household's members."
            ),
            "not_duplicate": self.tr("Duplicate case (%1) decided: not a duplicate."),
        }.get(c.outcome, c.outcome)
        text = said.replace("%1", kind)
        return text + (" " + self.tr("Reason: %1").replace("%1", c.reason) if c.reason else "")


class ReviewHistoryDialog(QDialog):
    """Every decision on the household, oldest first: what, when, why, each comment."""

    def __init__(self, rounds: list[ShownRound], panel: ReviewPanel, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Review history"))
        self.resize(640, 520)
        self.text = QTextBrowser()
        self.text.setAccessibleName(self.tr("Review history"))
        self.text.setOpenLinks(False)
        self.text.setHtml(self.html(rounds, panel))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.text.setFocus()

    def decision_text(self, r: ShownRound) -> str:
        if r.decision == "returned":
            return (
                self.tr("Round %1: returned for correction").replace("%1", str(r.round))
                if r.round
                else self.tr("Returned for correction")
            )
        return {
            "verified": self.tr("Verified"),
            "rejected": self.tr("Rejected"),
        }.get(r.decision, r.decision)

    def html(self, rounds: list[ShownRound], panel: ReviewPanel) -> str:
        if not rounds:
            return text(self.tr("No decisions yet."))
        out = []
        for r in rounds:
            if r.damaged:
                damaged = self.tr("(damaged, cannot be opened)")
                out.append(f"<p><b>{text(r.when)}</b>: {text(damaged)}</p>")
                continue
            colour = AMBER if r.decision == "returned" else "#1b5e20"
            lines = [
                f'<p><b style="color:{colour}">{text(self.decision_text(r))}</b> · {text(r.when)}'
            ]
            # Reason and note, without the panel's instruction to correct.
            why = panel.reason_text(ShownRound(r.decision, r.round, r.when, r.reason, r.note))
            if why:
                lines.append(f"<br>{text(why)}")
            if r.comments:
                items = "".join(
                    f"<li>{text(shown_comments.MARK)} <b>{text(c.where)}</b>: {text(c.text)}</li>"
                    for c in r.comments
                )
                lines.append(f"<ul>{items}</ul>")
            out.append("".join(lines) + "</p>")
        return "".join(out)
