"""Dates, times and numbers as people in Central Kalimantan read and type them: the one place
the console (render.py registers these as its Jinja filters), the family's copy of their data
(access_copy.py) and the server's set-up code message take them from.

Dates are DD-MM-YYYY in both languages (KK, KTP and letters print them so; the English view
keeps it too rather than switch to a month-first order nobody here uses), times 24-hour in WIB
(UTC+7, the province's wall clock) with "WIB" written after. Numbers: "300.000" and "1,5" in
Indonesian, "300,000" and "1.5" in English. A typed date is read by app/dates.py's `typed`, the
same rule as the officer's form: "03-12-2026", "3-12-2026", "03122026", "3.12.2026" (and the
ISO form "2026-12-03", which links and bookmarks from before carry).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from app import dates

WIB = timezone(timedelta(hours=7))
DAY = "%d-%m-%Y"
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def moment(at: datetime | str | None) -> str:
    """`03-12-2026 20:48 WIB`; "-" for none. Text is ISO 8601 from a laptop (a photo's
    `taken_at`): without an offset it is the camera's own clock, shown without "WIB"; text
    that is no time is shown as it is."""
    if at is None:
        return "-"
    if isinstance(at, str):
        try:
            parsed = datetime.fromisoformat(at)
        except ValueError:
            return at
        if parsed.tzinfo is None:
            return parsed.strftime(DAY + " %H:%M")
        at = parsed
    return at.astimezone(WIB).strftime(DAY + " %H:%M") + " WIB"


def day(value: date | datetime | None, short: bool = False) -> str:
    """`03-12-2026` (`03-12` with `short`, for a chart's axis); a time is taken in WIB."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = value.astimezone(WIB).date()
    return value.strftime("%d-%m" if short else DAY)


def number(n: int | float | None, lang: str) -> str:
    """`300.000` / `1,5` in Indonesian, `300,000` / `1.5` in English."""
    if n is None:
        return "-"
    text = f"{n:,}" if isinstance(n, int) else f"{n:,.1f}"
    if lang == "id":
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def typed_day(text: str) -> date | None:
    """The date a user typed (see the module's note), None for empty text; ValueError for
    anything else, the caller names the field."""
    stored = dates.typed(text or "")
    if stored is None:
        return None
    if not _ISO_DAY.fullmatch(stored):  # "kemarin", "2026": typed() gives them back as typed
        raise ValueError("not a date")
    return date.fromisoformat(stored)  # ValueError for "31-02-2026"
