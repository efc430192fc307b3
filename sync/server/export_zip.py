"""The province export as a ZIP stream, for the download endpoint (api/export.py).

Nothing is written to the server's disk and memory stays flat: the archive is written to a pipe
that the HTTP response drains every 256 KiB. ZIP entries are written one after the other, so the
households are read twice inside one read snapshot: once for households.csv, once for
members.csv (opening a household is cheap next to formatting it). The rows, the CSV bytes and
manifest.json (last, with each file's SHA-256) are made by the code that writes them to a
folder (export.Formatter, app/export/files.py): the same bytes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

from sqlalchemy.engine import Engine

from app.export.files import HOUSEHOLDS, MANIFEST, MEMBERS, CsvOut, manifest, manifest_bytes
from app.export.layout import Options
from sync.server import questionnaires
from sync.server.db import read_snapshot
from sync.server.export import SOURCE, Filters, Formatter, chunks, record_export
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

    def close(self) -> None:  # typeshed's file for ZipFile has it; ZipFile never closes ours
        pass

    def take(self) -> bytes:
        data, self.parts, self.size = b"".join(self.parts), [], 0
        return data


def zip_export(
    engine: Engine,
    keys: ServerKeys,
    options: Options,
    filters: Filters,
    *,
    actor: str,
    created_by: str,
    via: str = "api",  # in the audit entry: "api" (the admin endpoint) or "console"
) -> Iterator[bytes]:
    with engine.connect() as conn:
        schemas = questionnaires.published(conn)
    formatter = Formatter(keys, options, schemas)
    layout = formatter.layout
    pipe, files, damaged = _Pipe(), {}, set()
    completed = False
    try:
        with (
            read_snapshot(engine) as conn,
            zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        ):
            for name, columns in (
                (HOUSEHOLDS, layout.household_columns),
                (MEMBERS, layout.member_columns),
            ):
                with archive.open(name, "w", force_zip64=True) as raw:
                    out = CsvOut(raw, columns, options.excel)
                    for chunk in chunks(conn, filters):
                        h_rows, m_rows, bad = formatter.rows(
                            chunk, households=name == HOUSEHOLDS, members=name == MEMBERS
                        )
                        out.write_rows(h_rows if name == HOUSEHOLDS else m_rows)
                        damaged.update(bad)
                        if pipe.size >= FLUSH:
                            yield pipe.take()
                files[name] = out.entry()
            made = manifest(
                options,
                files,
                source=SOURCE,
                created_by=created_by,
                filters=filters.as_dict(),
                versions=sorted(formatter.layout.schemas),
            )
            archive.writestr(MANIFEST, manifest_bytes(made))
        yield pipe.take()
        completed = True
    finally:
        done = files.get(HOUSEHOLDS, {}), files.get(MEMBERS, {})
        record_export(
            engine,
            actor,
            via,
            filters,
            options,
            done[0].get("rows", 0),
            done[1].get("rows", 0),
            len(damaged),
            completed=completed,
        )
