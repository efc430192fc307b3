"""First run: language, a new passphrase with strength feedback, and how to start."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.passphrase import strength
from app.gui.views.notice import Notice
from app.policy import MIN_PASSPHRASE

METER_COLOURS = ("#b00020", "#b00020", "#8a5300", "#2e7d32", "#2e7d32")  # by score 0-4


class FirstRunPage(QWidget):
    languageChosen = Signal(str)
    createRequested = Signal(str, bool)  # passphrase, training mode

    def __init__(self, lang: str = "id", parent=None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        self.language = QComboBox()
        self.language.addItem("Bahasa Indonesia", "id")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(0 if lang == "id" else 1)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        # A thin coloured bar, shown once something is typed: empty, a framed bar looked like
        # one more field to fill in.
        self.meter.setFixedHeight(6)
        self.meter.setVisible(False)
        self.meter_text = QLabel()
        self.offline = QRadioButton()
        self.training = QRadioButton()
        self.enroll = QRadioButton()
        self.offline.setChecked(True)
        group = QButtonGroup(self)
        for b in (self.offline, self.training, self.enroll):
            group.addButton(b)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.message = Notice()
        self.create_button = QPushButton()
        self.create_button.setDefault(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setVisible(False)

        self.form = QFormLayout()
        self.lang_label, self.pass_label, self.confirm_label = QLabel(), QLabel(), QLabel()
        self.lang_label.setBuddy(self.language)
        self.pass_label.setBuddy(self.passphrase)
        self.confirm_label.setBuddy(self.confirm)
        self.form.addRow(self.lang_label, self.language)
        self.form.addRow(self.pass_label, self.passphrase)
        self.form.addRow("", self.meter)
        self.form.addRow("", self.meter_text)
        self.form.addRow(self.confirm_label, self.confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        for w in (
            self.offline,
            self.training,
            self.enroll,
            self.warning,
            self.create_button,
            self.busy,
            self.message,
        ):
            layout.addWidget(w)
        layout.addStretch(1)

        self.language.currentIndexChanged.connect(
            lambda: self.languageChosen.emit(self.language.currentData())
        )
        self.passphrase.textChanged.connect(self._update_meter)
        self.create_button.clicked.connect(self._submit)
        self.confirm.returnPressed.connect(self._submit)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Welcome to KHBS Enroll"))
        self.lang_label.setText(self.tr("&Language:"))
        self.pass_label.setText(self.tr("New &passphrase:"))
        self.confirm_label.setText(self.tr("&Repeat passphrase:"))
        self.passphrase.setAccessibleName(self.tr("New passphrase"))
        self.confirm.setAccessibleName(self.tr("Repeat passphrase"))
        self.offline.setText(self.tr("Work &offline now, enroll with the province later"))
        self.training.setText(self.tr("&Training mode with demo households (never sent)"))
        self.enroll.setText(self.tr("&Enroll with the province (server address and one-time code)"))
        self.warning.setText(
            self.tr(
                "Remember this passphrase. Until this laptop is enrolled with the province, a "
                "forgotten passphrase cannot be recovered and the data on it is lost."
            )
        )
        self.create_button.setText(self.tr("&Start"))
        self._update_meter()

    def _update_meter(self) -> None:
        text = self.passphrase.text()
        score, hint = strength(text)
        self.meter.setValue(score)
        self.meter.setStyleSheet(
            "QProgressBar { border: none; border-radius: 3px; background: #dddddd; }"
            f" QProgressBar::chunk {{ border-radius: 3px; background: {METER_COLOURS[score]}; }}"
        )
        self.meter.setVisible(bool(text))
        self.meter_text.setText(self.tr(hint) if text else "")

    def _submit(self) -> None:
        text = self.passphrase.text()
        if len(text) < MIN_PASSPHRASE:
            self.message.setText(
                self.tr("The passphrase needs at least %n characters.", "", MIN_PASSPHRASE)
            )
            return
        if text != self.confirm.text():
            self.message.setText(self.tr("The two passphrases differ."))
            return
        self.set_busy(True)
        self.createRequested.emit(text, self.training.isChecked())

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.create_button.setEnabled(not busy)
        if busy:
            self.message.clear()

    def show_error(self, text: str) -> None:
        self.set_busy(False)
        self.message.setText(text)
