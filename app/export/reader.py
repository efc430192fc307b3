"""Reads an export back into household records (`khbs import DIR`), the inverse of layout.py.

Label columns and the exporting side's own columns are ignored; an empty cell is an unanswered
question. The whole pair is read and checked before anything is stored (app/households.py).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app import questionnaire as q
from app.csvread import MAX_CELL, CsvUnreadable, records
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
from app.rules import bad_character


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
    params: dict = field(default_factory=dict)  # safe ones only: never a cell's text


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
    options = _section(manifest, "options")
    if options.get("mask_ids"):
        raise ExportUnreadable("import.csv_masked")
    for name in (HOUSEHOLDS, MEMBERS):
        if not (folder / name).exists():
            raise ExportUnreadable("import.csv_missing", file=name)
        expected = _section(_section(manifest, "files"), name).get("sha256")
        if expected and _sha256(folder / name) != expected:
            raise ExportUnreadable("import.csv_changed", file=name)
    layout = Layout(Options(), schemas=_versions(manifest))
    result = ReadResult()
    members, bad_members = _members(folder / MEMBERS, layout, result.errors)
    h_questions = {x.name: x for x in layout.household_questions}
    seen: set[str] = set()
    for line, row, hid in _rows(folder / HOUSEHOLDS, h_questions, result.errors):
        if row is not None and not hid:
            result.errors.append(CellError(HOUSEHOLDS, line, HOUSEHOLD_ID, "import.csv_bad_value"))
            row = None
        seen.add(hid)
        if row is None:  # unreadable: counted, and its members stay out with it
            result.bad_lines.add(line)
            members.pop(hid, None)
            continue
        record: dict = {"id": hid}
        if (
            not _fill(record, row, h_questions, HOUSEHOLDS, line, result.errors)
            or hid in bad_members
        ):
            result.bad_lines.add(line)
        record[q.MEMBERS] = [m for _, m, _ in sorted(members.pop(hid, []), key=lambda p: p[0])]
        result.records.append((line, q.canonical(record)))
    # Members whose household is not in households.csv: one error per missing household.
    orphans = {hid: rows[0][2] for hid, rows in members.items()}
    for hid, line in bad_members.items():
        orphans[hid] = min(line, orphans.get(hid, line))
    for hid, line in sorted(orphans.items(), key=lambda item: item[1]):
        if hid not in seen:
            result.errors.append(CellError(MEMBERS, line, HOUSEHOLD_ID, "import.csv_orphan_member"))
    return result


def _manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.exists():
        return {}  # a pair made elsewhere, or edited on purpose: read as it is
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ExportUnreadable("import.csv_manifest") from None
    return data if isinstance(data, dict) else {}


def _versions(manifest: dict) -> dict[int, dict]:
    """The questionnaire versions whose columns the export has (manifest `schema_versions`; an
    export from before several versions has one, `schema_version`; without a manifest, the
    built-in one). A version this laptop does not hold cannot be read: its answers would go."""
    listed = manifest.get("schema_versions")
    if not isinstance(listed, list) or not listed:
        listed = [manifest.get("schema_version", q.schema_version())]
    found = {v: q.schema_of(v) for v in listed}
    missing = [str(v) for v, schema in found.items() if schema is None]
    if missing:
        raise ExportUnreadable("import.csv_version_unknown", versions=", ".join(missing))
    return {v: s for v, s in found.items() if s is not None}


def _section(data: dict, name: str) -> dict:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                sha.update(block)
    except OSError:
        raise ExportUnreadable("import.csv_unreadable", file=path.name) from None
    return sha.hexdigest()


def _rows(
    path: Path, questions: dict[str, Question], errors: list[CellError]
) -> Iterator[tuple[int, dict | None, str]]:
    """(row number, {column: cell} or None when unreadable, household id) of each data row.

    Rows are numbered as a spreadsheet shows them (the header is row 1), which is the line
    number unless a text answer holds a line break. ";" or "," and a BOM are recognised. A file
    that stops parsing part way raises ExportUnreadable with its row: nothing is imported."""
    try:
        found = records(path)
        first = next(found, None)
        header = first.cells if first is not None else []
        if HOUSEHOLD_ID not in header:
            raise ExportUnreadable("import.csv_no_id", file=path.name)
        missing = [name for name in questions if name not in header]
        if missing:  # e.g. an export made with --no-health: importing it would erase answers
            raise ExportUnreadable(
                "import.csv_missing_columns", file=path.name, columns=", ".join(missing)
            )
        at = header.index(HOUSEHOLD_ID)
        for record in found:
            number, row = record.row, record.cells
            if not any(row):
                continue
            hid = restore(row[at]) if len(row) > at else ""
            if len(row) != len(header):
                errors.append(CellError(path.name, number, "", "import.csv_width"))
                yield number, None, hid
                continue
            yield number, dict(zip(header, row, strict=True)), hid
    except CsvUnreadable as exc:
        raise ExportUnreadable(
            f"import.csv_{exc.reason}",
            file=path.name,
            line=exc.row,
            column=exc.column or "?",
            max=MAX_CELL,
        ) from None
    except OSError:
        raise ExportUnreadable("import.csv_unreadable", file=path.name) from None


def _members(
    path: Path, layout: Layout, errors: list[CellError]
) -> tuple[dict[str, list], dict[str, int]]:
    """Members by household id as (no_urut, member, row), and the households with a member
    that could not be read (id: its first bad row)."""
    questions = {x.name: x for x in layout.member_questions}
    out: dict[str, list[tuple[int, dict, int]]] = {}
    bad: dict[str, int] = {}
    for line, row, hid in _rows(path, questions, errors):
        if row is None:
            bad.setdefault(hid, line)
            continue
        try:
            position = int(row.get(POSITION, ""))
            if position < 1 or any(p == position for p, *_ in out.get(hid, [])):
                raise ValueError()
        except ValueError:
            errors.append(CellError(MEMBERS, line, POSITION, "import.csv_bad_value"))
            bad.setdefault(hid, line)
            continue
        member: dict = {}
        if not _fill(member, row, questions, MEMBERS, line, errors):
            bad.setdefault(hid, line)
        out.setdefault(hid, []).append((position, member, line))
    return out, bad


def _fill(
    target: dict,
    row: dict,
    questions: dict[str, Question],
    file: str,
    line: int,
    errors: list[CellError],
) -> bool:
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
        char = bad_character(question.spec, value)  # the rule the form and the server apply
        if char is not None:
            errors.append(CellError(file, line, name, "import.csv_bad_char", {"char": char}))
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
        value = float(text) if any(c in text for c in ".eE") else int(text)
        if not math.isfinite(value):  # "nan", "inf", 1e400: not an answer
            raise ValueError(text)
        return value
    return text
