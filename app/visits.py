"""Visit outcomes: how each visit to a family ended, and the visits before this one.

The questions are in the schema (`hasil_kunjungan`, `tanggal_kunjungan_ulang`, `kunjungan`;
docs/questionnaire.md, "Visit outcome"): their skip logic decides what is asked. Code needs the
few codes below: the list's "to revisit" filter, consent "no" becoming a refusal, a revisit
starting a new visit, and the province's counts by outcome.

The current visit is the record's own `tanggal_kunjungan` + `hasil_kunjungan`; `kunjungan`
holds the visits before it as "YYYY-MM-DD:code", oldest first, filled by the app when a family
to revisit is opened on a later day (start_revisit).
"""

from __future__ import annotations

from datetime import date

from app import questionnaire as q

OUTCOME, REVISIT_DATE, HISTORY = q.OUTCOME, q.REVISIT_DATE, q.HISTORY
SOURCE, FAMILY_PRESENCE = "sumber", "keberadaan_keluarga"  # in `verifikasi`
LISTED = 1  # verifikasi.sumber: from the province's DTSEN list

INTERVIEWED, PARTLY, REFUSED, NOBODY_HOME, MOVED, NOT_FOUND, GONE, DWELLING_EMPTY = range(1, 9)
TO_REVISIT = {NOBODY_HOME}

# A record without an outcome (made before the question existed): a listed family's
# `keberadaan_keluarga` says what the visit found; otherwise the family was interviewed.
_FROM_PRESENCE = {1: INTERVIEWED, 2: GONE, 3: MOVED, 4: MOVED, 6: GONE, 7: NOT_FOUND}


def codes(record: dict | None = None) -> list[int]:
    """The visit outcomes of the record's questionnaire version (built-in without one)."""
    schema = q.schema_for(record) if record is not None else q.load_schema()
    return list(schema["properties"][OUTCOME]["enum"])


def recorded(record: dict) -> int | None:
    """The outcome the officer chose, or None."""
    value = record.get(OUTCOME)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def effective(record: dict) -> int:
    """The outcome of a final record, also of one without the question (docs/questionnaire.md):
    the recorded one, else what `keberadaan_keluarga` found, else interviewed."""
    found = recorded(record)
    if found is not None:
        return found
    verification = record.get("verifikasi")
    presence = verification.get(FAMILY_PRESENCE) if isinstance(verification, dict) else None
    return _FROM_PRESENCE.get(presence, INTERVIEWED) if isinstance(presence, int) else INTERVIEWED


def entry(day: str, outcome: int) -> str:
    return f"{day}:{outcome}"


def history(record: dict) -> list[tuple[str, int]]:
    """The earlier visits as (date, outcome); entries that do not read are left out (the rules
    report them)."""
    out = []
    items = record.get(HISTORY)
    for item in items if isinstance(items, list) else []:
        day, _, code = str(item).partition(":")
        if code.isdigit() and code.isascii():
            out.append((day, int(code)))
    return out


def visit_count(record: dict) -> int:
    """Visits so far: the earlier ones and this one."""
    return len(history(record)) + 1


def start_revisit(record: dict, today: date) -> dict | None:
    """The record for a new visit to a family left to revisit (nobody home) on an earlier day:
    that visit joins the history, the visit date is today and the outcome is asked again.
    None when there is nothing to start (not to revisit, or already visited today)."""
    if recorded(record) not in TO_REVISIT:
        return None
    try:
        last = date.fromisoformat(str(record.get(q.VISIT_DATE)))
    except ValueError:
        return None
    if last >= today:
        return None  # the same visit, still being recorded
    out = {k: v for k, v in record.items() if k not in (OUTCOME, REVISIT_DATE)}
    out[HISTORY] = [*(record.get(HISTORY) or []), entry(last.isoformat(), record[OUTCOME])]
    out[q.VISIT_DATE] = today.isoformat()
    out["status"] = "draft"
    return out
