"""Writes an export: households.csv, members.csv and manifest.json, streaming.

Rows go straight to disk while a SHA-256 of each file is kept, so memory does not grow with the
number of households. Files are written under temporary names and renamed together at the end:
a failed or cancelled export leaves no half files behind (docs/export.md).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

from app import questionnaire as q
from app.export.layout import Layout

HOUSEHOLDS, MEMBERS, MANIFEST = "households.csv", "members.csv", "manifest.json"
FORMAT = "khbs-export"
FORMAT_VERSION = 1
BOM = "\ufeff"
PROGRESS_EVERY = 500


class Cancelled(Exception):
    """The caller's progress callback asked to stop."""


class _Sink:
    """A text sink for csv.writer that encodes, hashes and writes through."""

    def __init__(self, path: Path):
        self.path = path
        # Created 0600 at once: chmod after open would leave a moment for others to open it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a leftover part file keeps its old mode otherwise
        self.file = open(fd, "wb", buffering=1 << 20)  # noqa: SIM115 - closed by finish()
        self.sha = hashlib.sha256()
        self.rows = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.sha.update(data)
        self.file.write(data)

    def finish(self) -> dict:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        return {"rows": self.rows, "sha256": self.sha.hexdigest()}


class CsvLines:
    """The text csv.writer writes (QUOTE_MINIMAL) for rows of str, several times faster: a row
    with no cell to quote (no separator, quote, CR or LF in any cell) is joined as it is; any
    other row goes through csv.writer itself."""

    def __init__(self, delimiter: str, line_end: str) -> None:
        self.delimiter, self.line_end = delimiter, line_end
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, delimiter=delimiter, lineterminator=line_end)

    def text(self, rows: Iterable[list]) -> str:
        d, end, out = self.delimiter, self.line_end, []
        for row in rows:
            try:
                line = d.join(row)
            except TypeError:  # a cell that is not text: csv.writer's own str()
                line = None
            if line is None or line.count(d) != len(row) - 1 or '"' in line or "\n" in line \
                    or "\r" in line or (len(row) == 1 and not line):  # [""] is written '""'
                self._buffer.seek(0)
                self._buffer.truncate()
                self._writer.writerow(row)
                out.append(self._buffer.getvalue())
            else:
                out.append(line + end)
        return "".join(out)


def dialect(excel: bool) -> dict:
    return {"delimiter": ";" if excel else ",", "bom": excel, "decimal": "," if excel else ".",
            "line_end": "\r\n", "encoding": "utf-8"}


def write_export(
    out_dir: Path,
    households: Iterable[tuple[dict, dict]],
    layout: Layout,
    *,
    source: str,
    created_by: str,
    filters: dict,
    progress: Callable[[int], bool | None] | None = None,
    now: datetime | None = None,
) -> dict:
    """Writes (record, extra columns) pairs; returns the manifest. `progress(n)` is called every
    few hundred households; returning False cancels (raises Cancelled, nothing is left)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    d = dialect(layout.options.excel)
    parts = {name: out_dir / f".{name}.part" for name in (HOUSEHOLDS, MEMBERS, MANIFEST)}
    sinks: list[_Sink] = []
    try:
        h_sink, m_sink = _Sink(parts[HOUSEHOLDS]), _Sink(parts[MEMBERS])
        sinks = [h_sink, m_sink]
        writers = []
        for sink, header in ((h_sink, layout.household_columns), (m_sink, layout.member_columns)):
            if d["bom"]:
                sink.write(BOM)
            w = csv.writer(sink, delimiter=d["delimiter"], lineterminator=d["line_end"])
            w.writerow(header)
            writers.append(w)
        h_writer, m_writer = writers
        for record, extra in households:
            h_writer.writerow(layout.household_row(record, extra))
            h_sink.rows += 1
            for row in layout.member_rows(record):
                m_writer.writerow(row)
                m_sink.rows += 1
            if progress and h_sink.rows % PROGRESS_EVERY == 0 and progress(h_sink.rows) is False:
                raise Cancelled()
        files = {HOUSEHOLDS: h_sink.finish(), MEMBERS: m_sink.finish()}
        sinks = []
        files[HOUSEHOLDS]["columns"] = len(layout.household_columns)
        files[MEMBERS]["columns"] = len(layout.member_columns)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_version": q.schema_version(),
            "source": source,
            "created_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
            "created_by": created_by,
            "filters": filters,
            "options": layout.options.as_dict(),
            "dialect": d,
            "files": files,
        }
        manifest_sink = _Sink(parts[MANIFEST])  # 0600 from the start, like the CSV files
        manifest_sink.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        manifest_sink.finish()
        for name, part in parts.items():  # the manifest last: it vouches for the other two
            os.replace(part, out_dir / name)
        if progress:
            progress(h_sink.rows)
        return manifest
    except BaseException:
        for sink in sinks:
            sink.file.close()
        for part in parts.values():
            part.unlink(missing_ok=True)
        raise
