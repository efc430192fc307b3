"""GET /v1/pull?after=N&limit=M: events for this device's officer (and for the device itself)
after the cursor. Ids, codes and card numbers only, except a pre-filled household
(`candidate`), which travels sealed to the device's own box key (docs/sync.md)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from app.province_key import seal_to
from sync.protocol import (
    AssignmentEvent,
    CandidateEvent,
    CaseEvent,
    DuplicateEvent,
    EraseEvent,
    PullEvent,
    QuestionnaireEvent,
    ReleaseEvent,
    ReviewEvent,
    StatusEvent,
    b64,
    candidate_info,
)
from sync.server import privacy, questionnaires, repo, review
from sync.server.api.deps import AuthDevice, EngineDep, KeysDep
from sync.server.api.errors import ApiError
from sync.server.assignments import candidate_for
from sync.server.keys import ServerKeys, signing_public

router = APIRouter(tags=["pull"])
MAX_LIMIT = 500
MAX_CURSOR = 2**63 - 1  # changes.seq and devices.pull_cursor are 64-bit: nothing past reaches SQL


class BoxKeyMissing(Exception):
    """A pre-filled household waits, but the device has no box key to seal it to."""


def event(
    row,
    conn: Connection | None = None,
    keys: ServerKeys | None = None,
    device_id: str = "",
    officer_id: str = "",
) -> PullEvent | None:
    """The event as the device sees it; None for a pre-filled household that is no longer
    this officer's (the release that follows tells the laptop)."""
    detail = json.loads(row.detail) if row.detail else {}
    if row.kind == "status":
        return StatusEvent(
            row.seq,
            row.household_id,
            row.revision,
            detail.get("status"),
            detail.get("reason"),
            detail.get("card_number"),
            privacy.moment(row.at),
        )
    if row.kind == "duplicate":
        return DuplicateEvent(
            row.seq, row.household_id, detail.get("kind"), detail.get("other_household_id")
        )
    if row.kind == CaseEvent.TYPE:  # ids and codes only, as decided (cases.py)
        return CaseEvent(
            row.seq,
            detail.get("case_id"),
            row.household_id,
            detail.get("kind"),
            detail.get("other_household_id"),
            detail.get("outcome"),
            detail.get("reason"),
        )
    if row.kind == ReviewEvent.TYPE:  # comments sealed to this device now (review.py)
        if conn is None or keys is None:
            return None
        box = repo.box_key(conn, device_id)
        if box is None:
            raise BoxKeyMissing()
        return review.review_event(
            conn, keys, row.seq, row.household_id, row.revision, detail["round"], device_id, box
        )
    if row.kind == QuestionnaireEvent.TYPE:  # for every device; None once retired
        if conn is None:  # events_for always gives one: the event records who was sent it
            return None
        return questionnaires.event(
            conn, row.seq, detail.get("version"), device_id, retired=detail.get("retired") is True
        )
    if "candidate" in detail:
        return _candidate(row.seq, detail["candidate"], conn, keys, device_id, officer_id)
    if "release" in detail:
        return ReleaseEvent(row.seq, detail["release"])
    if "erase" in detail:  # a withdrawal of consent (sync/server/privacy.py)
        return EraseEvent(row.seq, detail["erase"])
    return AssignmentEvent(row.seq, tuple(detail.get("areas", [])))


def _candidate(
    seq: int, hid: str, conn, keys, device_id: str, officer_id: str
) -> CandidateEvent | None:
    found = candidate_for(conn, keys, hid)
    if found is None or found.officer_id != officer_id:
        return None
    box = repo.box_key(conn, device_id)
    if box is None:
        raise BoxKeyMissing()
    sealed = seal_to(box, found.plaintext, candidate_info(device_id, hid, found.revision))
    return CandidateEvent(seq, hid, found.revision, found.base_revision, b64(sealed))


def events_for(
    conn: Connection,
    device_id: str,
    officer_id: str,
    after: int,
    limit: int,
    keys: ServerKeys | None = None,
) -> dict:
    with conn.begin():
        rows = repo.changes_for(conn, device_id, officer_id, after, limit + 1)
        # Asking for events after N acknowledges everything up to N.
        repo.acknowledge_pull(conn, device_id, after)
        shown = rows[:limit]
        events = [event(r, conn, keys, device_id, officer_id) for r in shown]
        signing = signing_public(conn)
        settings = privacy.settings_event(conn)
    reply = {
        "cursor": shown[-1].seq if shown else after,
        "more": len(rows) > limit,
        "events": [e.to_json() for e in events if e is not None],
        # The province's settings as they are now (a `settings` event without a seq, beside
        # the change feed): every reply carries them, so a laptop is never behind for long.
        "settings": settings.to_json(),
    }
    if signing is not None:
        # What questionnaire versions are signed with: laptops enrolled before the province had
        # a signing key learn it here (docs/security.md, "Questionnaire versions").
        reply |= {"signing_key_id": signing[0], "signing_key": b64(signing[1])}
    return reply


@router.get("/v1/pull")
async def pull(
    auth: AuthDevice,
    engine: EngineDep,
    keys: KeysDep,
    after: Annotated[int, Query(ge=0, le=MAX_CURSOR)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> dict:
    def read() -> dict:
        with engine.connect() as conn:
            return events_for(conn, auth.device.id, auth.device.officer_id, after, limit, keys)

    try:
        return await run_in_threadpool(read)
    except BoxKeyMissing:
        # Nothing moved: the cursor update rolled back with the transaction.
        raise ApiError(409, "box_key_missing") from None
