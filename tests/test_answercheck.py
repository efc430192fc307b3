"""The per-question rules generated as one function per questionnaire version
(app/answercheck.py) must find exactly what the walk finds (rules._walked_answer_issues, itself
compared with the rules as they first were in tests/test_rules_answers.py): the same issues in
the same order with the same params, over demo households of both questionnaire versions with
answers taken away and odd values put in, so that every per-question rule fires and conditions
flip both ways."""

from __future__ import annotations

import copy
import random
from collections import Counter

import pytest

from app import answercheck, demo, rules
from app import questionnaire as q
from tests.records import TODAY
from tests.test_questionnaire_walk import thinned
from tests.test_rules_answers import as_rows, both_versions, spoiled


@pytest.fixture
def records() -> list[dict]:
    yield from both_versions(60, 29)


def test_the_generated_rules_find_what_the_walk_found(records):
    rng = random.Random(31)
    versions: set[int] = set()
    codes: Counter[str] = Counter()
    for record in records:
        variants = [record, thinned(record, rng), spoiled(record, rng), spoiled(record, rng)]
        variants.append(spoiled(thinned(record, rng), rng))
        variants.append(dict(record, tanggal_kunjungan_ulang="2001-01-01"))  # before the visit
        for variant in variants:
            schema = q.schema_for(variant)
            versions.add(schema["x-version"])
            assert rules._answer_check(schema) is not None  # both versions are generated
            for final in (True, False):
                ours = as_rows(rules._answer_issues(variant, final, TODAY))
                assert ours == as_rows(rules._walked_answer_issues(variant, final, TODAY))
                codes.update(row[0] for row in ours)
    assert versions == {1, 2}
    # Every per-question rule fired somewhere, so each generated branch was compared.
    assert {
        "required",
        "not_applicable",
        "unusual_value",
        "date_in_future",
        "date_before_visit",
        "control_char",
        "none_exclusive",
        "outcome_listed_only",  # x-allowed, with its own code
        "class_level",
        "derived_mismatch",
        "age_unusual_answer",
    } <= set(codes), codes


def odd_schema() -> dict:
    """A version whose questions use what the demo's do not: a condition of an unknown shape
    (it fails where it is reached, as in the walk), age and number conditions, a nested absolute
    path, x-required true and false, a warn range with one bound, a roster inside a group."""
    schema = copy.deepcopy(q.load_schema())
    schema["x-version"] = 77
    props = schema["properties"]
    props["uji"] = {
        "type": "object",
        "x-label": {"id": "Uji"},
        "x-relevant": {"age": {"max": 5}},  # on the record's own (unknown) tanggal_lahir
        "properties": {
            "a": {"type": "integer", "x-label": {"id": "A"}, "x-required": True},
            "b": {
                "type": "integer",
                "x-label": {"id": "B"},
                "x-required": False,
                "x-relevant": {"field": "a", "min": 2, "max": 5},
                "x-warn-range": {"max": 2},
                "x-allowed": [{"when": {"field": "a", "in": [3]}, "in": [1, 2]}],
            },
            "c": {
                "type": "string",
                "x-label": {"id": "C"},
                "x-relevant": {"field": "/lokasi/kode_desa", "answered": True},
                "x-required": {"field": "a", "contains": 3},
            },
            "d": {
                "type": "array",
                "x-label": {"id": "D"},
                "items": {
                    "type": "object",
                    "properties": {
                        "e": {
                            "type": "string",
                            "x-label": {"id": "E"},
                            "x-relevant": {"any": [], "not": {"all": []}},
                        },
                        "f": {
                            "type": "integer",
                            "x-label": {"id": "F"},
                            "x-relevant": {"age": {"min": 10}},
                            "x-required": {"not": {"field": "/uji/a", "not_in": [1]}},
                        },
                    },
                },
            },
        },
    }
    props["uji2"] = {  # an age condition on a group of no age condition inside
        "type": "object",
        "x-label": {"id": "Uji 2"},
        "x-relevant": {"age": {"min": 10}},
        "properties": {"g": {"type": "integer", "x-label": {"id": "G"}, "x-required": True}},
    }
    return schema


def test_odd_conditions_answer_as_in_the_walk():
    schema = odd_schema()
    q.register(schema)
    try:
        assert rules._answer_check(schema) is not None
        base = next(iter(demo.generate(1, seed=3, today=TODAY)))
        values = [None, "", [], 1, 3, 7, 12, 2.5, True, "x\x00", [3], "2099-01-01"]
        rng = random.Random(5)
        compared = 0
        codes: Counter[str] = Counter()
        for _ in range(300):
            record = copy.deepcopy(base)
            record["schema_version"] = 77
            uji: dict = {k: rng.choice(values) for k in "abc" if rng.random() < 0.8}
            rows = []
            for _ in range(rng.randrange(3)):
                rows.append({k: rng.choice(values) for k in "ef" if rng.random() < 0.8})
                if rng.random() < 0.5:
                    rows[-1]["tanggal_lahir"] = rng.choice(["2001", "2020-01-01", "x", 5])
            if rng.random() < 0.9:
                uji["d"] = rows if rng.random() < 0.9 else rng.choice(values)
            record["uji"] = uji if rng.random() < 0.9 else rng.choice(values)
            if rng.random() < 0.5:
                record["uji2"] = {"g": rng.choice(values)}
            if rng.random() < 0.3:
                record["tanggal_lahir"] = rng.choice(["2024", "2001-02-03"])
            for final in (True, False):
                try:
                    want = as_rows(rules._walked_answer_issues(record, final, TODAY))
                except Exception as e:  # noqa: BLE001 - the same failure is expected of both
                    with pytest.raises(type(e)):
                        rules._answer_issues(record, final, TODAY)
                    continue
                assert as_rows(rules._answer_issues(record, final, TODAY)) == want
                codes.update(row[0] for row in want)
                compared += 1
        assert compared > 300
        assert {"answer_conflict", "unusual_value", "required", "not_applicable"} <= set(codes)
    finally:
        q.forget_versions()


def test_an_unknown_condition_fails_where_it_is_reached_as_in_the_walk():
    schema = odd_schema()
    schema["properties"]["uji"]["properties"]["b"]["x-relevant"] = {"field": "a", "like": 1}
    q.register(schema)
    try:
        record = copy.deepcopy(next(iter(demo.generate(1, seed=3, today=TODAY))))
        record["schema_version"] = 77
        record["uji"] = {"a": 1}
        for check in (rules._walked_answer_issues, rules._answer_issues):
            with pytest.raises(ValueError, match="unknown condition"):
                check(record, True, TODAY)
    finally:
        q.forget_versions()


def test_a_schema_the_generator_cannot_read_keeps_the_walk():
    schema = odd_schema()
    schema["properties"]["uji"]["properties"]["b"]["x-warn-range"] = [1, 2]
    helpers = {"plan": rules._answer_plan}
    assert answercheck.compile_answers(schema, helpers) is None
