"""Enroll this laptop with the province: the server address and the one-time code."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
)

from app.gui.views.notice import Notice


class EnrollDialog(QDialog):
    """Emits enrollRequested(server, code); stays open (busy) until done() or show_error()."""

    enrollRequested = Signal(str, str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Enroll with the province"))
        self.intro = QLabel(
            self.tr("Type the server address and the one-time code the province gave you.")
        )
        self.intro.setWordWrap(True)
        self.server = QLineEdit()
        self.server.setPlaceholderText("https://")
        self.server.setAccessibleName(self.tr("Server address"))
        self.code = QLineEdit()
        self.code.setAccessibleName(self.tr("Enrollment code"))
        server_label = QLabel(self.tr("Server &address:"))
        server_label.setBuddy(self.server)
        code_label = QLabel(self.tr("One-time &code:"))
        code_label.setBuddy(self.code)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setVisible(False)
        self.message = Notice()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("&Enroll"))
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(self.tr("Cancel"))
        for b in (self.ok, cancel):
            b.setAutoDefault(False)  # Enter always means Enroll, wherever focus is
        self.ok.setDefault(True)

        form = QFormLayout()
        form.addRow(server_label, self.server)
        form.addRow(code_label, self.code)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.busy)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        # Enter anywhere presses the default button (Enroll); in the address field with no
        # code yet, it moves on to the code instead.
        self.resize(460, self.sizeHint().height())

    def _submit(self) -> None:
        server, code = self.server.text().strip(), self.code.text().strip()
        if server and not code and self.server.hasFocus():
            self.code.setFocus()
            return
        if not server or not code:
            self.message.setText(self.tr("Type both the server address and the code."))
            (self.server if not server else self.code).setFocus()
            return
        self.set_busy(True)
        self.enrollRequested.emit(server, code)

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        # Read-only, not disabled: focus stays where it is (a disabled field would hand it on
        # to Cancel, and the next Enter would close the dialog).
        for w in (self.server, self.code):
            w.setReadOnly(busy)
        self.ok.setEnabled(not busy)
        if busy:
            self.message.clear()

    def show_error(self, text: str) -> None:
        self.set_busy(False)
        self.message.setText(text)
        self.code.setFocus()
        self.code.selectAll()
