"""`questionnaire.answers` reads each schema's questions and compiles their conditions once
(the server checks every pushed household with it, docs/scale.md). It must answer exactly what
reading the schema for every record answered: compared here with that plain walk, written on
the public `evaluate`, over demo households of both questionnaire versions with answers taken
away at random (so conditions flip both ways)."""

from __future__ import annotations

import copy
import random

import pytest

from app import demo
from app import questionnaire as q
from app.questionnaire_migration import upgrade
from tests.questionnaires import answers_v2, real_v2
from tests.records import TODAY


def reference(group: dict, scope: dict, record: dict, prefix=(), shown=True, gate=True):
    """The walk as it was before the plan: the schema's dicts read for every record."""
    for name, spec in group.get("properties", {}).items():
        path = prefix + (name,)
        relevant = shown and q.evaluate(spec.get("x-relevant"), scope, record)
        value = scope.get(name)
        cond = spec.get("x-required")
        if not (relevant and gate):
            requires = False
        elif cond is None or isinstance(cond, bool):
            requires = cond
        else:
            requires = q.evaluate(cond, scope, record)
        if q.is_roster(spec):
            yield (path, value, relevant, bool(requires))
            for i, row in enumerate(value if isinstance(value, list) else []):
                if isinstance(row, dict):
                    inner = gate and requires is not False
                    yield from reference(spec["items"], row, record, path + (i,), relevant, inner)
        elif q.is_group(spec):
            sub = value if isinstance(value, dict) else {}
            yield from reference(spec, sub, record, path, relevant, gate and requires is not False)
        else:
            yield (path, value, relevant, bool(requires))


def thinned(record: dict, rng: random.Random) -> dict:
    """The record with about a third of its answers (at any depth) taken away."""
    out = copy.deepcopy(record)

    def prune(node) -> None:
        if isinstance(node, dict):
            for key in list(node):
                if key not in ("id", "schema_version", "status") and rng.random() < 0.3:
                    del node[key]
                else:
                    prune(node[key])
        elif isinstance(node, list):
            for item in node:
                prune(item)

    prune(out)
    return out


@pytest.fixture
def records() -> list[dict]:
    q.register(real_v2())
    try:
        first = list(demo.generate(40, seed=7, today=TODAY))
        second = [answers_v2(upgrade(r, q.all_schemas(), 2)[0]) for r in first[:20]]
        yield first + second
    finally:
        q.forget_versions()


def test_the_planned_walk_answers_what_reading_the_schema_answered(records):
    rng = random.Random(17)
    versions, flips = set(), 0
    for record in records:
        for variant in (record, thinned(record, rng), thinned(record, rng)):
            schema = q.schema_for(variant)
            versions.add(schema["x-version"])
            ours = [(a.path, a.value, a.relevant, a.required) for a in q.answers(variant)]
            assert ours == list(reference(schema, variant, variant))
            flips += sum(not relevant for _, _, relevant, _ in ours)
    assert versions == {1, 2} and flips > 0  # both versions, and skip logic that skipped
