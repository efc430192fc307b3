"""Reading CSV files made by people and spreadsheets: an export edited in Excel (`khbs import
DIR`) and the province's DTSEN list (`khbs-server assignments import`).

`records()` yields each record with the line it starts on, and turns every way such a file can
fail to parse (bytes that are not UTF-8, a cell past the csv module's size limit, a quote never
closed) into one CsvUnreadable naming the line and, where it can tell, the column. Never a
value from the file: the message may be shown and logged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_CELL = csv.field_size_limit()  # the csv module's limit (131,072 characters): kept, not raised
_UNDECODED = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of bytes not UTF-8


class CsvUnreadable(Exception):
    """`reason`: "not_utf8", "too_long" (a cell past MAX_CELL, or a quote never closed) or
    "malformed". `row` counts records (the header is 1, as a spreadsheet shows them), `line`
    counts lines of the file; they differ only after a cell holding a line break. `column` is
    the header name of the cell at fault, or "" when it cannot be told."""

    def __init__(self, reason: str, row: int, line: int, column: str = ""):
        super().__init__(f"{reason} at line {line} {column}".strip())
        self.reason, self.row, self.line, self.column = reason, row, line, column


@dataclass
class Record:
    row: int  # 1 for the header
    line: int  # the line of the file it starts on
    cells: list[str]


def delimiter_of(first_line: str) -> str:
    """ ";" (Excel with Indonesian settings) or ",": whichever the header row holds more of."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


def records(path: Path) -> Iterator[Record]:
    """The records of a CSV file, header first; a BOM is dropped. Raises CsvUnreadable (and
    OSError when the file cannot be opened or read at all)."""
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        first = f.readline()
        f.seek(0)
        delimiter = delimiter_of(first)
        lines = _Lines(f)
        reader = csv.reader(lines, delimiter=delimiter)
        header: list[str] = []
        row = 0
        while True:
            start = lines.count + 1
            lines.raw.clear()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                raw = "".join(lines.raw)
                index = _long_cell(raw, delimiter)
                reason = "too_long" if index is not None else "malformed"
                name = header[index] if index is not None and index < len(header) else ""
                raise CsvUnreadable(reason, row + 1, start, name.strip()) from None
            except _NotUtf8 as exc:
                raise CsvUnreadable("not_utf8", row + 1, exc.line) from None
            row += 1
            if row == 1:
                header = cells
            yield Record(row, start, cells)


class _NotUtf8(Exception):
    def __init__(self, line: int):
        self.line = line


class _Lines:
    """The file's lines for csv.reader, counted and kept until the record they belong to is
    read (to find the column of a cell the reader refused)."""

    def __init__(self, f):
        self.f, self.count, self.raw = f, 0, []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self.f)
        self.count += 1
        if _UNDECODED.search(line):
            raise _NotUtf8(self.count)
        self.raw.append(line)
        return line


def _long_cell(raw: str, delimiter: str) -> int | None:
    """The index of the first cell of a record's raw text longer than MAX_CELL (quotes
    respected, as the csv module reads them), or None when no cell is."""
    index, start, quoted = 0, 0, False
    for m in re.finditer('["' + re.escape(delimiter) + "]", raw):
        if m.group() == '"':
            quoted = not quoted  # a doubled quote inside a quoted cell flips twice
        elif not quoted:
            if m.start() - start > MAX_CELL:
                return index
            index, start = index + 1, m.end()
    return index if len(raw.rstrip("\r\n")) - start > MAX_CELL else None
