"""The province export on several cores, for big exports from the command line.

Opening, decoding and formatting a household costs several times what reading it from the
database does, and one Python process uses one core. Here the main process reads the rows
(one snapshot, a streaming cursor) and hands each chunk the cursor gives to a worker process,
which opens and formats it into CSV bytes; the main process only writes them in order, hashing
them. At most a few chunks are in flight, so memory stays flat. The bytes are the ones
write_export writes (tests/server/test_export.py compares them).

The API never uses this: an HTTP request must not take every core from the ingest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from app.crypto import DecryptError
from app.export.files import BOM, HOUSEHOLDS, MANIFEST, MEMBERS, CsvLines, dialect
from app.export.layout import Layout, Options
from sync.server.export import (
    CONTENT,
    CONTENT_HASH,
    EXTRA_COLUMNS,
    ID,
    KEY_ID,
    REVISION,
    extra_cells,
    manifest_of,
)
from sync.server.keys import ServerKeys

CHUNK = 1000  # households per task, read from the database as such (export.chunks)
IN_FLIGHT = 2  # tasks queued per worker (500-row tasks or 3 queued: slower on 2 cores)

_worker: dict = {}


def _init(secrets: dict, options: Options) -> None:
    _worker["keys"] = ServerKeys(secrets)
    _worker["layout"] = Layout(options, household_extra=EXTRA_COLUMNS)
    d = dialect(options.excel)
    _worker["lines"] = CsvLines(d["delimiter"], d["line_end"])


def _format(chunk: list[tuple]) -> tuple[bytes, bytes, int, int, list[str]]:
    """The CSV bytes of a chunk of rows of export.query(): (households bytes, members bytes,
    their row counts, ids that did not open)."""
    keys, layout, lines = _worker["keys"], _worker["layout"], _worker["lines"]
    h_rows: list[list[str]] = []
    m_rows: list[list[str]] = []
    damaged = []
    for row in chunk:
        try:
            plaintext = keys.open_content(row[KEY_ID], row[ID], row[REVISION],
                                          row[CONTENT_HASH], row[CONTENT])
        except DecryptError:
            damaged.append(row[ID])
            continue
        record = json.loads(plaintext)
        cells = layout.household_cells(record)
        cells += extra_cells(row)
        h_rows.append(cells)
        m_rows.extend(layout.member_rows(record))
    return (lines.text(h_rows).encode("utf-8"), lines.text(m_rows).encode("utf-8"),
            len(h_rows), len(m_rows), damaged)


class _File:
    def __init__(self, path: Path) -> None:
        self.file = open(path, "wb")  # noqa: SIM115 - closed by finish() or close()
        os.chmod(path, 0o600)
        self.sha, self.rows = hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.sha.update(data)
        self.file.write(data)

    def finish(self, columns: int) -> dict:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        return {"rows": self.rows, "sha256": self.sha.hexdigest(), "columns": columns}


def write_parallel(out_dir: Path, chunks: Iterable[list[tuple]], keys: ServerKeys,
                   options: Options, workers: int, *, created_by: str,
                   filters: dict) -> tuple[dict, set[str]]:
    """Like write_export over the rows of `chunks` (export.chunks()); returns (manifest,
    damaged ids)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    layout = Layout(options, household_extra=EXTRA_COLUMNS)
    d = dialect(options.excel)
    parts = {name: out_dir / f".{name}.part" for name in (HOUSEHOLDS, MEMBERS, MANIFEST)}
    damaged: set[str] = set()
    files: list[_File] = []
    # spawn, not fork: the parent may hold database connections and threads.
    context = multiprocessing.get_context("spawn")
    try:
        files = [_File(parts[HOUSEHOLDS]), _File(parts[MEMBERS])]
        for f, header in zip(files, (layout.household_columns, layout.member_columns)):
            text = io.StringIO()
            csv.writer(text, delimiter=d["delimiter"],
                       lineterminator=d["line_end"]).writerow(header)
            f.write(((BOM if d["bom"] else "") + text.getvalue()).encode("utf-8"))
        data_keys = {"data": keys.secrets["data"]}  # the workers need nothing else
        with context.Pool(workers, _init, (data_keys, options)) as pool:
            pending: deque = deque()

            def take_one() -> None:
                h_data, m_data, h_n, m_n, bad = pending.popleft().get()
                files[0].write(h_data)
                files[1].write(m_data)
                files[0].rows += h_n
                files[1].rows += m_n
                damaged.update(bad)

            for chunk in chunks:
                pending.append(pool.apply_async(_format, (chunk,)))
                if len(pending) >= IN_FLIGHT * workers:
                    take_one()
            while pending:
                take_one()
        done = {HOUSEHOLDS: files[0].finish(len(layout.household_columns)),
                MEMBERS: files[1].finish(len(layout.member_columns))}
        files = []
        manifest = manifest_of(options, done, created_by, filters)
        parts[MANIFEST].write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
        os.chmod(parts[MANIFEST], 0o600)
        for name, part in parts.items():  # the manifest last: it vouches for the other two
            os.replace(part, out_dir / name)
        return manifest, damaged
    except BaseException:
        for f in files:
            f.file.close()
        for part in parts.values():
            part.unlink(missing_ok=True)
        raise
