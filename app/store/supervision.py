"""The supervision loop on the laptop (docs/sync.md, "Supervision"): what the pull's `review`,
`case` and decision `status` events leave in the store, and what the app reads back.

A supervisor's return arrives as a ReviewEvent sealed to this device's box key (review_info);
opened, it is sealed again with the store's record key (AAD: household id, revision,
"review.returned") and kept, round after round, beside the province's verifications and
rejections. Per household the `supervision` row (under the row MAC) holds the revision returned
while the return is open, how many decisions are kept, and the duplicate cases.

A return stays open until a status for a newer revision arrives (the corrected version reached
the province), or a verification or rejection of the returned revision itself (a later decision
replaces it). The list shows it as "Perlu perbaikan" until the officer has finalised a newer
revision (HouseholdRow.returned). A sealed review that does not open for this device, or opens to
something that is not a review, is counted and skipped: one bad event never stops a pull.

The functions that take an event run inside apply_events' transaction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.errors import RecordDamaged
from app.store.rows import Case, cases_of
from app.store.store import Store
from sync.protocol import (
    CASE_OUTCOMES,
    REJECTED,
    RETURNED,
    VERIFIED,
    CaseEvent,
    ProtocolError,
    ReviewEvent,
    review_info,
    unb64,
)

if TYPE_CHECKING:
    from app.store.outbox import Pulled

DECISIONS = (RETURNED, VERIFIED, REJECTED)
CODE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")  # reason and comment codes (never free text)
CASE_KINDS = ("nik", "kk")
MAX_COMMENTS = 200
MAX_TEXT = 2000  # characters of one note or comment


@dataclass(frozen=True)
class Comment:
    """A supervisor's comment on one question: `path` as the rules' issue paths are
    (("anggota", 2, "nik"): member index from 0; ("rumah", "lantai"); ("no_kk",)); () for the
    household as a whole."""

    path: tuple[str | int, ...]
    member_id: str | None
    code: str | None
    text: str | None


@dataclass(frozen=True)
class Round:
    """One decision on one revision, as the history shows it. `decided_at`: when the supervisor
    decided (a return), else when the decision reached this laptop."""

    revision: int
    decision: str  # one of DECISIONS
    round: int | None
    decided_at: str | None
    reason: str | None
    note: str | None
    comments: tuple[Comment, ...] = ()
    damaged: bool = False


@dataclass(frozen=True)
class Supervision:
    """What the household page shows: every decision, oldest first, the open return (if
    any) and the duplicate cases."""

    rounds: tuple[Round, ...]
    returned_revision: int | None
    cases: tuple[Case, ...]

    @property
    def open_return(self) -> Round | None:
        if self.returned_revision is None:
            return None
        return next(
            (
                r
                for r in reversed(self.rounds)
                if r.decision == RETURNED and r.revision == self.returned_revision
            ),
            None,
        )


# -- reading ------------------------------------------------------------------------------------


def of(store: Store, household_id: str) -> Supervision:
    """The household's decisions (a sealed one that does not open is marked damaged), its open
    return and its cases."""
    row = store.db.execute(
        "SELECT returned_revision, cases FROM supervision WHERE household_id = ?",
        (household_id,),
    ).fetchone()
    rounds = [
        _opened(store, household_id, revision, decision, received, blob)
        for revision, decision, received, blob in store.db.execute(
            "SELECT revision, decision, received_at, sealed FROM supervision_rounds"
            " WHERE household_id = ? ORDER BY position",
            (household_id,),
        )
    ]
    returned, cases = (row[0], cases_of(row[1])) if row else (None, ())
    return Supervision(tuple(rounds), returned, cases)


def open_returns(store: Store) -> list[tuple[str, str]]:
    """(household id, "returned") of each household a supervisor returned that the officer has
    not finalised again since, oldest first: for the sync's notes (ids and codes only)."""
    rows = store.db.execute(
        "SELECT h.id FROM supervision s JOIN households h ON h.id = s.household_id"
        " WHERE s.returned_revision IS NOT NULL"
        " AND NOT (h.status = 'final' AND h.revision > s.returned_revision)"
        " ORDER BY h.updated_at, h.id"
    )
    return [(hid, RETURNED) for (hid,) in rows]


# -- events -------------------------------------------------------------------------------------


def apply_review(store: Store, event: ReviewEvent, box, now: str, pulled: Pulled) -> None:
    """A supervisor returned `event.revision` for correction: kept sealed, and the return opens."""
    hid, revision = event.household_id, event.revision
    if hid is None or revision is None or revision < 1:
        pulled.reviews_refused += 1
        return
    if not _exists(store, hid):
        pulled.other += 1  # released, or never on this laptop: nothing to correct here
        return
    review = _unseal(event, hid, revision, box)
    if review is None:
        pulled.reviews_refused += 1
        return
    _keep(store, hid, revision, RETURNED, now, review)
    _set(store, hid, returned_revision=revision)
    store.audit.append(
        now,
        store.actor,
        "sync.review.returned",
        hid,
        revision,
        detail=f"round={review.get('round')},comments={len(review['comments'])}",
    )
    pulled.reviews += 1


def status_arrived(
    store: Store,
    hid: str,
    revision: int | None,
    status: str | None,
    reason: str | None,
    now: str,
    decided_at: str | None = None,
) -> None:
    """A `status` event for this household: a verification or rejection joins the history, and
    an open return ends when the province has a newer revision or decided the returned one."""
    if revision is None or not _exists(store, hid):
        return
    if status in (VERIFIED, REJECTED):
        content = {"reason": _code(reason), "decided_at": _text(decided_at, 40)}
        _keep(store, hid, revision, status, now, content)
    row = store.db.execute(
        "SELECT returned_revision FROM supervision WHERE household_id = ?", (hid,)
    ).fetchone()
    if row is None or row[0] is None:
        return
    if revision > row[0] or (revision == row[0] and status in (VERIFIED, REJECTED)):
        _set(store, hid, returned_revision=None)
        store.audit.append(now, store.actor, "sync.review.closed", hid, row[0])


def apply_case(store: Store, event: CaseEvent, now: str, pulled: Pulled) -> None:
    """A duplicate case touching this household was opened or decided: the latest word on each
    case is kept (a later decision reverses an earlier one)."""
    hid, case_id = event.household_id, event.case_id
    if hid is None or not case_id or len(case_id) > 64 or event.outcome not in CASE_OUTCOMES:
        pulled.other += 1
        return
    if not _exists(store, hid):
        pulled.other += 1
        return
    row = store.db.execute(
        "SELECT cases FROM supervision WHERE household_id = ?", (hid,)
    ).fetchone()
    try:
        cases = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        cases = {}
    kind = event.kind if event.kind in CASE_KINDS else "?"
    cases[case_id] = {"kind": kind, "outcome": event.outcome, "reason": _code(event.reason)}
    _set(store, hid, cases=json.dumps(cases, sort_keys=True, separators=(",", ":")))
    store.audit.append(
        now,
        store.actor,
        "sync.case",
        hid,
        detail=f"{case_id}:{kind}:{event.outcome}:{event.other_household_id}"[:120],
    )
    pulled.cases += 1


def forget(store: Store, hid: str) -> None:
    """The household's decisions and cases leave with it (released, purged to a stub, erased):
    the comments name people. Inside the caller's transaction."""
    for table in ("supervision_rounds", "supervision"):
        store.db.execute(f"DELETE FROM {table} WHERE household_id = ?", (hid,))


# -- helpers --------------------------------------------------------------------------------------


def _exists(store: Store, hid: str) -> bool:
    return store.db.execute("SELECT 1 FROM households WHERE id = ?", (hid,)).fetchone() is not None


def _unseal(event: ReviewEvent, hid: str, revision: int, box) -> dict | None:
    """The review the province sealed to this device, normalised; None when it does not open
    or is not a review's shape."""
    if box is None or not event.sealed:
        return None
    device_id, key = box
    try:
        sealed = unb64(event.sealed)
    except ProtocolError:
        return None
    if not sealed:
        return None
    try:
        raw = json.loads(key.open(sealed, review_info(device_id, hid, revision)))
    except Exception:  # noqa: BLE001 - HPKE raises several types for a bad seal
        return None
    return normal_review(raw)


def normal_review(raw: object) -> dict | None:
    """A review in the shape the store keeps: round, decided_at, reason (a code), note, and
    comments [{path, member_id, code, text}]; None for anything else."""
    if not isinstance(raw, dict) or not isinstance(raw.get("comments", []), list):
        return None
    comments = []
    for c in raw.get("comments", [])[:MAX_COMMENTS]:
        if not isinstance(c, dict) or not isinstance(c.get("path", ""), str):
            return None
        comments.append(
            {
                "path": str(c.get("path") or "")[:200],
                "member_id": _text(c.get("member_id"), 64),
                "code": _code(c.get("code")),
                "text": _text(c.get("text"), MAX_TEXT),
            }
        )
    number = raw.get("round")
    return {
        "round": number if isinstance(number, int) and not isinstance(number, bool) else None,
        "decided_at": _text(raw.get("decided_at"), 40),
        "reason": _code(raw.get("reason")),
        "note": _text(raw.get("note"), MAX_TEXT),
        "comments": comments,
    }


def _text(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value.strip() else None


def _code(value: object) -> str | None:
    return value if isinstance(value, str) and CODE.fullmatch(value) else None


def path_of(text: str) -> tuple[str | int, ...]:
    """ "anggota.2.nik" -> ("anggota", 2, "nik")."""
    return tuple(int(p) if p.isdigit() else p for p in text.split(".") if p)


def _keep(store: Store, hid: str, revision: int, decision: str, now: str, content: dict) -> None:
    sealed = store.seal_record(hid, revision, content, "review." + decision)
    store.db.execute(  # in the order they arrived (several may come in one page)
        "INSERT INTO supervision_rounds"
        " (household_id, position, revision, decision, received_at, sealed)"
        " SELECT ?, coalesce(max(position), 0) + 1, ?, ?, ?, ? FROM supervision_rounds"
        " WHERE household_id = ?"
        " ON CONFLICT (household_id, revision, decision) DO UPDATE SET sealed = excluded.sealed",
        (hid, revision, decision, now, sealed, hid),
    )
    count = store.db.execute(
        "SELECT count(*) FROM supervision_rounds WHERE household_id = ?", (hid,)
    ).fetchone()[0]
    _set(store, hid, rounds=count)


_UNSET = object()


def _set(store: Store, hid: str, *, returned_revision=_UNSET, rounds=_UNSET, cases=_UNSET) -> None:
    """Change the household's supervision row (made on first use), its MAC following."""
    with store.changing_row("supervision", hid):
        store.db.execute(
            "INSERT INTO supervision (household_id) VALUES (?) ON CONFLICT DO NOTHING", (hid,)
        )
        for column, value in (
            ("returned_revision", returned_revision),
            ("rounds", rounds),
            ("cases", cases),
        ):
            if value is not _UNSET:
                store.db.execute(
                    f"UPDATE supervision SET {column} = ? WHERE household_id = ?", (value, hid)
                )


def _opened(
    store: Store, hid: str, revision: int, decision: str, received: str, blob: bytes
) -> Round:
    try:
        content = store.open_record(hid, revision, blob, "review." + decision)
    except RecordDamaged:
        return Round(revision, decision, None, received, None, None, (), damaged=True)
    comments = tuple(
        Comment(path_of(c.get("path") or ""), c.get("member_id"), c.get("code"), c.get("text"))
        for c in content.get("comments") or []
    )
    return Round(
        revision,
        decision,
        content.get("round"),
        content.get("decided_at") or received,
        content.get("reason"),
        content.get("note"),
        comments,
    )
