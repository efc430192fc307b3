"""Table models for the household list (Vorta style: named columns, set_rows())."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from app import questionnaire as q
from app import visits
from app.gui.translate import QT_TRANSLATE_NOOP
from app.visits import TO_REVISIT

if TYPE_CHECKING:
    from app.store import HouseholdRow

(
    COL_KK,
    COL_HEAD,
    COL_DESA,
    COL_RTRW,
    COL_ADDRESS,
    COL_MEMBERS,
    COL_OUTCOME,
    COL_NEXT,
    COL_STATUS,
    COL_SYNC,
    COL_CARD,
    COL_UPDATED,
) = range(12)
FREE_TEXT = (COL_HEAD, COL_ADDRESS)  # names and addresses: as long as people make them
ATTENTION = {"rejected", "conflict", "duplicate"}  # sync states the province flagged


def _tr(text: str) -> str:
    return QCoreApplication.translate("HouseholdTableModel", text)


STATUS_LABELS = {
    "to_verify": QT_TRANSLATE_NOOP("HouseholdTableModel", "To verify"),
    "revisit": QT_TRANSLATE_NOOP("HouseholdTableModel", "To revisit"),
    "draft": QT_TRANSLATE_NOOP("HouseholdTableModel", "Draft"),
    "final": QT_TRANSLATE_NOOP("HouseholdTableModel", "Final"),
    "synced": QT_TRANSLATE_NOOP("HouseholdTableModel", "Synced"),
    "attention": QT_TRANSLATE_NOOP("HouseholdTableModel", "Needs attention"),
    "returned": QT_TRANSLATE_NOOP("HouseholdTableModel", "Needs correction"),
    "training": QT_TRANSLATE_NOOP("HouseholdTableModel", "Training"),
}
TODAY = QT_TRANSLATE_NOOP("HouseholdTableModel", "Today")  # the filter: the day's visits
# The list's short words for the visit outcome (the schema's labels are sentences; the
# tooltip shows the whole one).
OUTCOME_LABELS = {
    visits.INTERVIEWED: QT_TRANSLATE_NOOP("HouseholdTableModel", "Interviewed"),
    visits.PARTLY: QT_TRANSLATE_NOOP("HouseholdTableModel", "Partly"),
    visits.REFUSED: QT_TRANSLATE_NOOP("HouseholdTableModel", "Refused"),
    visits.NOBODY_HOME: QT_TRANSLATE_NOOP("HouseholdTableModel", "Nobody home"),
    visits.MOVED: QT_TRANSLATE_NOOP("HouseholdTableModel", "Moved"),
    visits.NOT_FOUND: QT_TRANSLATE_NOOP("HouseholdTableModel", "Not found"),
    visits.GONE: QT_TRANSLATE_NOOP("HouseholdTableModel", "No longer exists"),
    visits.DWELLING_EMPTY: QT_TRANSLATE_NOOP("HouseholdTableModel", "Dwelling empty"),
}
MEMBER_HIT = QT_TRANSLATE_NOOP("HouseholdTableModel", "%1 (member)")  # a search found a member
SYNC_LABELS = {
    "to_verify": QT_TRANSLATE_NOOP("HouseholdTableModel", "Not sent"),
    "local": QT_TRANSLATE_NOOP("HouseholdTableModel", "Not sent"),
    "pending": QT_TRANSLATE_NOOP("HouseholdTableModel", "Waiting to send"),
    "synced": QT_TRANSLATE_NOOP("HouseholdTableModel", "Sent"),
    "training": QT_TRANSLATE_NOOP("HouseholdTableModel", "Won't be sent (training)"),
    "purged": QT_TRANSLATE_NOOP("HouseholdTableModel", "Stub only"),
}
HEADERS = (
    QT_TRANSLATE_NOOP("HouseholdTableModel", "KK number"),
    QT_TRANSLATE_NOOP("HouseholdTableModel", "Head of family"),
    QT_TRANSLATE_NOOP("HouseholdTableModel", "Village"),
    QT_TRANSLATE_NOOP("HouseholdTableModel", "RT/RW"),
    QT_TRANSLATE_NOOP("HouseholdTableModel", "Address"),
    QT_TRANSLATE_NOOP("HouseholdTableModel", "Members"),
    QT_TRANSLATE_NOOP("HouseholdTableModel", "Outcome"),
    QT_TRANSLATE_NOOP("HouseholdTableModel", "Next visit"),
    QT_TRANSLATE_NOOP("HouseholdTableModel", "Status"),
    QT_TRANSLATE_NOOP("HouseholdTableModel", "Sync"),
    QT_TRANSLATE_NOOP("HouseholdTableModel", "Card number"),
    QT_TRANSLATE_NOOP("HouseholdTableModel", "Last change"),
)
DAMAGED = QT_TRANSLATE_NOOP("HouseholdTableModel", "(damaged, cannot open)")
# A family nobody was home for: the planned revisit, in the Status column's tooltip.
REVISIT_TIP = QT_TRANSLATE_NOOP("HouseholdTableModel", "Nobody home: come back on %1")
REASON = QT_TRANSLATE_NOOP("HouseholdTableModel", "Province:")
# A province-found duplicate stays visible in the Sync column; the tooltip says which number.
DUPLICATE_MARK = QT_TRANSLATE_NOOP("HouseholdTableModel", "duplicate in province")
# Listed households (app/store/assigned.py): a newer province version, or the desa moved.
CHANGED_MARK = QT_TRANSLATE_NOOP("HouseholdTableModel", "changed by province")
CHANGED_TIP = QT_TRANSLATE_NOOP(
    "HouseholdTableModel",
    "The province changed this household after you started: open it to "
    "choose, answer by answer, which version to keep.",
)
RELEASED_MARK = QT_TRANSLATE_NOOP("HouseholdTableModel", "moved to another officer")
RELEASED_TIP = QT_TRANSLATE_NOOP(
    "HouseholdTableModel",
    "This village now belongs to another officer. Finalise the household "
    "and sync: it leaves this laptop once the province has it.",
)
# The supervision loop (app/store/supervision.py): a return for correction, duplicate cases.
RETURNED_TIP = QT_TRANSLATE_NOOP(
    "HouseholdTableModel",
    "Returned by the supervisor for correction: open it to see the comments at their "
    "questions, correct, finalise and sync again.",
)
RETURNED_COLOUR = "#8a5300"  # dark amber, 6.0:1 on white (the form's warning colour)
CASE_MARKS = {
    "open": QT_TRANSLATE_NOOP("HouseholdTableModel", "duplicate case open"),
    "keep_this": QT_TRANSLATE_NOOP("HouseholdTableModel", "duplicate case: kept here"),
    "keep_other": QT_TRANSLATE_NOOP("HouseholdTableModel", "duplicate case: kept elsewhere"),
    "not_duplicate": QT_TRANSLATE_NOOP("HouseholdTableModel", "duplicate case: not a duplicate"),
}
DUPLICATE_TIPS = {
    "nik": QT_TRANSLATE_NOOP(
        "HouseholdTableModel", "Province: NIK also in another household in the province"
    ),
    "kk": QT_TRANSLATE_NOOP(
        "HouseholdTableModel", "Province: KK number also in another household in the province"
    ),
}


def status_key(row: HouseholdRow) -> str:
    """to_verify / revisit / draft / final / synced / attention / training: what the officer
    sorts and filters by. A family to revisit (nobody home) stays "revisit", draft or final,
    sent or not, until a later visit records another outcome."""
    if row.damaged or row.sync_state in ATTENTION:
        return "attention"
    if row.returned:
        return "returned"
    if row.sync_state == "to_verify":
        return "to_verify"
    if row.sync_state == "training":
        return "training"
    if row.outcome in TO_REVISIT:
        return "revisit"
    if row.sync_state in ("synced", "purged"):  # purged: a stub (app/store/retention.py)
        return "synced"
    return row.status


def status_label(key: str) -> str:
    return _tr(STATUS_LABELS[key]) if key in STATUS_LABELS else key


def sync_label(state: str) -> str:
    return _tr(SYNC_LABELS.get(state, STATUS_LABELS["attention"]))


def marks(row: HouseholdRow, short: bool = False) -> list[str]:
    """What the province said about a household beyond its sync state, most urgent first.
    `short`: a duplicate case says only "duplicate in province" (the tooltip says which)."""
    found = [
        (row.released, RELEASED_MARK),
        (row.province_changed, CHANGED_MARK),
        (bool(row.province_duplicates), DUPLICATE_MARK),
    ] + [
        (True, DUPLICATE_MARK if short else CASE_MARKS[outcome])
        for _, outcome in row.cases
        if outcome in CASE_MARKS
    ]
    return [_tr(m) for on, m in found if on]


def sync_text(row: HouseholdRow) -> str:
    """The sync state and the most urgent mark (the tooltip has them all): one column wide
    enough for the longest such pair reads whole. A training family never reaches the
    province, so it shows no province mark."""
    shown = [] if row.sync_state == "training" else marks(row, short=True)[:1]
    return " \u26a0 ".join([sync_label(row.sync_state)] + shown)


def outcome_label(code: int | None) -> str:
    return _tr(OUTCOME_LABELS[code]) if code in OUTCOME_LABELS else ""


def next_visit(row: HouseholdRow) -> str | None:
    """The planned revisit (ISO) of a family to revisit, else None."""
    return row.revisit_on if row.outcome in TO_REVISIT and row.revisit_on else None


def is_today(row: HouseholdRow, today: date) -> bool:
    """The day's work: a revisit due today (or overdue), or a family visited today."""
    planned = next_visit(row)
    return bool(planned and planned <= today.isoformat()) or row.visited_on == today.isoformat()


@dataclass
class Progress:
    """A village's families on this laptop: in the list, visited (an outcome recorded),
    final, and sent to the province."""

    listed: int = 0
    visited: int = 0
    final: int = 0
    sent: int = 0


def progress(rows: list[HouseholdRow]) -> dict[str, Progress]:
    out: dict[str, Progress] = {}
    for r in rows:
        p = out.setdefault(r.kode_desa or "", Progress())
        p.listed += 1
        p.visited += r.outcome is not None or r.status == "final"
        p.final += r.status == "final"
        p.sent += r.sync_state == "synced"
    return out


def waiting_to_send(rows: list[HouseholdRow]) -> int:
    return sum(1 for r in rows if r.sync_state == "pending")


def to_revisit(rows: list[HouseholdRow]) -> int:
    return sum(1 for r in rows if r.outcome in TO_REVISIT)


def rt_rw(row: HouseholdRow) -> str:
    return f"{row.rt or '-'}/{row.rw or '-'}" if row.rt or row.rw else ""


def longest_texts(col: int) -> list[str]:
    """Every text a column of bounded words can show (in the language installed), so the list
    sizes it once for the longest instead of measuring 20,000 rows."""
    if col == COL_STATUS:
        return [status_label(k) for k in STATUS_LABELS]
    if col == COL_SYNC:
        states = [s for s in SYNC_LABELS if s != "training"] + ["attention"]
        labels = [sync_label(s) for s in states]
        pairs = [
            f"{label} \u26a0 {_tr(m)}"
            for label in labels
            for m in (RELEASED_MARK, CHANGED_MARK, DUPLICATE_MARK)
        ]
        return labels + [sync_label("training")] + pairs
    if col == COL_OUTCOME:
        return [_tr(t) for t in OUTCOME_LABELS.values()]
    if col == COL_NEXT:
        return ["00-00-0000"]
    if col == COL_RTRW:
        return ["000/000"]
    if col == COL_MEMBERS:
        return ["00"]
    if col == COL_UPDATED:
        return ["00-00-0000 00:00"]
    if col == COL_KK:
        return ["0000000000000000"]
    return []


def sync_tooltip(row: HouseholdRow) -> str | None:
    lines = [_tr(REASON) + " " + row.sync_reason] if row.sync_reason else []  # a code
    if row.returned:
        lines.append(_tr(RETURNED_TIP))
    if row.outcome in TO_REVISIT and row.revisit_on:
        lines.append(_tr(REVISIT_TIP).replace("%1", day_text(row.revisit_on)))
    lines += [_tr(DUPLICATE_TIPS[k]) for k in row.province_duplicates if k in DUPLICATE_TIPS]
    lines += [
        _tr(t)
        for on, t in ((row.province_changed, CHANGED_TIP), (row.released, RELEASED_TIP))
        if on
    ]
    return "\n".join(lines) or None


def returned_icon() -> QIcon:
    style = QApplication.style()
    return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning) if style else QIcon()


def to_verify_counts(rows: list[HouseholdRow]) -> dict[str, int]:
    """Households from the province's list still drafts, per desa code (the same count as
    app/store/assigned.to_verify_counts, from the rows already in memory)."""
    counts: dict[str, int] = {}
    for r in rows:
        if r.listed and r.status == "draft":
            counts[r.kode_desa or ""] = counts.get(r.kode_desa or "", 0) + 1
    return counts


def day_text(iso: str) -> str:
    """DD-MM-YYYY, as KK and KTP print dates."""
    try:
        return date.fromisoformat(iso).strftime("%d-%m-%Y")
    except ValueError:
        return iso


def local_time(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.astimezone().strftime("%d-%m-%Y %H:%M")


class HouseholdTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[HouseholdRow] = []
        self._desa_names: dict[str, str] = {}
        self._pos: dict[str, int] = {}
        self._found: dict[str, str] = {}  # household id -> the member a search matched

    def set_rows(self, rows: list[HouseholdRow], desa_names: dict[str, str]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._desa_names = dict(desa_names)
        self._pos = {r.id: i for i, r in enumerate(self._rows)}
        self.endResetModel()

    def put_row(self, row: HouseholdRow, desa_name: str | None = None) -> None:
        """Add or refresh one household after a save."""
        if row.kode_desa and desa_name:
            self._desa_names[row.kode_desa] = desa_name
        i = self._pos.get(row.id)
        if i is None:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._pos[row.id] = len(self._rows)
            self._rows.append(row)
            self.endInsertRows()
        else:
            self._rows[i] = row
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(HEADERS) - 1))

    def stub_count(self) -> int:
        """Households of which only a stub is kept (app/store/retention.py)."""
        return sum(r.sync_state == "purged" for r in self._rows)

    def set_found_members(self, found: dict[str, str]) -> None:
        """The member each search hit matched ({} when nobody but the head did): shown beside
        the head's name, "Siti · Agus (anggota)"."""
        if found == self._found:
            return
        self._found = dict(found)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, COL_HEAD), self.index(len(self._rows) - 1, COL_HEAD)
            )

    def row_at(self, index: QModelIndex) -> HouseholdRow:
        return self._rows[index.row()]

    def household_ids(self) -> list[str]:
        return [r.id for r in self._rows]

    def returned_count(self) -> int:
        """Households returned for correction ("Perlu perbaikan")."""
        return sum(1 for r in self._rows if r.returned)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return _tr(HEADERS[section])

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if row.damaged and col in (COL_KK, COL_HEAD):
                return _tr(DAMAGED)
            if col == COL_KK:
                return row.kk
            if col == COL_HEAD:
                found = self._found.get(row.id)
                return (
                    f"{row.head} \u00b7 {_tr(MEMBER_HIT).replace('%1', found)}"
                    if found
                    else row.head
                )
            if col == COL_DESA:
                return self._desa_names.get(row.kode_desa or "", row.kode_desa or "")
            if col == COL_RTRW:
                return rt_rw(row)
            if col == COL_ADDRESS:
                return row.address
            if col == COL_MEMBERS:
                return str(len(row.members)) if row.members else ""
            if col == COL_OUTCOME:
                return outcome_label(row.outcome)
            if col == COL_NEXT:
                planned = next_visit(row)
                return day_text(planned) if planned else ""
            if col == COL_STATUS:
                return status_label(status_key(row))
            if col == COL_SYNC:
                return sync_text(row)
            if col == COL_CARD:
                return row.card_number or ""
            if col == COL_UPDATED:
                return local_time(row.updated_at)
        if role == Qt.ItemDataRole.UserRole:  # sort and filter keys
            if col == COL_MEMBERS:
                return len(row.members)
            if col == COL_OUTCOME:
                return row.outcome or 0
            return {
                COL_STATUS: status_key(row),
                COL_UPDATED: row.updated_at,
                COL_DESA: row.kode_desa or "",
                COL_NEXT: next_visit(row) or "9999",  # planned visits first
                COL_RTRW: f"{row.rw.zfill(3)}/{row.rt.zfill(3)}",
            }.get(col, self.data(index))
        if col == COL_STATUS and row.returned and not row.damaged:  # colour, icon and text
            if role == Qt.ItemDataRole.ForegroundRole:
                return QColor(RETURNED_COLOUR)
            if role == Qt.ItemDataRole.DecorationRole:
                return returned_icon()
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_DESA:
            return row.kode_desa
        if role == Qt.ItemDataRole.ToolTipRole and col in (COL_ADDRESS, COL_HEAD):
            return self.data(index) or None
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_OUTCOME and row.outcome:
            spec = q.load_schema()["properties"][q.OUTCOME]
            return q.option_label(spec, row.outcome, None)
        if role == Qt.ItemDataRole.ToolTipRole and col in (COL_STATUS, COL_SYNC):
            return sync_tooltip(row)
        return None


class HouseholdFilterProxy(QSortFilterProxyModel):
    """Filter by desa and status, and by the ids a search returned."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._desa: str | None = None
        self._status: str | None = None
        self._ids: set[str] | None = None
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def set_desa(self, code: str | None) -> None:
        self.beginFilterChange()
        self._desa = code or None
        self.endFilterChange()

    def set_status(self, key: str | None) -> None:
        self.beginFilterChange()
        self._status = key or None
        self.endFilterChange()

    def set_search_ids(self, ids: set[str] | None) -> None:
        """None shows everything; a set shows only those households."""
        self.beginFilterChange()
        self._ids = ids
        self.endFilterChange()

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        model: HouseholdTableModel = self.sourceModel()  # type: ignore[assignment]
        row = model._rows[source_row]
        if self._desa and row.kode_desa != self._desa:
            return False
        if self._status == "today":
            if not is_today(row, date.today()):
                return False
        elif self._status and status_key(row) != self._status:
            return False
        return self._ids is None or row.id in self._ids
