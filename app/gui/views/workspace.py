"""The household list: search as you type, filters by village and status, counts."""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.models import (
    COL_ADDRESS,
    COL_CARD,
    COL_DESA,
    COL_HEAD,
    COL_STATUS,
    COL_UPDATED,
    FREE_TEXT,
    HEADERS,
    RETURNED_COLOUR,
    TODAY,
    HouseholdFilterProxy,
    HouseholdTableModel,
    Progress,
    local_time,
    longest_texts,
    progress,
    returned_icon,
    status_label,
    to_revisit,
    waiting_to_send,
)
from app.gui.views.notice import ERROR, WARNING, Notice

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
HIDDEN_AT_FIRST = (COL_CARD, COL_UPDATED)  # one right-click on the header away


class WorkspacePage(QWidget):
    openRequested = Signal(str)  # household id
    newRequested = Signal()
    lockRequested = Signal()
    searchChanged = Signal(str)
    syncRequested = Signal()
    enrollRequested = Signal()
    exportRequested = Signal()
    settingsRequested = Signal()

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
        self.settings_button = QPushButton(self.tr("Settin&gs…"))
        self.settings_button.setToolTip(self.tr("Language, automatic lock and sync (Ctrl+,)"))
        self.sync_progress = QProgressBar()
        self.sync_progress.setAccessibleName(self.tr("Sync progress"))
        self.sync_progress.setVisible(False)
        self.sync_progress.setMaximumWidth(260)
        self.last_sync = QLabel()
        self.last_sync.setObjectName("lastSync")
        self.sync_message = Notice(ERROR)
        # What the last sync has to say: the laptop's clock when it is off, and the households
        # the province sent back (each a link that opens it).
        self.clock_warning = Notice(WARNING)
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
        self.status.addItem(QCoreApplication.translate("HouseholdTableModel", TODAY), "today")
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
        # The day at a glance: what waits to be sent, who to visit again, and the chosen
        # village's progress (all villages together when none is chosen; each in the tooltip).
        self.day_status = QLabel()
        self.day_status.setObjectName("dayStatus")
        self.day_status.setWordWrap(True)
        self._rows: list = []
        self._names: dict[str, str] = {}

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
        self._size_columns()
        self.table.setAccessibleName(self.tr("Households"))

        bar = QHBoxLayout()
        for w in (
            self.new_button,
            self.sync_button,
            self.enroll_button,
            self.export_button,
            self.sync_progress,
        ):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.counts)
        bar.addWidget(self.settings_button)
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
        status_line = QHBoxLayout()
        status_line.addWidget(self.day_status, 1)
        status_line.addWidget(self.last_sync)
        layout.addLayout(status_line)
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
        self.settings_button.clicked.connect(self.settingsRequested)
        self.search.returnPressed.connect(self.table.setFocus)
        self.attention.linkActivated.connect(self.openRequested)

    def _size_columns(self) -> None:
        """Each column of bounded words as wide as its longest text or its header, whichever
        is wider (measured once, not over 20,000 rows); the head's name and the address share
        what is left. Card number and last change start hidden: the header's context menu
        shows them."""
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        metrics = self.table.fontMetrics()
        padding = 16  # the cell's margins and the grid line
        for col in range(len(HEADERS)):
            if col in FREE_TEXT:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
                continue
            texts = longest_texts(col)
            cell = max((metrics.horizontalAdvance(t) for t in texts), default=120) + padding
            if col == COL_STATUS:
                cell += self.table.iconSize().width() + 16  # "Perlu perbaikan" has an icon
            self.table.setColumnWidth(col, max(cell, header.sectionSizeFromContents(col).width()))
        self.table.setColumnWidth(COL_DESA, 132)  # a village name: the tooltip has its code
        self.table.setProperty("freeTextColumns", [*FREE_TEXT, COL_DESA])
        header.setMinimumSectionSize(60)
        for col in HIDDEN_AT_FIRST:
            self.table.setColumnHidden(col, True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)

    def _column_menu(self, pos) -> None:
        menu = QMenu(self)
        model = self.table.model()
        for col in range(len(HEADERS)):
            if col in (COL_HEAD, COL_ADDRESS):
                continue
            action = menu.addAction(str(model.headerData(col, Qt.Orientation.Horizontal)))
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(col))
            action.toggled.connect(lambda on, c=col: self.table.setColumnHidden(c, not on))
        menu.popup(self.table.horizontalHeader().mapToGlobal(pos))

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _filter_changed(self) -> None:
        self.proxy.set_desa(self.desa.currentData())
        self.proxy.set_status(self.status.currentData())
        self.update_counts()
        self._show_day_status()

    def set_day_rows(self, rows: list, names: dict[str, str]) -> None:
        """The households as the session holds them, for the status line."""
        self._rows, self._names = rows, names
        self._show_day_status()

    def _show_day_status(self) -> None:
        rows, names = self._rows, self._names
        per_desa = progress(rows)
        chosen = self.desa.currentData()
        if chosen:
            place, p = names.get(chosen, chosen), per_desa.get(chosen, Progress())
        else:
            place, p = self.tr("All villages"), Progress()
            for one in per_desa.values():
                p.listed += one.listed
                p.visited += one.visited
                p.final += one.final
                p.sent += one.sent
        lines = [
            self._progress_text(names.get(code, code) or "?", one)
            for code, one in sorted(per_desa.items(), key=lambda kv: names.get(kv[0], kv[0]))
        ]
        self.day_status.setText(
            self.tr("Waiting to be sent: %1 · To revisit: %2")
            .replace("%1", str(waiting_to_send(rows)))
            .replace("%2", str(to_revisit(rows)))
            + " \u00b7 "
            + self._progress_text(place, p)
        )
        self.day_status.setToolTip("\n".join(lines[:40]))

    def _progress_text(self, place: str, p: Progress) -> str:
        return (
            self.tr("%1: %2 in the list, %3 visited, %4 final, %5 sent")
            .replace("%1", place)
            .replace("%2", str(p.listed))
            .replace("%3", str(p.visited))
            .replace("%4", str(p.final))
            .replace("%5", str(p.sent))
        )

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

    def show_photo_progress(self, done: int, total: int, moved: int) -> None:
        """After the records: photos and signatures, one by one (each about 100 KB)."""
        self.sync_progress.setRange(0, max(total, 1))
        self.sync_progress.setValue(min(done, max(total, 1)))
        self.sync_progress.setFormat(
            self.tr("Photos: %1 of %2 sent, %3 KB")
            .replace("%1", str(done))
            .replace("%2", str(total))
            .replace("%3", f"{moved / 1024:.1f}")
        )

    def show_sync_notes(self, clock: str, attention: list[tuple[str, str, str]], more: int) -> None:
        """The clock warning ("" for none), and the households needing attention as
        (id, who: the head's name as the list shows it, the province's reason), plus how many
        more are not listed here."""
        self.clock_warning.setText(clock)
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
