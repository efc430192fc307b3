"""app/questionnaire_migration.py: a record of one version made into a record of the next by the
new version's x-migration, without ever losing an answer."""

from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from app import questionnaire as q
from app.questionnaire_check import check
from app.questionnaire_migration import MigrationRefused, Note, migrate, upgrade
from tests.questionnaires import NEW, RECODED, bump, rename_in_place, version_2
from tests.records import household

V1 = q.load_schema()
V2 = version_2()


def errors(schema: dict, record: dict) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(record)]


def test_a_version_1_household_becomes_a_valid_version_2_record():
    record = household()
    record["rumah"]["kondisi_lantai"] = 3  # the code merged into 2
    before = copy.deepcopy(record)
    out, notes = migrate(record, V1, V2)
    assert record == before  # the input is not changed
    assert out["schema_version"] == 2
    assert "jumlah_keluarga" not in out["rumah"]
    assert out["rumah"]["jumlah_kk"] == record["rumah"]["jumlah_keluarga"]
    assert out["rumah"]["kondisi_lantai"] == 2
    assert notes == [
        Note("renamed", "rumah/jumlah_kk", None, "rumah/jumlah_keluarga"),
        Note("recoded", RECODED),
        Note("new_required", NEW),
    ]
    assert errors(V2, out) == []
    assert errors(V1, out) != []  # and no longer a version 1 record
    # Every other answer is exactly where it was.
    same = {k: v for k, v in out.items() if k not in ("schema_version", "rumah")}
    assert same == {k: v for k, v in record.items() if k not in ("schema_version", "rumah")}


def test_an_answer_to_a_dropped_question_refuses_the_migration():
    v2 = copy.deepcopy(V2)
    del v2["properties"]["aset"]["properties"]["lemari_es"]
    v2["x-migration"]["dropped"] = ["aset/lemari_es"]
    assert check(v2, previous=V1).ok
    record = household()
    record["aset"]["lemari_es"] = 1
    with pytest.raises(MigrationRefused) as refused:
        migrate(record, V1, v2)
    assert refused.value.params["names"] == "aset/lemari_es"
    assert "aset/lemari_es" in refused.value.message("id") and "versi 1" in refused.value.message()
    # Unanswered, the question is no loss.
    del record["aset"]["lemari_es"]
    out, _ = migrate(record, V1, v2)
    assert "lemari_es" not in out["aset"] and out["aset"] == record["aset"]


def test_a_question_gone_without_a_word_and_a_code_without_a_place_refuse_too():
    v2 = copy.deepcopy(V2)
    del v2["properties"]["aset"]["properties"]["ac"]  # not listed anywhere (publish refuses it)
    record = household()
    record["aset"]["ac"] = 1
    with pytest.raises(MigrationRefused, match="aset/ac"):
        migrate(record, V1, v2)
    v2 = copy.deepcopy(V2)
    del v2["x-migration"]["recoded"]
    record = household()
    record["rumah"]["kondisi_lantai"] = 3
    with pytest.raises(MigrationRefused, match=RECODED):
        migrate(record, V1, v2)


def test_member_questions_are_renamed_for_every_member_and_acknowledgements_follow():
    v2 = bump(
        V1,
        2,
        {
            "from": 1,
            "renamed": {
                "anggota/tempat_lahir": "anggota/kota_lahir",
                "rumah/luas_lantai": "rumah/luas_lantai_m2",
            },
        },
    )
    member = v2["properties"]["anggota"]["items"]
    member["properties"] = rename_in_place(member["properties"], "tempat_lahir", "kota_lahir")
    rumah = v2["properties"]["rumah"]
    rumah["properties"] = rename_in_place(rumah["properties"], "luas_lantai", "luas_lantai_m2")
    assert check(v2, previous=V1).problems == []
    record = household()
    record[q.ACKNOWLEDGED] = [
        "unusual_value@rumah/luas_lantai",
        "head_too_young@anggota/0/tanggal_lahir",
        "nik_region_old@anggota/1/nik",
    ]
    out, notes = migrate(record, V1, v2)
    assert [m.get("kota_lahir") for m in out["anggota"]] == [
        m.get("tempat_lahir") for m in record["anggota"]
    ]
    assert all("tempat_lahir" not in m for m in out["anggota"])
    assert [n.member for n in notes if n.path == "anggota/kota_lahir"] == [
        i for i, m in enumerate(record["anggota"]) if m.get("tempat_lahir")
    ]
    assert out[q.ACKNOWLEDGED] == [
        "unusual_value@rumah/luas_lantai_m2",
        "head_too_young@anggota/0/tanggal_lahir",
        "nik_region_old@anggota/1/nik",
    ]
    assert errors(v2, out) == []


def test_two_questions_can_swap_names():
    v2 = bump(
        V1,
        2,
        {
            "from": 1,
            "renamed": {"aset/sepeda": "aset/sepeda_motor", "aset/sepeda_motor": "aset/sepeda"},
        },
    )
    assert check(v2, previous=V1).problems == []
    record = household()
    record["aset"].update(sepeda=2, sepeda_motor=1)
    out, _ = migrate(record, V1, v2)
    assert (out["aset"]["sepeda"], out["aset"]["sepeda_motor"]) == (1, 2)


def test_a_question_moved_to_another_section_leaves_no_empty_section():
    v2 = bump(V1, 2, {"from": 1, "renamed": {"lokasi/rt": "rumah/rt"}})
    lokasi = v2["properties"]["lokasi"]["properties"]
    v2["properties"]["rumah"]["properties"]["rt"] = lokasi.pop("rt")
    record = {
        "schema_version": 1,
        "id": household()["id"],
        "status": "draft",
        "lokasi": {"rt": "003"},
    }
    out, _ = migrate(record, V1, v2)
    assert out == {
        "schema_version": 2,
        "id": record["id"],
        "status": "draft",
        "rumah": {"rt": "003"},
    }


def test_a_draft_of_another_version_or_a_migration_from_elsewhere_is_refused():
    record = household()
    record["schema_version"] = 2
    with pytest.raises(MigrationRefused):
        migrate(record, V1, V2)
    v3 = bump(V2, 3, {"from": 1})
    with pytest.raises(MigrationRefused):
        migrate(household(), V1, v3)


def test_upgrade_goes_version_by_version():
    v3 = bump(V2, 3, {"from": 2, "renamed": {"rumah/jumlah_kk": "rumah/jumlah_kk_di_rumah"}})
    rumah = v3["properties"]["rumah"]
    rumah["properties"] = rename_in_place(rumah["properties"], "jumlah_kk", "jumlah_kk_di_rumah")
    assert check(v3, previous=V2).problems == []
    record = household()
    out, notes = upgrade(record, {1: V1, 2: V2, 3: v3}, 3)
    assert out["schema_version"] == 3
    assert out["rumah"]["jumlah_kk_di_rumah"] == record["rumah"]["jumlah_keluarga"]
    assert [n.kind for n in notes].count("renamed") == 2
    with pytest.raises(MigrationRefused):
        upgrade(record, {1: V1, 3: v3}, 3)  # version 2 is not on hand
    assert upgrade(out, {3: v3}, 3) == (out, [])
