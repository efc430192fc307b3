"""Unlock screen: passphrase only. Shows no personal data."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.views.notice import Notice


class UnlockPage(QWidget):
    unlockRequested = Signal(str)
    forgotRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        title = QLabel(self.tr("KHBS Enroll is locked"))
        title.setObjectName("pageTitle")
        prompt = QLabel(self.tr("&Passphrase:"))
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(self.tr("Passphrase"))
        prompt.setBuddy(self.passphrase)
        self.unlock_button = QPushButton(self.tr("&Unlock"))
        self.unlock_button.setDefault(True)
        self.message = Notice()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setVisible(False)
        self.forgot_button = QPushButton(self.tr("&Forgot the passphrase?"))
        self.forgot_button.setFlat(True)

        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for w in (
            title,
            prompt,
            self.passphrase,
            self.unlock_button,
            self.busy,
            self.message,
            self.forgot_button,
        ):
            layout.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.passphrase.setMinimumWidth(320)
        self.message.setFixedWidth(480)  # centred: wraps at a fixed width, not one long line

        self.passphrase.returnPressed.connect(self._submit)
        self.unlock_button.clicked.connect(self._submit)
        self.forgot_button.clicked.connect(self.forgotRequested)

    def _submit(self) -> None:
        if self.passphrase.text() and not self.busy.isVisible():
            self.set_busy(True)
            self.unlockRequested.emit(self.passphrase.text())

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.unlock_button.setEnabled(not busy)
        self.passphrase.setEnabled(not busy)
        if busy:
            self.message.clear()

    def show_error(self, text: str) -> None:
        self.set_busy(False)
        self.message.setText(text)
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    def reset(self) -> None:
        self.set_busy(False)
        self.passphrase.clear()
        self.message.clear()
        self.passphrase.setFocus()
