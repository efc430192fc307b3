"""app.schemacheck: the fast pre-check may only say "valid" where jsonschema finds no error.

Randomly damaged demo households (fixed seeds) are checked both ways."""

from __future__ import annotations

import copy
import random

from app import demo, rules
from app.schemacheck import compile_check
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
