"""The laptop's side of push: what to send next, and what the province's answers change.

The outbox is the sync state: a household leaves it only when the province answered for
exactly the revision queued. A newer save meanwhile keeps it queued (docs/sync.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.errors import RecordDamaged
from app.store import assigned, questionnaires, retention, supervision
from app.store.store import Store
from sync.protocol import (
    ACCEPTED,
    CARD_NUMBER,
    CONFLICT,
    DUPLICATE,
    RECEIVED,
    REJECTED,
    VERIFIED,
    AssignmentEvent,
    CandidateEvent,
    CaseEvent,
    DuplicateEvent,
    EraseEvent,
    PushResult,
    QuestionnaireEvent,
    ReleaseEvent,
    ReviewEvent,
    SettingsEvent,
    StatusEvent,
    read_event,
)

if TYPE_CHECKING:
    from app.province_key import ProvinceKeyPair

DONE = {ACCEPTED, DUPLICATE}
ATTENTION = {CONFLICT, REJECTED}


@dataclass
class Applied:
    synced: int = 0
    attention: int = 0
    stale: int = 0  # answered for a revision the officer has since replaced
    released: int = 0  # moved to another officer, given up now that the province has them


def next_batch(store: Store, limit: int) -> tuple[list[dict], list[str]]:
    """Up to `limit` queued households, oldest first, as {"id", "revision", "record"}; and the
    ids of queued households that cannot be opened (damaged), which are skipped so one bad
    household never blocks the others."""
    rows = store.db.execute(
        "SELECT household_id, revision FROM outbox ORDER BY queued_at, household_id LIMIT ?",
        (limit,),
    ).fetchall()
    batch, damaged = [], []
    for hid, revision in rows:
        try:
            record, current = store.get(hid)
        except RecordDamaged:
            damaged.append(hid)
            continue
        if current == revision:
            batch.append({"id": hid, "revision": revision, "record": record})
    return batch, damaged


def apply_results(store: Store, results: list[dict]) -> Applied:
    """Apply the province's per-household answers in one transaction."""
    applied = Applied()
    now = store.now()
    with store.db.atomic():
        for r in map(PushResult.from_json, results):
            hid, revision, outcome = r.id, r.revision, r.outcome
            queued = store.queued_revision(hid)
            if queued is None or queued != revision:
                applied.stale += 1
                continue
            if outcome in DONE:
                state, reason = "synced", None
                applied.synced += 1
            elif outcome in ATTENTION:
                state, reason = outcome, (r.reason or outcome)[:64]
                applied.attention += 1
            else:
                continue  # unknown outcome: keep it queued
            store.db.execute("DELETE FROM outbox WHERE household_id = ?", (hid,))
            with store.changing_row("households", hid):
                store.db.execute(
                    "UPDATE households SET sync_state = ?, sync_reason = ? WHERE id = ?"
                    " AND revision = ?",
                    (state, reason, hid, revision),
                )
            store.audit.append(now, store.actor, "sync." + outcome, hid, revision)
        applied.released = assigned.purge_released(store, now)
    return applied


def needs_attention(store: Store) -> list[tuple[str, str]]:
    """(household id, reason code) of every household the province sent back (rejected, or a
    conflict), oldest first, then those a supervisor returned for correction ("returned"):
    what the officer has to open and fix. Ids and codes only."""
    marks = ", ".join("?" for _ in ATTENTION)
    rows = store.db.execute(
        f"SELECT id, sync_state, sync_reason FROM households WHERE sync_state IN ({marks})"
        " ORDER BY updated_at, id",
        tuple(sorted(ATTENTION)),
    )
    sent_back = [(hid, reason or state) for hid, state, reason in rows]
    return sent_back + supervision.open_returns(store)  # returned by a supervisor


# -- pull --------------------------------------------------------------------------------------

PULL_CURSOR = "pull_cursor"
STATUS_STATES: dict[str, tuple[str, str | None]] = {
    RECEIVED: ("synced", None),
    VERIFIED: ("synced", VERIFIED),
}
KINDS = ("nik", "kk")


@dataclass
class Pulled:
    status: int = 0
    duplicates: int = 0
    cards: int = 0  # card numbers newly kept
    other: int = 0  # assignments and event types this version does not know
    # Verification assignments (app/store/assigned.py):
    candidates: int = 0  # listed households stored, or replaced while untouched
    province_changed: int = 0  # newer versions kept aside: the officer had started
    released: int = 0  # given up (nothing unsent for them)
    release_waiting: int = 0  # kept until their last version reaches the province
    stale: int = 0  # versions no newer than the one kept
    damaged: int = 0  # candidates that did not open or were malformed: skipped
    # Questionnaire versions (app/store/questionnaires.py): kept, and refused (bad signature,
    # or a document this app cannot use).
    questionnaires: list[int] = field(default_factory=list)
    questionnaires_refused: list[int] = field(default_factory=list)
    # The supervision loop (app/store/supervision.py): returns kept, reviews that did not open
    # for this device (or were not a review), duplicate cases opened or decided.
    reviews: int = 0
    reviews_refused: int = 0
    cases: int = 0
    erased: int = 0  # households removed: the family withdrew consent (app/store/retention.py)


def pull_cursor(store: Store) -> int:
    return int(store.get_meta(PULL_CURSOR) or 0)


def apply_events(
    store: Store, events: list, cursor: int, *, box: tuple[str, ProvinceKeyPair] | None = None
) -> Pulled:
    """Apply the province's events and keep the new cursor, in one transaction. A status
    applies only to the revision it names: a household edited since stays as the officer left
    it. A card number belongs to the family, so it is kept whatever revision the event names.
    Card numbers are sealed and never audited or logged. `box` (device id, the device's own
    HPKE key pair) opens `candidate` and `review` events, the only ones that carry personal
    data."""
    pulled = Pulled()
    now = store.now()
    with store.db.atomic():
        for e in map(read_event, events):
            if isinstance(e, StatusEvent):
                _status(store, e, now, pulled)
            elif isinstance(e, DuplicateEvent):
                _duplicate(store, e, now, pulled)
            elif isinstance(e, CandidateEvent):
                assigned.apply_candidate(store, e, box, now, pulled)
            elif isinstance(e, ReleaseEvent):
                assigned.apply_release(store, e, now, pulled)
            elif isinstance(e, ReviewEvent):
                supervision.apply_review(store, e, box, now, pulled)
            elif isinstance(e, CaseEvent):
                supervision.apply_case(store, e, now, pulled)
            elif isinstance(e, QuestionnaireEvent):
                questionnaires.apply_event(store, e, now, pulled)
            elif isinstance(e, SettingsEvent):
                retention.set_retention_days(store, e.retention_days)
            elif isinstance(e, EraseEvent):
                if e.household_id is not None and retention.erase(store, e.household_id, now):
                    pulled.erased += 1
            elif isinstance(e, AssignmentEvent):
                if e.areas:  # the officer's new areas: rules refuse households outside them
                    store.set_officer(store.actor, list(e.areas))
                pulled.other += 1
            else:
                pulled.other += 1
        pulled.released += assigned.purge_released(store, now)  # e.g. a status made one synced
        store.set_meta(PULL_CURSOR, str(int(cursor)))
    return pulled


def _status(store: Store, e: StatusEvent, now: str, pulled: Pulled) -> None:
    hid, revision, status, card = e.household_id, e.revision, e.status, e.card_number
    if hid is None:
        pulled.other += 1
        return
    if card is not None and CARD_NUMBER.fullmatch(card) and store.set_card_number(hid, card):
        store.audit.append(now, store.actor, "sync.card", hid)  # that it came, never the number
        pulled.cards += 1
    reason: str | None
    if status == REJECTED:
        state, reason = REJECTED, (e.reason or REJECTED)[:64]
    elif status in STATUS_STATES:
        state, reason = STATUS_STATES[status]
    else:
        pulled.other += 1
        return
    with store.changing_row("households", hid):
        changed = store.db.execute(
            "UPDATE households SET sync_state = ?, sync_reason = ? WHERE id = ?"
            " AND revision = ? AND sync_state IN ('synced', 'conflict', 'rejected')",
            (state, reason, hid, revision),
        ).rowcount
    if changed:
        detail = retention.decision_detail(e.decided_at)  # the retention period runs from it
        store.audit.append(now, store.actor, "sync.status." + status, hid, revision, detail)
    supervision.status_arrived(store, hid, revision, status, e.reason, now, e.decided_at)
    pulled.status += 1


def _duplicate(store: Store, e: DuplicateEvent, now: str, pulled: Pulled) -> None:
    """Kept per household as the kind only; the other household's id stays in the audit
    entry (a random id, not personal). Protocol v1 has no event that clears a warning."""
    hid = e.household_id
    if hid is None:
        pulled.other += 1
        return
    kind = e.kind if e.kind in KINDS else "?"
    if kind in KINDS:
        store.add_province_duplicate(hid, kind)
    store.audit.append(
        now, store.actor, "sync.duplicate", hid, detail=f"{kind}:{e.other_household_id}"[:80]
    )
    pulled.duplicates += 1
