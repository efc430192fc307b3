"""Forgotten passphrase: the laptop's store id to read to the province, the recovery code they
give back, and a new passphrase. Layout only; the session does the work."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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
from app.policy import MIN_PASSPHRASE


class RecoverDialog(QDialog):
    recoverRequested = Signal(str, str)  # recovery code, new passphrase

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Forgotten passphrase"))
        explain = QLabel(
            self.tr(
                "Call the province administrator and read them this laptop's store id. They give "
                "you a recovery code. Nothing stored on this laptop is lost."
            )
        )
        explain.setWordWrap(True)
        self.store_id = QLabel("…")
        self.store_id.setObjectName("storeId")
        self.store_id.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code = QLineEdit()
        self.code.setPlaceholderText("XXXX-XXXX-…")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = Notice()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Set passphrase"))

        form = QFormLayout()
        form.addRow(self.tr("Store id:"), self.store_id)
        form.addRow(self.tr("&Recovery code:"), self.code)
        form.addRow(self.tr("&New passphrase:"), self.passphrase)
        form.addRow(self.tr("Re&peat it:"), self.confirm)
        for field, name in (
            (self.code, self.tr("Recovery code")),
            (self.passphrase, self.tr("New passphrase")),
            (self.confirm, self.tr("Repeat the new passphrase")),
        ):
            field.setAccessibleName(name)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.busy)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.code.setMinimumWidth(420)

        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)

    def _submit(self) -> None:
        if self.busy.isVisible():
            return
        if len(self.passphrase.text()) < MIN_PASSPHRASE:
            self.show_error(
                self.tr("The new passphrase needs at least %n characters.", "", MIN_PASSPHRASE)
            )
        elif self.passphrase.text() != self.confirm.text():
            self.show_error(self.tr("The two passphrases differ."))
        else:
            self.set_busy(True)
            self.recoverRequested.emit(self.code.text(), self.passphrase.text())

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        for w in (
            self.code,
            self.passphrase,
            self.confirm,
            self.buttons.button(QDialogButtonBox.StandardButton.Ok),
        ):
            w.setEnabled(not busy)
        if busy:
            self.message.clear()

    def show_error(self, text: str) -> None:
        self.set_busy(False)
        self.message.setText(text)
