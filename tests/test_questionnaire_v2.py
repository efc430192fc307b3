"""Version 2 of the questionnaire (schemas/household.v2.schema.json; issue 13): it passes the
province's publish check against version 1, a version 1 household migrates into it without
losing an answer, and the rules for its new cross-field checks: the below-UMP flag, school
level (and class) against age, the work sector only for those who work, "none" alone."""

from __future__ import annotations

import copy

import pytest

from app import questionnaire as q
from app import rules
from app.export.layout import Layout, Options
from app.questionnaire_check import check, parse
from app.questionnaire_migration import upgrade
from tests.questionnaires import V2_FILE, WG, answers_v2, real_v2
from tests.records import TODAY, household, member


@pytest.fixture
def v2() -> dict:
    schema = real_v2()
    q.register(schema)
    return schema


def ctx() -> rules.Context:
    return rules.Context(today=TODAY)


def migrated(record: dict | None = None) -> tuple[dict, list]:
    return upgrade(record or household(), q.all_schemas(), 2)


def complete(record: dict | None = None, **kw) -> dict:
    return q.canonical(answers_v2(migrated(record)[0], **kw))


def codes(result: rules.Result) -> list[tuple[str, tuple]]:
    return [(i.code, i.path) for i in result.issues]


def test_the_v2_file_passes_the_publish_check_against_version_1():
    document, unreadable = parse(V2_FILE.read_bytes())
    assert not unreadable
    report = check(document, previous=q.load_schema())
    assert report.problems == []
    assert document["x-version"] == 2 and document["x-migration"]["from"] == 1


def test_a_v1_household_migrates_with_nothing_lost_and_the_new_required_questions_named(v2):
    old = household()
    new, notes = migrated(old)
    assert new["schema_version"] == 2
    # Every answer of version 1 is still there (the consent giver 1 stays 1; PBI code 4 stays).
    for key in ("no_kk", "lokasi", "persetujuan", "rumah", "aset", "kebutuhan"):
        assert new[key] == old[key]
    assert new["program"]["program_bansos"] == [4]
    kept = [{k: m[k] for k in mm} for m, mm in zip(new["anggota"], old["anggota"], strict=True)]
    assert kept == old["anggota"]
    required = {(n.path, n.member) for n in notes if n.kind == "new_required"}
    assert ("ekonomi/pendapatan_bulanan", None) in required
    assert ("anggota/sektor_kerja", 0) in required  # the head works
    assert ("anggota/sektor_kerja", 2) not in required  # the son (8) does not
    assert ("anggota/jenjang_sekolah", 2) in required
    # As it stands it cannot be final: the new required questions are errors until answered.
    errors = {i.code for i in rules.check(q.canonical(new), ctx()).errors}
    assert errors == {"required"}


def test_a_complete_v2_household_passes_with_no_issue(v2):
    record = complete()
    assert rules.check(record, ctx()).issues == []
    assert record["ekonomi"]["dibawah_ump"] is True  # income code 3: under Rp 3 million


def test_the_dwelling_photo_and_point_are_expected_or_a_reason_given(v2):
    """Issue 16: a family interviewed under version 2 is final with the dwelling photo and its
    point, or with the reason each is missing (an officer without a camera still finishes);
    version 1 households keep their rules."""
    record = complete()
    assert record["bukti"]["alasan_tanpa_foto_rumah"] == 1 and "gps" in record["lokasi"]
    assert "alasan_tanpa_titik" not in record["bukti"]  # the point is there: not asked
    without = copy.deepcopy(record)
    del without["bukti"]["alasan_tanpa_foto_rumah"]
    assert codes(rules.check(without, ctx())) == [
        ("required", ("bukti", "alasan_tanpa_foto_rumah"))
    ]
    draft = {**without, "status": "draft"}
    assert rules.check(draft, ctx(), final=False).issues == []  # a draft may wait for it
    photo = copy.deepcopy(without)
    photo["bukti"]["foto_rumah"] = "0b7f3d2e-6a7c-4f2a-9d7e-2f5a1c3b4d5e"
    assert rules.check(photo, ctx()).issues == []  # attached: the reason is not asked
    photo["bukti"]["alasan_tanpa_foto_rumah"] = 2
    assert codes(rules.check(photo, ctx())) == [
        ("not_applicable", ("bukti", "alasan_tanpa_foto_rumah"))
    ]
    no_point = copy.deepcopy(record)
    del no_point["lokasi"]["gps"]
    assert codes(rules.check(no_point, ctx())) == [("required", ("bukti", "alasan_tanpa_titik"))]
    refused = copy.deepcopy(without)
    refused["hasil_kunjungan"] = 3  # refused: no evidence section, nothing expected
    refused.pop("bukti")
    assert ("required", ("bukti", "alasan_tanpa_foto_rumah")) not in codes(
        rules.check(refused, ctx())
    )
    v1 = household()  # version 1, no photo: as before
    assert "bukti" not in v1 or not v1["bukti"].get("foto_rumah")
    assert not [i for i in rules.check(v1, ctx()).issues if i.path[:1] == ("bukti",)]


def test_consent_by_a_guardian_becomes_other_as_in_the_roster(v2):
    old = household()
    old["persetujuan"]["hubungan_pemberi"] = 10
    new, notes = migrated(old)
    assert new["persetujuan"]["hubungan_pemberi"] == 9
    assert ("recoded", "persetujuan/hubungan_pemberi") in {(n.kind, n.path) for n in notes}
    spec = v2["properties"]["persetujuan"]["properties"]["hubungan_pemberi"]
    roster = v2["properties"]["anggota"]["items"]["properties"]["hubungan"]
    assert spec["enum"] == roster["enum"] and 10 not in spec["enum"]


# -- below UMP ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("income", "below"), [(1, True), (4, True), (5, False), (6, False)])
def test_the_below_ump_flag_is_derived_from_income_and_the_ump_parameter(v2, income, below):
    record = complete(income=income)
    assert record["ekonomi"]["dibawah_ump"] is below
    assert rules.check(record, ctx()).errors == []
    # The UMP is the boundary between codes 4 and 5, as the parameter says.
    ump = q.parameter(v2, "ump")
    ranges = {
        o["value"]: o["range"]
        for o in q.options(v2["properties"]["ekonomi"]["properties"]["pendapatan_bulanan"])
    }
    assert ranges[4][1] == ump - 1 and ranges[5][0] == ump


def test_a_below_ump_flag_set_by_hand_is_refused_and_canonical_sets_it_right(v2):
    record = complete(income=6)
    forged = copy.deepcopy(record)
    forged["ekonomi"]["dibawah_ump"] = True  # priority claimed for an income over the UMP
    assert ("derived_mismatch", ("ekonomi", "dibawah_ump")) in codes(rules.check(forged, ctx()))
    assert q.canonical(forged)["ekonomi"]["dibawah_ump"] is False
    # Without an income there is no flag at all.
    del forged["ekonomi"]["pendapatan_bulanan"]
    assert "dibawah_ump" not in q.canonical(forged)["ekonomi"]


def test_canonical_puts_the_derived_flag_in_schema_order(v2):
    record = complete()
    again = q.canonical(record)
    assert (
        list(again["ekonomi"])
        == list(record["ekonomi"])
        == [
            "pengeluaran_bulanan",
            "pendapatan_bulanan",
            "dibawah_ump",
            "punya_umkm",
        ]
    )


# -- school level against age ---------------------------------------------------------------------


def with_child(v2_record: dict, **answers) -> dict:
    record = copy.deepcopy(v2_record)
    record["anggota"][2].update(answers)
    return q.canonical(record)


def test_a_school_level_unusual_for_the_age_is_a_warning_not_an_error(v2):
    record = complete()  # the son is 8, in SD
    assert record["anggota"][2]["jenjang_sekolah"] == 2
    odd = with_child(record, jenjang_sekolah=5)  # an 8-year-old at university
    del odd["anggota"][2]["kelas"]
    result = rules.check(odd, ctx())
    path = ("anggota", 2, "jenjang_sekolah")
    assert [(i.code, i.severity) for i in result.issues if i.path == path] == [
        ("age_unusual_answer", rules.WARNING)
    ]
    assert result.errors == []


def test_a_year_only_birth_date_warns_only_when_every_possible_age_is_unusual(v2):
    record = complete()
    record["anggota"][2]["tanggal_lahir"] = "2020"  # 5 or 6 on the visit date
    nik = record["anggota"][2]["nik"]
    record["anggota"][2]["nik"] = nik[:10] + "20" + nik[12:]
    ok = with_child(record, jenjang_sekolah=2, kelas=1)  # SD from 6: one of the ages fits
    assert not [i for i in rules.check(ok, ctx()).issues if i.code == "age_unusual_answer"]


def test_the_class_must_belong_to_the_school_level(v2):
    record = with_child(complete(), jenjang_sekolah=3, kelas=2)  # SMP has classes 7-9
    assert ("class_level", ("anggota", 2, "kelas")) in codes(rules.check(record, ctx()))
    record = with_child(complete(), jenjang_sekolah=3, kelas=7)
    assert ("class_level", ("anggota", 2, "kelas")) not in codes(rules.check(record, ctx()))


# -- work sector only for those who work --------------------------------------------------------


def test_the_work_sector_is_asked_only_of_those_who_work(v2):
    record = complete()
    wife = record["anggota"][1]
    assert wife["bekerja"] is True and wife["sektor_kerja"] == 1
    record["anggota"][1] = dict(wife, bekerja=False)
    for name in ("status_pekerjaan", "pekerjaan"):
        record["anggota"][1].pop(name)
    found = codes(rules.check(record, ctx()))
    assert ("not_applicable", ("anggota", 1, "sektor_kerja")) in found
    assert ("not_applicable", ("anggota", 1, "bpjs_ketenagakerjaan")) in found
    assert "sektor_kerja" not in q.prune(record)["anggota"][1]
    # And it is required of those who do.
    record = complete()
    del record["anggota"][0]["sektor_kerja"]
    assert ("required", ("anggota", 0, "sektor_kerja")) in codes(rules.check(record, ctx()))


# -- "none" answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("program", "program_bansos"), [0, 1]),
        (("anggota", 0, "disabilitas"), [0, 1]),
        (("anggota", 0, "penyakit_kronis"), [2, 0]),
        (("kebutuhan", "layanan"), [0, 3]),
    ],
)
def test_none_cannot_be_chosen_with_another_answer(v2, where, value):
    record = complete()
    node = record
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    assert ("none_exclusive", where) in codes(rules.check(record, ctx()))


def test_disability_chronic_disease_and_programs_need_an_explicit_answer(v2):
    record = complete()
    del record["anggota"][0]["disabilitas"]
    record["program"]["program_bansos"] = []
    found = codes(rules.check(q.canonical(record), ctx()))
    assert ("required", ("anggota", 0, "disabilitas")) in found
    assert ("required", ("program", "program_bansos")) in found


def test_washington_group_questions_from_age_5(v2):
    record = complete()
    baby = member("Bayi Ilas", "2025-01-10", 2, 3, serial=9)
    record["anggota"].append(baby)
    record = q.canonical(answers_v2(record))
    assert all(name not in record["anggota"][3] for name in WG)
    assert all(record["anggota"][0][name] == 1 for name in WG)
    record["anggota"][0]["sulit_melihat"] = 5
    assert ("enum", ("anggota", 0, "sulit_melihat")) in codes(rules.check(record, ctx()))


# -- contact phone ------------------------------------------------------------------------------


def test_the_contact_phone_is_checked_and_masked_in_masked_exports(v2):
    record = complete()
    record["lokasi"]["nomor_hp"] = "081234567890"
    assert rules.check(record, ctx()).issues == []
    layout = Layout(Options(mask_ids=True))
    row = dict(zip(layout.household_columns, layout.household_row(record), strict=True))
    assert row["nomor_hp"] == "0812******90"
    assert row["no_kk"] != record["no_kk"]
    plain = Layout(Options())
    row = dict(zip(plain.household_columns, plain.household_row(record), strict=True))
    assert row["nomor_hp"] == "081234567890"
    record["lokasi"]["nomor_hp"] = "12345"
    assert ("pattern", ("lokasi", "nomor_hp")) in codes(rules.check(record, ctx()))


def test_the_retired_pbi_code_is_kept_and_labelled_but_not_offered(v2):
    spec = v2["properties"]["program"]["properties"]["program_bansos"]
    assert 4 in [o["value"] for o in q.options(spec)]
    assert 4 not in [o["value"] for o in q.offered(spec)]
    record = complete()
    assert record["program"]["program_bansos"] == [4]
    assert rules.check(record, ctx()).errors == []
