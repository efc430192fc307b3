"""The per-question rules read each question's spec once per schema version and walk plain
tuples (the server checks every household pushed, docs/scale.md). They must find exactly what
the rules found when they read the spec for every answer: compared here with that code, kept
as it was, over demo households of both questionnaire versions with answers taken away and
odd values put in at random (so every per-question rule fires, and conditions flip)."""

from __future__ import annotations

import copy
import random
import re
from collections import Counter
from datetime import date

import pytest

from app import dates, demo, rules
from app import questionnaire as q
from app.questionnaire_migration import upgrade
from tests.questionnaires import answers_v2, real_v2
from tests.records import TODAY
from tests.test_questionnaire_walk import reference as reference_walk
from tests.test_questionnaire_walk import thinned

ERROR, WARNING, Issue = rules.ERROR, rules.WARNING, rules.Issue
_BAD_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def reference_bad_character(spec: dict, value: object) -> str | None:
    if spec.get("type") == "string":
        texts = [value]
    elif spec.get("type") == "array" and (spec.get("items") or {}).get("type") == "string":
        texts = value if isinstance(value, list) else []
    else:
        return None
    pattern = _BAD_IN_TEXT if spec.get("x-widget") == "textarea" else _BAD_IN_LINE
    for text in texts:
        found = pattern.search(text) if isinstance(text, str) else None
        if found:
            return f"U+{ord(found.group()):04X}"
    return None


def reference(record: dict, final: bool, today: date) -> list[Issue]:
    """rules._answer_issues as it was: an Answer per question, its spec read each time."""
    out = []
    schema = q.schema_for(record)
    for a in q.answers(record, schema):
        if q.is_empty(a.value):
            if final and a.required:
                out.append(Issue("required", ERROR, a.path))
            continue
        if "x-derived" in a.spec and not q.is_empty(a.value):
            if a.value != q.derive(a.spec, record, schema):
                out.append(Issue("derived_mismatch", ERROR, a.path))
            continue
        if "x-age-expected" in a.spec and a.relevant and not q.is_empty(a.value):
            bounds = a.spec["x-age-expected"].get(str(a.value))
            ages = dates.age_range(a.scope.get(q.BIRTH_DATE), q.visit_date(record))
            if isinstance(bounds, dict) and ages is not None:
                low, high = bounds.get("min", 0), bounds.get("max", 200)
                if ages[1] < low or ages[0] > high:
                    params = {"min": low, "max": high}
                    out.append(Issue("age_unusual_answer", WARNING, a.path, params))
        if final and a.required and q.is_empty(a.value):
            out.append(Issue("required", ERROR, a.path))
        elif not a.relevant and not q.is_empty(a.value):
            out.append(Issue("not_applicable", ERROR, a.path))
        elif a.relevant and "x-warn-range" in a.spec and number(a.value):
            bounds = a.spec["x-warn-range"]
            if not bounds.get("min", a.value) <= a.value <= bounds.get("max", a.value):
                params = {"min": bounds.get("min", "-"), "max": bounds.get("max", "-")}
                out.append(Issue("unusual_value", WARNING, a.path, params))
        if a.relevant and "x-allowed" in a.spec and not q.is_empty(a.value):
            for entry in a.spec["x-allowed"]:
                cond = entry["when"]
                if q.evaluate(cond, a.scope, record) and a.value not in entry["in"]:
                    code = entry.get("code", "answer_conflict")
                    out.append(Issue(code, ERROR, a.path, {"other": named(cond, a.path)}))
                    break
        if a.spec.get("x-future"):
            if isinstance(a.value, str) and iso(a.value) and iso(a.value) < q.visit_date(record):
                out.append(Issue("date_before_visit", WARNING, a.path))
        elif a.spec.get("format") == "date" and a.path[-1] != q.BIRTH_DATE:
            if isinstance(a.value, str) and iso(a.value) and iso(a.value) > today:
                out.append(Issue("date_in_future", ERROR, a.path))
        char = reference_bad_character(a.spec, a.value)
        if char is not None:
            out.append(Issue("control_char", ERROR, a.path, {"char": char}))
        if (
            "x-none" in a.spec
            and isinstance(a.value, list)
            and len(a.value) > 1
            and any(same(v, a.spec["x-none"]) for v in a.value)
        ):
            out.append(Issue("none_exclusive", ERROR, a.path))
    return out


def same(a: object, b: object) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def iso(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def named(cond: dict, path: tuple) -> tuple:
    todo = [cond]
    while todo:
        c = todo.pop(0)
        if "field" in c:
            name = c["field"]
            return (
                tuple(name.strip("/").split("/")) if name.startswith("/") else path[:-1] + (name,)
            )
        todo += c.get("all", []) + c.get("any", []) + ([c["not"]] if "not" in c else [])
    return path


ODD = [
    "",
    None,
    [],
    0,
    1,
    2,
    3,
    99,
    -5,
    100000,
    250000000,
    1.5,
    True,
    False,
    "ya",
    "a\x00b",
    "baris\ndua",
    "tab\tdi sini",
    "\x1b[0m",
    "\ud800",
    "2099-01-01",
    "2020-02-30",
    "1950",
    "1950-07",
    "2026-11-01",
    "2026-12-31",
    [1, 2],
    [1, 99],
    [99, 1],
    [True, 1],
    ["a", "b\x07"],
    [0, 1],
]


def spoiled(record: dict, rng: random.Random) -> dict:
    """The record with about one answer in six replaced by an odd value (any type)."""
    out = copy.deepcopy(record)
    for a in list(q.answers(out)):
        if rng.random() < 1 / 6:
            node = out
            for part in a.path[:-1]:  # a group not answered, or a roster already replaced
                found = (isinstance(node, dict) and part in node) or (
                    isinstance(node, list) and isinstance(part, int) and part < len(node)
                )
                node = node[part] if found else None
            if isinstance(node, dict):
                node[a.path[-1]] = copy.deepcopy(rng.choice(ODD))
    return out


def both_versions(count: int, seed: int):
    """`count` demo households of version 1 and the first half of them upgraded to version 2
    (registered until the generator ends): a fixture's body."""
    q.register(real_v2())
    try:
        first = list(demo.generate(count, seed=seed, today=TODAY))
        second = [answers_v2(upgrade(r, q.all_schemas(), 2)[0]) for r in first[: count // 2]]
        yield first + second
    finally:
        q.forget_versions()


@pytest.fixture
def records() -> list[dict]:
    yield from both_versions(40, 11)


def as_rows(issues: list[Issue]) -> list[tuple]:
    return [(i.code, i.severity, i.path, i.params) for i in issues]


def test_the_planned_rules_find_what_reading_each_spec_found(records):
    rng = random.Random(23)
    versions: set[int] = set()
    codes: Counter[str] = Counter()
    for record in records:
        for variant in (record, thinned(record, rng), spoiled(record, rng), spoiled(record, rng)):
            versions.add(q.schema_for(variant)["x-version"])
            for final in (True, False):
                ours = as_rows(rules._answer_issues(variant, final, TODAY))
                assert ours == as_rows(reference(variant, final, TODAY))
                codes.update(row[0] for row in ours)
            schema = q.schema_for(variant)
            walked = [(a.path, a.value, a.relevant, a.required) for a in q.answers(variant)]
            assert walked == list(reference_walk(schema, variant, variant))
    assert versions == {1, 2}
    # Every per-question rule fired somewhere, so each branch was compared.
    assert {
        "required",
        "not_applicable",
        "unusual_value",
        "date_in_future",
        "control_char",
        "none_exclusive",
        "answer_conflict",
        "derived_mismatch",
    } <= set(codes), codes


def test_bad_character_answers_as_before():
    specs = [
        {"type": "string"},
        {"type": "string", "x-widget": "textarea"},
        {"type": "array", "items": {"type": "string"}},
        {"type": "array", "items": {"type": "integer"}},
        {"type": "integer"},
        {},
    ]
    for spec in specs:
        for value in ODD:
            assert rules.bad_character(spec, value) == reference_bad_character(spec, value)
