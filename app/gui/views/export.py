"""The export dialog: folder, filters, privacy options, the plain-text warning, progress.
Layout only; app/gui/exporting.py runs the export and calls back into it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from app.gui.models import status_label
from app.gui.views.notice import ERROR, INFO, WARNING, Notice


class ExportDialog(QDialog):
    """Emits exportRequested(choices) with the folder and options; cancelRequested while an
    export runs (Cancel, Esc or closing the window)."""

    exportRequested = Signal(dict)
    cancelRequested = Signal()
    lockRequested = Signal()  # Ctrl+L here too: the main window's shortcut does not reach a dialog

    def __init__(self, folder: str, desa_names: dict[str, str], lang: str, parent=None) -> None:
        super().__init__(parent)
        self.running = False
        self._closing = False
        self.controller: object = None  # app/gui/exporting.py's, kept alive with the dialog
        self.setWindowTitle(self.tr("Export CSV"))
        self.folder = QLineEdit(folder)
        self.folder.setAccessibleName(self.tr("Export folder"))
        self.choose = QPushButton(self.tr("&Choose..."))
        folder_label = QLabel(self.tr("&Folder:"))
        folder_label.setBuddy(self.folder)
        self.status = QComboBox()
        self.status.addItem(self.tr("All"), "")
        for key in ("draft", "final"):
            self.status.addItem(status_label(key), key)
        status_label_ = QLabel(self.tr("S&tatus:"))
        status_label_.setBuddy(self.status)
        self.desa = QComboBox()
        self.desa.addItem(self.tr("All villages"), "")
        for code, name in sorted(desa_names.items(), key=lambda kv: kv[1]):
            self.desa.addItem(f"{name} ({code})", code)
        desa_label = QLabel(self.tr("&Village:"))
        desa_label.setBuddy(self.desa)
        self.lang = QComboBox()
        self.lang.addItem("Bahasa Indonesia", "id")
        self.lang.addItem("English", "en")
        self.lang.setCurrentIndex(max(self.lang.findData(lang), 0))
        lang_label = QLabel(self.tr("&Label language:"))
        lang_label.setBuddy(self.lang)
        # Masking on by default: reports to the kecamatan need no full NIK; card issuance does.
        self.mask_ids = QCheckBox(self.tr("&Mask NIK and KK numbers (region and last digits only)"))
        self.mask_ids.setChecked(True)
        self.omit_health = QCheckBox(self.tr("Leave out &health answers"))
        self.excel = QCheckBox(self.tr("E&xcel (Indonesia): semicolon separator"))
        self.excel.setChecked(True)  # what officers open these files with
        self.warning = Notice(WARNING)
        self.warning.setText(
            self.tr(
                "The files hold personal data in plain text, not encrypted. Keep them only "
                "somewhere safe and delete them after use."
            )
        )
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Export progress"))
        self.progress.setVisible(False)
        self.message = Notice(INFO)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            self.tr("&Export"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(
            self.tr("Close"), QDialogButtonBox.ButtonRole.RejectRole
        )
        for b in (self.export_button, self.cancel_button, self.choose):
            b.setAutoDefault(False)  # Enter always means Export
        self.export_button.setDefault(True)

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose)
        form = QFormLayout()
        form.addRow(folder_label, folder_row)
        form.addRow(status_label_, self.status)
        form.addRow(desa_label, self.desa)
        form.addRow(lang_label, self.lang)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for w in (
            self.mask_ids,
            self.omit_health,
            self.excel,
            self.warning,
            self.progress,
            self.message,
            self.buttons,
        ):
            layout.addWidget(w)
        self.inputs = (
            self.folder,
            self.choose,
            self.status,
            self.desa,
            self.lang,
            self.mask_ids,
            self.omit_health,
            self.excel,
        )
        QShortcut(QKeySequence("Ctrl+L"), self, activated=self.lockRequested.emit)
        self.choose.clicked.connect(self._choose)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.resize(560, self.sizeHint().height())

    def choices(self) -> dict:
        return {
            "folder": self.folder.text().strip(),
            "status": self.status.currentData() or None,
            "desa": self.desa.currentData() or None,
            "lang": self.lang.currentData(),
            "mask_ids": self.mask_ids.isChecked(),
            "omit_health": self.omit_health.isChecked(),
            "excel": self.excel.isChecked(),
        }

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Export folder"), self.folder.text()
        )
        if folder:
            self.folder.setText(folder)

    def _submit(self) -> None:
        if self.running:
            return
        if not self.folder.text().strip():
            self.show_error(self.tr("Choose a folder for the files."))
            self.folder.setFocus()
            return
        self.exportRequested.emit(self.choices())

    def reject(self) -> None:
        """Cancel, Esc or closing: while exporting, stop it first (no half files)."""
        if self.running:
            self.cancelRequested.emit()
            if self.isVisible() and not self._closing:
                return  # stays open to say it was cancelled
        super().reject()

    def close_now(self) -> None:
        """Lock: cancel and close at once, nothing left on screen."""
        self._closing = True
        self.reject()

    # -- called by the controller --------------------------------------------------------------

    def set_running(self, total: int) -> None:
        self.running = True
        for w in self.inputs:
            w.setEnabled(False)
        self.export_button.setEnabled(False)
        self.cancel_button.setText(self.tr("Cancel"))
        self.cancel_button.setEnabled(True)
        self.message.clear()
        self.progress.reset()
        self.progress.setVisible(True)
        self.show_progress(0, total)
        self.cancel_button.setFocus()

    def show_progress(self, done: int, total: int) -> None:
        total = max(total, done)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(
            self.tr("%1 of %2 households").replace("%1", str(done)).replace("%2", str(total))
        )

    def set_cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.message.setText(self.tr("Cancelling..."), INFO)

    def _stopped(self) -> None:
        self.running = False
        for w in self.inputs:
            w.setEnabled(True)
        self.export_button.setEnabled(True)
        self.cancel_button.setText(self.tr("Close"))
        self.cancel_button.setEnabled(True)

    def show_done(self, text: str) -> None:
        self._stopped()
        self.progress.setValue(self.progress.maximum())
        self.message.setText(text, INFO)
        self.cancel_button.setFocus()

    def show_cancelled(self) -> None:
        self._stopped()
        self.progress.setVisible(False)
        self.message.setText(self.tr("Export cancelled. No files were written."), INFO)

    def show_error(self, text: str) -> None:
        self._stopped()
        self.progress.setVisible(False)
        self.message.setText(text, ERROR)
