"""open-duplicate counts: households with at least one open duplicate warning, per desa
(`duplicate_counts`), kept by triggers so the dashboard and `stats` stop joining every open
warning to the households (docs/architecture.md, "Progress counts"; docs/benchmarks.md).

Additive: 0014's triggers are left as they are. New triggers on `duplicates` (a warning found,
cleared or erased) and on `households` (a household moving to another desa while it has an
open warning). The count is of distinct households, so a trigger has to know whether the
household had an open warning before its statement: PostgreSQL takes one transaction-level
advisory lock (the same key as counts.DUPLICATES_LOCK) only when a statement changes an open
warning or moves a household, then counts the household's open warnings from a fresh snapshot
(a VOLATILE function's statement sees everything committed before the lock was granted), so
two transactions never count the same household's change twice. The rows go, as 0014's, into
a row of the writing transaction's own (slot = txid_current()), folded by counts.fold. Writers
of warnings: ingest (two batches warning one household of two different numbers hold no lock
in common but this one) and erasure.
SQLite: row-level triggers into slot 0 (one writer at a time).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

LOCK_ID = 2488649771950338452  # db._lock_id("khbs/duplicate-counts")

# -- PostgreSQL -----------------------------------------------------------------------------------

# {delta}: (household_id, n) rows, n = +1 for an open warning the statement added, -1 for one
# it took away. After the lock, `now_open` is the household's open warnings with this
# statement's; before it, now_open - n.
PG_DUPLICATES = """
    IF NOT EXISTS (
        SELECT 1 FROM ({delta}) x GROUP BY household_id HAVING sum(n) <> 0
    ) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({lock});
    INSERT INTO duplicate_counts AS c (kode_desa, slot, households)
    SELECT h.kode_desa, txid_current(),
        sum(CASE WHEN o.now_open > 0 THEN 1 ELSE 0 END
            - CASE WHEN o.now_open - d.n > 0 THEN 1 ELSE 0 END)
    FROM (SELECT household_id, sum(n) AS n FROM ({delta}) x GROUP BY household_id) d
    JOIN households h ON h.id = d.household_id
    CROSS JOIN LATERAL (
        SELECT count(*) AS now_open FROM duplicates
        WHERE duplicates.household_id = d.household_id AND duplicates.cleared_at IS NULL
    ) o
    WHERE d.n <> 0
    GROUP BY h.kode_desa
    HAVING sum(CASE WHEN o.now_open > 0 THEN 1 ELSE 0 END
        - CASE WHEN o.now_open - d.n > 0 THEN 1 ELSE 0 END) <> 0
    ORDER BY h.kode_desa
    ON CONFLICT (kode_desa, slot) DO UPDATE SET households = c.households + excluded.households;
"""
PG_OPEN_ROWS = "SELECT household_id, {sign} AS n FROM {table} WHERE cleared_at IS NULL"


def _pg_duplicates() -> str:
    plus = PG_OPEN_ROWS.format(sign="1", table="new_rows")
    minus = PG_OPEN_ROWS.format(sign="-1", table="old_rows")

    def body(delta: str) -> str:
        return PG_DUPLICATES.format(delta=delta, lock=LOCK_ID)

    return f"""
CREATE FUNCTION khbs_duplicates_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {body(plus)}
    ELSIF TG_OP = 'DELETE' THEN
        {body(minus)}
    ELSE
        {body(plus + " UNION ALL " + minus)}
    END IF;
    RETURN NULL;
END $$;
"""


# A household moving to another desa takes its open warning along: -1 where it was, +1 where it
# is, if it has one (counted after the lock, as above).
PG_HOUSEHOLDS = f"""
CREATE FUNCTION khbs_households_duplicate_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.kode_desa <> o.kode_desa
    ) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({LOCK_ID});
    INSERT INTO duplicate_counts AS c (kode_desa, slot, households)
    SELECT kode_desa, txid_current(), sum(n) FROM (
        SELECT m.new_desa AS kode_desa, 1 AS n FROM moved m
        UNION ALL
        SELECT m.old_desa, -1 FROM moved m
    ) x
    GROUP BY kode_desa HAVING sum(n) <> 0 ORDER BY kode_desa
    ON CONFLICT (kode_desa, slot) DO UPDATE SET households = c.households + excluded.households;
    RETURN NULL;
END $$;
"""
PG_MOVED = (
    "SELECT n.kode_desa AS new_desa, o.kode_desa AS old_desa FROM new_rows n"
    " JOIN old_rows o ON o.id = n.id WHERE n.kode_desa <> o.kode_desa AND EXISTS ("
    "SELECT 1 FROM duplicates d WHERE d.household_id = n.id AND d.cleared_at IS NULL)"
)

PG_TRIGGERS = [
    "CREATE TRIGGER duplicates_counts_insert AFTER INSERT ON duplicates"
    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION khbs_duplicates_counts()",
    "CREATE TRIGGER duplicates_counts_update AFTER UPDATE ON duplicates"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION khbs_duplicates_counts()",
    "CREATE TRIGGER duplicates_counts_delete AFTER DELETE ON duplicates"
    " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION khbs_duplicates_counts()",
    "CREATE TRIGGER households_duplicate_counts_update AFTER UPDATE ON households"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION khbs_households_duplicate_counts()",
]

# -- SQLite ---------------------------------------------------------------------------------------

# {changed}: (hid, d) rows of the one row changed; d = +1 an open warning added, -1 one gone.
SQLITE_DUPLICATES = """
INSERT INTO duplicate_counts (kode_desa, slot, households)
SELECT h.kode_desa, 0, (a.now_open > 0) - (a.now_open - a.d > 0)
FROM (
    SELECT x.hid, x.d, (SELECT count(*) FROM duplicates
        WHERE duplicates.household_id = x.hid AND duplicates.cleared_at IS NULL) AS now_open
    FROM (SELECT hid, sum(d) AS d FROM ({changed}) GROUP BY hid) x
) a
JOIN households h ON h.id = a.hid
WHERE (a.now_open > 0) <> (a.now_open - a.d > 0)
ON CONFLICT (kode_desa, slot) DO UPDATE SET households = households + excluded.households;
"""
SQLITE_NEW = "SELECT NEW.household_id AS hid, (NEW.cleared_at IS NULL) AS d"
SQLITE_OLD = "SELECT OLD.household_id AS hid, -(OLD.cleared_at IS NULL) AS d"
SQLITE_MOVE = """
INSERT INTO duplicate_counts (kode_desa, slot, households) VALUES ({desa}, 0, {sign})
ON CONFLICT (kode_desa, slot) DO UPDATE SET households = households + excluded.households;
"""


def _sqlite_triggers() -> list[str]:
    changed = SQLITE_DUPLICATES.format(changed=f"{SQLITE_NEW} UNION ALL {SQLITE_OLD}")
    return [
        "CREATE TRIGGER duplicates_counts_insert AFTER INSERT ON duplicates"
        f" BEGIN {SQLITE_DUPLICATES.format(changed=SQLITE_NEW)} END",
        "CREATE TRIGGER duplicates_counts_update AFTER UPDATE OF household_id, cleared_at"
        f" ON duplicates BEGIN {changed} END",
        "CREATE TRIGGER duplicates_counts_delete AFTER DELETE ON duplicates"
        f" BEGIN {SQLITE_DUPLICATES.format(changed=SQLITE_OLD)} END",
        "CREATE TRIGGER households_duplicate_counts_update AFTER UPDATE OF kode_desa"
        " ON households WHEN NEW.kode_desa IS NOT OLD.kode_desa AND EXISTS ("
        " SELECT 1 FROM duplicates d WHERE d.household_id = NEW.id AND d.cleared_at IS NULL)"
        f" BEGIN {SQLITE_MOVE.format(desa='OLD.kode_desa', sign='-1')}"
        f" {SQLITE_MOVE.format(desa='NEW.kode_desa', sign='1')} END",
    ]


# counts.rebuild does the same from the live code; a revision keeps its own SQL.
BACKFILL = (
    "INSERT INTO duplicate_counts (kode_desa, slot, households)"
    " SELECT h.kode_desa, 0, count(*) FROM households h WHERE EXISTS ("
    "SELECT 1 FROM duplicates d WHERE d.household_id = h.id AND d.cleared_at IS NULL)"
    " GROUP BY h.kode_desa"
)


def upgrade() -> None:
    op.create_table(
        "duplicate_counts",
        sa.Column("kode_desa", sa.String(length=13), nullable=False),
        sa.Column("slot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kode_desa", "slot", name=op.f("pk_duplicate_counts")),
    )
    op.create_index(op.f("ix_duplicate_counts_slot"), "duplicate_counts", ["slot"], unique=False)
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        moved = PG_HOUSEHOLDS.replace("FROM moved m", f"FROM ({PG_MOVED}) m")
        statements = [_pg_duplicates(), moved, *PG_TRIGGERS]
    else:
        statements = _sqlite_triggers()
    for statement in statements:
        conn.exec_driver_sql(statement)
    # CREATE TRIGGER locked both tables against writers until this transaction commits, so the
    # backfill counts nothing twice and misses nothing.
    conn.exec_driver_sql(BACKFILL)


def downgrade() -> None:
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    for table, name in (
        ("duplicates", "duplicates_counts_insert"),
        ("duplicates", "duplicates_counts_update"),
        ("duplicates", "duplicates_counts_delete"),
        ("households", "households_duplicate_counts_update"),
    ):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS khbs_duplicates_counts()")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS khbs_households_duplicate_counts()")
    op.drop_table("duplicate_counts")
