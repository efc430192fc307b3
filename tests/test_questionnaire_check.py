"""app/questionnaire_check.py: the questionnaire format (schemas/questionnaire.meta.json) and what
a schema cannot say, on today's questionnaire, a valid version 2 and each kind of broken file.
Every problem is reported, each with its JSON path."""

from __future__ import annotations

import copy
import json

import pytest

from app import questionnaire as q
from app.questionnaire_check import (
    WARNING,
    check,
    json_path,
    meta_schema,
    parse,
    questions,
)
from tests.questionnaires import NEW, RECODED, bump, version_2

V1 = q.load_schema()


def paths(report, lang: str = "en") -> dict[str, str]:
    """{JSON path: message} of the errors."""
    return {p.path: p.message(lang).split(": ", 1)[1] for p in report.errors}


def test_todays_questionnaire_passes_without_a_single_remark():
    report = check(V1)
    assert report.problems == []
    assert len(questions(V1)) >= 80


def test_the_meta_schema_is_a_valid_json_schema_and_knows_every_keyword_in_use():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(meta_schema())
    used: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            used.update(k for k in node if k.startswith("x-"))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(V1)
    question = meta_schema()["$defs"]["question"]["properties"]
    assert used - {"x-version"} <= set(question)


def test_a_valid_version_2_passes_alone_and_against_version_1():
    v2 = version_2()
    assert check(v2).problems == []
    assert check(v2, previous=V1).problems == []


def test_a_missing_english_label_is_named_by_its_json_path():
    broken = copy.deepcopy(V1)
    del broken["properties"]["rumah"]["properties"]["jenis_lantai"]["x-label"]["en"]
    report = check(broken)
    assert not report.ok
    assert paths(report) == {"$.properties.rumah.properties.jenis_lantai.x-label.en": "missing"}
    # Bahasa Indonesia first: the default language.
    assert report.errors[0].message() == (
        "$.properties.rumah.properties.jenis_lantai.x-label.en: tidak ada"
    )


def test_empty_texts_and_missing_labels_anywhere():
    broken = copy.deepcopy(V1)
    member = broken["properties"]["anggota"]["items"]["properties"]
    member["nama"]["x-help"] = {"id": "Nama lengkap", "en": "  "}
    del member["hubungan"]["x-options"][2]["label"]["id"]
    del broken["properties"]["aset"]["x-label"]
    broken["properties"]["persetujuan"]["x-notice"]["text"]["en"] = ""
    assert paths(check(broken)) == {
        "$.properties.anggota.items.properties.nama.x-help.en": "empty",
        "$.properties.anggota.items.properties.hubungan.x-options[2].label.id": "missing",
        "$.properties.aset.x-label": "missing",
        "$.properties.persetujuan.x-notice.text.en": "empty",
    }


def test_a_duplicate_answer_code_is_refused():
    broken = copy.deepcopy(V1)
    floor = broken["properties"]["rumah"]["properties"]["jenis_lantai"]
    floor["enum"][3] = floor["enum"][2]
    floor["x-options"][3]["value"] = floor["x-options"][2]["value"]
    assert paths(check(broken)) == {
        "$.properties.rumah.properties.jenis_lantai.enum[3]": "answer code 3 is used twice",
        "$.properties.rumah.properties.jenis_lantai.x-options[3].value": "answer code 3 is used twice",
    }


def test_options_must_list_exactly_the_codes():
    broken = copy.deepcopy(V1)
    floor = broken["properties"]["rumah"]["properties"]["jenis_lantai"]
    floor["x-options"].pop()
    assert list(paths(check(broken))) == ["$.properties.rumah.properties.jenis_lantai.x-options"]


def test_the_none_answer_must_be_a_code_of_a_multiple_choice():
    broken = copy.deepcopy(V1)
    broken["properties"]["kebutuhan"]["properties"]["layanan"]["x-none"] = 9
    broken["properties"]["rumah"]["properties"]["jenis_lantai"]["x-none"] = 1  # single choice
    assert paths(check(broken)) == {
        "$.properties.kebutuhan.properties.layanan.x-none": "x-none must be one of this multiple choice's codes",
        "$.properties.rumah.properties.jenis_lantai.x-none": "x-none must be one of this multiple choice's codes",
    }


def test_skip_logic_naming_a_missing_question_or_code_is_refused():
    broken = copy.deepcopy(V1)
    rumah = broken["properties"]["rumah"]["properties"]
    rumah["jenis_kloset"]["x-relevant"] = {"field": "fasilitas_buang_air", "in": [1]}
    rumah["daya_listrik"]["x-relevant"] = {"field": "/rumah/sumber_penerangan", "in": [1, 9]}
    broken["properties"]["aset"]["x-relevant"] = {
        "any": [{"field": "/verifikasi/tidak_ada", "answered": True}, {"field": "x", "equals": 1}]
    }
    assert paths(check(broken)) == {
        "$.properties.rumah.properties.jenis_kloset.x-relevant.field": "there is no question fasilitas_buang_air",
        "$.properties.rumah.properties.daya_listrik.x-relevant.in[1]": "9 is not an answer code of question /rumah/sumber_penerangan",
        "$.properties.aset.x-relevant.any[0].field": "there is no question /verifikasi/tidak_ada",
        "$.properties.aset.x-relevant.any[1].equals": "this key is not allowed here",
        "$.properties.aset.x-relevant.any[1]": "unknown condition (keys: equals, field)",
    }


def test_version_numbers_must_agree():
    broken = copy.deepcopy(V1)
    broken["x-version"] = 0
    report = paths(check(broken))
    assert report["$.x-version"] == "must be at least 1"
    assert report["$.properties.schema_version.const"] == "must equal x-version (0)"
    assert report["$.$id"] == "must end with :0 (x-version)"


def test_a_version_without_its_migration_is_refused():
    broken = version_2()
    del broken["x-migration"]
    assert paths(check(broken)) == {"$.x-migration": "missing"}
    assert paths(check(broken, previous=V1)) == {"$.x-migration": "missing"}


def test_the_migration_must_start_at_the_previous_version_and_name_real_questions():
    broken = version_2()
    m = broken["x-migration"]
    m["from"] = 0
    m["renamed"]["rumah/tidak_ada"] = "rumah/juga_tidak"
    m["recoded"][RECODED]["3"] = 7
    m["new_required"].append("rumah/luas_lantai_m2")
    report = check(broken, previous=V1)
    assert [p.message("en") for p in report.errors] == [
        "$.x-migration.from: must be at least 1",
        "$.x-migration.from: must be the previous published version (1)",
        '$.x-migration.renamed["rumah/tidak_ada"]: there is no question rumah/juga_tidak',
        '$.x-migration.renamed["rumah/tidak_ada"]: version 1 has no question rumah/tidak_ada',
        (
            '$.x-migration.recoded["rumah/kondisi_lantai"]["3"]: 7 is not an answer code of '
            "question rumah/kondisi_lantai"
        ),
        "$.x-migration.new_required[1]: there is no question rumah/luas_lantai_m2",
        (
            "$.x-migration: code 3 of question rumah/kondisi_lantai in version 1 has no place: "
            "add it to recoded"
        ),
    ]


def test_against_the_previous_version_no_question_or_code_is_left_behind():
    broken = version_2()
    del broken["x-migration"]["recoded"]
    del broken["x-migration"]["new_required"]
    del broken["properties"]["aset"]["properties"]["lemari_es"]
    report = check(broken, previous=V1)
    assert check(broken).ok  # alone, nothing says what version 1 had
    assert [p.message("en") for p in report.errors] == [
        (
            "$.x-migration: code 3 of question rumah/kondisi_lantai in version 1 has no place: "
            "add it to recoded"
        ),
        (
            "$.x-migration: question aset/lemari_es of version 1 is gone: list it in renamed or "
            "dropped"
        ),
        f"$.x-migration.new_required: {NEW} is newly required: list it in new_required",
    ]
    # Dropping it on purpose, recoding and listing are what it takes.
    broken["x-migration"] |= {
        "dropped": ["aset/lemari_es"],
        "recoded": {RECODED: {"3": 2}},
        "new_required": [NEW],
    }
    assert check(broken, previous=V1).problems == []


def test_a_changed_answer_type_is_refused():
    v2 = version_2()
    v2["properties"]["rumah"]["properties"]["luas_lantai"]["type"] = "string"
    v2["properties"]["rumah"]["properties"]["luas_lantai"]["maxLength"] = 10
    for key in ("minimum", "maximum", "x-warn-range"):
        v2["properties"]["rumah"]["properties"]["luas_lantai"].pop(key, None)
    assert paths(check(v2, previous=V1)) == {
        "$.properties.rumah.properties.luas_lantai.type": "the answer type of rumah/luas_lantai differs from version 1"
    }


def test_every_problem_is_listed_not_only_the_first():
    broken = version_2()
    rumah = broken["properties"]["rumah"]["properties"]
    del rumah["jenis_lantai"]["x-label"]["en"]
    rumah["jenis_atap"]["enum"].append(1)
    rumah["jenis_kloset"]["x-relevant"] = {"field": "tidak_ada", "in": [1]}
    del broken["x-migration"]
    found = paths(check(broken))
    assert {
        "$.properties.rumah.properties.jenis_lantai.x-label.en",
        "$.properties.rumah.properties.jenis_atap.enum[8]",
        "$.properties.rumah.properties.jenis_kloset.x-relevant.field",
        "$.x-migration",
    } <= set(found)


def test_required_may_be_a_condition_checked_like_skip_logic():
    newer = copy.deepcopy(V1)
    rumah = newer["properties"]["rumah"]["properties"]
    rumah["daya_listrik"]["x-required"] = {"field": "/rumah/sumber_penerangan", "in": [1]}
    assert check(newer).problems == []
    rumah["daya_listrik"]["x-required"] = {"field": "/rumah/penerangan", "in": [1]}
    assert paths(check(newer)) == {
        "$.properties.rumah.properties.daya_listrik.x-required.field": "there is no question /rumah/penerangan"
    }


def test_unknown_x_keywords_are_warnings_not_errors():
    newer = copy.deepcopy(V1)
    newer["properties"]["rumah"]["properties"]["jenis_lantai"]["x-photo"] = True
    newer["x-published-by"] = "Dinas Sosial"
    report = check(newer)
    assert report.ok and report.errors == []
    assert [(p.path, p.severity) for p in report.warnings] == [
        ("$.x-published-by", WARNING),
        ("$.properties.rumah.properties.jenis_lantai.x-photo", WARNING),
    ]


def test_the_fields_the_app_relies_on_must_stay():
    broken = copy.deepcopy(V1)
    del broken["properties"]["anggota"]["items"]["properties"]["tanggal_lahir"]
    found = paths(check(broken))
    assert found["$.properties"] == (
        "question anggota/tanggal_lahir is missing; the app relies on it"
    )


def test_structure_the_meta_schema_refuses():
    broken = copy.deepcopy(V1)
    rumah = broken["properties"]["rumah"]["properties"]
    rumah["jenis_lantai"]["x-widget"] = "slider"
    rumah["jenis_lantai"]["x-required"] = "ya"
    broken["properties"]["rumah"]["properties"]["Luas-Bangunan"] = rumah.pop("luas_lantai")
    found = paths(check(broken))
    assert found["$.properties.rumah.properties.jenis_lantai.x-widget"].startswith(
        'must be one of: "text", "textarea"'
    )
    assert (
        found["$.properties.rumah.properties.jenis_lantai.x-required"]
        == "must be true or a condition (as in x-relevant)"
    )
    assert found["$.properties.rumah.properties.Luas-Bangunan"].startswith("bad name")


def test_reading_a_file(tmp_path):
    doc, problems = parse(b'{"x-version": 2,\n "x-version": 3}')
    assert doc is None and [p.message("en") for p in problems] == [
        "$: key x-version appears twice in one object"
    ]
    doc, problems = parse(b'{"x-version": 2,\n "type": }')
    assert [p.message("en") for p in problems] == ["$: not valid JSON (line 2, column 10)"]
    assert parse(b"\xff\xfe")[1][0].code == "not_utf8"
    doc, problems = parse(json.dumps(V1).encode())
    assert doc == V1 and problems == []
    assert check([1, 2]).errors[0].message("en") == "$: must be a JSON object"


def test_json_paths():
    assert json_path(()) == "$"
    assert (
        json_path(("properties", "rumah", "x-options", 2, "value"))
        == "$.properties.rumah.x-options[2].value"
    )
    assert json_path(("x-migration", "renamed", "rumah/a")) == '$.x-migration.renamed["rumah/a"]'


@pytest.mark.parametrize("version", [2, 3])
def test_bump_keeps_the_fixture_honest(version):
    """The test helper that makes versions gives a file the checker accepts as far as the
    version numbers go."""
    bumped = bump(V1, version, {"from": version - 1})
    assert [p.path for p in check(bumped).errors] == []
