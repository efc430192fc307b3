"""Cross-field rules (app/rules.py), skip logic, messages and finalising.

Every rule has a passing and a failing case. Records come from tests/records.py; device-wide
checks run against a real encrypted store.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from app import households, questionnaire, rules
from app.errors import NotFinalisable, RecordNotFound
from app.i18n import catalogue, tr
from tests.records import (
    TODAY,
    VISIT,
    child,
    head,
    household,
    listed_away,
    member,
    nik_for,
    numbered,
)

ERROR, WARNING = rules.ERROR, rules.WARNING
HEAD_NIK, WIFE_NIK, CHILD_NIK = (m["nik"] for m in household()["anggota"])


def check(rec: dict, *, final: bool = True, **ctx) -> rules.Result:
    return rules.check(rec, rules.Context(today=TODAY, **ctx), final=final)


def at(result: rules.Result, code: str) -> list[rules.Issue]:
    return [i for i in result.issues if i.code == code]


def only(result: rules.Result, code: str) -> rules.Issue:
    found = at(result, code)
    assert len(found) == 1, (code, result.issues)
    return found[0]


def assert_issue(result: rules.Result, code: str, severity: str, path: tuple) -> rules.Issue:
    issue = only(result, code)
    assert (issue.severity, issue.path) == (severity, path), issue
    return issue


def with_member(index: int, new: dict, **top) -> dict:
    rec = household(**top)
    rec["anggota"][index] = new
    return rec


# ---------------------------------------------------------------------------- the baseline


def test_reference_household_is_clean():
    rec = household()
    result = check(rec)
    assert result.issues == []
    assert result.can_finalise(rec)
    # Three members: male head, wife, child aged 8 on the visit date.
    assert [m["hubungan"] for m in rec["anggota"]] == [1, 2, 3]
    assert questionnaire.age_on(rec["anggota"][2]["tanggal_lahir"], date.fromisoformat(VISIT)) == 8


def test_member_helper_builds_consistent_niks():
    assert nik_for("1980-04-12", 1, "627103", 3) == "6271031204800003"
    assert nik_for("1985-07-21", 2, "627103", 2) == "6271036107850002"  # women: day + 40
    assert nik_for("2018-05-15", 1, "627103", 1) == "6271031505180001"
    assert member("A", "2001-02-03", 2, 3, region="621201", serial=77)["nik"] == "6212014302010077"


# ---------------------------------------------------------------------------- NIK structure

NIK_PATH = ("anggota", 1, "nik")


@pytest.mark.parametrize(
    ("nik", "code"),
    [
        ("9971036107850002", "nik_province"),  # no province 99
        ("6200036107850002", "nik_region_zero"),  # regency 00
        ("6271006107850002", "nik_region_zero"),  # kecamatan 00
        ("6271037207850002", "nik_birth_date_invalid"),  # day 32 (+40)
        ("6271036113850002", "nik_birth_date_invalid"),  # month 13
        ("6271034002850002", "nik_birth_date_invalid"),  # day 0 (+40)
        ("6271037102850002", "nik_birth_date_invalid"),  # 31 February
        ("6271036107850000", "nik_serial"),  # serial 0000
    ],
)
def test_nik_structure_errors(nik, code):
    rec = household()
    rec["anggota"][1]["nik"] = nik
    result = check(rec)
    assert_issue(result, code, ERROR, NIK_PATH)
    assert not at(result, "nik_birth_mismatch") and not at(result, "nik_sex_mismatch")


def test_nik_structure_passes_for_valid_niks_even_from_other_provinces():
    assert not check(household()).issues
    rec = household()
    # Someone first registered in Banjarmasin (63.71.01) who lives here now: a valid NIK.
    rec["anggota"][1]["nik"] = nik_for("1985-07-21", 2, "637101", 2)
    assert check(rec).issues == []


@pytest.mark.parametrize("nik", ["627103610785000", "62710361078500021", "6271036107850O02"])
def test_nik_must_be_16_digits(nik):
    rec = household()
    rec["anggota"][1]["nik"] = nik
    assert_issue(check(rec), "digits16", ERROR, NIK_PATH)


def test_female_nik_matching_a_woman_passes():
    rec = household()
    wife_row = rec["anggota"][1]
    assert int(wife_row["nik"][6:8]) > 40 and wife_row["jenis_kelamin"] == 2
    assert not [i for i in check(rec).issues if i.path == NIK_PATH]


def test_female_nik_on_a_man_warns_sex_mismatch():
    rec = household()
    rec["anggota"][1].update(jenis_kelamin=1)
    rec["anggota"][1].pop("hamil")  # no longer asked of this member
    result = check(rec)
    assert_issue(result, "nik_sex_mismatch", WARNING, NIK_PATH)
    assert result.errors == []
    assert not at(result, "nik_birth_mismatch")  # the day is still read as day - 40


def test_male_nik_on_a_woman_warns_sex_mismatch():
    rec = household()
    rec["anggota"][1]["nik"] = nik_for("1985-07-21", 1, serial=2)
    result = check(rec)
    assert_issue(result, "nik_sex_mismatch", WARNING, NIK_PATH)
    assert result.errors == []


def test_nik_birth_date_mismatch_is_a_warning():
    rec = household()
    rec["anggota"][1]["tanggal_lahir"] = "1985-07-22"  # corrected later; the NIK keeps 21
    result = check(rec)
    assert_issue(result, "nik_birth_mismatch", WARNING, NIK_PATH)
    assert result.errors == []


def test_nik_birth_year_mismatch_is_a_warning():
    rec = household()
    rec["anggota"][2]["tanggal_lahir"] = "2017-05-15"
    result = check(rec)
    assert_issue(result, "nik_birth_mismatch", WARNING, ("anggota", 2, "nik"))
    assert result.errors == []


@pytest.mark.parametrize("region", ["629901", "627109"])  # unknown regency; unknown kecamatan
def test_nik_with_old_kalteng_region_is_a_warning(region):
    rec = household()
    rec["anggota"][1]["nik"] = nik_for("1985-07-21", 2, region, 2)
    result = check(rec)
    assert_issue(result, "nik_region_old", WARNING, NIK_PATH)
    assert result.errors == []


# ---------------------------------------------------------------------------- heads


def test_no_head_is_an_error():
    rec = household()
    rec["anggota"][0]["hubungan"] = 8
    assert_issue(check(rec), "no_head", ERROR, ("anggota",))


def test_two_heads_is_an_error_on_the_second():
    rec = household()
    rec["anggota"][1]["hubungan"] = 1
    assert_issue(check(rec), "many_heads", ERROR, ("anggota", 1, "hubungan"))


def test_exactly_one_head_passes():
    result = check(household())
    assert not at(result, "no_head") and not at(result, "many_heads")


# ---------------------------------------------------------------------------- duplicates


def test_same_nik_twice_in_household_names_the_other_member():
    rec = household()
    rec["anggota"][2]["nik"] = HEAD_NIK
    issue = assert_issue(check(rec), "nik_duplicate_household", ERROR, ("anggota", 2, "nik"))
    assert issue.params == {"n": 1}
    assert "anggota ke-1" in issue.message("id")
    assert "member 1" in issue.message("en")
    assert issue.message("id").startswith("Anggota ke-3")


def test_different_niks_in_household_pass():
    assert not at(check(household()), "nik_duplicate_household")


def _device_ctx(store, rec):
    return {"lookup": store.households_with, "household_id": rec["id"]}


def test_same_nik_in_another_household_on_device_is_an_error(store):
    first = numbered(1)
    store.save(first)
    other = numbered(2)
    other["anggota"][1]["nik"] = first["anggota"][1]["nik"]
    result = check(other, **_device_ctx(store, other))
    assert_issue(result, "nik_duplicate_device", ERROR, ("anggota", 1, "nik"))
    assert not at(result, "kk_duplicate_device")


def test_same_kk_in_another_household_on_device_is_an_error(store):
    first = numbered(1)
    store.save(first)
    other = numbered(2, no_kk=first["no_kk"])
    result = check(other, **_device_ctx(store, other))
    assert_issue(result, "kk_duplicate_device", ERROR, ("no_kk",))
    assert not at(result, "nik_duplicate_device")


def test_distinct_household_and_resaving_itself_pass(store):
    first = numbered(1)
    store.save(first)
    assert check(numbered(2), **_device_ctx(store, numbered(2))).issues == []
    # The household's own stored copy is not a duplicate of itself.
    assert check(first, **_device_ctx(store, first)).issues == []


# ---------------------------------------------------------------------------- KK


@pytest.mark.parametrize("kk", ["62710301011000", "627103010110000X", "62710301011000041"])
def test_kk_must_be_16_digits(kk):
    assert_issue(check(household(no_kk=kk)), "digits16", ERROR, ("no_kk",))


def test_kk_from_outside_kalteng_warns():
    result = check(household(no_kk="6371010101100004"))  # Banjarmasin Selatan, Kalsel
    assert_issue(result, "kk_outside_kalteng", WARNING, ("no_kk",))
    assert result.errors == []


def test_kk_with_unknown_region_warns():
    result = check(household(no_kk="6299010101100004"))
    assert_issue(result, "kk_region_unknown", WARNING, ("no_kk",))
    assert not at(result, "kk_outside_kalteng") and result.errors == []


def test_kalteng_kk_passes():
    result = check(household(no_kk="6212010101100004"))  # Murung, Murung Raya
    assert result.issues == []


# ---------------------------------------------------------------------------- location

DESA_PATH = ("lokasi", "kode_desa")


def test_unknown_desa_is_an_error():
    rec = household()
    rec["lokasi"]["kode_desa"] = "62.71.03.1999"
    assert_issue(check(rec), "desa_unknown", ERROR, DESA_PATH)


@pytest.mark.parametrize("areas", [["62.12"], ["62.7"], ["62.71.01"], ["62.71.03.1002"]])
def test_desa_outside_assigned_areas_is_an_error(areas):
    assert_issue(check(household(), assigned_areas=areas), "desa_outside_area", ERROR, DESA_PATH)


@pytest.mark.parametrize(
    "areas", [[], ["62"], ["62.71"], ["62.71.03"], ["62.71.03.1001"], ["62.12", "62.71.03"]]
)
def test_desa_inside_assigned_areas_passes(areas):
    assert check(household(), assigned_areas=areas).issues == []


# ---------------------------------------------------------------------------- ages


def _age_path(i: int) -> tuple:
    return ("anggota", i, "tanggal_lahir")


def test_head_under_15_warns_and_15_passes():
    young = with_member(0, member("Kepala", "2011-11-28", 1, 1, serial=3))  # 14 on the visit
    assert_issue(check(young), "head_too_young", WARNING, _age_path(0))
    ok = with_member(0, member("Kepala", "2011-11-27", 1, 1, serial=3))  # 15 today
    assert not at(check(ok), "head_too_young")


def test_spouse_under_19_warns_and_19_passes():
    young = with_member(1, member("Istri", "2007-11-28", 2, 2, serial=2))  # 18
    result = check(young)
    assert_issue(result, "spouse_too_young", WARNING, _age_path(1))
    assert result.errors == []
    ok = with_member(1, member("Istri", "2007-11-27", 2, 2, serial=2))  # 19
    assert check(ok).issues == []


def test_child_too_close_in_age_to_head_warns():
    close = with_member(2, member("Anak", "1991-11-27", 1, 3, serial=1))  # 35, head 46
    assert_issue(check(close), "child_age_gap", WARNING, _age_path(2))
    gap12 = with_member(2, member("Anak", "1992-04-12", 1, 3, serial=1))  # 34: 12 years gap
    assert check(gap12).issues == []


def test_parent_too_close_in_age_to_head_warns():
    rec = household()
    rec["anggota"].append(member("Ibu", "1970-01-01", 2, 6, serial=9))  # 56, head 46
    assert_issue(check(rec), "parent_age_gap", WARNING, _age_path(3))
    rec["anggota"][3] = member("Ibu", "1955-01-01", 2, 6, serial=9)  # 71
    assert check(rec).issues == []


def test_age_over_110_warns():
    old = with_member(0, member("Kepala", "1915-11-26", 1, 1, serial=3))  # 111
    issue = assert_issue(check(old), "age_implausible", WARNING, _age_path(0))
    assert issue.params == {"age": 111}
    ok = with_member(0, member("Kepala", "1916-11-27", 1, 1, serial=3))  # 110
    assert check(ok).issues == []


def test_two_spouses_warn():
    rec = household()
    rec["anggota"].append(member("Istri kedua", "1990-03-03", 2, 2, serial=9))
    assert_issue(check(rec), "many_spouses", WARNING, ("anggota", 3, "hubungan"))


def test_birth_after_visit_date_is_an_error():
    # Born the day after the visit but before "today": only the visit date counts.
    late = with_member(2, member("Bayi", "2026-11-28", 1, 3, serial=1))
    result = check(late)
    assert_issue(result, "birth_in_future", ERROR, _age_path(2))
    assert not at(result, "date_in_future")
    on_visit_day = with_member(2, member("Bayi", VISIT, 1, 3, serial=1))
    assert check(on_visit_day).issues == []


# ---------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("path", "when"),
    [(("tanggal_kunjungan",), "2026-11-30"), (("persetujuan", "tanggal"), "2026-12-01")],
)
def test_dates_in_the_future_are_errors(path, when):
    rec = household()
    node = rec
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = when
    assert_issue(check(rec), "date_in_future", ERROR, path)
    node[path[-1]] = TODAY.isoformat()  # today itself is fine
    assert not at(check(rec), "date_in_future")


# ---------------------------------------------------------- birth dates without day or month
# Visit 2026-11-27; the head (1980-04-12) is 46. KK printouts of a year-only birth date show a
# conventional day and month (01-07 here), and so does the NIK.


def mother(birth: str, nik_birth: str = "1950-07-01", **overrides) -> dict:
    m = member("Ineh Bungai", nik_birth, 2, 6, serial=9, status_kawin=4, **overrides)
    m["tanggal_lahir"] = birth
    return m


def with_mother(birth: str, **overrides) -> dict:
    rec = household()
    rec["anggota"].append(mother(birth, **overrides))
    return rec


@pytest.mark.parametrize("birth", ["1950", "1950-07", "1950-07-01"])
def test_year_only_and_year_month_birth_dates_are_valid(birth):
    assert check(with_mother(birth)).issues == []


@pytest.mark.parametrize(
    "birth", ["1950-00-00", "1950-13", "1950-07-00", "1950-02-30", "01-07-1950", "50", "1950-7"]
)
def test_impossible_partial_birth_dates_are_errors(birth):
    issue = assert_issue(check(with_mother(birth)), "partial_date", ERROR, _age_path(3))
    assert "00-00-1950" in issue.message("id")


def test_partial_dates_only_for_birth_dates():
    rec = household(tanggal_kunjungan="2026")
    assert_issue(check(rec), "date", ERROR, ("tanggal_kunjungan",))


def test_nik_check_compares_only_the_known_parts_of_a_birth_date():
    # The NIK says 01-07-1950: a year-only 1950 agrees, and so does July 1950.
    assert not at(check(with_mother("1950")), "nik_birth_mismatch")
    assert not at(check(with_mother("1950-07")), "nik_birth_mismatch")
    path = ("anggota", 3, "nik")
    assert_issue(check(with_mother("1951")), "nik_birth_mismatch", WARNING, path)
    assert_issue(check(with_mother("1950-08")), "nik_birth_mismatch", WARNING, path)
    assert_issue(check(with_mother("1950-07-02")), "nik_birth_mismatch", WARNING, path)


def test_ages_from_a_year_only_date_warn_only_when_every_possible_age_does():
    assert questionnaire.age_on("1950", date(2026, 11, 27)) == 75  # certainly reached
    # Parent at least 12 years older than the head (46): born 1968 -> 57 or 58, no warning
    # either way; born 1981 is certainly too young.
    assert not at(check(with_mother("1968")), "parent_age_gap")
    assert_issue(check(with_mother("1981")), "parent_age_gap", WARNING, _age_path(3))
    # 1915: 110 or 111 years old, not certainly over 110; 1914 is.
    assert not at(check(with_mother("1915")), "age_implausible")
    issue = assert_issue(check(with_mother("1914")), "age_implausible", WARNING, _age_path(3))
    assert issue.params == {"age": 111}
    # Head born in 2011: 14 or 15, not certainly under 15; 2012 is.
    assert not at(check(with_member(0, dict(head(), tanggal_lahir="2011"))), "head_too_young")
    young = with_member(0, dict(head(), tanggal_lahir="2012"))
    assert_issue(check(young), "head_too_young", WARNING, _age_path(0))


def test_birth_in_the_visit_year_is_not_in_the_future_unless_certain():
    rec = household()
    rec["anggota"][2] = dict(child(), tanggal_lahir="2026")
    assert not at(check(rec), "birth_in_future")
    rec["anggota"][2]["tanggal_lahir"] = "2026-12"  # after the visit (27 November)
    assert_issue(check(rec), "birth_in_future", ERROR, _age_path(2))


def test_age_questions_are_asked_when_a_year_only_age_could_apply():
    # Born in 2016: 9 or 10 on the visit (27 November 2026), so the questions from 10 on
    # (marital status, work) are asked: better to ask than to skip. Born in 2017: 8 or 9.
    answers = questionnaire.answers(with_member(2, dict(child(), tanggal_lahir="2016")))
    relevant = {a.path[-1]: a.relevant for a in answers if a.path[:2] == ("anggota", 2)}
    assert relevant["status_kawin"] and relevant["bekerja"]
    answers = questionnaire.answers(with_member(2, dict(child(), tanggal_lahir="2017")))
    relevant = {a.path[-1]: a.relevant for a in answers if a.path[:2] == ("anggota", 2)}
    assert not relevant["status_kawin"] and relevant["partisipasi_sekolah"]


# ---------------------------------------------------------------------------- "none" answers


@pytest.mark.parametrize(
    ("where", "name"),
    [
        (("anggota", 0), "disabilitas"),
        (("anggota", 0), "penyakit_kronis"),
        (("kebutuhan",), "layanan"),
    ],
)
def test_none_is_an_answer_of_its_own(where, name):
    rec = household()
    node = rec[where[0]][where[1]] if len(where) == 2 else rec[where[0]]
    node[name] = [0]
    assert check(rec).issues == []
    node[name] = [0, 1]
    issue = assert_issue(check(rec), "none_exclusive", ERROR, where + (name,))
    assert issue.message("id").endswith('"Tidak ada" tidak boleh dipilih bersama jawaban lain.')
    assert check(rec, final=False).errors == [issue]  # a draft too: it is never right


# ---------------------------------------------------------------------------- skip logic


def test_answer_to_hidden_question_is_an_error_and_prune_removes_it():
    rec = household()
    rec["rumah"]["status_kepemilikan"] = 2  # rented: proof of ownership is not asked
    assert rec["rumah"]["bukti_kepemilikan"] == 3
    assert_issue(check(rec), "not_applicable", ERROR, ("rumah", "bukti_kepemilikan"))
    pruned = questionnaire.prune(rec)
    assert "bukti_kepemilikan" not in pruned["rumah"]
    assert rec["rumah"]["bukti_kepemilikan"] == 3  # prune returns a copy
    assert check(pruned).issues == []


def test_prune_clears_chains_of_hidden_answers():
    rec = household()
    rec["anggota"][0]["bekerja"] = False  # hides status_pekerjaan, which hides pekerjaan
    assert_issue(check(rec), "not_applicable", ERROR, ("anggota", 0, "status_pekerjaan"))
    pruned = questionnaire.prune(rec)
    assert "status_pekerjaan" not in pruned["anggota"][0]
    assert "pekerjaan" not in pruned["anggota"][0]
    assert check(pruned).issues == []


def test_age_based_question_answered_for_young_child_is_not_applicable():
    rec = household()
    rec["anggota"][2]["status_kawin"] = 1  # asked from age 10; the child is 8
    assert_issue(check(rec), "not_applicable", ERROR, ("anggota", 2, "status_kawin"))
    assert check(rec, final=False).errors  # a hidden answer is wrong in a draft too


def test_toilet_questions_hidden_without_toilet():
    rec = household()
    rec["rumah"]["fasilitas_bab"] = 6
    result = check(rec)
    paths = {i.path for i in at(result, "not_applicable")}
    assert paths == {("rumah", "jenis_kloset"), ("rumah", "pembuangan_tinja")}
    assert check(questionnaire.prune(rec)).issues == []


@pytest.mark.parametrize(
    ("path", "drop"),
    [
        (("rumah", "daya_listrik"), lambda r: r["rumah"].pop("daya_listrik")),
        (("anggota", 1, "hamil"), lambda r: r["anggota"][1].pop("hamil")),
        (("no_kk",), lambda r: r.pop("no_kk")),
        (("lokasi", "kode_desa"), lambda r: r["lokasi"].pop("kode_desa")),
        (("kebutuhan", "layanan"), lambda r: r["kebutuhan"].update(layanan=[])),
    ],
)
def test_required_when_shown_only_on_final(path, drop):
    rec = household()
    drop(rec)
    assert_issue(check(rec), "required", ERROR, path)
    assert check(rec, final=False).issues == []


def test_unanswered_hidden_question_is_not_required():
    rec = household()
    rec["rumah"]["sumber_penerangan"] = 4  # not electric: power VA is not asked
    rec["rumah"].pop("daya_listrik")
    assert check(rec).issues == []


def test_new_draft_passes_as_draft_but_not_as_final():
    rec = households.new_record(TODAY)
    assert check(rec, final=False).issues == []
    final = check(rec)
    required = {i.path for i in at(final, "required")}
    assert {
        ("no_kk",),
        ("anggota",),
        ("lokasi", "kode_desa"),
        ("persetujuan", "diberikan"),
    } <= required


# ---------------------------------------------------------------------------- consent


def _refused() -> dict:
    return household(persetujuan={"diberikan": False, "versi_pemberitahuan": "2026.1"})


def test_consent_refused_blocks_final():
    assert_issue(check(_refused()), "consent_refused", ERROR, ("persetujuan", "diberikan"))


def test_consent_refused_draft_passes_and_consent_given_passes():
    assert check(_refused(), final=False).issues == []
    assert not at(check(household()), "consent_refused")


def test_consent_refused_with_leftover_consent_details_is_not_applicable():
    rec = household()
    rec["persetujuan"]["diberikan"] = False
    paths = {i.path for i in at(check(rec), "not_applicable")}
    assert paths == {("persetujuan", p) for p in ("nama_pemberi", "hubungan_pemberi", "tanggal")}


# ---------------------------------------------------------------------------- DTSEN verification

AWAY = ("persetujuan", "rumah", "aset", "program", "kebutuhan")


@pytest.mark.parametrize("presence", [2, 3, 4, 6, 7])
def test_listed_family_away_is_final_with_location_kk_result_and_members(presence):
    assert check(listed_away(presence)).issues == []


def test_listed_family_found_is_asked_everything():
    assert check(household(verifikasi={"sumber": 1, "keberadaan_keluarga": 1})).issues == []
    asked = check(household(verifikasi={"sumber": 1}))  # now the visit outcome is asked first
    assert_issue(asked, "required", ERROR, ("hasil_kunjungan",))
    rec = listed_away(7)
    rec["verifikasi"]["keberadaan_keluarga"] = 1  # found after all: the sections are required
    required = {i.path[0] for i in at(check(rec), "required")}
    assert set(AWAY) - {"program"} <= required  # program has no required question
    assert ("anggota", 0, "status_kawin") in {i.path for i in at(check(rec), "required")}


def test_family_away_with_dwelling_answers_is_not_applicable_and_pruned():
    rec = household(verifikasi={"sumber": 1, "keberadaan_keluarga": 3})
    result = check(rec)
    assert {i.path[0] for i in at(result, "not_applicable")} == set(AWAY) | {"anggota"}
    assert not at(result, "required")
    pruned = questionnaire.canonical(questionnaire.prune(rec))
    assert not set(AWAY) & set(pruned)
    assert check(pruned).issues == []


def test_consent_refused_is_not_reported_when_consent_was_not_asked():
    rec = listed_away(7, persetujuan={"diberikan": False})
    result = check(rec)
    assert not at(result, "consent_refused")
    assert_issue(result, "not_applicable", ERROR, ("persetujuan", "diberikan"))


def test_verification_result_only_for_listed_families():
    for sumber in (None, 2):
        rec = household(verifikasi={"sumber": sumber, "keberadaan_keluarga": 1})
        assert_issue(check(rec), "not_applicable", ERROR, ("verifikasi", "keberadaan_keluarga"))
    note = household(verifikasi={"sumber": 1, "keberadaan_keluarga": 1, "catatan_verifikasi": "x"})
    assert_issue(check(note), "not_applicable", ERROR, ("verifikasi", "catatan_verifikasi"))
    assert (
        check(
            listed_away(
                7,
                verifikasi={
                    "sumber": 1,
                    "keberadaan_keluarga": 7,
                    "catatan_verifikasi": "Pindah ke Sampit",
                },
            )
        ).issues
        == []
    )


def test_finalise_listed_family_not_found(store):
    rec = listed_away(7)
    final, _ = households.finalise(store, rec, today=TODAY)
    assert final["status"] == "final" and not set(AWAY) & set(final)


# ---------------------------------------------------------------------------- messages


def _broken(store) -> list[dict]:
    """Households that between them raise most rule codes, with members in several places."""
    a = household()
    a["no_kk"] = "62710301011000"
    a["lokasi"]["kode_desa"] = "62.71.03.1999"
    a["lokasi"]["gps"]["lat"] = 5.0
    a["persetujuan"]["tanggal"] = "2026-12-01"
    a["rumah"].update(status_kepemilikan=2, jumlah_keluarga=0)
    a["rumah"].pop("daya_listrik")
    a["aset"]["mobil"] = 50
    a["anggota"][1]["nik"] = HEAD_NIK  # duplicate of member 1, wrong date, wrong sex
    a["anggota"][1]["hubungan"] = 1
    a["anggota"][1]["nama"] = "x" * 101
    a["anggota"][2]["tanggal_lahir"] = "2026-11-28"
    a["anggota"][2]["status_kawin"] = 1
    a["anggota"].append(member("Nenek Tua", "1901-01-01", 2, 6, serial=9, nik="6271034101010000"))
    a["anggota"].append(member("Lain", "1990-01-01", 1, 2, region="997103", serial=5))
    a["anggota"].append(member("Lain Dua", "1990-01-01", 1, 8, region="620003", serial=6))
    a["anggota"].append(member("Lama", "1990-01-01", 1, 8, region="629901", serial=7))
    a["anggota"].append(dict(member("Salah", "1990-01-01", 1, 8, serial=8), nik="6271033213900008"))
    a["anggota"].append(dict(member("Pendek", "1990-01-01", 1, 8, serial=9), nik="627103"))

    b = numbered(2, tanggal_kunjungan="2026-12-24", persetujuan={"diberikan": False})
    b["no_kk"] = "6371010101100004"
    b["anggota"][0] = member("Kepala Muda", "2014-01-01", 1, 8, serial=6)
    b["anggota"][1]["nik"] = HEAD_NIK  # held by household a on this device
    c = numbered(3, no_kk="6299010101100004")
    c["anggota"][0]["jenis_kelamin"] = 2
    c["anggota"].append(member("Istri Kedua", "1990-03-03", 2, 2, serial=14))
    c["anggota"].append(member("Ayah", "1975-03-03", 1, 6, serial=15))
    d = numbered(4, no_kk=a["no_kk"][:14] + "04")  # kk of the stored household
    d["anggota"][0] = member("Kepala Kecil", "2014-01-01", 1, 1, serial=12)
    d["anggota"][1] = member("Istri Kecil", "2012-01-01", 2, 2, serial=13)
    store.save(household())
    return [a, b, c, d]


def _personal_values(rec: dict) -> set[str]:
    values = {
        rec.get("no_kk", ""),
        rec["lokasi"]["alamat"],
        rec["persetujuan"].get("nama_pemberi", ""),
    }
    for m in rec["anggota"]:
        values |= {
            m.get("nik", ""),
            m.get("nama", ""),
            m.get("tanggal_lahir", ""),
            m.get("pekerjaan", ""),
        }
    return {v for v in values if v}


def test_messages_render_in_both_languages_without_personal_values(store):
    codes: set[str] = set()
    member_2_seen = 0
    for rec in _broken(store):
        ctx = {"lookup": store.households_with, "household_id": rec["id"]}
        personal = _personal_values(rec)
        for issue in check(rec, **ctx).issues:
            codes.add(issue.code)
            text_id, text_en = issue.message("id"), issue.message("en")
            assert text_id.strip() and text_en.strip(), issue
            assert text_id != text_en, issue
            for text in (text_id, text_en):
                assert "{" not in text and "}" not in text, text
                assert not re.search(r"\d{5,}", text), text  # no NIK/KK fragments
                for value in personal:
                    assert value not in text, (issue, value)
            if issue.member == 1:
                member_2_seen += 1
                assert "ke-2" in text_id and text_id.startswith("Anggota ke-2"), text_id
                assert "Member 2" in text_en, text_en
    assert member_2_seen >= 4
    expected = {
        "digits16", "desa_unknown", "unusual_value", "date_in_future", "not_applicable",
        "required", "range", "too_long", "nik_duplicate_household", "nik_birth_mismatch",
        "nik_sex_mismatch", "many_heads", "birth_in_future", "age_implausible", "nik_serial",
        "nik_province", "nik_region_zero", "nik_region_old", "nik_birth_date_invalid",
        "kk_outside_kalteng", "kk_region_unknown", "kk_duplicate_device", "nik_duplicate_device",
        "no_head", "consent_refused", "head_too_young", "spouse_too_young", "many_spouses",
        "parent_age_gap", "child_age_gap",
    }  # fmt: skip
    assert expected <= codes, expected - codes


def _codes_in_rules_source() -> set[str]:
    source = Path(rules.__file__).read_text("utf-8")
    codes = set(re.findall(r'Issue\(\s*"([a-z0-9_]+)"', source))
    codes |= set(rules._NIK_ERRORS.values()) | set(rules._SCHEMA_CODES.values())
    codes |= {"digits16", "pattern", "date", "format", "invalid", "nik_invalid"}
    return codes


def test_every_rule_code_has_a_message_in_both_languages():
    cat = catalogue()
    for code in sorted(_codes_in_rules_source()):
        entry = cat.get(f"rule.{code}")
        assert entry is not None, code
        assert entry.get("id", "").strip() and entry.get("en", "").strip(), code
        assert entry["id"] != entry["en"], code


def test_member_issue_names_the_field_by_its_label():
    nik = rules.Issue("nik_serial", ERROR, ("anggota", 1, "nik"))
    assert nik.message("id").startswith("Anggota ke-2, NIK: ")
    assert nik.message("en").startswith("Member 2, NIK (national ID number): ")
    born = rules.Issue("birth_in_future", ERROR, ("anggota", 0, "tanggal_lahir"))
    assert born.message("id").startswith("Anggota ke-1, Tanggal lahir: ")
    assert born.message("en").startswith("Member 1, Date of birth: ")


def test_top_level_issue_names_the_field_by_its_label():
    kk = rules.Issue("digits16", ERROR, ("no_kk",))
    assert kk.message("id") == "Nomor Kartu Keluarga (KK): harus 16 digit angka."
    assert kk.message("en") == "Family card (KK) number: must be 16 digits."


def test_member_issue_names_member_by_position_in_both_languages():
    issue = rules.Issue("nik_serial", ERROR, ("anggota", 1, "nik"))
    assert issue.message("id").startswith("Anggota ke-2, ")
    assert issue.message("en").startswith("Member 2, ")
    top = rules.Issue("desa_unknown", ERROR, DESA_PATH)
    assert "ke-" not in top.message("id") and "Member" not in top.message("en")


# ---------------------------------------------------------------------------- finalising


def _with_warning() -> dict:
    rec = numbered(5)
    rec["anggota"][2]["tanggal_lahir"] = "2018-05-16"  # NIK says the 15th
    return rec


def test_finalise_refuses_unacknowledged_warnings(store):
    rec = _with_warning()
    with pytest.raises(NotFinalisable) as caught:
        households.finalise(store, rec, today=TODAY)
    assert caught.value.params == {"errors": 0, "warnings": 1}
    with pytest.raises(RecordNotFound):
        store.get(rec["id"])  # nothing was written


def test_finalise_with_acknowledge_records_warning_keys(store):
    rec = _with_warning()
    final, revision = households.finalise(store, rec, acknowledge=True, today=TODAY)
    assert revision == 1
    assert final["status"] == "final"
    assert final["peringatan_diterima"] == ["nik_birth_mismatch@anggota/2/nik"]
    stored, _ = store.get(rec["id"])
    assert stored == final
    result = check(stored, lookup=store.households_with, household_id=stored["id"])
    assert result.can_finalise(stored) and not result.errors
    assert store.status_counts()["pending_sync"] == 1


def test_finalise_clean_household_after_draft(store):
    rec = numbered(6)
    households.save_draft(store, rec)
    final, revision = households.finalise(store, rec, today=TODAY)  # its own NIKs are no dupes
    assert revision == 2 and not final.get("peringatan_diterima")  # nothing to acknowledge


def test_finalise_prunes_hidden_answers(store):
    rec = numbered(7)
    rec["rumah"]["status_kepemilikan"] = 2
    final, _ = households.finalise(store, rec, today=TODAY)
    assert "bukti_kepemilikan" not in final["rumah"]
    assert "bukti_kepemilikan" not in store.get(rec["id"])[0]["rumah"]


def test_finalise_refuses_errors_even_when_acknowledging(store):
    rec = numbered(8, persetujuan={"diberikan": False, "versi_pemberitahuan": "2026.1"})
    with pytest.raises(NotFinalisable) as caught:
        households.finalise(store, rec, acknowledge=True, today=TODAY)
    assert caught.value.params["errors"] == 1
    assert store.status_counts()["households"] == 0


def test_message_catalogue_is_valid_json():
    text = (Path(__file__).parents[1] / "resources" / "messages.json").read_text("utf-8")
    assert json.loads(text) == catalogue()


def test_a_question_label_takes_no_second_mark_before_the_colon():
    """ "Apakah keluarga setuju datanya dicatat?: wajib diisi" read oddly (issue 12)."""
    issue = rules.Issue("required", rules.ERROR, ("persetujuan", "diberikan"))
    assert questionnaire.label(("persetujuan", "diberikan"), "id").endswith("?")
    assert "?:" not in issue.message("id") and "?:" not in issue.message("en")
    assert issue.message("id").endswith("dicatat: " + tr("rule.required", "id"))
