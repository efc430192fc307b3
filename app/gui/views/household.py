"""The household page: the schema-driven form with Save, Finalise and Close."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app import questionnaire as q
from app.gui.form.household_form import HouseholdForm
from app.gui.form.text import mnemonic
from app.gui.views.review import ReviewPanel


class HouseholdPage(QWidget):
    closeRequested = Signal()
    saveRequested = Signal()
    finaliseRequested = Signal()

    def __init__(
        self,
        lang: str,
        assigned_areas: list[str],
        today: date | None = None,
        parent=None,
        schema: dict | None = None,  # the record's questionnaire version (built-in: None)
    ) -> None:
        super().__init__(parent)
        self.evidence: object = None  # app/gui/evidence.py's controller, kept with the page
        self.title = QLabel(self.tr("Family"))
        self.title.setObjectName("pageTitle")
        self.state = QLabel()
        self.state.setObjectName("saveState")
        self.paradata = QLabel()  # the visit number, when entry started, minutes spent
        self.paradata.setObjectName("paradata")
        self.save_button = QPushButton(self.tr("&Save"))
        self.finalise_button = QPushButton(self.tr("&Finalise"))
        self.close_button = QPushButton(self.tr("&Back to list"))
        # The questions' labels keep off these buttons' Alt+letters (Alt+F is Finalise everywhere).
        buttons = (self.save_button, self.finalise_button, self.close_button)
        reserved = "".join(filter(None, (mnemonic(b.text()) for b in buttons)))
        self.form = HouseholdForm(
            lang=lang, assigned_areas=assigned_areas, today=today, reserved=reserved, schema=schema
        )
        # Separate shortcuts: a button's setShortcut() would replace its Alt mnemonic.
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.saveRequested.emit)
        QShortcut(QKeySequence("Ctrl+W"), self, activated=self.closeRequested.emit)
        # The supervision loop (app/gui/reviewing.py fills it): the open return, cases, history.
        self.review = ReviewPanel()
        self.review.install_shortcut(self)
        self.review.goTo.connect(self.form.go_to)
        self.history_dialog: QWidget | None = None

        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addSpacing(24)  # the family, then the visit: two facts, not one run of text
        top.addWidget(self.paradata)
        top.addStretch(1)
        top.addWidget(self.state)
        bottom = QHBoxLayout()
        bottom.addWidget(self.close_button)
        bottom.addStretch(1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.finalise_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.review)
        layout.addWidget(self.form, 1)
        layout.addLayout(bottom)

        self._kept = False
        self.form.changed.connect(lambda: setattr(self, "_kept", False))
        self.save_button.clicked.connect(self.saveRequested)
        self.finalise_button.clicked.connect(self.finaliseRequested)
        self.close_button.clicked.connect(self.closeRequested)

    def show_family(self, record: dict) -> None:
        """The open family in the header: "Keluarga: Yohanes Ilas · KK 6271031201100001"."""
        name = (q.head(record) or {}).get(q.NAME) or ""
        kk = record.get(q.KK) or ""
        parts = [str(p) for p in (name, f"KK {kk}" if kk else "") if p]
        self.title.setText(
            self.tr("Family: %1").replace("%1", " \u00b7 ".join(parts))
            if parts
            else self.tr("New family")
        )

    def show_state(self, text: str, *, keep: bool = False) -> None:
        """The save state beside the header. A kept one ("Not final yet: 3 errors") stays until
        the officer changes something: the draft saved right after it must not hide it."""
        if self._kept and not keep:
            return
        self._kept = keep
        self.state.setText(text)

    def show_paradata(self, values: dict) -> None:
        """ "Kunjungan ke-2 · mulai 27-11-2026 08:15 · 12 menit" (app/paradata.py)."""
        try:
            started = datetime.fromisoformat(str(values.get("mulai"))).strftime("%d-%m-%Y %H:%M")
        except ValueError:
            started = "-"
        minutes = int(values.get("durasi_detik") or 0) // 60
        self.paradata.setText(
            self.tr("Visit %1 · started %2 · %3 min")
            .replace("%1", str(values.get("jumlah_kunjungan") or 1))
            .replace("%2", started)
            .replace("%3", str(minutes))
        )
