"""What makes changes made outside the app visible (docs/security.md): a MAC over each row's
plaintext columns, kept in step by Store.save and Store.changing_row, and the checks `khbs verify`
runs beyond the ciphertexts (Store.verify).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from app.crypto import RecordCipher
from app.store import PENDING

# The plaintext columns each table's `mac` binds (HMAC with the row key, docs/security.md): the
# ones the app lists, filters or syncs by, plus the sealed blobs a row could lose or swap between
# its columns (the card; the province's two versions). A household's record and summary are
# bound to their row and revision by their AAD already. The key column comes first.
ROW_COLUMNS = {
    "households": (
        "id",
        "revision",
        "status",
        "kode_desa",
        "sync_state",
        "sync_reason",
        "province_duplicates",
        "created_at",
        "updated_at",
        "card",
    ),
    "assigned": ("household_id", "revision", "origin", "pending_revision", "pending", "released"),
    # The supervision loop (app/store/supervision.py): the open return drives the "Perlu
    # perbaikan" list, `rounds` counts the sealed decisions kept (one deleted shows), cases.
    "supervision": ("household_id", "returned_revision", "rounds", "cases"),
    # Photos and signatures: their content is bound to id, household and hash by its AAD; the
    # MAC keeps the hash, size and upload state from being changed outside the app.
    "attachments": ("id", "household_id", "kind", "sha256", "size", "created_at", "sync_state"),
}
# Audit action (and meta hint) once every row carries a MAC: from then on a row without one
# was changed outside the app, not written by an earlier version.
ROW_MACS = "store.row_macs"
RELEASED = "household.released"  # the audited action that removes a household's row
ERASED = "household.erased"  # so does a family's withdrawal of consent (app/store/retention.py)
# Audited actions of app/store/assigned.py that leave the household an `assigned` row.
LISTED_ACTIONS = ("household.assigned", "household.province_changed", "household.release_waiting")


@dataclass
class VerifyReport:
    households: int = 0
    damaged: list[str] = field(default_factory=list)
    audit_entries: int = 0
    audit_broken: list[int] = field(default_factory=list)
    unaudited: list[str] = field(default_factory=list)
    integrity: str = "ok"
    missing: list[str] = field(default_factory=list)  # in the audit log, row gone
    altered: list[str] = field(default_factory=list)  # plaintext columns fail their MAC
    unqueued: list[str] = field(default_factory=list)  # outbox does not match sync_state
    unverified: list[str] = field(default_factory=list)  # no MAC yet (store not yet upgraded)
    # Housekeeping, not damage (`ok` ignores them): attachment ids of no household (a new form
    # that was never saved; `khbs purge` and the next unlock remove them), and of a household
    # whose record does not name them (kept: a household's data is never deleted unasked).
    orphans: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        problems = (
            self.damaged,
            self.audit_broken,
            self.unaudited,
            self.missing,
            self.altered,
            self.unqueued,
            self.unverified,
        )
        return not any(problems) and self.integrity == "ok"


def signed_row(
    db: Database, table: str, household_id: str | None
) -> tuple[tuple, bytes | None] | None:
    """A row's ROW_COLUMNS values and its stored MAC; None when there is no such row."""
    columns = ROW_COLUMNS[table]
    row = db.execute(
        f"SELECT {', '.join(columns)}, mac FROM {table} WHERE {columns[0]} = ?",
        (household_id,),
    ).fetchone()
    return (tuple(row[:-1]), row[-1]) if row else None


def next_mac(
    cipher: RecordCipher, table: str, before: tuple[tuple, bytes | None] | None, values: tuple
) -> bytes | None:
    """The MAC for a row's new values; a row already altered outside the app keeps its old,
    failing MAC, so a later save or sync never signs over the alteration."""
    if before is not None and not cipher.row_mac_ok(table, *before):
        return before[1]
    return cipher.row_mac(table, values)


def rows_signed(db: Database) -> bool:
    """Whether every row has carried a MAC since (the audit entry ROW_MACS exists)."""
    return (
        db.execute("SELECT 1 FROM audit WHERE action = ? LIMIT 1", (ROW_MACS,)).fetchone()
        is not None
    )


def check_plaintext(
    db: Database, cipher: RecordCipher, report: VerifyReport, tokens: dict[str, set[bytes]]
) -> None:
    """What the ciphertexts cannot show: plaintext columns changed (their MAC fails), rows
    deleted or rolled back (the audit log knows every household, its latest revision and
    whether it came from the province's list), blind-index tokens that no longer match
    their record, and an outbox that no longer matches the households waiting to be sent.
    `tokens`: the blind index each record that opens should have."""
    signed = rows_signed(db)
    altered: set[str] = set()
    unverified: set[str] = set()
    present: dict[str, int] = {}
    with_assigned_row: set[str] = set()
    for table, columns in ROW_COLUMNS.items():
        for row in db.execute(f"SELECT {', '.join(columns)}, mac FROM {table}"):
            values, mac = tuple(row[:-1]), row[-1]
            if table == "households":
                present[values[0]] = values[1]
            elif table == "assigned":
                with_assigned_row.add(values[0])
            owner = values[1] if table == "attachments" else values[0]  # findings name households
            if mac is None and not signed:
                unverified.add(owner)
            elif not cipher.row_mac_ok(table, values, mac):
                altered.add(owner)
    alive, from_list = audited_households(db)
    report.missing = sorted(set(alive) - set(present))
    altered |= {hid for hid, rev in present.items() if rev < alive.get(hid, 0)}
    altered |= (from_list - with_assigned_row) & set(present)
    index: dict[str, set[bytes]] = {}
    for token, hid in db.execute("SELECT token, household_id FROM lookup"):
        index.setdefault(hid, set()).add(bytes(token))
    altered |= {
        hid
        for hid in set(index) | set(tokens)
        if hid not in report.damaged and index.get(hid, set()) != tokens.get(hid, set())
    }
    altered |= {  # a sealed decision removed or added outside the app
        hid
        for hid, rounds, kept in db.execute(
            "SELECT s.household_id, s.rounds, count(r.household_id) FROM supervision s"
            " LEFT JOIN supervision_rounds r ON r.household_id = s.household_id"
            " GROUP BY s.household_id, s.rounds"
        )
        if rounds != kept
    }
    report.altered = sorted(altered - set(report.missing))  # its leftovers: one finding
    report.unverified = sorted(unverified - altered)
    queue = db.execute(
        "SELECT h.id FROM households h LEFT JOIN outbox o ON o.household_id = h.id"
        " WHERE (h.sync_state = ?) <> coalesce(o.revision = h.revision, 0)"
        " UNION SELECT o.household_id FROM outbox o LEFT JOIN households h"
        " ON h.id = o.household_id WHERE h.id IS NULL",
        (PENDING,),
    )
    report.unqueued = sorted({r[0] for r in queue} - set(report.missing))


def orphan_attachments(db: Database) -> list[tuple[str, str]]:
    """(attachment id, household id) of attachments whose household has no row and never had
    a saved one: added to a new form that was never saved. An attachment whose household the
    audit log knows as saved is not an orphan: that row missing is damage (`missing`), and the
    attachment stays as evidence of it."""
    alive, _ = audited_households(db)
    rows = db.execute(
        "SELECT a.id, a.household_id FROM attachments a"
        " LEFT JOIN households h ON h.id = a.household_id WHERE h.id IS NULL"
        " ORDER BY a.created_at, a.id"
    )
    return [(aid, hid) for aid, hid in rows if hid not in alive]


def audited_households(db: Database) -> tuple[dict[str, int], set[str]]:
    """From the audit log: every household it says is on this laptop (saved, not released
    since) with the latest revision it records, and those of them from the province's list
    (which keep an `assigned` row until released)."""
    alive: dict[str, int] = {}
    listed: set[str] = set()
    rows = db.execute(
        "SELECT record_id, action, revision FROM audit WHERE record_id IS NOT NULL ORDER BY seq"
    )
    for hid, action, revision in rows:
        if action in (RELEASED, ERASED):
            alive.pop(hid, None)
            listed.discard(hid)
            continue
        if action in LISTED_ACTIONS:
            listed.add(hid)
        if revision is not None:
            alive[hid] = max(alive.get(hid, 0), revision)
    return alive, listed & set(alive)
