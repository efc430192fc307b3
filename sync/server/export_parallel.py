"""The province export on several cores, for big exports from the command line.

Opening, decoding and formatting a household costs several times what reading it from the
database does, and one Python process uses one core. Here the main process reads the rows
(one snapshot, a streaming cursor) and hands chunks of them to worker processes, which open
and format them into CSV text; the main process writes the text in order, hashing it. At most
a few chunks are in flight, so memory stays flat. The bytes are the ones write_export writes.

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
from app.export.files import BOM, HOUSEHOLDS, MANIFEST, MEMBERS, dialect
from app.export.layout import Layout, Options
from sync.server.export import EXTRA_COLUMNS, extra_of, manifest_of
from sync.server.keys import ServerKeys

CHUNK = 500  # households per task
IN_FLIGHT = 3  # tasks queued per worker

_worker: dict = {}


def _init(secrets: dict, options: Options) -> None:
    _worker["keys"] = ServerKeys(secrets)
    _worker["layout"] = Layout(options, household_extra=EXTRA_COLUMNS)
    _worker["dialect"] = dialect(options.excel)


class _Row:
    """A plain row from the main process, with the attribute names of a database row."""

    FIELDS = ("id", "revision", "content_hash", "key_id", "content", "officer_id", "status",
              "status_reason", "card_number", "conflict", "received_at", "updated_at",
              "status_at")
    __slots__ = FIELDS

    def __init__(self, values: tuple) -> None:
        for name, value in zip(self.FIELDS, values):
            setattr(self, name, value)


def _format(chunk: list[tuple]) -> tuple[str, str, int, int, list[str]]:
    """CSV text of a chunk of households: (households text, members text, counts, damaged)."""
    keys, layout, d = _worker["keys"], _worker["layout"], _worker["dialect"]
    h_out, m_out = io.StringIO(), io.StringIO()
    h_writer = csv.writer(h_out, delimiter=d["delimiter"], lineterminator=d["line_end"])
    m_writer = csv.writer(m_out, delimiter=d["delimiter"], lineterminator=d["line_end"])
    households = members = 0
    damaged = []
    for values in chunk:
        row = _Row(values)
        try:
            plaintext = keys.open_content(row.key_id, row.id, row.revision, row.content_hash,
                                          row.content)
        except DecryptError:
            damaged.append(row.id)
            continue
        record = json.loads(plaintext)
        h_writer.writerow(layout.household_row(record, extra_of(row)))
        households += 1
        for member in layout.member_rows(record):
            m_writer.writerow(member)
            members += 1
    return h_out.getvalue(), m_out.getvalue(), households, members, damaged


class _File:
    def __init__(self, path: Path) -> None:
        self.file = open(path, "wb")  # noqa: SIM115 - closed by finish() or close()
        os.chmod(path, 0o600)
        self.sha, self.rows = hashlib.sha256(), 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.sha.update(data)
        self.file.write(data)

    def finish(self, columns: int) -> dict:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        return {"rows": self.rows, "sha256": self.sha.hexdigest(), "columns": columns}


def _chunks(rows: Iterable) -> Iterable[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append((row.id, row.revision, bytes(row.content_hash), row.key_id,
                      bytes(row.content), *row[5:]))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_parallel(out_dir: Path, rows: Iterable, keys: ServerKeys, options: Options,
                   workers: int, *, created_by: str, filters: dict) -> tuple[dict, set[str]]:
    """Like write_export over `rows` (export.rows()); returns (manifest, damaged ids)."""
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
            f.write((BOM if d["bom"] else "") + text.getvalue())
        data_keys = {"data": keys.secrets["data"]}  # the workers need nothing else
        with context.Pool(workers, _init, (data_keys, options)) as pool:
            pending: deque = deque()

            def take_one() -> None:
                h_text, m_text, h_n, m_n, bad = pending.popleft().get()
                files[0].write(h_text)
                files[1].write(m_text)
                files[0].rows += h_n
                files[1].rows += m_n
                damaged.update(bad)

            for chunk in _chunks(rows):
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
