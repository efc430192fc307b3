"""What the store hands out about households: a row of the household list (plaintext columns
and the decrypted summary) and a household opened for reading out (export), and the list's query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from app import questionnaire
from app.crypto import DecryptError, RecordCipher, record_aad


def card_aad(household_id: str) -> bytes:
    """The card belongs to the family, not to one revision: bound to the household id only."""
    return f"khbs/card/v1|{household_id}|card".encode()


@dataclass(slots=True)
class HouseholdRow:
    """What the household list needs: plaintext columns plus the decrypted summary
    (questionnaire.summary: KK, head's name, then name and NIK of each member; the visit's
    outcome, revisit date, RT/RW, address and visit date apart)."""

    id: str
    revision: int
    status: str
    kode_desa: str | None
    sync_state: str
    updated_at: str
    summary: str = ""
    damaged: bool = False
    sync_reason: str | None = None  # the province's decision or reason code, never personal
    card_number: str | None = None  # issued by the province; sealed on disk
    province_duplicates: tuple[str, ...] = ()  # "nik" / "kk": also in another household there
    listed: bool = False  # pre-filled from the province's DTSEN list (app/store/assigned.py)
    province_changed: bool = False  # a newer province version waits for the officer's choice
    released: bool = False  # moved to another officer: kept until its last version is sent
    outcome: int | None = None  # the visit outcome recorded (app/visits.py), from the summary
    revisit_on: str | None = None  # the planned revisit date, for a family to revisit
    rt: str = ""  # from the summary too: where the family lives, for planning the day
    rw: str = ""
    address: str = ""
    visited_on: str | None = None  # this visit's date (ISO)

    # The supervision loop (app/store/supervision.py): the revision a supervisor returned while
    # the return is open, how many decisions the history holds, and the duplicate cases as
    # (kind, outcome).
    returned_revision: int | None = None
    review_rounds: int = 0
    cases: tuple[tuple[str, str], ...] = ()

    @property
    def returned(self) -> bool:
        """Returned for correction and not finalised again since ("Perlu perbaikan")."""
        if self.returned_revision is None:
            return False
        return not (self.status == "final" and self.revision > self.returned_revision)

    @property
    def kk(self) -> str:
        return self.summary.split(questionnaire.SUMMARY_SEP, 1)[0]

    @property
    def head(self) -> str:
        parts = self.summary.split(questionnaire.SUMMARY_SEP)
        return parts[1] if len(parts) > 1 else ""

    @property
    def members(self) -> list[tuple[str, str]]:
        """(name, NIK) of each member."""
        parts = self.summary.split(questionnaire.SUMMARY_SEP)[2:]
        return list(zip(parts[0::2], parts[1::2], strict=False))  # a lone name is dropped


@dataclass(slots=True)
class OpenedHousehold:
    """A household opened for reading out (Store.open_households): its record, the plaintext
    columns beside it and the province's card number."""

    id: str
    revision: int
    record: dict
    status: str
    kode_desa: str | None
    sync_state: str
    sync_reason: str | None
    updated_at: str
    card_number: str | None


@dataclass(frozen=True, slots=True)
class Case:
    """A province-wide duplicate case touching a household (app/store/supervision.py)."""

    case_id: str
    kind: str  # "nik" / "kk"
    outcome: str  # one of sync.protocol.CASE_OUTCOMES, seen from this household
    reason: str | None


def cases_of(text: str | None) -> tuple[Case, ...]:
    """The cases as the supervision row keeps them (JSON: case id -> kind, outcome, reason)."""
    try:
        raw = json.loads(text) if text else {}
    except ValueError:
        return ()
    if not isinstance(raw, dict):
        return ()
    return tuple(
        Case(str(cid), str(c.get("kind")), str(c.get("outcome")), c.get("reason"))
        for cid, c in sorted(raw.items())
        if isinstance(c, dict)
    )


def list_rows(db: Database, cipher: RecordCipher, where: str, params: tuple) -> list[HouseholdRow]:
    """The household list's one query (Store.rows, rows_for): `where` is "" or a WHERE
    clause on `h` (" WHERE h.id IN (?)") with its `params`. A summary or card that does not
    open marks the row damaged."""
    out: list[HouseholdRow] = []
    open_blob = cipher.open
    query = (
        "SELECT h.id, h.revision, status, kode_desa, sync_state, updated_at, summary,"
        " sync_reason, card, province_duplicates, a.origin IS NOT NULL, a.pending IS NOT NULL,"
        " coalesce(a.released, 0) FROM households h LEFT JOIN assigned a"
        f" ON a.household_id = h.id{where} ORDER BY updated_at DESC"
    )
    for (
        hid,
        rev,
        status,
        desa,
        sync,
        updated,
        blob,
        reason,
        card,
        dups,
        listed,
        changed,
        released,
    ) in db.conn.execute(query, params):
        try:
            text = open_blob(blob, record_aad(hid, rev, "summary")).decode("utf-8")
            # Most households have no card: check NULL first, no second decryption.
            number = None if card is None else open_blob(card, card_aad(hid)).decode("utf-8")
            damaged = False
        except (DecryptError, UnicodeDecodeError):
            text, number, damaged = "", None, True
        kinds = tuple(dups.split(",")) if dups else ()
        text, visit = questionnaire.split_visit(text)
        out.append(
            HouseholdRow(
                hid,
                rev,
                status,
                desa,
                sync,
                updated,
                text,
                damaged,
                reason,
                number,
                kinds,
                bool(listed),
                bool(changed),
                bool(released),
                visit.outcome,
                visit.revisit,
                visit.rt,
                visit.rw,
                visit.address,
                visit.visited,
            )
        )
    _mark_supervision(db, out, where, params)
    return out


def _mark_supervision(db: Database, rows: list[HouseholdRow], where: str, params: tuple) -> None:
    """The supervision loop's marks (open return, decisions kept, cases) onto the rows."""
    by_id = {r.id: r for r in rows}
    query = (
        "SELECT s.household_id, s.returned_revision, s.rounds, s.cases FROM supervision s"
        f" JOIN households h ON h.id = s.household_id{where}"
    )
    for hid, returned, rounds, cases in db.conn.execute(query, params):
        row = by_id.get(hid)
        if row is not None:
            row.returned_revision, row.review_rounds = returned, rounds
            row.cases = tuple((c.kind, c.outcome) for c in cases_of(cases))
