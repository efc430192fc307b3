"""app.schemacheck: the fast pre-check may only say "valid" where jsonschema finds no error.

Randomly damaged demo households (fixed seeds) are checked both ways."""

from __future__ import annotations

import copy
import random
from collections import Counter

from jsonschema import Draft202012Validator, FormatChecker

from app import demo, rules, schemacheck
from app import questionnaire as q
from app.questionnaire_migration import upgrade
from app.schemacheck import compile_check
from tests.questionnaires import answers_v2, real_v2
from tests.records import TODAY, household

ODD = [
    None,
    True,
    False,
    0,
    1,
    -1,
    18,
    18.0,
    1.5,
    3.0,
    10**20,
    float("nan"),
    "",
    "x",
    "x" * 300,
    "1234567890123456",
    "62.71.03.1001",
    "2026-13-45",
    "2026-01-01",
    "not-a-uuid",
    [],
    [1, 1],
    [18, 1],
    [18],
    [1, 2],
    [True],
    [18, 18.0],
    ["a", "a"],
    [1, "1"],
    [True, 1],
    {},
    {"zz": 1},
]


def _paths(node, prefix=()):
    if prefix:
        yield prefix
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        yield from _paths(value, prefix + (key,))


def _damage(record: dict, rng: random.Random) -> dict:
    out = copy.deepcopy(record)
    for _ in range(rng.choice([1, 1, 2, 3])):
        path = rng.choice(list(_paths(out)))
        parent = out
        for part in path[:-1]:
            parent = parent[part]
        roll = rng.random()
        if roll < 0.1 and isinstance(parent, dict):
            del parent[path[-1]]
        elif roll < 0.15 and isinstance(parent, dict):
            parent[f"extra_{rng.randint(0, 3)}"] = 1
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(ODD + [rng.randint(-5, 300)]))
    return out


def test_the_questionnaire_schema_compiles_and_valid_households_pass_quickly():
    quick = rules._quick_check()
    assert quick is not None
    records = [household(), *demo.generate(50, seed=3, areas=["62.71.03"], today=TODAY)]
    assert all(quick(r) for r in records)


def test_quick_valid_is_never_invalid_for_jsonschema():
    validator, quick = rules._validator(), rules._quick_check()
    rng = random.Random(11)
    base = list(demo.generate(30, seed=5, areas=["62.71.03"], today=TODAY))
    said_valid = 0
    for _ in range(3000):
        record = _damage(rng.choice(base), rng)
        if quick(record):
            said_valid += 1
            assert not list(validator.iter_errors(record)), record
    assert said_valid > 100  # the damage leaves some records valid: both sides were exercised


def test_unknown_keywords_fall_back_to_jsonschema():
    assert compile_check({"type": "object", "oneOf": [{}]}, lambda _v, _f: True) is None
    assert compile_check({"type": "string"}, lambda _v, _f: True)("x")


def test_the_generated_check_answers_as_the_closures_in_both_versions():
    """compile_check writes the closures' checks out as one function (schemacheck._generate):
    the same answer for every damaged household of either questionnaire version."""
    q.register(real_v2())
    try:
        rng = random.Random(13)
        first = list(demo.generate(20, seed=9, areas=["62.71.03"], today=TODAY))
        second = [answers_v2(upgrade(r, q.all_schemas(), 2)[0]) for r in first[:10]]
        for base, version in ((first, 1), (second, 2)):
            validator = rules._validator(q.schema_of(version))
            conforms = validator.format_checker.conforms
            generated = schemacheck._generate(validator.schema, conforms)
            closures = schemacheck._compile(validator.schema, conforms)
            assert rules._quick_check(q.schema_of(version)).__name__ == "check"
            answers = Counter()
            for _ in range(2500):
                record = _damage(rng.choice(base), rng)
                answer = generated(record)
                assert answer == closures(record), record
                answers[answer] += 1
            assert answers[True] > 100 and answers[False] > 100, answers
    finally:
        q.forget_versions()


def test_the_generated_check_keeps_each_keyword():
    """Schemas using each keyword the generator writes out, with values on both sides of it."""
    schemas = [
        {"type": "string", "format": "date"},
        {"type": ["string", "null"], "maxLength": 2, "minLength": 1, "pattern": "^a"},
        {"enum": [1, "a", 2.5], "minimum": 1, "maximum": 2, "exclusiveMinimum": 0},
        {"type": "number", "exclusiveMaximum": 3, "const": 2},
        {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2},
        {"items": {"enum": [1]}, "uniqueItems": True, "contains": {"const": 1}},
        {"required": ["a"], "additionalProperties": False},
        {"properties": {"a": {"type": "integer"}}, "required": ["a"], "type": "object"},
        {
            "type": "object",
            "properties": {"a": {"type": "boolean"}, "b": True},
            "additionalProperties": False,
            "if": {"properties": {"a": {"const": 1}}},
            "then": {"required": ["b"]},
        },
        {"type": "integer", "maxLength": 1, "properties": {}, "items": {}, "required": ["x"]},
        {"maxLength": 1, "pattern": "a", "properties": {"a": {"type": "null"}}},
    ]
    values = [*ODD, "a", "ab", "abc", "b", 2, 2.0, 0.5, [1], [1, 2, 3], {"a": 1}, {"a": True}]
    values += [{"a": None}, {"a": 1, "b": 2}, {"b": 1}, {"a": True, "b": 0}]
    for schema in schemas:
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        conforms = FormatChecker().conforms
        generated = schemacheck._generate(schema, conforms)
        closures = schemacheck._compile(schema, conforms)
        for value in values:
            assert generated(value) == closures(value), (schema, value)
            if generated(value):
                assert validator.is_valid(value), (schema, value)
