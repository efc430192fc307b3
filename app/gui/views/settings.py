"""The settings dialog: language, minutes before the app locks itself, automatic sync. Layout
only; the main window applies and stores what is chosen (app/gui/settings.py)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
)

IDLE_MINUTES = (1, 120)  # a lock after less than a minute would interrupt typing


class SettingsDialog(QDialog):
    def __init__(self, lang: str, idle_minutes: int, auto_sync: bool, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.language = QComboBox()
        self.language.addItem("Bahasa Indonesia", "id")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(max(self.language.findData(lang), 0))
        lang_label = QLabel(self.tr("&Language:"))
        lang_label.setBuddy(self.language)
        self.idle = QSpinBox()
        self.idle.setRange(*IDLE_MINUTES)
        self.idle.setValue(min(max(int(idle_minutes), IDLE_MINUTES[0]), IDLE_MINUTES[1]))
        self.idle.setSuffix(self.tr(" min"))
        self.idle.setAccessibleName(self.tr("Minutes without input before the app locks"))
        idle_label = QLabel(self.tr("Lock &after:"))
        idle_label.setBuddy(self.idle)
        idle_help = QLabel(self.tr("Without keyboard or mouse input, the app locks itself."))
        idle_help.setWordWrap(True)
        self.auto_sync = QCheckBox(self.tr("Send to the province automatically when &connected"))
        self.auto_sync.setChecked(auto_sync)
        note = QLabel(
            self.tr(
                "A new language applies to the list now and to a family form when it is opened."
            )
        )
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("&Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(lang_label, self.language)
        form.addRow(idle_label, self.idle)
        form.addRow("", idle_help)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.auto_sync)
        layout.addWidget(note)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())

    def values(self) -> tuple[str, int, bool]:
        """(language, idle-lock minutes, automatic sync on)."""
        return self.language.currentData(), self.idle.value(), self.auto_sync.isChecked()
