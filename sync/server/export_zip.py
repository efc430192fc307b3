"""The province export as a ZIP stream, for the download endpoint (api/export.py).

Nothing is written to the server's disk and memory stays flat: the archive is written to a pipe
that the HTTP response drains every 256 KiB. ZIP entries are written one after the other, so the
households are read twice inside one read snapshot: once for households.csv, once for
members.csv (opening a household is cheap next to formatting it). manifest.json, with each
file's SHA-256, comes last, exactly as write_export would write it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from collections.abc import Iterator
from sqlalchemy.engine import Engine

from app.export.files import BOM, HOUSEHOLDS, MANIFEST, MEMBERS, dialect
from app.export.layout import Layout, Options
from sync.server.db import read_snapshot
from sync.server.export import EXTRA_COLUMNS, Filters, manifest_of, opened, record_export, rows
from sync.server.keys import ServerKeys

FLUSH = 256 * 1024


class _Pipe:
    """A write-only, non-seekable file for ZipFile; `take()` empties it."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts, self.size = b"".join(self.parts), [], 0
        return data


class _Entry:
    """A text sink for csv.writer: encodes, hashes and writes into one ZIP entry, a block of
    rows at a time (per row, the encoding and hashing would cost more than the row)."""

    def __init__(self, raw) -> None:
        self.raw, self.sha, self.rows, self.pending = raw, hashlib.sha256(), 0, []

    def write(self, text: str) -> None:
        self.pending.append(text)
        if len(self.pending) >= 256:
            self.flush()

    def flush(self) -> None:
        data = "".join(self.pending).encode("utf-8")
        self.pending.clear()
        self.sha.update(data)
        self.raw.write(data)


def zip_export(engine: Engine, keys: ServerKeys, options: Options, filters: Filters, *,
               actor: str, created_by: str) -> Iterator[bytes]:
    layout = Layout(options, household_extra=EXTRA_COLUMNS)
    d = dialect(options.excel)
    pipe, files, damaged = _Pipe(), {}, set()
    completed = False
    try:
        with read_snapshot(engine) as conn, \
                zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, header in ((HOUSEHOLDS, layout.household_columns),
                                 (MEMBERS, layout.member_columns)):
                with archive.open(name, "w", force_zip64=True) as raw:
                    entry = _Entry(raw)
                    writer = csv.writer(entry, delimiter=d["delimiter"],
                                        lineterminator=d["line_end"])
                    if d["bom"]:
                        entry.write(BOM)
                    writer.writerow(header)
                    for record, extra in opened(keys, rows(conn, filters), damaged):
                        if name == HOUSEHOLDS:
                            writer.writerow(layout.household_row(record, extra))
                            entry.rows += 1
                        else:
                            for row in layout.member_rows(record):
                                writer.writerow(row)
                                entry.rows += 1
                        if pipe.size >= FLUSH:
                            yield pipe.take()
                    entry.flush()
                files[name] = {"rows": entry.rows, "sha256": entry.sha.hexdigest(),
                               "columns": len(header)}
            manifest = manifest_of(options, files, created_by, filters.as_dict())
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        yield pipe.take()
        completed = True
    finally:
        done = files.get(HOUSEHOLDS, {}), files.get(MEMBERS, {})
        record_export(engine, actor, "api", filters, options, done[0].get("rows", 0),
                      done[1].get("rows", 0), len(damaged), completed=completed)
