"""Columns derived from the questionnaire, and the cell text of each answer.

households.csv: household_id, then every household-level question in schema order, then the
columns of the exporting side (sync state, province status, card number ...).
members.csv: household_id, no_urut (1-based position in the roster), then every member question.

Per question (docs/export.md):
    coded (x-options)     <name> = code, <name>_label = label in the chosen language
    yes/no                <name> = 1 or 0, <name>_label = Ya/Tidak (Yes/No)
    multiple choice       <name> = codes separated by spaces ("1 3"), <name>_label = labels
                          separated by " | "
    list of text          values separated by spaces
    number, text, date    as stored; dates are ISO 8601 already
Column names are the questions' own names; test_schema_file keeps them unique per file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from app import questionnaire as q

HOUSEHOLD_ID = "household_id"
POSITION = "no_urut"
LABEL_SUFFIX = "_label"
MULTI_SEP = " "
LABEL_SEP = " | "
HEALTH = "health"
YES_NO = {True: {"id": "Ya", "en": "Yes"}, False: {"id": "Tidak", "en": "No"}}

# A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Options:
    excel: bool = False  # ";" separator, UTF-8 BOM, CRLF, decimal comma (Excel in Indonesia)
    mask_ids: bool = False  # NIK and KK: region and last digits only
    omit_health: bool = False  # leave out questions marked x-sensitive "health"
    lang: str = "id"  # language of the label columns

    def as_dict(self) -> dict:
        return {"excel": self.excel, "mask_ids": self.mask_ids,
                "omit_health": self.omit_health, "lang": self.lang}


@dataclass(frozen=True)
class Question:
    name: str
    path: tuple[str, ...]  # from the record (household) or from the member
    spec: dict
    kind: str  # code, yesno, multi, list, number, integer, text

    @property
    def identifier(self) -> str | None:
        return self.spec.get("x-identifier")


def _kind(spec: dict) -> str:
    t = spec.get("type")
    if t == "array":
        return "multi" if q.options(spec) or "enum" in spec.get("items", {}) else "list"
    if q.options(spec) and t in ("integer", "number", "string"):
        return "code"
    if t == "boolean":
        return "yesno"
    if t in ("integer", "number"):
        return t
    return "text"


def questions(group: dict, prefix: tuple[str, ...] = ()) -> Iterator[Question]:
    """Leaf questions of a group in schema order, rosters left out (they have their own file)."""
    for name, spec in group.get("properties", {}).items():
        if q.is_roster(spec):
            continue
        if q.is_group(spec):
            yield from questions(spec, prefix + (name,))
        else:
            yield Question(name, prefix + (name,), spec, _kind(spec))


def roster() -> tuple[str, dict]:
    """(name, item schema) of the members roster."""
    spec = q.load_schema()["properties"][q.MEMBERS]
    return q.MEMBERS, spec["items"]


def _is_health(spec: dict, inherited: bool) -> bool:
    return inherited or spec.get("x-sensitive") == HEALTH


def _health_paths(group: dict, prefix=(), inherited=False) -> set[tuple[str, ...]]:
    found = set()
    for name, spec in group.get("properties", {}).items():
        health = _is_health(spec, inherited)
        if q.is_group(spec):
            found |= _health_paths(spec, prefix + (name,), health)
        elif health:
            found.add(prefix + (name,))
    return found


def columns_of(qs: list[Question]) -> list[str]:
    out = []
    for question in qs:
        out.append(question.name)
        if question.kind in ("code", "yesno", "multi"):
            out.append(question.name + LABEL_SUFFIX)
    return out


# -- cells ----------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """A leading apostrophe keeps a spreadsheet from running the cell as a formula. Text that
    already starts with apostrophes before such a character gets one more, so reading back
    (restore) is exact."""
    if text.lstrip("'").startswith(FORMULA_START):
        return "'" + text
    return text


def restore(text: str) -> str:
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text


def mask(value: str) -> str:
    """NIK/KK masked for reports: the 6-digit region (province, regency, kecamatan) and the last
    4 digits stay, the birth date and sequence in between do not."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def number_text(value: object, excel: bool) -> str:
    text = repr(value) if isinstance(value, float) else str(value)
    return text.replace(".", ",") if excel else text


@dataclass
class Layout:
    options: Options = field(default_factory=Options)
    household_extra: tuple[str, ...] = ()  # the exporting side's own columns, at the end

    def __post_init__(self) -> None:
        schema = q.load_schema()
        name, member_schema = roster()
        skip_h = _health_paths(schema) if self.options.omit_health else set()
        skip_m = {p[1:] for p in _health_paths(schema["properties"][name]["items"], (name,))} \
            if self.options.omit_health else set()
        self.household_questions = [x for x in questions(schema)
                                    if x.path not in skip_h and x.name != "id"]
        self.member_questions = [x for x in questions(member_schema) if x.path not in skip_m]
        self.household_columns = [HOUSEHOLD_ID, *columns_of(self.household_questions),
                                  *self.household_extra]
        self.member_columns = [HOUSEHOLD_ID, POSITION, *columns_of(self.member_questions)]

    # Rows are lists of str in column order. Every cell goes through neutralise().

    def household_row(self, record: dict, extra: dict | None = None) -> list[str]:
        row = [neutralise(str(record.get("id", "")))]
        self._cells(row, self.household_questions, record)
        extra = extra or {}
        row += [neutralise("" if extra.get(c) is None else str(extra[c]))
                for c in self.household_extra]
        return row

    def member_rows(self, record: dict) -> Iterator[list[str]]:
        hid = str(record.get("id", ""))
        for i, member in enumerate(q.members(record), start=1):
            row = [neutralise(hid), str(i)]
            self._cells(row, self.member_questions, member)
            yield row

    def _cells(self, row: list[str], qs: list[Question], source: dict) -> None:
        """Appends the cells of these questions. Numbers are written as numbers (a latitude of
        -2.2 is not a formula); every other cell is neutralised."""
        lang, excel = self.options.lang, self.options.excel
        start = len(row)
        numeric: set[int] = set()
        for question in qs:
            value = _at(source, question.path)
            kind = question.kind
            if q.is_empty(value):
                row.append("")
                if kind in ("code", "yesno", "multi"):
                    row.append("")
                continue
            if kind == "code":
                row += [str(value), q.option_label(question.spec, value, lang)]
            elif kind == "yesno":
                row += ["1" if value else "0", YES_NO[bool(value)].get(lang, "")]
            elif kind == "multi":
                values = value if isinstance(value, list) else [value]
                row += [MULTI_SEP.join(str(v) for v in values),
                        LABEL_SEP.join(q.option_label(question.spec, v, lang) for v in values)]
            elif kind == "list":
                values = value if isinstance(value, list) else [value]
                row.append(MULTI_SEP.join(str(v) for v in values))
            elif kind in ("number", "integer") and isinstance(value, (int, float)) \
                    and not isinstance(value, bool):
                numeric.add(len(row))
                row.append(number_text(value, excel))
            elif question.identifier and self.options.mask_ids and isinstance(value, str):
                row.append(mask(value))
            else:
                row.append(str(value))
        for i in range(start, len(row)):
            if i not in numeric:
                row[i] = neutralise(row[i])


def _at(source: dict, path: tuple[str, ...]) -> object:
    node: object = source
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node

