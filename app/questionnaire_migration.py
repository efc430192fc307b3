"""A record of one questionnaire version made into a record of the next, by the `x-migration`
block the next version declares (docs/questionnaire.md, "Versions and migrations"):

    "x-migration": {"from": 1,
                    "renamed": {"rumah/sumber_air": "rumah/sumber_air_minum"},
                    "recoded": {"rumah/jenis_lantai": {"3": 2}},
                    "new_required": ["rumah/sumber_air_mandi"],
                    "dropped": ["aset/pesawat_tv"]}

Paths name a question from the record's root without roster indexes (`anggota/pekerjaan` is
that question of every member); `recoded` is keyed by the question's path in the new version,
its old codes written as JSON object keys (strings). Renames are applied, then codes.

Nothing is dropped silently: when a record holds an answer the new version has no place for (a
question listed in `dropped` or gone, or a code that is neither kept nor recoded), the migration
is refused with MigrationRefused naming those questions, and the record stays on its version
(the province accepts every published version, so it can still be finalised and sent as begun).
The province's publish check (app/questionnaire_check.py) makes sure a valid record of the
previous version only meets this for questions the province dropped on purpose.

Pure functions: no store, no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from app import questionnaire as q
from app.errors import KhbsError
from app.questionnaire_check import Question, codes, questions, same


class MigrationRefused(KhbsError):
    """`names`: the questions (paths) whose answers would be lost; never the answers."""

    key = "error.migration_refused"


@dataclass(frozen=True)
class Note:
    """What the migration changed or asks for, for the officer: `kind` is "renamed" (the
    answer moved from `old_path`), "recoded" (its code changed), or "new_required" (a question
    this version requires is not answered yet). `member` is the 0-based member for member
    questions. Paths and kinds only: no answer is repeated here."""

    kind: str
    path: str
    member: int | None = None
    old_path: str | None = None


def migrate(record: dict, from_schema: dict, to_schema: dict) -> tuple[dict, list[Note]]:
    """The record as a record of `to_schema`, and the notes. `to_schema`'s migration must start
    at `from_schema`'s version, and the record must be of that version. Raises MigrationRefused
    (the record unchanged) when an answer would be lost."""
    start, target = from_schema.get("x-version"), to_schema.get("x-version")
    migration = to_schema.get("x-migration") or {}
    if not same(record.get("schema_version"), start) or not same(migration.get("from"), start):
        raise MigrationRefused(
            version=record.get("schema_version"), target=target, names=str(migration.get("from"))
        )
    old, new = questions(from_schema), questions(to_schema)
    renamed: Mapping[str, str] = migration.get("renamed") or {}
    recoded: Mapping[str, Mapping[str, object]] = migration.get("recoded") or {}
    dropped = set(migration.get("dropped") or [])
    out = copy.deepcopy(record)
    moves, lost = [], []
    for question, member, value in _answers(out, old):
        if question.path == "schema_version":
            continue
        target_path = renamed.get(question.path, question.path)
        now = new.get(target_path)
        if question.path in dropped or now is None:
            if not q.is_empty(value):
                lost.append(question.path)
            continue
        new_value = _recode(value, recoded.get(target_path) or {})
        allowed = codes(now.spec)
        if allowed is not None and not q.is_empty(new_value) and not _within(new_value, allowed):
            lost.append(question.path)
            continue
        moves.append((question, now, member, value, new_value))
    if lost:
        raise MigrationRefused(version=start, target=target, names=", ".join(sorted(set(lost))))
    notes: list[Note] = []
    for question, _, member, _, _ in moves:
        _delete(out, question, member)
    for question, now, member, value, new_value in moves:
        _put(out, now, member, new_value)
        if now.path != question.path and not q.is_empty(value):
            notes.append(Note("renamed", now.path, member, question.path))
        if new_value != value:
            notes.append(Note("recoded", now.path, member))
    for question, _, member, _, _ in moves:
        _prune_empty(out, question, member)
    out["schema_version"] = target
    if isinstance(out.get(q.ACKNOWLEDGED), list):
        out[q.ACKNOWLEDGED] = _acknowledged(out[q.ACKNOWLEDGED], old, renamed, dropped)
    notes += _unanswered(out, to_schema, set(migration.get("new_required") or []))
    return out, notes


def upgrade(record: dict, schemas: Mapping[int, dict], target: int) -> tuple[dict, list[Note]]:
    """Migrate version by version up to `target` (`schemas`: every version on hand). Raises
    MigrationRefused when a step is missing or would lose an answer."""
    notes: list[Note] = []
    version = record.get("schema_version")
    while isinstance(version, int) and version < target:
        step = next(
            (
                s
                for v, s in sorted(schemas.items())
                if v > version and (s.get("x-migration") or {}).get("from") == version
            ),
            None,
        )
        if step is None or version not in schemas:
            raise MigrationRefused(version=version, target=target, names="-")
        record, more = migrate(record, schemas[version], step)
        notes += more
        version = record["schema_version"]
    return record, notes


def aligned(record: dict, version: object) -> dict:
    """The record as one of `version` when it is of an older version on hand and migrates
    without loss (to compare it with a record of that version), else the record itself."""
    start = record.get("schema_version")
    if type(version) is not int or type(start) is not int or start >= version:
        return record
    try:
        return upgrade(record, q.all_schemas(), version)[0]
    except MigrationRefused:
        return record


# -- answers in a record ------------------------------------------------------------------------


def _answers(
    record: dict, found: dict[str, Question]
) -> Iterator[tuple[Question, int | None, object]]:
    """(question, member index or None, value) for every question the record holds a key for."""
    for question in found.values():
        if question.roster is None:
            node = _parent(record, question.parts)
            if isinstance(node, dict) and question.parts[-1] in node:
                yield question, None, node[question.parts[-1]]
            continue
        rows = record.get(question.roster)
        for i, row in enumerate(rows if isinstance(rows, list) else []):
            node = _parent(row, question.parts[1:])
            if isinstance(node, dict) and question.parts[-1] in node:
                yield question, i, node[question.parts[-1]]


def _parent(node: object, parts: tuple[str, ...]) -> object:
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _scope(record: dict, question: Question, member: int | None) -> tuple[dict, tuple]:
    if question.roster is None:
        return record, question.parts
    return record[question.roster][member], question.parts[1:]


def _delete(record: dict, question: Question, member: int | None) -> None:
    root, parts = _scope(record, question, member)
    node = _parent(root, parts)
    if isinstance(node, dict):
        node.pop(parts[-1], None)


def _put(record: dict, question: Question, member: int | None, value: object) -> None:
    root, parts = _scope(record, question, member)
    for part in parts[:-1]:
        child = root.get(part)
        if not isinstance(child, dict):
            child = root[part] = {}
        root = child
    root[parts[-1]] = value


def _prune_empty(record: dict, question: Question, member: int | None) -> None:
    """Remove the sections a moved answer left empty (innermost first)."""
    root, parts = _scope(record, question, member)
    for depth in range(len(parts) - 1, 0, -1):
        holder = _parent(root, parts[:depth])
        if isinstance(holder, dict) and holder.get(parts[depth - 1]) == {}:
            holder.pop(parts[depth - 1])


def _recode(value: object, table: Mapping[str, object]) -> object:
    if not table:
        return value
    if isinstance(value, list):
        return [table.get(str(v), v) if not isinstance(v, bool) else v for v in value]
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return value
    return table.get(str(value), value)


def _within(value: object, allowed: list) -> bool:
    values = value if isinstance(value, list) else [value]
    return all(any(same(v, a) for a in allowed) for v in values)


def _acknowledged(
    keys: list, old: dict[str, Question], renamed: Mapping[str, str], dropped: set[str]
) -> list:
    """Acknowledged warnings are "code@path" with the member's index in the path
    (rules.Issue.key): their paths follow renamed questions; those of dropped questions go."""
    out = []
    for key in keys:
        code, at, path = key.partition("@") if isinstance(key, str) else (None, "", "")
        parts = path.split("/")
        member = parts[1] if len(parts) > 2 and parts[1].isdigit() else None
        leaf = "/".join(parts[:1] + parts[2:]) if member is not None else path
        if not at or leaf not in old:
            out.append(key)
            continue
        if leaf in dropped:
            continue
        moved = renamed.get(leaf, leaf).split("/")
        if member is not None:
            moved = moved[:1] + [member] + moved[1:]
        out.append(f"{code}@{'/'.join(moved)}")
    return out


def _unanswered(record: dict, schema: dict, required: set[str]) -> list[Note]:
    """A note for each newly required question that is asked in this record (its skip logic
    holds) and not answered yet."""
    notes = []
    for answer in q.answers(record, schema):
        path = "/".join(p for p in answer.path if isinstance(p, str))
        if path in required and answer.relevant and q.is_empty(answer.value):
            notes.append(Note("new_required", path, answer.member))
    return notes
