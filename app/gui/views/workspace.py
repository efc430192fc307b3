"""The household list: search as you type, filters by village and status, counts."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.models import (
    COL_CARD,
    COL_DESA,
    COL_HEAD,
    COL_KK,
    COL_STATUS,
    COL_SYNC,
    COL_UPDATED,
    RETURNED_COLOUR,
    HouseholdFilterProxy,
    HouseholdTableModel,
    local_time,
    returned_icon,
    status_label,
)

STATUS_KEYS = (
    "returned",
    "to_verify",
    "revisit",
    "draft",
    "final",
    "synced",
    "attention",
    "training",
)


class WorkspacePage(QWidget):
    openRequested = Signal(str)  # household id
    newRequested = Signal()
    lockRequested = Signal()
    searchChanged = Signal(str)
    syncRequested = Signal()
    enrollRequested = Signal()
    exportRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.model = HouseholdTableModel(self)
        self.proxy = HouseholdFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.new_button = QPushButton(self.tr("&New household"))
        self.lock_button = QPushButton(self.tr("&Lock"))  # Ctrl+L: the main window's shortcut
        self.lock_button.setAccessibleName(self.tr("Lock the app"))
        self.sync_button = QPushButton(self.tr("S&ync now"))
        self.sync_button.setEnabled(False)
        self.sync_button.setToolTip(
            self.tr("Available once this laptop is enrolled with the province.")
        )
        self.enroll_button = QPushButton(self.tr("&Enroll with the province"))
        self.export_button = QPushButton(self.tr("E&xport CSV…"))
        self.export_button.setToolTip(self.tr("Households to CSV files for spreadsheets (Ctrl+E)"))
        self.sync_progress = QProgressBar()
        self.sync_progress.setAccessibleName(self.tr("Sync progress"))
        self.sync_progress.setVisible(False)
        self.sync_progress.setMaximumWidth(260)
        self.last_sync = QLabel()
        self.last_sync.setObjectName("lastSync")
        self.sync_message = QLabel()
        self.sync_message.setObjectName("errorText")
        self.sync_message.setWordWrap(True)
        self.sync_message.setVisible(False)
        # What the last sync has to say: the laptop's clock when it is off, and the households
        # the province sent back (each a link that opens it).
        self.clock_warning = QLabel()
        self.clock_warning.setObjectName("warningText")
        self.clock_warning.setWordWrap(True)
        self.clock_warning.setVisible(False)
        self.attention = QLabel()
        self.attention.setObjectName("attentionList")
        self.attention.setWordWrap(True)
        self.attention.setTextFormat(Qt.TextFormat.RichText)
        self.attention.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.attention.setVisible(False)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search name, NIK or KK number (Ctrl+F)"))
        self.search.setAccessibleName(self.tr("Search households"))
        self.search.setClearButtonEnabled(True)
        search_label = QLabel(self.tr("&Search:"))
        search_label.setBuddy(self.search)
        self.desa = QComboBox()
        self.desa.setAccessibleName(self.tr("Filter by village"))
        desa_label = QLabel(self.tr("&Village:"))
        desa_label.setBuddy(self.desa)
        self.status = QComboBox()
        self.status.setAccessibleName(self.tr("Filter by status"))
        status_label_ = QLabel(self.tr("S&tatus:"))
        status_label_.setBuddy(self.status)
        self.status.addItem(self.tr("All"), "")
        for key in STATUS_KEYS:
            self.status.addItem(status_label(key), key)
        self.counts = QLabel()
        self.counts.setObjectName("counts")
        # Households a supervisor returned: one press (or Alt+letter) shows them alone.
        self.returned_button = QPushButton()
        self.returned_button.setObjectName("returnedButton")
        self.returned_button.setIcon(returned_icon())
        self.returned_button.setStyleSheet(f"color: {RETURNED_COLOUR}; font-weight: bold;")
        self.returned_button.setVisible(False)
        self.returned_button.clicked.connect(self.show_returned)
        # Households from the province's list still to verify, per village (after each sync).
        self.verify_counts = QLabel()
        self.verify_counts.setObjectName("verifyCounts")
        self.verify_counts.setWordWrap(True)
        self.verify_counts.setVisible(False)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_UPDATED, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        # Fixed row heights and no per-row size-to-contents: smooth with 20,000 rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setSectionResizeMode(COL_HEAD, QHeaderView.ResizeMode.Stretch)
        width = self.table.fontMetrics().horizontalAdvance("0000000000000000") + 24
        self.table.setColumnWidth(COL_KK, width)
        self.table.setColumnWidth(COL_DESA, 180)
        self.table.setColumnWidth(COL_SYNC, 200)  # room for the province's duplicate mark
        self.table.setColumnWidth(COL_STATUS, 150)  # "⚠ Perlu perbaikan" whole
        self.table.setColumnWidth(COL_CARD, 130)
        self.table.setColumnWidth(COL_UPDATED, 130)
        self.table.setAccessibleName(self.tr("Households"))

        bar = QHBoxLayout()
        for w in (
            self.new_button,
            self.sync_button,
            self.enroll_button,
            self.export_button,
            self.sync_progress,
            self.last_sync,
        ):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.counts)
        bar.addWidget(self.lock_button)
        filters = QHBoxLayout()
        filters.addWidget(search_label)
        filters.addWidget(self.search, 3)
        filters.addWidget(desa_label)
        filters.addWidget(self.desa, 2)
        filters.addWidget(status_label_)
        filters.addWidget(self.status, 1)
        filters.addWidget(self.returned_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.sync_message)
        layout.addWidget(self.clock_warning)
        layout.addWidget(self.attention)
        layout.addLayout(filters)
        layout.addWidget(self.verify_counts)
        layout.addWidget(self.table)
        self.set_sync_state(enrolled=False, syncing=False, last_sync=None)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(lambda: self.searchChanged.emit(self.search.text()))
        self.search.textChanged.connect(lambda: self._debounce.start())
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self._focus_search)
        # Separate shortcuts: a button's setShortcut() would replace its Alt mnemonic.
        QShortcut(QKeySequence.StandardKey.New, self, activated=self.newRequested.emit)
        QShortcut(QKeySequence("Ctrl+E"), self, activated=self.exportRequested.emit)
        self.desa.currentIndexChanged.connect(lambda: self._filter_changed())
        self.status.currentIndexChanged.connect(lambda: self._filter_changed())
        self.table.activated.connect(self._open)
        self.new_button.clicked.connect(self.newRequested)
        self.lock_button.clicked.connect(self.lockRequested)
        self.sync_button.clicked.connect(self.syncRequested)
        self.enroll_button.clicked.connect(self.enrollRequested)
        self.export_button.clicked.connect(self.exportRequested)
        self.search.returnPressed.connect(self.table.setFocus)
        self.attention.linkActivated.connect(self.openRequested)

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _filter_changed(self) -> None:
        self.proxy.set_desa(self.desa.currentData())
        self.proxy.set_status(self.status.currentData())
        self.update_counts()

    def _open(self, index: QModelIndex) -> None:
        row = self.model.row_at(self.proxy.mapToSource(index))
        if not row.damaged:
            self.openRequested.emit(row.id)

    def set_desa_choices(self, names: dict[str, str]) -> None:
        current = self.desa.currentData()
        self.desa.blockSignals(True)
        self.desa.clear()
        self.desa.addItem(self.tr("All villages"), "")
        for code, name in sorted(names.items(), key=lambda kv: kv[1]):
            self.desa.addItem(f"{name} ({code})", code)
        i = self.desa.findData(current)
        self.desa.setCurrentIndex(max(i, 0))
        self.desa.blockSignals(False)

    def update_counts(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        text = self.tr("Households: %1 of %2").replace("%1", str(shown)).replace("%2", str(total))
        stubs = self.model.stub_count()
        if stubs:  # decided households past their retention period (docs/privacy.md)
            held = self.tr("%1 in full, %2 stubs only")
            text += " \u00b7 " + held.replace("%1", str(total - stubs)).replace("%2", str(stubs))
        self.counts.setText(text)
        self._show_returned_count(self.model.returned_count())

    def _show_returned_count(self, n: int) -> None:
        """ "Perlu perbaikan: 2" in the status line and on the button that filters them."""
        if n:
            self.counts.setText(
                self.counts.text()
                + " \u00b7 "
                + self.tr("Needs correction: %1").replace("%1", str(n))
            )
        self.returned_button.setText(self.tr("Needs c&orrection (%1)").replace("%1", str(n)))
        self.returned_button.setVisible(bool(n))

    def show_returned(self) -> None:
        """The status filter on "Perlu perbaikan", the first of them selected."""
        self.status.setCurrentIndex(self.status.findData("returned"))
        self.table.setFocus()
        if self.proxy.rowCount():
            self.table.selectRow(0)

    def set_verify_counts(self, counts: dict[str, int], names: dict[str, str]) -> None:
        """One line: "Left to verify: Bukit Tunggal 12 · Palangka 3" (villages by name)."""
        parts = sorted((names.get(code, code) or "?", n) for code, n in counts.items() if n)
        self.verify_counts.setVisible(bool(parts))
        self.verify_counts.setText(
            self.tr("Left to verify: %1").replace(
                "%1", " \u00b7 ".join(f"{name} {n}" for name, n in parts)
            )
        )

    # -- sync with the province ----------------------------------------------------------------

    def set_sync_state(self, *, enrolled: bool, syncing: bool, last_sync: str | None) -> None:
        self.enroll_button.setVisible(not enrolled)
        self.sync_button.setEnabled(enrolled and not syncing)
        self.sync_button.setToolTip(
            "" if enrolled else self.tr("Available once this laptop is enrolled with the province.")
        )
        self.last_sync.setVisible(enrolled)
        if last_sync:
            self.last_sync.setText(self.tr("Last sync: %1").replace("%1", local_time(last_sync)))
        else:
            self.last_sync.setText(self.tr("Last sync: never"))
        if syncing:
            self.sync_message.clear()
            self.sync_message.setVisible(False)
            if not self.sync_progress.isVisible():
                self.sync_progress.setRange(0, 0)  # busy until the first count arrives
                self.sync_progress.setFormat(self.tr("Connecting..."))
                self.sync_progress.setVisible(True)
        else:
            self.sync_progress.setVisible(False)

    def show_sync_progress(self, done: int, total: int, moved: int) -> None:
        self.sync_progress.setRange(0, max(total, 1))
        self.sync_progress.setValue(min(done, max(total, 1)))
        kb = f"{moved / 1024:.1f}"
        self.sync_progress.setFormat(
            self.tr("%1 of %2 households sent, %3 KB")
            .replace("%1", str(done))
            .replace("%2", str(total))
            .replace("%3", kb)
        )

    def show_sync_notes(self, clock: str, attention: list[tuple[str, str, str]], more: int) -> None:
        """The clock warning ("" for none), and the households needing attention as
        (id, who: the head's name as the list shows it, the province's reason), plus how many
        more are not listed here."""
        self.clock_warning.setText(clock)
        self.clock_warning.setVisible(bool(clock))
        self.attention.setVisible(bool(attention))
        if not attention:
            self.attention.clear()
            return
        items = "".join(
            f'<li><a href="{html.escape(hid)}">{html.escape(who)}</a>: {html.escape(reason)}</li>'
            for hid, who, reason in attention
        )
        tail = self.tr("and %1 more (Status filter: Needs attention)").replace("%1", str(more))
        self.attention.setText(
            html.escape(self.tr("Sent back by the province: open, fix, finalise and sync again."))
            + f"<ul>{items}</ul>"
            + (html.escape(tail) if more else "")
        )

    def show_sync_error(self, text: str) -> None:
        self.sync_message.setText(text)
        self.sync_message.setVisible(bool(text))
