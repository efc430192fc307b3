"""The province's export: every household's current revision, opened and written as the CSV
pair of app/export (households.csv, members.csv, manifest.json; docs/province-export.md).

Rows are read inside one read snapshot (db.read_snapshot: consistent, writers carry on) through a
streaming cursor, a chunk at a time, so memory stays flat whatever the row count. Filters use
the plaintext columns only, so only the households asked for are opened. A Formatter turns a
chunk into CSV rows, here or in worker processes (export_parallel.py), and app/export/files.py
writes them, as it does the laptop's; the ZIP download (export_zip.py) uses both too. Each
export is written to the audit log with its counts, filters and options, never with what it
holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, DateTime, and_, func, or_, select, type_coerce
from sqlalchemy.engine import Engine

from app import questionnaire as q
from app.crypto import DecryptError
from app.export.attachments import Listed, write_attachments
from app.export.files import HOUSEHOLDS, MEMBERS, Block, CsvLines, write_export
from app.export.layout import Layout, Options, neutralise
from sync.server import ServerError, questionnaires, repo
from sync.server.admins import audit
from sync.server.attachments import Storage, StoredAttachment
from sync.server.attachments import listed as stored_attachments
from sync.server.attachments import read as read_attachment
from sync.server.db import household_versions, households, read_snapshot
from sync.server.export_parallel import in_processes
from sync.server.keys import ServerKeys
from sync.server.scope import Scope

# Rows fetched at a time from the cursor and formatted together: in one process, a few hundred
# (a thousand rows and their CSV: ~12 MB more at the peak); a task of a worker process, a
# thousand (500 was ~10% slower on two cores).
CHUNK = 250
TASK = 1000
PARALLEL_FROM = 50_000  # households; for fewer, starting the processes costs more than it saves
SOURCE = "province"
# The province's own columns, after the questionnaire's (status there is the laptop's draft/final).
EXTRA_COLUMNS = (
    "officer_id",
    "revision",
    "province_status",
    "province_reason",
    "card_number",
    "conflict",
    "received_at",
    "updated_at",
    "status_at",
)


class BadExportFilter(ServerError):
    key = "server.export_filter"


@dataclass(frozen=True)
class Filters:
    regency: str | None = None  # "62.71", as asked (the scope below already holds it)
    since: datetime | None = None  # updated_at or status_at at or after
    status: str | None = None
    # What is exported at most, applied in the query: the user's scope, narrowed to `regency`.
    scope: Scope = field(default_factory=Scope.province)

    def as_dict(self) -> dict:
        out: dict[str, object] = {
            "regency": self.regency,
            "status": self.status,
            "since": self.since.isoformat(timespec="seconds") if self.since else None,
        }
        out = {k: v for k, v in out.items() if v}
        if not self.scope.is_province and list(self.scope.areas) != [self.regency]:
            # A console user's export says what it covered ([]: nothing, asked outside it).
            out["scope"] = list(self.scope.areas)
        return out


def parse_filters(
    regency: str | None = None,
    since: str | None = None,
    status: str | None = None,
    scope: Scope | None = None,
) -> Filters:
    """Filters from user text; BadExportFilter (or UnknownArea ...) names the bad one. `scope`:
    the user's (default: the province); a regency outside it exports nothing."""
    code = None
    scope = scope or Scope.province()
    if regency:
        code = repo.canonical_area(regency)
        if code.count(".") != 1:
            raise BadExportFilter(name="--regency", value=code)
        scope = scope.narrow(code)
    moment = None
    if since:
        moment = parse_moment(since.strip())
    if status and status not in repo.STATUSES:
        raise BadExportFilter(name="--status", value=status[:20])
    return Filters(code, moment, status or None, scope)


def parse_moment(text: str, name: str = "--since") -> datetime:
    """A date (midnight UTC) or an ISO 8601 time (UTC when it has no offset); BadExportFilter
    names the option `name` otherwise."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        moment = datetime.fromisoformat(text)
        # In UTC here: 0001-01-01T00:00+14:00 is before year 1 there, and fails now, not in SQL.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else (moment.astimezone(UTC))
    except (ValueError, OverflowError):
        raise BadExportFilter(name=name, value=text[:32]) from None


# -- rows ---------------------------------------------------------------------------------------


def query(filters: Filters):
    """The current revision of each household (its content row) in id order."""
    h, v = households, household_versions
    joined = h.join(
        v,
        and_(
            v.c.household_id == h.c.id,
            v.c.revision == h.c.revision,
            v.c.content_hash == h.c.content_hash,
        ),
    )
    # Times as the driver gives them: _iso() makes them UTC once, as text (the TypeDecorator
    # would build an aware datetime per cell first, a sixth of the reading time).
    times = [
        type_coerce(c, DateTime()).label(c.name)
        for c in (h.c.received_at, h.c.updated_at, h.c.status_at)
    ]
    stmt = select(
        h.c.id,
        h.c.revision,
        h.c.content_hash,
        v.c.key_id,
        v.c.content,
        h.c.officer_id,
        h.c.status,
        h.c.status_reason,
        h.c.card_number,
        h.c.conflict,
        *times,
    ).select_from(joined)
    stmt = stmt.where(filters.scope.where(h.c.kode_desa))  # never filtered after reading
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
    assert driver is not None  # the connection is open: its psycopg connection is there
    with driver.cursor(name="khbs_export", binary=True) as cursor:
        cursor.itersize = size
        cursor.execute(str(compiled), params)
        while part := cursor.fetchmany(size):
            yield part


_UTC_ZONES: set = {UTC}  # and the session's UTC zone from psycopg, once seen


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
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def extra_cells(row: tuple) -> list[str]:
    """The EXTRA_COLUMNS' cells of a row of query(), as Layout.household_row makes them."""
    officer, status, reason, card, conflict = row[FIRST_EXTRA:TIMES]
    cells = [
        neutralise(officer or ""),
        neutralise(str(row[REVISION])),
        neutralise(status or ""),
        neutralise(reason or ""),
        neutralise(card or ""),
        "1" if conflict else "0",
    ]
    for moment in row[TIMES:]:
        cells.append(_iso(moment) or "")
    return cells


class Formatter:
    """Chunks of rows of query() as CSV rows: each household opened with the data key, the
    layout's cells, then the province's columns. A row whose content does not open is left out
    and its id noted (it is reported and audited as a count)."""

    def __init__(
        self, keys: ServerKeys, options: Options, schemas: dict[int, dict] | None = None
    ) -> None:
        """`schemas`: the questionnaire versions whose columns are written (the province's
        exports: every published one, questionnaires.published)."""
        self.keys = keys
        self.layout = Layout(
            options, household_extra=EXTRA_COLUMNS, schemas=schemas or q.all_schemas()
        )
        self.lines = CsvLines.of(options.excel)

    def rows(
        self, chunk: list[tuple], households: bool = True, members: bool = True
    ) -> tuple[list[list[str]], list[list[str]], list[str]]:
        """(household rows, member rows, ids that did not open)."""
        keys, layout = self.keys, self.layout
        h_rows: list[list[str]] = []
        m_rows: list[list[str]] = []
        damaged = []
        for row in chunk:
            try:
                plaintext = keys.open_content(
                    row[KEY_ID], row[ID], row[REVISION], row[CONTENT_HASH], row[CONTENT]
                )
            except DecryptError:
                damaged.append(row[ID])
                continue
            record = json.loads(plaintext)
            if households:
                cells = layout.household_cells(record)
                cells += extra_cells(row)
                h_rows.append(cells)
            if members:
                m_rows.extend(layout.member_rows(record))
        return h_rows, m_rows, damaged

    def __call__(self, chunk: list[tuple]) -> tuple[Block, list[str]]:
        h_rows, m_rows, damaged = self.rows(chunk)
        return self.lines.block(h_rows, m_rows), damaged


def worker_formatter(data_keys: dict, options: Options, schemas: dict[int, dict]) -> Formatter:
    """The Formatter of a worker process, which is given the data keys only."""
    return Formatter(ServerKeys({"data": data_keys}), options, schemas)


# -- the export ---------------------------------------------------------------------------------


@dataclass
class ProvinceExport:
    manifest: dict
    damaged: set[str] = field(default_factory=set)
    attachments: int = 0  # listed in attachments.csv
    attachment_files: int = 0  # written into attachments/ (--attachments)

    @property
    def households(self) -> int:
        return self.manifest["files"][HOUSEHOLDS]["rows"]

    @property
    def members(self) -> int:
        return self.manifest["files"][MEMBERS]["rows"]


def export_to_dir(
    engine: Engine,
    keys: ServerKeys,
    out_dir: Path,
    options: Options = Options(),
    filters: Filters = Filters(),
    *,
    actor: str,
    workers: int = 1,
    parallel_from: int = PARALLEL_FROM,
    progress: Callable[[int], bool | None] | None = None,
    attachment_files: Storage | None = None,
) -> ProvinceExport:
    """`workers` > 1: formatted in that many processes when at least `parallel_from`
    households match (starting them costs about a second). attachments.csv lists the photos
    and signatures of the exported households; with `attachment_files` (their storage) the
    files are written beside it (`khbs-server export --attachments`, docs/evidence.md)."""
    damaged: set[str] = set()
    with engine.connect() as conn:
        schemas = questionnaires.published(conn)
    formatter = Formatter(keys, options, schemas)

    def noted(done: Iterable[tuple[Block, list[str]]]) -> Iterator[Block]:
        for block, bad in done:
            damaged.update(bad)
            yield block

    with read_snapshot(engine) as conn:
        if workers > 1 and count(conn, filters) >= parallel_from:
            done = in_processes(
                chunks(conn, filters, TASK),
                workers,
                worker_formatter,
                (keys.secrets["data"], options, schemas),
            )
        else:
            done = (formatter(chunk) for chunk in chunks(conn, filters))
        with closing(done):  # stops the worker processes if the writing fails
            manifest = write_export(
                out_dir,
                noted(done),
                formatter.layout,
                source=SOURCE,
                created_by=actor,
                filters=filters.as_dict(),
                progress=progress,
            )
        stored = _attachments(conn, filters)
        listing = write_attachments(
            out_dir,
            [Listed(a.household_id, a.id, a.kind, a.sha256, a.size) for a in stored.values()],
            excel=options.excel,
            read=None if attachment_files is None else _reader(keys, attachment_files, stored),
        )
    result = ProvinceExport(manifest, damaged, listing["rows"], listing["files"])
    record_export(
        engine, actor, "cli", filters, options, result.households, result.members, len(damaged)
    )
    return result


def _attachments(conn: Connection, filters: Filters) -> dict[str, StoredAttachment]:
    """The attachments of the households the filters export (same query, same scope)."""
    ids = select(query(filters).subquery().c.id)
    return {a.id: a for a in stored_attachments(conn, ids)}


def _reader(keys: ServerKeys, storage: Storage, found: dict[str, StoredAttachment]):
    def read(item: Listed) -> bytes:
        return read_attachment(keys, storage, found[item.attachment_id])[1]

    return read


def record_export(
    engine: Engine,
    actor: str,
    via: str,
    filters: Filters,
    options: Options,
    households_n: int,
    members_n: int,
    damaged: int,
    completed: bool = True,
) -> None:
    with engine.begin() as conn:
        audit(
            conn,
            actor,
            "export",
            {
                "via": via,
                "households": households_n,
                "members": members_n,
                "damaged": damaged,
                "filters": filters.as_dict(),
                "options": options.as_dict(),
                "completed": completed,
            },
        )
