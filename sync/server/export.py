"""The province's export: every household's current revision, opened and written as the CSV
pair of app/export (households.csv, members.csv, manifest.json; docs/province-export.md).

Rows are read inside one read snapshot (db.read_snapshot: consistent, writers carry on) through a
streaming cursor, a chunk at a time, so memory stays flat whatever the row count. Filters use
the plaintext columns only, so only the households asked for are opened. Each export is written
to the audit log with its counts, filters and options, never with what it holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, DateTime, and_, func, or_, select, type_coerce
from sqlalchemy.engine import Engine

from app import questionnaire as q
from app.crypto import DecryptError
from app.export.files import FORMAT, FORMAT_VERSION, HOUSEHOLDS, MEMBERS, dialect, write_export
from app.export.layout import Layout, Options, neutralise
from sync.server import ServerError, repo
from sync.server.admins import audit
from sync.server.db import household_versions, households, read_snapshot
from sync.server.keys import ServerKeys

CHUNK = 1000  # rows fetched at a time from the cursor
PARALLEL_FROM = 50_000  # households; for fewer, starting the processes costs more than it saves
SOURCE = "province"
# The province's own columns, after the questionnaire's (status there is the laptop's draft/final).
EXTRA_COLUMNS = ("officer_id", "revision", "province_status", "province_reason", "card_number",
                 "conflict", "received_at", "updated_at", "status_at")


class BadExportFilter(ServerError):
    key = "server.export_filter"


@dataclass(frozen=True)
class Filters:
    regency: str | None = None  # "62.71"
    since: datetime | None = None  # updated_at or status_at at or after
    status: str | None = None

    def as_dict(self) -> dict:
        out = {"regency": self.regency, "status": self.status,
               "since": self.since.isoformat(timespec="seconds") if self.since else None}
        return {k: v for k, v in out.items() if v}


def parse_filters(regency: str | None = None, since: str | None = None,
                  status: str | None = None) -> Filters:
    """Filters from user text; BadExportFilter (or UnknownArea ...) names the bad one."""
    code = None
    if regency:
        code = repo.canonical_area(regency)
        if code.count(".") != 1:
            raise BadExportFilter(name="--regency", value=code)
    moment = None
    if since:
        moment = _moment(since.strip())
    if status and status not in repo.STATUSES:
        raise BadExportFilter(name="--status", value=status[:20])
    return Filters(code, moment, status or None)


def _moment(text: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 time (UTC when it has no offset)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), timezone.utc)
        moment = datetime.fromisoformat(text)
        # In UTC here: 0001-01-01T00:00+14:00 is before year 1 there, and fails now, not in SQL.
        return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else (
            moment.astimezone(timezone.utc))
    except (ValueError, OverflowError):
        raise BadExportFilter(name="--since", value=text[:32]) from None


# -- rows ---------------------------------------------------------------------------------------


def query(filters: Filters):
    """The current revision of each household (its content row) in id order."""
    h, v = households, household_versions
    joined = h.join(v, and_(v.c.household_id == h.c.id, v.c.revision == h.c.revision,
                            v.c.content_hash == h.c.content_hash))
    # Times as the driver gives them: _iso() makes them UTC once, as text (the TypeDecorator
    # would build an aware datetime per cell first, a sixth of the reading time).
    times = [type_coerce(c, DateTime()).label(c.name)
             for c in (h.c.received_at, h.c.updated_at, h.c.status_at)]
    stmt = select(h.c.id, h.c.revision, h.c.content_hash, v.c.key_id, v.c.content,
                  h.c.officer_id, h.c.status, h.c.status_reason, h.c.card_number, h.c.conflict,
                  *times).select_from(joined)
    if filters.regency:
        stmt = stmt.where(h.c.kode_kab == filters.regency)
    if filters.since:  # new content, or a new province decision (a card issued ...)
        stmt = stmt.where(or_(h.c.updated_at >= filters.since, h.c.status_at >= filters.since))
    if filters.status:
        stmt = stmt.where(h.c.status == filters.status)
    return stmt.order_by(h.c.id)


def count(conn: Connection, filters: Filters) -> int:
    return conn.execute(select(func.count()).select_from(query(filters).subquery())).scalar_one()


# Positions in a row of query(): rows are plain tuples (chunks() below), read by position.
ID, REVISION, CONTENT_HASH, KEY_ID, CONTENT = range(5)
FIRST_EXTRA = 5  # officer_id, status, status_reason, card_number, conflict, then TIMES
TIMES = 10  # received_at, updated_at, status_at


def chunks(conn: Connection, filters: Filters, size: int = CHUNK) -> Iterator[list[tuple]]:
    """Lists of up to `size` rows (plain tuples, in query() order), streamed. PostgreSQL: a
    server-side cursor of the driver itself, in binary format (SQLAlchemy's rows and the text
    format cost as much client CPU as the rest of the reading). SQLite: SQLAlchemy's cursor,
    which steps as it is read and turns its text times into datetimes."""
    stmt = query(filters)
    if conn.dialect.name != "postgresql":
        result = conn.execution_options(stream_results=True, yield_per=size).execute(stmt)
        for part in result.partitions():
            yield [tuple(row) for row in part]
        return
    compiled = stmt.compile(dialect=conn.dialect)
    params = {}
    for name, value in compiled.construct_params().items():
        process = compiled.binds[name].type.bind_processor(conn.dialect)  # UtcDateTime
        params[name] = process(value) if process else value
    driver = conn.connection.driver_connection  # inside the snapshot's transaction
    with driver.cursor(name="khbs_export", binary=True) as cursor:
        cursor.itersize = size
        cursor.execute(str(compiled), params)
        while part := cursor.fetchmany(size):
            yield part


def rows(conn: Connection, filters: Filters) -> Iterator[tuple]:
    for part in chunks(conn, filters):
        yield from part


_UTC_ZONES: set = {timezone.utc}  # and the session's UTC zone from psycopg, once seen


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC. SQLite gives naive UTC times (db.UtcDateTime), PostgreSQL aware ones."""
    if moment is None:
        return None
    tz = moment.tzinfo
    if tz is None:
        return moment.isoformat(timespec="seconds") + "+00:00"
    if tz in _UTC_ZONES:
        return moment.isoformat(timespec="seconds")
    if isinstance(tz, ZoneInfo) and tz.key in ("UTC", "Etc/UTC"):
        _UTC_ZONES.add(tz)
        return moment.isoformat(timespec="seconds")
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def extra_cells(row: tuple) -> list[str]:
    """The EXTRA_COLUMNS' cells of a row of query(), as Layout.household_row makes them."""
    officer, status, reason, card, conflict = row[FIRST_EXTRA:TIMES]
    cells = [neutralise(officer or ""), neutralise(str(row[REVISION])), neutralise(status or ""),
             neutralise(reason or ""), neutralise(card or ""), "1" if conflict else "0"]
    for moment in row[TIMES:]:
        cells.append("" if moment is None else _iso(moment))
    return cells


def extra_of(row: tuple) -> dict:
    """The EXTRA_COLUMNS' values of a row of query(), for Layout.household_row."""
    officer, status, reason, card, conflict, *times = row[FIRST_EXTRA:]
    return {"officer_id": officer, "revision": row[REVISION], "province_status": status,
            "province_reason": reason, "card_number": card, "conflict": int(bool(conflict)),
            **{name: _iso(moment) for name, moment in zip(EXTRA_COLUMNS[6:], times)}}


def opened(keys: ServerKeys, source: Iterable, damaged: set[str]) -> Iterator[tuple[dict, dict]]:
    """(record, extra columns) per row; a row whose content does not open is left out and its
    id noted (it is reported and audited as a count)."""
    for row in source:
        try:
            plaintext = keys.open_content(row[KEY_ID], row[ID], row[REVISION],
                                          bytes(row[CONTENT_HASH]), bytes(row[CONTENT]))
        except DecryptError:
            damaged.add(row[ID])
            continue
        yield json.loads(plaintext), extra_of(row)


# -- the export ---------------------------------------------------------------------------------


@dataclass
class ProvinceExport:
    manifest: dict
    damaged: set[str] = field(default_factory=set)

    @property
    def households(self) -> int:
        return self.manifest["files"][HOUSEHOLDS]["rows"]

    @property
    def members(self) -> int:
        return self.manifest["files"][MEMBERS]["rows"]


def export_to_dir(engine: Engine, keys: ServerKeys, out_dir: Path, options: Options = Options(),
                  filters: Filters = Filters(), *, actor: str, workers: int = 1,
                  parallel_from: int = PARALLEL_FROM,
                  progress: Callable[[int], bool | None] | None = None) -> ProvinceExport:
    """`workers` > 1: formatted in that many processes when at least `parallel_from`
    households match (starting them costs about a second)."""
    damaged: set[str] = set()
    layout = Layout(options, household_extra=EXTRA_COLUMNS)
    with read_snapshot(engine) as conn:
        if workers > 1 and count(conn, filters) >= parallel_from:
            from sync.server.export_parallel import CHUNK as TASK, write_parallel

            manifest, damaged = write_parallel(out_dir, chunks(conn, filters, TASK), keys, options,
                                               workers, created_by=actor,
                                               filters=filters.as_dict())
        else:
            manifest = write_export(out_dir, opened(keys, rows(conn, filters), damaged), layout,
                                    source=SOURCE, created_by=actor, filters=filters.as_dict(),
                                    progress=progress)
    result = ProvinceExport(manifest, damaged)
    record_export(engine, actor, "cli", filters, options, result.households, result.members,
                  len(damaged))
    return result


def manifest_of(options: Options, files: dict, created_by: str, filters: dict) -> dict:
    """The manifest write_export writes, for the writers here that write the CSV text
    themselves (export_zip, export_parallel)."""
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "schema_version": q.schema_version(), "source": SOURCE,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "created_by": created_by, "filters": filters, "options": options.as_dict(),
        "dialect": dialect(options.excel), "files": files,
    }


def record_export(engine: Engine, actor: str, via: str, filters: Filters, options: Options,
                  households_n: int, members_n: int, damaged: int, completed: bool = True) -> None:
    with engine.begin() as conn:
        audit(conn, actor, "export", {
            "via": via, "households": households_n, "members": members_n, "damaged": damaged,
            "filters": filters.as_dict(), "options": options.as_dict(), "completed": completed,
        })
