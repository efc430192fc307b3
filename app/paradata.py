"""Paradata (issue 12 item 6): when and for how long a household was entered, the number of
visits and the time in each section of the form. Kept in the record's `paradata` object
(x-widget none: the app fills it, nobody answers it), so it is encrypted, synced and exported
with the household (docs/questionnaire.md, "Paradata").

One `Session` per opening of a household in the form: it counts the time from the opening, and
the time on each page. `stamp` adds it to what the record held when it was opened, so each save
writes the totals so far and nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app import questionnaire as q
from app import visits

PARADATA = "paradata"
START, END, DURATION, VISITS = "mulai", "selesai", "durasi_detik", "jumlah_kunjungan"
FIRST_PAGE = "identitas"  # the form's first page (no_kk, the visit) has no section name


def section_field(page: str) -> str:
    """The paradata field holding the seconds spent on a form page ("" is the first page)."""
    return f"detik_{page or FIRST_PAGE}"


def fields(record: dict | None = None) -> set[str]:
    """The paradata fields of the record's questionnaire version (built-in without one)."""
    schema = q.schema_for(record) if record is not None else q.load_schema()
    return set(schema["properties"][PARADATA]["properties"])


def moment(when: datetime) -> str:
    """Local date and time with its UTC offset, to the second: 2026-11-27T08:15:00+07:00."""
    return when.isoformat(timespec="seconds")


@dataclass
class Session:
    """The time spent on one household since it was opened in the form."""

    opened_at: datetime  # wall clock, with its offset
    opened: float  # monotonic clock
    page: str = ""
    page_since: float = 0.0
    on_page: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.page_since = self.opened

    def switch(self, page: str, now: float) -> None:
        """The officer moved to another page of the form."""
        self.on_page[self.page] = self.on_page.get(self.page, 0.0) + max(0.0, now - self.page_since)
        self.page, self.page_since = page, now

    def stamp(self, record: dict, base: dict | None, now: float, wall: datetime) -> dict:
        """The paradata to save with `record`: `base` (what the record held when opened) plus
        this session so far."""
        base = base if isinstance(base, dict) else {}
        known = fields(record)
        out = {k: v for k, v in base.items() if k in known}
        out[START] = base.get(START) or moment(self.opened_at)
        out[END] = moment(wall)
        out[DURATION] = _seconds(base.get(DURATION)) + int(max(0.0, now - self.opened))
        out[VISITS] = visits.visit_count(record)
        spent = dict(self.on_page)
        spent[self.page] = spent.get(self.page, 0.0) + max(0.0, now - self.page_since)
        for page, seconds in spent.items():
            name = section_field(page)
            total = _seconds(base.get(name)) + int(seconds)
            if name in known and total:
                out[name] = total
        return out


def _seconds(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
