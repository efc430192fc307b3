"""Paradata (issue 12 item 6, app/paradata.py): the times the app keeps in the record, counted
with given clocks (no timing in the tests), and checked by the schema like any answer."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app import paradata, rules
from app import questionnaire as q
from tests.records import TODAY, household

WIB = timezone(timedelta(hours=7))
OPENED = datetime(2026, 11, 27, 8, 15, 0, tzinfo=WIB)


def test_one_opening_counts_its_time_and_the_time_on_each_page():
    s = paradata.Session(OPENED, 100.0)
    s.switch("lokasi", 130.4)  # 30 s on the first page
    s.switch("rumah", 190.0)
    s.switch("lokasi", 400.0)
    out = s.stamp(household(), None, 460.9, OPENED + timedelta(seconds=361))
    assert out == {
        "mulai": "2026-11-27T08:15:00+07:00",
        "selesai": "2026-11-27T08:21:01+07:00",
        "durasi_detik": 360,
        "jumlah_kunjungan": 1,
        "detik_identitas": 30,
        "detik_lokasi": 120,
        "detik_rumah": 210,
    }


def test_a_later_opening_adds_to_what_the_record_held():
    before = {
        "mulai": "2026-11-20T09:00:00+07:00",
        "selesai": "2026-11-20T09:05:00+07:00",
        "durasi_detik": 300,
        "jumlah_kunjungan": 1,
        "detik_identitas": 100,
        "detik_lokasi": 200,
    }
    s = paradata.Session(OPENED, 0.0)
    record = household(kunjungan=["2026-11-20:4"])
    out = s.stamp(record, before, 50.0, OPENED + timedelta(seconds=50))
    assert out["mulai"] == before["mulai"]  # when entry of this household began
    assert (out["durasi_detik"], out["detik_identitas"], out["detik_lokasi"]) == (350, 150, 200)
    assert out["jumlah_kunjungan"] == 2  # the earlier visit and this one
    # Saving twice in one opening counts the opening once.
    again = s.stamp(record, before, 80.0, OPENED + timedelta(seconds=80))
    assert again["durasi_detik"] == 380 and again["detik_identitas"] == 180


def test_a_clock_that_goes_back_counts_nothing_rather_than_less():
    s = paradata.Session(OPENED, 100.0)
    out = s.stamp(household(), {"durasi_detik": 60}, 90.0, OPENED)
    assert out["durasi_detik"] == 60 and "detik_identitas" not in out


def test_paradata_is_part_of_the_record_the_rules_check():
    s = paradata.Session(OPENED, 0.0)
    rec = household()
    rec["paradata"] = s.stamp(rec, None, 65.0, OPENED + timedelta(seconds=65))
    assert rules.check(rec, rules.Context(today=TODAY)).issues == []
    assert q.canonical(rec)["paradata"] == rec["paradata"]
    bad = dict(rec, paradata=dict(rec["paradata"], mulai="kemarin", durasi_detik=-1))
    found = {(i.code, i.path) for i in rules.check(bad, rules.Context(today=TODAY)).issues}
    assert found == {("pattern", ("paradata", "mulai")), ("range", ("paradata", "durasi_detik"))}
