"""Dates as typed, shown and stored (app/dates.py): DD-MM-YYYY on screen, ISO in the record,
birth dates with the year alone."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app import dates


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("30042022", "2022-04-30"),  # straight from the KK, no separators
        ("30-04-2022", "2022-04-30"),
        ("30.04.2022", "2022-04-30"),
        ("30/4/2022", "2022-04-30"),
        ("1-5-2022", "2022-05-01"),
        (" 30 04 2022 ", "2022-04-30"),
        ("2022-04-30", "2022-04-30"),  # typed the ISO way round: still understood
        ("31022022", "2022-02-31"),  # the shape decides; the rules say it is no date
        ("00001950", "1950-00-00"),  # no partial dates here: the rules report it
        ("", None),
        ("   ", None),
        ("30-04-22", "30-04-22"),  # no date shape: kept as typed, for the rules to report
        ("3004202", "3004202"),
        ("1950", "1950"),
        ("tgl 30", "tgl 30"),
    ],
)
def test_typed_full_dates(text, stored):
    assert dates.typed(text) == stored


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("00001950", "1950"),
        ("00-00-1950", "1950"),
        ("1950", "1950"),
        ("00071950", "1950-07"),
        ("0-7-1950", "1950-07"),
        ("15001950", "1950-00-15"),  # a day without its month cannot be kept: reported
        ("15071950", "1950-07-15"),
    ],
)
def test_typed_birth_dates(text, stored):
    assert dates.typed(text, partial=True) == stored


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2022-04-30", "30-04-2022"),
        ("1950", "00-00-1950"),
        ("1950-07", "00-07-1950"),
        ("30-04-22", "30-04-22"),
        (None, ""),
    ],
)
def test_shown_as_the_documents_print_it(stored, shown):
    assert dates.shown(stored) == shown


@pytest.mark.parametrize("stored", ["2022-04-30", "1950", "1950-07", "2024-02-29"])
def test_shown_then_typed_gives_the_stored_date_back(stored):
    assert dates.typed(dates.shown(stored), partial=True) == stored


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1950", True),
        ("1950-07", True),
        ("1950-07-01", True),
        ("2024-02-29", True),
        ("2023-02-29", False),
        ("1950-00", False),
        ("1950-13", False),
        ("1950-07-00", False),
        ("1950-00-00", False),
        ("0000", False),
        ("195", False),
        ("1950-7", False),
        ("19500701", False),
        ("١٩٥٠", False),
        (1950, True),  # not a string: the schema's `type` reports it
    ],
)
def test_the_partial_date_format(value, ok):
    assert dates.is_partial_date(value) is ok


def test_age_ranges():
    on = date(2026, 11, 27)
    assert dates.age_range("1980-04-12", on) == (46, 46)
    assert dates.age_range("1950", on) == (75, 76)
    assert dates.age_range("1950-11", on) == (75, 76)  # born 1-30 November
    assert dates.age_range("1950-12", on) == (75, 75)
    assert dates.age_range("2026", on) == (-1, 0)
    assert dates.age_range("x", on) is None and dates.age_range(None, on) is None


def test_parse_and_age_range_are_cached_without_changing_an_answer():
    # Cached for plain strings (the rules ask for each birth date several times); a str
    # subclass, a datetime or anything else is answered as before, uncached.
    class Text(str):
        pass

    on = date(2026, 11, 29)
    for value in ("1950", "1950-07", "1988-02-29", "1988-02-30", "x", ""):
        first = dates.parse(value)
        assert dates.parse(value) is first
        assert dates.parse(Text(value)) == first
        assert dates.age_range(Text(value), on) == dates.age_range(value, on)
        assert dates.age_range(value, datetime(2026, 11, 29, 8)) == dates.age_range(value, on)
    assert dates.parse(Text("1950-07")) == dates.Partial(1950, 7)
    assert dates.parse("1950-07-01" + " " * 20) is None  # long text: not cached, not a date
    assert dates.age_range("1950-07-01x", on) is None
    assert dates.age_range("1950-07", on) == (76, 76)
    assert dates.age_range("1950", on) == (75, 76)
