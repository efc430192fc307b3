"""progress counts (issue 14): the console's dashboard and `stats` read small count tables kept
by triggers on households and candidates, in the same transaction as every change, instead of
scanning every household per page view (docs/architecture.md, "Progress counts").

PostgreSQL: statement-level triggers with transition tables, one aggregated upsert per
statement into a row of the writing transaction's own (slot = txid_current()): two writers
never update the same count row, so the counts add no lock waits and no deadlocks; counts.fold
merges those rows into slot 0. SQLite: row-level triggers into slot 0 (one writer at a time).
The backfill counts the rows already there (BACKFILL; counts.rebuild is the live code's).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLES = ("desa_counts", "officer_day_counts", "officer_counts", "listed_counts")

# -- PostgreSQL -----------------------------------------------------------------------------------

PG_DAY = "((({t}.received_at AT TIME ZONE 'UTC') + interval '7 hours')::date)"  # WIB

PG_DESA = """
INSERT INTO desa_counts AS c
    (kode_desa, kode_kab, status, visit_outcome, slot, households, cards, conflicts)
SELECT kode_desa, kode_kab, status, outcome, txid_current(), sum(n), sum(cards), sum(conflicts)
FROM ({rows}) d
GROUP BY kode_desa, kode_kab, status, outcome
HAVING sum(n) <> 0 OR sum(cards) <> 0 OR sum(conflicts) <> 0
ORDER BY kode_desa, kode_kab, status, outcome
ON CONFLICT (kode_desa, kode_kab, status, visit_outcome, slot) DO UPDATE SET
    households = c.households + excluded.households,
    cards = c.cards + excluded.cards,
    conflicts = c.conflicts + excluded.conflicts;
"""
PG_DESA_ROWS = (
    "SELECT kode_desa, kode_kab, status, coalesce(visit_outcome, 0) AS outcome, {sign} AS n,"
    " CASE WHEN card_number IS NOT NULL THEN {sign} ELSE 0 END AS cards,"
    " CASE WHEN conflict THEN {sign} ELSE 0 END AS conflicts FROM {table}"
)

PG_OFFICER = """
INSERT INTO officer_day_counts AS c (officer_id, kode_desa, day, slot, households)
SELECT officer_id, kode_desa, day, txid_current(), sum(n)
FROM ({rows}) d
GROUP BY officer_id, kode_desa, day
HAVING sum(n) <> 0
ORDER BY officer_id, kode_desa, day
ON CONFLICT (officer_id, kode_desa, day, slot) DO UPDATE SET
    households = c.households + excluded.households;
INSERT INTO officer_counts AS c (officer_id, kode_desa, slot, households, last_at)
SELECT officer_id, kode_desa, txid_current(), sum(n), max(last_at)
FROM ({rows}) d
GROUP BY officer_id, kode_desa
HAVING sum(n) <> 0 OR max(last_at) IS NOT NULL
ORDER BY officer_id, kode_desa
ON CONFLICT (officer_id, kode_desa, slot) DO UPDATE SET
    households = c.households + excluded.households,
    last_at = greatest(c.last_at, excluded.last_at);
"""
PG_OFFICER_ROWS = (
    "SELECT {t}.officer_id, {t}.kode_desa, " + PG_DAY + " AS day, {sign} AS n,"
    " {last} AS last_at FROM {table}"
)

PG_LISTED = """
INSERT INTO listed_counts AS c (kode_desa, slot, listed)
SELECT kode_desa, txid_current(), sum(n) FROM ({rows}) d
GROUP BY kode_desa HAVING sum(n) <> 0 ORDER BY kode_desa
ON CONFLICT (kode_desa, slot) DO UPDATE SET listed = c.listed + excluded.listed;
"""


def _pg_households() -> str:
    def desa(*parts: tuple[str, str]) -> str:
        rows = " UNION ALL ".join(PG_DESA_ROWS.format(sign=s, table=t) for s, t in parts)
        return PG_DESA.format(rows=rows)

    plus, minus = ("1", "new_rows"), ("-1", "old_rows")
    officer_in = PG_OFFICER_ROWS.format(t="n", sign="1", last="n.updated_at", table="new_rows n")
    officer_out = PG_OFFICER_ROWS.format(t="o", sign="-1", last="NULL::timestamptz", table="old_rows o")
    # An update: the newest content's time when it changed or the row moved to another
    # officer, desa or day (it goes with the row); a status alone is not an upload.
    officer_moved = PG_OFFICER_ROWS.format(
        t="n",
        sign="1",
        last="CASE WHEN n.updated_at IS DISTINCT FROM o.updated_at OR n.officer_id <> o.officer_id"
        " OR n.kode_desa <> o.kode_desa OR n.received_at <> o.received_at THEN n.updated_at END",
        table="new_rows n JOIN old_rows o ON o.id = n.id",
    )
    return f"""
CREATE FUNCTION khbs_households_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {desa(plus)}
        {PG_OFFICER.format(rows=officer_in)}
    ELSIF TG_OP = 'DELETE' THEN
        {desa(minus)}
        {PG_OFFICER.format(rows=officer_out)}
    ELSE
        {desa(plus, minus)}
        {PG_OFFICER.format(rows=officer_moved + " UNION ALL " + officer_out)}
    END IF;
    RETURN NULL;
END $$;
"""


def _pg_candidates() -> str:
    rows = "SELECT kode_desa, {sign} AS n FROM {table}"
    plus = rows.format(sign="1", table="new_rows")
    minus = rows.format(sign="-1", table="old_rows")
    return f"""
CREATE FUNCTION khbs_candidates_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {PG_LISTED.format(rows=plus)}
    ELSIF TG_OP = 'DELETE' THEN
        {PG_LISTED.format(rows=minus)}
    ELSE
        {PG_LISTED.format(rows=plus + " UNION ALL " + minus)}
    END IF;
    RETURN NULL;
END $$;
"""


def _pg_triggers(table: str) -> list[str]:
    function = f"khbs_{table}_counts"
    return [
        f"CREATE TRIGGER {table}_counts_insert AFTER INSERT ON {table}"
        f" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_counts_update AFTER UPDATE ON {table}"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_counts_delete AFTER DELETE ON {table}"
        f" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


# -- SQLite ---------------------------------------------------------------------------------------

SQLITE_DESA = """
INSERT INTO desa_counts
    (kode_desa, kode_kab, status, visit_outcome, slot, households, cards, conflicts)
VALUES ({r}.kode_desa, {r}.kode_kab, {r}.status, coalesce({r}.visit_outcome, 0), 0, {sign},
    CASE WHEN {r}.card_number IS NOT NULL THEN {sign} ELSE 0 END,
    CASE WHEN {r}.conflict THEN {sign} ELSE 0 END)
ON CONFLICT (kode_desa, kode_kab, status, visit_outcome, slot) DO UPDATE SET
    households = households + excluded.households,
    cards = cards + excluded.cards,
    conflicts = conflicts + excluded.conflicts;
"""
SQLITE_OFFICER = """
INSERT INTO officer_day_counts (officer_id, kode_desa, day, slot, households)
VALUES ({r}.officer_id, {r}.kode_desa, date({r}.received_at, '+7 hours'), 0, {sign})
ON CONFLICT (officer_id, kode_desa, day, slot) DO UPDATE SET
    households = households + excluded.households;
INSERT INTO officer_counts (officer_id, kode_desa, slot, households, last_at)
VALUES ({r}.officer_id, {r}.kode_desa, 0, {sign}, {last})
ON CONFLICT (officer_id, kode_desa, slot) DO UPDATE SET
    households = households + excluded.households,
    last_at = CASE WHEN last_at IS NULL OR excluded.last_at > last_at
        THEN coalesce(excluded.last_at, last_at) ELSE last_at END;
"""
SQLITE_LISTED = """
INSERT INTO listed_counts (kode_desa, slot, listed) VALUES ({r}.kode_desa, 0, {sign})
ON CONFLICT (kode_desa, slot) DO UPDATE SET listed = listed + excluded.listed;
"""
HOUSEHOLD_COLUMNS = (
    "kode_desa, kode_kab, status, visit_outcome, card_number, conflict, officer_id,"
    " received_at, updated_at"
)


def _sqlite_triggers() -> list[str]:
    add_desa = SQLITE_DESA.format(r="NEW", sign="1")
    drop_desa = SQLITE_DESA.format(r="OLD", sign="-1")
    add_officer = SQLITE_OFFICER.format(r="NEW", sign="1", last="NEW.updated_at")
    drop_officer = SQLITE_OFFICER.format(r="OLD", sign="-1", last="NULL")
    changed_officer = SQLITE_OFFICER.format(
        r="NEW",
        sign="1",
        last="CASE WHEN NEW.updated_at IS NOT OLD.updated_at OR NEW.officer_id IS NOT"
        " OLD.officer_id OR NEW.kode_desa IS NOT OLD.kode_desa"
        " OR NEW.received_at IS NOT OLD.received_at THEN NEW.updated_at END",
    )
    return [
        "CREATE TRIGGER households_counts_insert AFTER INSERT ON households"
        f" BEGIN {add_desa} {add_officer} END",
        f"CREATE TRIGGER households_counts_update AFTER UPDATE OF {HOUSEHOLD_COLUMNS}"
        f" ON households BEGIN {drop_desa} {add_desa} {drop_officer} {changed_officer} END",
        "CREATE TRIGGER households_counts_delete AFTER DELETE ON households"
        f" BEGIN {drop_desa} {drop_officer} END",
        "CREATE TRIGGER candidates_counts_insert AFTER INSERT ON candidates"
        f" BEGIN {SQLITE_LISTED.format(r='NEW', sign='1')} END",
        "CREATE TRIGGER candidates_counts_update AFTER UPDATE OF kode_desa ON candidates"
        f" BEGIN {SQLITE_LISTED.format(r='OLD', sign='-1')}"
        f" {SQLITE_LISTED.format(r='NEW', sign='1')} END",
        "CREATE TRIGGER candidates_counts_delete AFTER DELETE ON candidates"
        f" BEGIN {SQLITE_LISTED.format(r='OLD', sign='-1')} END",
    ]


SQLITE_DAY = "date(households.received_at, '+7 hours')"
# counts.rebuild does the same from the live code (`verify --repair-counts`, restore); a
# revision keeps its own SQL (revisions never import the live code). tests/server/
# test_counts.py checks this backfill against counts.check.
BACKFILL = (
    "INSERT INTO desa_counts"
    " (kode_desa, kode_kab, status, visit_outcome, slot, households, cards, conflicts)"
    " SELECT kode_desa, kode_kab, status, coalesce(visit_outcome, 0), 0, count(*),"
    " count(card_number), sum(CASE WHEN conflict THEN 1 ELSE 0 END) FROM households"
    " GROUP BY kode_desa, kode_kab, status, coalesce(visit_outcome, 0)",
    "INSERT INTO officer_day_counts (officer_id, kode_desa, day, slot, households)"
    " SELECT officer_id, kode_desa, {day}, 0, count(*) FROM households"
    " GROUP BY officer_id, kode_desa, {day}",
    "INSERT INTO officer_counts (officer_id, kode_desa, slot, households, last_at)"
    " SELECT officer_id, kode_desa, 0, count(*), max(updated_at) FROM households"
    " GROUP BY officer_id, kode_desa",
    "INSERT INTO listed_counts (kode_desa, slot, listed)"
    " SELECT kode_desa, 0, count(*) FROM candidates GROUP BY kode_desa",
)


def upgrade() -> None:
    op.create_table(
        "desa_counts",
        sa.Column("kode_desa", sa.String(length=13), nullable=False),
        sa.Column("kode_kab", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("visit_outcome", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("cards", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kode_desa", "kode_kab", "status", "visit_outcome", "slot", name=op.f("pk_desa_counts")
        ),
    )
    op.create_index(op.f("ix_desa_counts_slot"), "desa_counts", ["slot"], unique=False)
    op.create_table(
        "officer_day_counts",
        sa.Column("officer_id", sa.String(length=36), nullable=False),
        sa.Column("kode_desa", sa.String(length=13), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "officer_id", "kode_desa", "day", "slot", name=op.f("pk_officer_day_counts")
        ),
    )
    op.create_index(
        op.f("ix_officer_day_counts_slot"), "officer_day_counts", ["slot"], unique=False
    )
    op.create_index(op.f("ix_officer_day_counts_day"), "officer_day_counts", ["day"], unique=False)
    op.create_table(
        "officer_counts",
        sa.Column("officer_id", sa.String(length=36), nullable=False),
        sa.Column("kode_desa", sa.String(length=13), nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("officer_id", "kode_desa", "slot", name=op.f("pk_officer_counts")),
    )
    op.create_index(op.f("ix_officer_counts_slot"), "officer_counts", ["slot"], unique=False)
    op.create_table(
        "listed_counts",
        sa.Column("kode_desa", sa.String(length=13), nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kode_desa", "slot", name=op.f("pk_listed_counts")),
    )
    op.create_index(op.f("ix_listed_counts_slot"), "listed_counts", ["slot"], unique=False)
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        statements = [_pg_households(), _pg_candidates()]
        statements += _pg_triggers("households") + _pg_triggers("candidates")
    else:
        statements = _sqlite_triggers()
    for statement in statements:
        conn.exec_driver_sql(statement)
    # The backfill, from the rows already there. CREATE TRIGGER locked both tables against
    # writers until this transaction commits, so nothing is counted twice or missed.
    day = PG_DAY.format(t="households") if conn.dialect.name == "postgresql" else SQLITE_DAY
    for statement in BACKFILL:
        conn.exec_driver_sql(statement.format(day=day))


def downgrade() -> None:
    conn = op.get_bind()
    for table in ("households", "candidates"):
        for event in ("insert", "update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_counts_{event}" + (
                f" ON {table}" if conn.dialect.name == "postgresql" else ""
            ))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS khbs_households_counts()")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS khbs_candidates_counts()")
    for table in TABLES:
        op.drop_table(table)
