"""Reads an export back into household records (`khbs import DIR`), the inverse of layout.py.

Label columns and the exporting side's own columns are ignored; an empty cell is an unanswered
question. The whole pair is read and checked before anything is stored (app/households.py).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app import questionnaire as q
from app.export.files import HOUSEHOLDS, MANIFEST, MEMBERS
from app.export.layout import (
    HOUSEHOLD_ID,
    MULTI_SEP,
    POSITION,
    Layout,
    Options,
    Question,
    restore,
)


class ExportUnreadable(Exception):
    """The files cannot be imported at all (key into resources/messages.json, safe params)."""

    def __init__(self, key: str, **params: object):
        self.key, self.params = key, params
        super().__init__(key)


@dataclass
class CellError:
    file: str
    line: int
    column: str
    key: str  # message key in resources/messages.json


@dataclass
class ReadResult:
    records: list[tuple[int, dict]] = field(default_factory=list)  # (households.csv line, record)
    errors: list[CellError] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)  # households.csv lines not to import


def is_export_dir(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / HOUSEHOLDS).exists()


def read_export(folder: Path) -> ReadResult:
    folder = Path(folder)
    manifest = _manifest(folder)
    options = manifest.get("options") or {}
    if options.get("mask_ids"):
        raise ExportUnreadable("import.csv_masked")
    for name in (HOUSEHOLDS, MEMBERS):
        if not (folder / name).exists():
            raise ExportUnreadable("import.csv_missing", file=name)
        expected = ((manifest.get("files") or {}).get(name) or {}).get("sha256")
        if expected and _sha256(folder / name) != expected:
            raise ExportUnreadable("import.csv_changed", file=name)
    layout = Layout(Options())
    result = ReadResult()
    members = _members(folder / MEMBERS, layout, result.errors)
    h_questions = {x.name: x for x in layout.household_questions}
    bad_members = {hid for hid, rows in members.items() if any(ok is False for *_, ok in rows)}
    for line, row in _rows(folder / HOUSEHOLDS, result.errors):
        hid = row.get(HOUSEHOLD_ID, "")
        record: dict = {"id": hid}
        if not _fill(record, row, h_questions, HOUSEHOLDS, line, result.errors) \
                or hid in bad_members:
            result.bad_lines.add(line)
        record[q.MEMBERS] = [m for _, m, *_ in sorted(members.pop(hid, []), key=lambda p: p[0])]
        result.records.append((line, q.canonical(record)))
    for rows in members.values():  # members whose household is not in households.csv
        result.errors.append(CellError(MEMBERS, rows[0][2], HOUSEHOLD_ID, "import.csv_orphan_member"))
    return result


def _manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.exists():
        return {}  # a pair made elsewhere: read with the plain dialect
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        raise ExportUnreadable("import.csv_manifest") from None
    return data if isinstance(data, dict) else {}


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _rows(path: Path, errors: list[CellError]) -> Iterator[tuple[int, dict]]:
    """(line number, {column: cell}) of each data row; ";" or "," and a BOM are recognised."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            first = f.readline()
            delimiter = ";" if first.count(";") > first.count(",") else ","
            f.seek(0)
            if f.read(1) != "\ufeff":
                f.seek(0)
            reader = csv.reader(f, delimiter=delimiter)
            header = next(reader, [])
            if HOUSEHOLD_ID not in header:
                raise ExportUnreadable("import.csv_no_id", file=path.name)
            for row in reader:
                if not any(row):
                    continue
                if len(row) != len(header):
                    errors.append(CellError(path.name, reader.line_num, "", "import.csv_width"))
                    continue
                yield reader.line_num, dict(zip(header, row))
    except UnicodeDecodeError:
        raise ExportUnreadable("import.csv_not_utf8", file=path.name) from None


def _members(path: Path, layout: Layout, errors: list[CellError]) -> dict[str, list]:
    questions = {x.name: x for x in layout.member_questions}
    out: dict[str, list[tuple[int, dict]]] = {}
    for line, row in _rows(path, errors):
        try:
            position = int(row.get(POSITION, ""))
        except ValueError:
            errors.append(CellError(MEMBERS, line, POSITION, "import.csv_bad_value"))
            out.setdefault(row.get(HOUSEHOLD_ID, ""), []).append((0, {}, line, False))
            continue
        member: dict = {}
        ok = _fill(member, row, questions, MEMBERS, line, errors)
        out.setdefault(row.get(HOUSEHOLD_ID, ""), []).append((position, member, line, ok))
    return out


def _fill(target: dict, row: dict, questions: dict[str, Question], file: str, line: int,
          errors: list[CellError]) -> bool:
    """Sets the answers of one row; False when a cell could not be read."""
    ok = True
    for name, question in questions.items():
        text = restore(row.get(name, ""))
        if text == "":
            continue
        try:
            value = parse(question, text)
        except ValueError:
            errors.append(CellError(file, line, name, "import.csv_bad_value"))
            ok = False
            continue
        node = target
        for part in question.path[:-1]:
            node = node.setdefault(part, {})
        node[question.path[-1]] = value
    return ok


def parse(question: Question, text: str) -> object:
    """The stored answer for a cell's text; ValueError when it is not of the question's type."""
    spec, kind = question.spec, question.kind
    if kind == "yesno":
        if text not in ("0", "1"):
            raise ValueError(text)
        return text == "1"
    if kind in ("multi", "list"):
        item = spec.get("items", {})
        return [_scalar(item, part) for part in text.split(MULTI_SEP) if part]
    return _scalar(spec, text)


def _scalar(spec: dict, text: str) -> object:
    t = spec.get("type")
    if t == "integer":
        return int(text)
    if t == "number":
        text = text.replace(",", ".")
        return float(text) if any(c in text for c in ".eE") else int(text)
    return text
