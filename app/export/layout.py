"""Columns derived from the questionnaire, and the rows of each household (cells: cells.py).

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

Several questionnaire versions (docs/export.md, "Several versions"): the columns are the union of
the versions' questions, the newest version's in its order, then those only older versions
have, in their order; a household leaves the columns its version lacks empty, and its
`schema_version` column says which version it is. A question in several versions is labelled
with the codes of all of them (codes never change meaning between versions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from app import questionnaire as q
from app.export.cells import (  # noqa: F401 - the cell rules are public here too
    FORMULA_START,
    LABEL_SEP,
    MULTI_SEP,
    RISKY_FIRST,
    SCALAR,
    YES_NO,
    cell_function,
    labelled,
    mask,
    neutralise,
    restore,
)

HOUSEHOLD_ID = "household_id"
POSITION = "no_urut"
LABEL_SUFFIX = "_label"
HEALTH = "health"
CONTACT = "contact"  # x-sensitive: a phone number; masked with the NIK and KK (--mask-ids)


@dataclass(frozen=True)
class Options:
    excel: bool = False  # ";" separator, UTF-8 BOM, CRLF, decimal comma (Excel in Indonesia)
    mask_ids: bool = False  # NIK and KK: region and last digits only
    omit_health: bool = False  # leave out questions marked x-sensitive "health"
    lang: str = "id"  # language of the label columns

    def as_dict(self) -> dict:
        return {
            "excel": self.excel,
            "mask_ids": self.mask_ids,
            "omit_health": self.omit_health,
            "lang": self.lang,
        }


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


def roster(schema: dict | None = None) -> tuple[str, dict]:
    """(name, item schema) of the members roster."""
    spec = (schema or q.load_schema())["properties"][q.MEMBERS]
    return q.MEMBERS, spec["items"]


def union(per_version: list[list[Question]]) -> list[Question]:
    """The questions of several versions (newest first), each path once: the newest version's
    spec, with the answer options of the older ones it lacks added for their labels."""
    out: dict[tuple[str, ...], Question] = {}
    for qs in per_version:
        for x in qs:
            seen = out.get(x.path)
            if seen is None:
                out[x.path] = x
            elif q.options(x.spec):
                known = {o["value"] for o in q.options(seen.spec)}
                extra = [o for o in q.options(x.spec) if o["value"] not in known]
                if extra:
                    spec = dict(seen.spec, **{"x-options": q.options(seen.spec) + extra})
                    out[x.path] = Question(seen.name, seen.path, spec, seen.kind)
    return list(out.values())


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
        if labelled(question.kind):
            out.append(question.name + LABEL_SUFFIX)
    return out


@dataclass
class Layout:
    options: Options = field(default_factory=Options)
    household_extra: tuple[str, ...] = ()  # the exporting side's own columns, at the end
    # The questionnaire versions whose columns are written (default: every version on hand).
    schemas: dict[int, dict] = field(default_factory=q.all_schemas)

    def __post_init__(self) -> None:
        households, members = [], []
        for _, schema in sorted(self.schemas.items(), reverse=True):
            name, member_schema = roster(schema)
            skip_h = _health_paths(schema) if self.options.omit_health else set()
            skip_m = (
                {p[1:] for p in _health_paths(schema["properties"][name]["items"], (name,))}
                if self.options.omit_health
                else set()
            )
            households.append(
                [x for x in questions(schema) if x.path not in skip_h and x.name != "id"]
            )
            members.append([x for x in questions(member_schema) if x.path not in skip_m])
        self.household_questions = union(households)
        self.member_questions = union(members)
        self.household_columns = [
            HOUSEHOLD_ID,
            *columns_of(self.household_questions),
            *self.household_extra,
        ]
        self.member_columns = [HOUSEHOLD_ID, POSITION, *columns_of(self.member_questions)]
        self._household_plan = self._plan(self.household_questions)
        self._member_plan = self._plan(self.member_questions)
        self._fill_household = _compiled(self._household_plan)
        self._fill_member = _compiled(self._member_plan)

    # Rows are lists of str in column order; every text cell is neutralised.

    def household_row(self, record: dict, extra: dict | None = None) -> list[str]:
        row = self.household_cells(record)
        extra = extra or {}
        row += [
            neutralise("" if extra.get(c) is None else str(extra[c])) for c in self.household_extra
        ]
        return row

    def household_cells(self, record: dict) -> list[str]:
        """The row without the household_extra columns (a caller that formats those itself
        appends them)."""
        row = [neutralise(str(record.get("id", "")))]
        self._fill_household(row, record)
        return row

    def member_rows(self, record: dict) -> Iterator[list[str]]:
        hid = neutralise(str(record.get("id", "")))
        fill = self._fill_member
        for i, member in enumerate(q.members(record), start=1):
            row = [hid, str(i)]
            fill(row, member)
            yield row

    def _plan(self, qs: list[Question]) -> list[tuple[tuple[str, ...], list]]:
        """Questions grouped by the section they sit in, each with its cell function, so a row
        looks each section up once."""
        o = self.options
        plan: list[tuple[tuple[str, ...], list]] = []
        for x in qs:
            masked = o.mask_ids and (bool(x.identifier) or x.spec.get("x-sensitive") == CONTACT)
            fn = cell_function(x.kind, x.spec, lang=o.lang, excel=o.excel, masked=masked)
            blank = ("", "") if labelled(x.kind) else ("",)
            if not plan or plan[-1][0] != x.path[:-1]:
                plan.append((x.path[:-1], []))
            plan[-1][1].append((x.path[-1], fn, blank))
        return plan


def _fill(row: list[str], plan: list, source: dict) -> None:
    for section, items in plan:
        node: object = source
        for part in section:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            for _, _, blank in items:
                row += blank
            continue
        get = node.get
        for key, fn, blank in items:
            value = get(key)
            row += blank if value is None else fn(value)


def _compiled(plan: list) -> Callable[[list[str], dict], None]:
    """_fill for one plan as straight-line Python, made once per Layout: the commonest cells
    (plain text, an int, a coded answer in its table) are done inline, anything else calls the
    question's cell function, as _fill does; the rows are the same (tests/test_export.py)."""
    env: dict = {"_SCALAR": SCALAR, "_RISKY": RISKY_FIRST, "type": type, "isinstance": isinstance}
    lines = ["def fill(row, source):", "    append, extend = row.append, row.extend"]
    n = 0
    for section, items in plan:
        lines.append("    node = source")
        for part in section:
            lines.append(f"    node = node.get({part!r}) if isinstance(node, dict) else None")
        blanks = tuple(cell for _, _, blank in items for cell in blank)
        env[f"_blanks{n}"] = blanks
        lines += [
            "    if not isinstance(node, dict):",
            f"        extend(_blanks{n})",
            "    else:",
            "        get = node.get",
        ]
        for key, fn, blank in items:
            n += 1
            env[f"_f{n}"], env[f"_b{n}"] = fn, blank
            lines.append(f"        v = get({key!r})")
            table, fast = getattr(fn, "table", None), getattr(fn, "fast", None)
            if table is not None:
                env[f"_t{n}"] = table
                lines += [
                    "        if v is None:",
                    f"            extend(_b{n})",
                    "        else:",
                    f"            c = _t{n}.get(v) if type(v) in _SCALAR else None",
                    f"            extend(c or _f{n}(v))",
                ]
            elif fast == "text":
                lines += [
                    "        if type(v) is str and v and v[0] not in _RISKY:",
                    "            append(v)",
                    "        elif v is None:",
                    f"            extend(_b{n})",
                    "        else:",
                    f"            extend(_f{n}(v))",
                ]
            elif fast == "int":
                lines += [
                    "        if type(v) is int:",
                    "            append(str(v))",
                    "        elif v is None:",
                    f"            extend(_b{n})",
                    "        else:",
                    f"            extend(_f{n}(v))",
                ]
            else:
                lines.append(f"        extend(_b{n} if v is None else _f{n}(v))")
        n += 1
    exec(compile("\n".join(lines) + "\n", "<export layout>", "exec"), env)  # noqa: S102
    return env["fill"]
