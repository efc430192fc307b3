"""Dates as stored, as typed and as shown (docs/questionnaire.md, "Dates").

Stored: ISO 8601, `YYYY-MM-DD`. A birth date (`"format": "partial-date"` in the schema) may
also be stored with reduced precision, as ISO 8601 allows: `YYYY-MM` (day unknown) or `YYYY`
(only the year known), as elderly people's KK entries often are.

Typed and shown: `DD-MM-YYYY`, as KK and KTP print dates; the separators are optional
("30042022"), and 00 stands for an unknown day or month ("00-00-1950" is the year 1950).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

PARTIAL_FORMAT = "partial-date"  # the schema's format for dates that may lack day or month

_ISO = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")  # ASCII digits only
_SEPARATORS = re.compile(r"[-./ ]+")


@dataclass(frozen=True)
class Partial:
    """A date of which the year is known, and maybe the month and the day."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def earliest(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> date:
        month = self.month or 12
        return date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])


def parse(value: object) -> Partial | None:
    """A stored date (`YYYY-MM-DD`, `YYYY-MM` or `YYYY`) that is a real (part of a) calendar
    date, or None."""
    if type(value) is str and len(value) <= 10:  # a pushed record's long text is never kept
        return _parse(value)
    return _parse.__wrapped__(value) if isinstance(value, str) else None


# The rules read each member's birth date several times a household (ages, NIK, conditions),
# and a batch holds the same few dates over and over: parsed once (a Partial is frozen). Only
# plain strings as long as a date at most (a str subclass, a datetime: answered uncached).
@lru_cache(maxsize=4096)
def _parse(value: str) -> Partial | None:
    found = _ISO.fullmatch(value)
    if not found:
        return None
    year, month, day = (int(g) if g else None for g in found.groups())
    assert year is not None
    if year < 1 or (month is not None and not 1 <= month <= 12):
        return None
    if day is not None and not 1 <= day <= calendar.monthrange(year, month or 1)[1]:
        return None
    return Partial(year, month, day)


def is_partial_date(value: object) -> bool:
    """The schema's `partial-date` format (non-strings are the `type` keyword's business)."""
    return not isinstance(value, str) or parse(value) is not None


def age_range(birth: object, on: date) -> tuple[int, int] | None:
    """(youngest, oldest) full years someone born on `birth` can be on `on`: equal for a full
    date; for a year-only date the age if born on 31 December and if born on 1 January. None
    when there is no (readable) birth date."""
    if type(birth) is str and len(birth) <= 10 and type(on) is date:
        return _age_range(birth, on)
    return _age_range.__wrapped__(birth, on)


@lru_cache(maxsize=4096)
def _age_range(birth: object, on: date) -> tuple[int, int] | None:
    born = parse(birth)
    if born is None:
        return None
    return _years(born.latest, on), _years(born.earliest, on)


def _years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# -- typed and shown (DD-MM-YYYY) -------------------------------------------------------------


def shown(value: object) -> str:
    """A stored date as the form shows it: `2022-04-30` -> `30-04-2022`, `1950` ->
    `00-00-1950`, `1950-07` -> `00-07-1950`. Anything else is shown as it is."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    found = _ISO.fullmatch(value)
    if not found:
        return value
    year, month, day = found.groups()
    return f"{day or '00'}-{month or '00'}-{year}"


def typed(text: str, partial: bool = False) -> str | None:
    """What the officer typed (`30042022`, `30-04-2022`, `30.4.2022`, `2022-04-30`; with
    `partial`, also `00-00-1950`, `00-07-1950` or `1950`) as it is stored: `2022-04-30`,
    `1950`, `1950-07`. The shape decides, not the calendar: `31-02-2022` becomes
    `2022-02-31`, which the rules report. Text of no date shape comes back as typed, for the
    rules to report; empty text is None."""
    text = text.strip()
    if not text:
        return None
    groups = [g for g in _SEPARATORS.split(text) if g]
    if not all(g.isascii() and g.isdigit() for g in groups):
        return text
    if len(groups) == 1:
        digits = groups[0]
        if len(digits) == 8:
            groups = [digits[:2], digits[2:4], digits[4:]]
        elif len(digits) == 4 and partial:
            groups = ["00", "00", digits]
        else:
            return text
    if len(groups) != 3:
        return text
    if len(groups[0]) == 4 and len(groups[2]) <= 2:  # typed the ISO way round
        groups.reverse()
    day, month, year = groups
    if not (len(day) <= 2 and len(month) <= 2 and len(year) == 4):
        return text
    day, month = day.zfill(2), month.zfill(2)
    if partial and day == "00":
        return year if month == "00" else f"{year}-{month}"
    return f"{year}-{month}-{day}"
