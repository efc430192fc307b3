"""The one writer of an export: households.csv, members.csv and manifest.json, for the laptop
(laptop.py), the province (sync/server/export.py, also in worker processes) and the province's
ZIP download (sync/server/export_zip.py); the bytes are the same whichever writes them.

- CsvLines: rows as text in the export's dialect (`,` or, in Excel mode, `;`; CRLF), and as
  Blocks of UTF-8 bytes, which may be made in another process;
- CsvOut: one CSV file: the header (after a BOM in Excel mode), then encoded rows, with the
  row count and the SHA-256 of every byte written;
- manifest() and manifest_bytes(): manifest.json;
- write_export: the folder. The files are created readable by their owner only and written
  under temporary names, a block of households at a time, so memory does not grow with the
  number of households; they are renamed together at the end, the manifest last: a failed or
  cancelled export leaves no half files behind (docs/export.md).
The cells themselves (formula neutralising, decimal comma, labels) come from layout.py.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, BinaryIO, NamedTuple

from app import questionnaire as q
from app.export.layout import Layout, Options

HOUSEHOLDS, MEMBERS, MANIFEST = "households.csv", "members.csv", "manifest.json"
FORMAT = "khbs-export"
FORMAT_VERSION = 1
BOM = "\ufeff"
ENCODING = "utf-8"
PROGRESS_EVERY = 250  # households per block, and between two calls of `progress`


class Cancelled(Exception):
    """The caller's progress callback asked to stop."""


def open_private(path: Path) -> BinaryIO:
    """A file for personal data, created readable by its owner only: chmod after open would
    leave a moment for others to open it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    if hasattr(os, "fchmod"):  # POSIX; Windows files have no mode bits to widen
        os.fchmod(fd, 0o600)  # a leftover part file keeps its old mode otherwise
    return open(fd, "wb", buffering=1 << 20)  # noqa: SIM115 - the caller closes it


class Block(NamedTuple):
    """Some households as CSV bytes, ready to be written (CsvLines.block)."""

    households: bytes
    members: bytes
    household_rows: int
    member_rows: int


class CsvLines:
    """The text csv.writer writes (QUOTE_MINIMAL) for rows of str, several times faster: a row
    with no cell to quote (no separator, quote, CR or LF in any cell) is joined as it is; any
    other row goes through csv.writer itself."""

    def __init__(self, delimiter: str, line_end: str) -> None:
        self.delimiter, self.line_end = delimiter, line_end
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, delimiter=delimiter, lineterminator=line_end)

    @classmethod
    def of(cls, excel: bool) -> CsvLines:
        d = dialect(excel)
        return cls(d["delimiter"], d["line_end"])

    def text(self, rows: Iterable[list]) -> str:
        d, end, out = self.delimiter, self.line_end, []
        for row in rows:
            try:
                line = d.join(row)
            except TypeError:  # a cell that is not text: csv.writer's own str()
                line = None
            if (
                line is None
                or line.count(d) != len(row) - 1
                or '"' in line
                or "\n" in line
                or "\r" in line
                or (len(row) == 1 and not line)
            ):  # [""] is written '""'
                self._buffer.seek(0)
                self._buffer.truncate()
                self._writer.writerow(row)
                out.append(self._buffer.getvalue())
            else:
                out.append(line + end)
        return "".join(out)

    def encode(self, rows: Iterable[list]) -> bytes:
        return self.text(rows).encode(ENCODING)

    def block(self, household_rows: list[list], member_rows: list[list]) -> Block:
        return Block(
            self.encode(household_rows),
            self.encode(member_rows),
            len(household_rows),
            len(member_rows),
        )


def dialect(excel: bool) -> dict:
    return {
        "delimiter": ";" if excel else ",",
        "bom": excel,
        "decimal": "," if excel else ".",
        "line_end": "\r\n",
        "encoding": ENCODING,
    }


class CsvOut:
    """One CSV file of an export, written into `raw` (a file, a ZIP entry): the header, then
    rows encoded by CsvLines; every byte goes into the SHA-256 of the manifest."""

    def __init__(self, raw: IO[bytes], columns: list[str], excel: bool) -> None:
        self.raw, self.columns = raw, len(columns)
        self.sha, self.rows = hashlib.sha256(), 0
        self.lines = CsvLines.of(excel)
        bom = BOM if dialect(excel)["bom"] else ""
        self.write(bom.encode(ENCODING) + self.lines.encode([columns]))

    def write(self, data: bytes, rows: int = 0) -> None:
        """`data`: `rows` rows as CsvLines of this dialect encodes them."""
        self.sha.update(data)
        self.raw.write(data)
        self.rows += rows

    def write_rows(self, rows: list[list]) -> None:
        self.write(self.lines.encode(rows), len(rows))

    def entry(self) -> dict:
        """The file's entry in the manifest."""
        return {"rows": self.rows, "sha256": self.sha.hexdigest(), "columns": self.columns}


def manifest(
    options: Options,
    files: dict,
    *,
    source: str,
    created_by: str,
    filters: dict,
    now: datetime | None = None,
    versions: list[int] | None = None,
) -> dict:
    """manifest.json: `files` maps each file's name to its CsvOut.entry(); `versions`, the
    questionnaire versions whose columns the files have (default: every version on hand)."""
    layout_versions = versions or q.versions()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": max(layout_versions),
        "schema_versions": sorted(layout_versions),
        "source": source,
        "created_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "created_by": created_by,
        "filters": filters,
        "options": options.as_dict(),
        "dialect": dialect(options.excel),
        "files": files,
    }


def manifest_bytes(made: dict) -> bytes:
    return (json.dumps(made, indent=2, ensure_ascii=False) + "\n").encode(ENCODING)


def blocks(layout: Layout, households: Iterable[tuple[dict, dict]]) -> Iterator[Block]:
    """(record, extra columns) pairs as Blocks of PROGRESS_EVERY households."""
    lines = CsvLines.of(layout.options.excel)
    h_rows: list[list[str]] = []
    m_rows: list[list[str]] = []
    for record, extra in households:
        h_rows.append(layout.household_row(record, extra))
        m_rows.extend(layout.member_rows(record))
        if len(h_rows) >= PROGRESS_EVERY:
            yield lines.block(h_rows, m_rows)
            h_rows, m_rows = [], []
    if h_rows:
        yield lines.block(h_rows, m_rows)


def write_export(
    out_dir: Path,
    done: Iterable[Block],
    layout: Layout,
    *,
    source: str,
    created_by: str,
    filters: dict,
    progress: Callable[[int], bool | None] | None = None,
    now: datetime | None = None,
) -> dict:
    """Writes the Blocks of `done` (blocks() above, or the province's); returns the manifest.
    `progress(n)` is called after each block; returning False cancels (raises Cancelled,
    nothing is left)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    parts = {name: out_dir / f".{name}.part" for name in (HOUSEHOLDS, MEMBERS, MANIFEST)}
    files: list[BinaryIO] = []
    try:
        for name in (HOUSEHOLDS, MEMBERS):
            files.append(open_private(parts[name]))
        excel = layout.options.excel
        h_out = CsvOut(files[0], layout.household_columns, excel)
        m_out = CsvOut(files[1], layout.member_columns, excel)
        for block in done:
            h_out.write(block.households, block.household_rows)
            m_out.write(block.members, block.member_rows)
            if progress and progress(h_out.rows) is False:
                raise Cancelled()
        made = manifest(
            layout.options,
            {HOUSEHOLDS: h_out.entry(), MEMBERS: m_out.entry()},
            source=source,
            created_by=created_by,
            filters=filters,
            now=now,
            versions=sorted(layout.schemas),
        )
        files.append(open_private(parts[MANIFEST]))
        files[2].write(manifest_bytes(made))
        while files:
            f = files.pop()
            try:
                f.flush()
                os.fsync(f.fileno())
            finally:
                f.close()
        for name, part in parts.items():  # the manifest last: it vouches for the other two
            os.replace(part, out_dir / name)
    except BaseException:
        for f in files:
            with contextlib.suppress(OSError):  # a full disk: the buffer cannot be written
                f.close()
        for part in parts.values():
            part.unlink(missing_ok=True)
        raise
    if progress:
        progress(h_out.rows)
    return made
