"""Progress counts (issue 14): the console's dashboard and `stats` read desa_counts,
officer_day_counts, officer_counts and listed_counts instead of scanning every household.
Database triggers (revision 0014) keep them in the transaction of every change to households
and candidates, so no writer has to remember them (docs/architecture.md, "Progress counts").

    read helpers   the counts summed over their slots, filtered by a scope in SQL
    fold           PostgreSQL: merge the writers' own rows (slot = their transaction) into slot 0
    check          the counts against the GROUP BY over the rows they summarise
    rebuild        the counts from those rows again (the migration's backfill, restore,
                   `khbs-server verify --repair-counts`)

duplicate_counts (revision 0016) keeps the households with an open duplicate warning per desa:
a count of distinct households, so its triggers take DUPLICATES_LOCK before counting a
household's open warnings again (the revision says why that is enough).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import (
    ColumnElement,
    Connection,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
)

from sync.server.db import (
    advisory_lock,
    candidates,
    desa_counts,
    duplicate_counts,
    duplicates,
    households,
    listed_counts,
    officer_counts,
    officer_day_counts,
    try_advisory_lock,
)

TABLES = (desa_counts, officer_day_counts, officer_counts, listed_counts, duplicate_counts)
DERIVED = frozenset(t.name for t in TABLES)  # backup skips them; restore rebuilds them
FOLD_LOCK = "khbs/counts-fold"
WIB = timezone(timedelta(hours=7))  # the days of officer_day_counts: midnight WIB
DUPLICATES_LOCK = "khbs/duplicate-counts"  # revision 0016's triggers take the same key
WEEK_DAYS = 7
SOURCES = ("households", "candidates", "duplicates")


def _wib_day(conn: Connection) -> ColumnElement:
    """The WIB (UTC+7) date of households.received_at, as the triggers compute it."""
    if conn.dialect.name == "postgresql":
        return literal_column(
            "(((households.received_at AT TIME ZONE 'UTC') + interval '7 hours')::date)"
        )
    return literal_column("date(households.received_at, '+7 hours')")


# -- reading ---------------------------------------------------------------------------------


def week_start(now: datetime) -> date:
    """The first of the last 7 WIB days including today: "this week" on the dashboard and the
    officers pages (whole days, as officer_day_counts keeps them)."""
    return now.astimezone(WIB).date() - timedelta(days=WEEK_DAYS - 1)


@dataclass(frozen=True)
class DesaRow:
    kode_desa: str
    kode_kab: str
    status: str
    visit_outcome: int | None  # None: unknown (received before the server kept it)
    households: int
    cards: int
    conflicts: int


def _desa_sums():
    """desa_counts summed over the writers' rows, by desa, regency, status and visit outcome."""
    c = desa_counts.c
    return select(
        c.kode_desa,
        c.kode_kab,
        c.status,
        c.visit_outcome,
        func.sum(c.households),
        func.sum(c.cards),
        func.sum(c.conflicts),
    ).group_by(c.kode_desa, c.kode_kab, c.status, c.visit_outcome)


def desa_rows(conn: Connection, where: ColumnElement[bool]) -> list[DesaRow]:
    """Households by desa, regency, status and visit outcome; `where` on desa_counts.c.kode_desa
    (a scope)."""
    rows = conn.execute(_desa_sums().where(where)).all()
    return [
        DesaRow(d, k, s, o or None, int(n), int(cards), int(conflicts))
        for d, k, s, o, n, cards, conflicts in rows
        if n or cards or conflicts
    ]


def area_of(column, length: int | None) -> ColumnElement:
    """The area code `length` characters long that holds the desa (None: the desa itself).
    Literal numbers: the same expression in SELECT and GROUP BY must be one statement text."""
    if length is None:
        return column
    return func.substr(column, literal_column("1"), literal_column(str(int(length))))


def by_area(
    conn: Connection, where: ColumnElement[bool], length: int | None
) -> dict[str, tuple[int, int, int, int, int]]:
    """(households, verified, rejected, cards, conflicts) by the area that holds the desa (its
    first `length` characters: 5 a regency, 8 a kecamatan; None the desa): the dashboard's
    rows, summed by the database (a few rows, not one per desa and status)."""
    c = desa_counts.c
    area = area_of(c.kode_desa, length)

    def of(status: str) -> ColumnElement:
        return func.sum(case((c.status == status, c.households), else_=0))

    rows = conn.execute(
        select(
            area,
            func.sum(c.households),
            of("verified"),
            of("rejected"),
            func.sum(c.cards),
            func.sum(c.conflicts),
        )
        .where(where)
        .group_by(area)
    ).all()
    return {
        area: (int(n), int(verified), int(rejected), int(cards), int(conflicts))
        for area, n, verified, rejected, cards, conflicts in rows
        if n or cards or conflicts
    }


def summed(
    conn: Connection,
    column,
    where: ColumnElement[bool] | None = None,
    length: int | None = None,
) -> dict[str, int]:
    """One count column (listed_counts.listed, duplicate_counts.households) summed over the
    writers' slots, by desa (or the area of `length` holding it, as by_area); zero sums left
    out. `where` on that table's kode_desa."""
    area = area_of(column.table.c.kode_desa, length)
    stmt = select(area, func.sum(column)).group_by(area)
    rows = conn.execute(stmt if where is None else stmt.where(where)).all()
    return {code: int(n) for code, n in rows if n}


def listed(
    conn: Connection, where: ColumnElement[bool], length: int | None = None
) -> dict[str, int]:
    """DTSEN families listed, by area (summed); `where` on listed_counts.c.kode_desa."""
    return summed(conn, listed_counts.c.listed, where, length)


def open_duplicates(
    conn: Connection, where: ColumnElement[bool], length: int | None = None
) -> dict[str, int]:
    """Households with an open duplicate warning, by area (summed); `where` on
    duplicate_counts.c.kode_desa."""
    return summed(conn, duplicate_counts.c.households, where, length)


# -- fold -------------------------------------------------------------------------------------

_FOLD = {
    "desa_counts": (
        ("kode_desa", "kode_kab", "status", "visit_outcome"),
        "sum(households) AS households, sum(cards) AS cards, sum(conflicts) AS conflicts",
        "households = c.households + excluded.households, cards = c.cards + excluded.cards,"
        " conflicts = c.conflicts + excluded.conflicts",
    ),
    "officer_day_counts": (
        ("officer_id", "kode_desa", "day"),
        "sum(households) AS households",
        "households = c.households + excluded.households",
    ),
    "officer_counts": (
        ("officer_id", "kode_desa"),
        "sum(households) AS households, max(last_at) AS last_at",
        "households = c.households + excluded.households,"
        " last_at = greatest(c.last_at, excluded.last_at)",
    ),
    "listed_counts": (
        ("kode_desa",),
        "sum(listed) AS listed",
        "listed = c.listed + excluded.listed",
    ),
    "duplicate_counts": (
        ("kode_desa",),
        "sum(households) AS households",
        "households = c.households + excluded.households",
    ),
}


def fold(conn: Connection) -> bool:
    """PostgreSQL: merge every committed writer's row into slot 0, unless another transaction
    is folding (then nothing: readers sum over slots anyway). Only folders touch slot 0 and
    committed rows, so this waits for no writer. Returns whether it folded."""
    if conn.dialect.name != "postgresql" or not try_advisory_lock(conn, FOLD_LOCK):
        return False
    steps = []
    for table, (keys, sums, updates) in _FOLD.items():
        key = ", ".join(keys)
        values = ", ".join(part.split(" AS ")[1] for part in sums.split(", "))
        steps.append(
            f"gone_{table} AS (DELETE FROM {table} WHERE slot > 0 RETURNING *),"
            f" put_{table} AS (INSERT INTO {table} AS c ({key}, slot, {values})"
            f" SELECT {key}, 0, {sums} FROM gone_{table} GROUP BY {key} ORDER BY {key}"
            f" ON CONFLICT ({key}, slot) DO UPDATE SET {updates})"
        )
    conn.execute(text(f"WITH {', '.join(steps)} SELECT 1"))  # one round trip: every page
    return True


# -- truth, check, rebuild --------------------------------------------------------------------


def _truth(conn: Connection):
    """(desa, officer-day, officer, listed, open-duplicate) selects: the GROUP BY over the
    rows the counts summarise, in the count tables' columns (slot 0)."""
    h = households.c
    day = _wib_day(conn)
    outcome = func.coalesce(h.visit_outcome, literal_column("0"))
    desa = select(
        h.kode_desa,
        h.kode_kab,
        h.status,
        outcome.label("visit_outcome"),
        literal(0).label("slot"),
        func.count().label("households"),
        func.count(h.card_number).label("cards"),
        func.sum(case((h.conflict, 1), else_=0)).label("conflicts"),
    ).group_by(h.kode_desa, h.kode_kab, h.status, outcome)
    officer_day = select(
        h.officer_id,
        h.kode_desa,
        day.label("day"),
        literal(0).label("slot"),
        func.count().label("households"),
    ).group_by(h.officer_id, h.kode_desa, day)
    officer = select(
        h.officer_id,
        h.kode_desa,
        literal(0).label("slot"),
        func.count().label("households"),
        func.max(h.updated_at).label("last_at"),
    ).group_by(h.officer_id, h.kode_desa)
    lists = select(
        candidates.c.kode_desa, literal(0).label("slot"), func.count().label("listed")
    ).group_by(candidates.c.kode_desa)
    d = duplicates.c
    open_warning = (
        select(literal(1))
        .where(d.household_id == h.id, d.cleared_at.is_(None))
        .correlate(households)
        .exists()
    )
    dupes = (
        select(h.kode_desa, literal(0).label("slot"), func.count().label("households"))
        .where(open_warning)
        .group_by(h.kode_desa)
    )
    return desa, officer_day, officer, lists, dupes


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _moment(value) -> datetime:
    """A max() over a time column, as the driver gives it (text on SQLite)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def check(conn: Connection) -> list[str]:
    """What differs between the counts and the rows (empty: all right), as "table key" lines
    of area codes, officer ids, days and numbers only. Run it in one snapshot
    (db.read_snapshot): the counts change in the same transactions as the rows. An officer's
    last upload may be later than the newest household left (an erased one was uploaded)."""
    truth_desa, truth_day, truth_officer, truth_lists, truth_dupes = _truth(conn)
    found: list[str] = []

    def compare(name: str, kept: dict, truth: dict) -> None:
        for key in sorted(set(kept) | set(truth), key=str):
            a, b = kept.get(key), truth.get(key)
            if a != b:
                found.append(f"{name} {key}: {a} != {b}")

    kept = conn.execute(_desa_sums()).all()
    compare(
        "desa_counts",
        {tuple(r[:4]): tuple(int(x) for x in r[4:]) for r in kept if any(r[4:])},
        {tuple(r[:4]): (int(r[5]), int(r[6]), int(r[7])) for r in conn.execute(truth_desa)},
    )
    d = officer_day_counts.c
    compare(
        "officer_day_counts",
        {
            (r[0], r[1], _day(r[2])): int(r[3])
            for r in conn.execute(
                select(d.officer_id, d.kode_desa, d.day, func.sum(d.households)).group_by(
                    d.officer_id, d.kode_desa, d.day
                )
            )
            if r[3]
        },
        {(r[0], r[1], _day(r[2])): int(r[4]) for r in conn.execute(truth_day)},
    )
    o = officer_counts.c
    rows = conn.execute(
        select(o.officer_id, o.kode_desa, func.sum(o.households), func.max(o.last_at)).group_by(
            o.officer_id, o.kode_desa
        )
    ).all()
    last_kept = {(r[0], r[1]): r[3] for r in rows}
    truth_rows = conn.execute(truth_officer).all()
    compare(
        "officer_counts",
        {(r[0], r[1]): int(r[2]) for r in rows if r[2]},
        {(r[0], r[1]): int(r[3]) for r in truth_rows},
    )
    for officer, desa, _, n, newest in truth_rows:
        kept_last = last_kept.get((officer, desa))
        if n and (kept_last is None or _moment(kept_last) < _moment(newest)):
            found.append(f"officer_counts {(officer, desa)}: last upload behind")

    compare(
        "listed_counts",
        summed(conn, listed_counts.c.listed),
        {desa: int(n) for desa, _, n in conn.execute(truth_lists)},
    )
    compare(
        "duplicate_counts",
        summed(conn, duplicate_counts.c.households),
        {desa: int(n) for desa, _, n in conn.execute(truth_dupes)},
    )
    return found


def rebuild(conn: Connection) -> None:
    """Every count again from the rows. PostgreSQL: the rows are locked against writers
    (SHARE) for the rest of the transaction, so no change is counted twice or missed."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"LOCK TABLE {', '.join(SOURCES)} IN SHARE MODE"))
    advisory_lock(conn, FOLD_LOCK)
    advisory_lock(conn, DUPLICATES_LOCK)
    for table, truth in zip(TABLES, _truth(conn), strict=True):
        conn.execute(delete(table))
        conn.execute(insert(table).from_select(list(truth.selected_columns.keys()), truth))
