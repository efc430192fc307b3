"""Visit outcomes (issue 12 item 1): what each outcome requires and allows (app/rules.py on the
schema's skip logic), the visits before this one (app/visits.py), the list's summary, and old
records without an outcome. Records come from tests/records.py; finalising runs on a real
encrypted store."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from app import households, rules, visits
from app import questionnaire as q
from app.errors import NotFinalisable
from tests.records import DESA, LISTED, TODAY, VISIT, household, listed_away

ERROR, WARNING = rules.ERROR, rules.WARNING
NO_DATA = ("persetujuan", "rumah", "aset", "program", "kebutuhan")  # asked only when talked to
LOCATION = household()["lokasi"]


def check(rec: dict, *, final: bool = True) -> rules.Result:
    return rules.check(rec, rules.Context(today=TODAY), final=final)


def codes(result: rules.Result) -> set[tuple[str, tuple]]:
    return {(i.code, i.path) for i in result.issues}


def new_family(outcome: int, **fields) -> dict:
    """A family not on the list, visited: location, visit date and outcome only."""
    rec = {
        "schema_version": 1,
        "id": household()["id"],
        "status": "final",
        q.VISIT_DATE: VISIT,
        q.OUTCOME: outcome,
        "lokasi": copy.deepcopy(LOCATION),
        "anggota": [],
    }
    rec.update(fields)
    return rec


def listed_family(outcome: int, presence: int | None = None, **fields) -> dict:
    """A family from the DTSEN list: its list identity (KK, members as listed) and the visit."""
    rec = listed_away(7)
    rec["verifikasi"] = {"sumber": 1} | ({"keberadaan_keluarga": presence} if presence else {})
    rec["anggota"] = [{k: m[k] for k in LISTED} for m in household()["anggota"]]
    rec[q.OUTCOME] = outcome
    rec.update(fields)
    return rec


# ---------------------------------------------------------------------------- each outcome


def test_interviewed_needs_the_whole_questionnaire():
    assert check(household(hasil_kunjungan=visits.INTERVIEWED)).issues == []
    rec = household(hasil_kunjungan=visits.INTERVIEWED, rumah=None, no_kk=None)
    rec["anggota"][0].pop("status_kawin")
    found = codes(check(rec))
    assert {
        ("required", ("no_kk",)),
        ("required", ("rumah", "status_kepemilikan")),
        ("required", ("anggota", 0, "status_kawin")),
    } <= found


def test_partly_interviewed_needs_consent_and_keeps_what_was_answered():
    rec = household(hasil_kunjungan=visits.PARTLY, rumah=None, aset=None, no_kk=None)
    rec["anggota"] = [{k: m[k] for k in ("nama", "hubungan")} for m in rec["anggota"]]
    assert check(rec).issues == []  # the questions after the break are not required
    assert check(household(hasil_kunjungan=visits.PARTLY)).issues == []  # nor refused if given
    no_consent = dict(rec, persetujuan=None)
    assert ("required", ("persetujuan", "diberikan")) in codes(check(no_consent))
    refused = dict(rec, persetujuan={"diberikan": False, "versi_pemberitahuan": "2026.1"})
    assert ("consent_refused", ("persetujuan", "diberikan")) in codes(check(refused))


@pytest.mark.parametrize("outcome", [visits.REFUSED, visits.DWELLING_EMPTY])
def test_refusal_of_a_new_family_is_final_with_location_date_and_outcome(outcome):
    rec = new_family(outcome)
    assert check(rec).issues == []
    assert check(dict(rec, lokasi=None)).errors  # the location is still required
    # No answer collected without consent: each one is refused (and pruned by the form).
    talked = household(hasil_kunjungan=outcome)
    found = {path[0] for code, path in codes(check(talked)) if code == "not_applicable"}
    assert found == {"no_kk", *NO_DATA, "anggota"}
    pruned = q.canonical(q.prune(talked))
    assert set(pruned) == {
        "schema_version",
        "id",
        "status",
        "no_kk",
        q.VISIT_DATE,
        q.OUTCOME,
        "lokasi",
        "anggota",
        q.ACKNOWLEDGED,
    } - {"no_kk", q.ACKNOWLEDGED}
    assert pruned["anggota"] == [] and check(pruned).issues == []


@pytest.mark.parametrize("outcome", [visits.REFUSED, visits.NOT_FOUND, visits.DWELLING_EMPTY])
def test_refused_or_not_found_listed_family_keeps_only_its_list_identity(outcome):
    rec = listed_family(outcome)
    assert check(rec).issues == []
    head_only = [{"nama": "Yohanes Ilas", "hubungan": 1}]
    assert check(listed_family(outcome, anggota=head_only)).issues == []
    # Member details beyond the list's identity, and the family's whereabouts, are not asked.
    full = listed_family(outcome, anggota=household()["anggota"])
    paths = {p for code, p in codes(check(full)) if code == "not_applicable"}
    assert ("anggota", 0, "keberadaan") in paths and ("anggota", 0, "tempat_lahir") in paths
    assert ("anggota", 0, "pekerjaan") not in paths  # hidden by keberadaan, which goes first
    whereabouts = listed_family(outcome, presence=7)
    assert ("not_applicable", ("verifikasi", "keberadaan_keluarga")) in codes(check(whereabouts))


def test_refusal_needs_no_consent_answer_and_a_consent_answer_is_not_kept():
    assert check(listed_family(visits.REFUSED)).issues == []
    said_no = listed_family(visits.REFUSED, persetujuan={"diberikan": False})
    assert codes(check(said_no)) == {("not_applicable", ("persetujuan", "diberikan"))}
    # Nor a note about a family that is there and said no (one not found may have one).
    note = {"sumber": 1, "catatan_verifikasi": "Tetangga bilang sudah lama kosong"}
    noted = listed_family(visits.REFUSED, verifikasi=note)
    assert codes(check(noted)) == {("not_applicable", ("verifikasi", "catatan_verifikasi"))}
    assert check(listed_family(visits.NOT_FOUND, verifikasi=note)).issues == []


def test_a_listed_family_needs_an_outcome_unless_recorded_the_old_way():
    asked = listed_family(visits.INTERVIEWED)
    del asked[q.OUTCOME]
    assert ("required", (q.OUTCOME,)) in codes(check(asked))
    assert ("required", (q.OUTCOME,)) not in codes(check(listed_away(7)))  # keberadaan given
    assert ("required", (q.OUTCOME,)) not in codes(check(household()))  # not on the list


def test_consent_no_without_an_outcome_points_to_the_refused_outcome():
    rec = household(persetujuan={"diberikan": False, "versi_pemberitahuan": "2026.1"})
    issue = next(i for i in check(rec).errors if i.code == "consent_refused")
    assert '"Menolak" (3)' in issue.message("id") and '"Refused" (3)' in issue.message("en")


def test_nobody_home_keeps_a_revisit_date_which_may_be_in_the_future():
    rec = new_family(visits.NOBODY_HOME)
    assert codes(check(rec)) == {("required", (q.REVISIT_DATE,))}
    assert check(rec, final=False).issues == []  # a draft may wait for it
    later = "2027-01-15"  # after TODAY: a plan, not an error
    assert check(dict(rec, tanggal_kunjungan_ulang=later)).issues == []
    assert check(listed_family(visits.NOBODY_HOME, tanggal_kunjungan_ulang=VISIT)).issues == []
    before = dict(rec, tanggal_kunjungan_ulang="2026-11-20")
    result = check(before)
    assert codes(result) == {("date_before_visit", (q.REVISIT_DATE,))}
    assert result.warnings and not result.errors  # a warning to acknowledge, not a block
    other = household(hasil_kunjungan=visits.INTERVIEWED, tanggal_kunjungan_ulang=later)
    assert ("not_applicable", (q.REVISIT_DATE,)) in codes(check(other))


@pytest.mark.parametrize(
    "outcome,presence", [(visits.MOVED, 3), (visits.MOVED, 4), (visits.GONE, 2), (visits.GONE, 6)]
)
def test_moved_or_gone_asks_where_for_the_family_and_each_member(outcome, presence):
    rec = listed_family(outcome, presence)
    for m in rec["anggota"]:
        m["keberadaan"] = presence
    rec["verifikasi"]["catatan_verifikasi"] = "Menurut ketua RT"
    assert check(rec).issues == []
    asked = listed_family(outcome)
    found = codes(check(asked))
    assert ("required", ("verifikasi", "keberadaan_keluarga")) in found
    assert ("required", ("anggota", 0, "keberadaan")) in found
    assert ("required", ("anggota", 0, "nik")) not in found  # the list's identity is enough


def test_a_whereabouts_that_contradicts_the_outcome_is_an_error():
    moved = listed_family(visits.MOVED, 6)  # split: that is "no longer exists"
    for m in moved["anggota"]:
        m["keberadaan"] = 3
    issue = next(i for i in check(moved).errors if i.code == "answer_conflict")
    assert issue.path == ("verifikasi", "keberadaan_keluarga")
    assert issue.message("id").endswith('tidak cocok dengan jawaban "Hasil kunjungan".')
    assert issue.message("en").endswith('does not fit the answer to "Visit outcome".')
    living = listed_family(visits.GONE, 2)
    for m in living["anggota"]:
        m["keberadaan"] = 2
    living["anggota"][0]["keberadaan"] = 1  # then the family was found: outcome 1
    assert ("answer_conflict", ("anggota", 0, "keberadaan")) in codes(check(living))


@pytest.mark.parametrize("outcome", [visits.MOVED, visits.NOT_FOUND, visits.GONE])
def test_moved_not_found_and_gone_are_for_listed_families_only(outcome):
    result = check(new_family(outcome))
    issue = next(i for i in result.errors if i.code == "outcome_listed_only")
    assert issue.path == (q.OUTCOME,)
    assert "DTSEN" in issue.message("id") and "DTSEN" in issue.message("en")


def test_an_unknown_outcome_code_is_refused():
    assert ("enum", (q.OUTCOME,)) in codes(check(new_family(9)))


# ---------------------------------------------------------------------------- old records


@pytest.mark.parametrize("presence", [2, 3, 4, 6, 7])
def test_old_records_without_an_outcome_stay_valid(presence):
    """Records from before the question (schema_version 1 too) keep their meaning: a family
    at home interviewed in full, a listed family away as `keberadaan_keluarga` says."""
    assert check(household()).issues == []
    assert check(listed_away(presence)).issues == []
    assert (
        check({"schema_version": 1, "id": household()["id"], "status": "draft"}, final=False).issues
        == []
    )


@pytest.mark.parametrize(
    "rec,outcome",
    [
        (household(), visits.INTERVIEWED),
        (listed_away(2), visits.GONE),
        (listed_away(3), visits.MOVED),
        (listed_away(4), visits.MOVED),
        (listed_away(6), visits.GONE),
        (listed_away(7), visits.NOT_FOUND),
        (household(hasil_kunjungan=visits.REFUSED), visits.REFUSED),
    ],
)
def test_the_outcome_of_a_record_without_one_is_derived(rec, outcome):
    assert visits.effective(rec) == outcome


def test_finalise_a_refusal_and_a_consent_refusal_on_the_store(store):
    final, _ = households.finalise(store, new_family(visits.REFUSED, status="draft"), today=TODAY)
    assert final["status"] == "final" and final[q.OUTCOME] == visits.REFUSED
    with pytest.raises(NotFinalisable):  # consent "no" as an answer, the outcome not chosen
        households.finalise(
            store,
            household(id="3f0c9a52-7c1e-4b8e-9d2a-000000000077", persetujuan={"diberikan": False}),
            today=TODAY,
        )


# ---------------------------------------------------------------------------- revisits


def test_a_revisit_on_a_later_day_starts_a_new_visit_and_keeps_the_first():
    first = new_family(
        visits.NOBODY_HOME, tanggal_kunjungan="2026-11-20", tanggal_kunjungan_ulang="2026-11-27"
    )
    assert visits.start_revisit(first, date(2026, 11, 20)) is None  # the same day: same visit
    second = visits.start_revisit(first, date(2026, 11, 27))
    assert second[q.HISTORY] == ["2026-11-20:4"] and second[q.VISIT_DATE] == "2026-11-27"
    assert q.OUTCOME not in second and q.REVISIT_DATE not in second
    assert second["status"] == "draft" and visits.visit_count(second) == 2
    again = visits.start_revisit(dict(second, hasil_kunjungan=4), date(2026, 12, 1))
    assert again[q.HISTORY] == ["2026-11-20:4", "2026-11-27:4"]
    assert visits.start_revisit(dict(second, hasil_kunjungan=1), date(2026, 12, 1)) is None
    done = dict(second, hasil_kunjungan=visits.REFUSED)
    assert check(done).issues == []
    assert visits.history(done) == [("2026-11-20", visits.NOBODY_HOME)]


@pytest.mark.parametrize("history", [["2026-11-28:4"], ["2026-02-30:4"], ["2026-11-01:9"]])
def test_earlier_visits_must_be_real_dates_before_this_one_with_known_codes(history):
    assert codes(check(household(kunjungan=history))) == {("visit_history", ("kunjungan",))}


def test_earlier_visits_must_read_as_date_and_code():
    assert ("pattern", ("kunjungan", 0)) in codes(check(household(kunjungan=["2026-11-01"])))


# ---------------------------------------------------------------------------- the list


def test_the_list_summary_carries_the_outcome_and_revisit_date():
    rec = listed_family(visits.NOBODY_HOME, tanggal_kunjungan_ulang="2026-12-03")
    names, outcome, revisit = q.split_summary(q.summary(rec))
    assert (outcome, revisit) == (visits.NOBODY_HOME, "2026-12-03")
    assert names.split(q.SUMMARY_SEP)[:2] == [rec["no_kk"], "Yohanes Ilas"]
    old = q.SUMMARY_SEP.join(["6201010101010001", "Agus"])  # stored before the visit part
    assert q.split_summary(old) == (old, None, None)
    older = old + q.VISIT_SEP + "4" + q.VISIT_SEP + "2026-12-03"  # before RT/RW and address
    assert q.split_summary(older) == (old, visits.NOBODY_HOME, "2026-12-03")


def test_store_rows_know_the_outcome(store):
    store.save(
        q.canonical(
            listed_family(visits.NOBODY_HOME, status="draft", tanggal_kunjungan_ulang="2026-12-03")
        )
    )
    (row,) = store.rows()
    assert (row.outcome, row.revisit_on, row.kode_desa) == (visits.NOBODY_HOME, "2026-12-03", DESA)
    assert row.kk == household()["no_kk"] and row.head == "Yohanes Ilas"
