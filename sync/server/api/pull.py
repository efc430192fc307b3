"""GET /v1/pull?after=N&limit=M: events for this device's officer (and for the device itself)
after the cursor. Ids, codes and card numbers only, except a pre-filled household
(`candidate`), which travels sealed to the device's own box key (docs/sync.md)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import Connection, or_, select, update
from starlette.concurrency import run_in_threadpool

from app.province_key import seal_to
from app.store.assigned import candidate_info  # the laptop opens with the same info
from sync.protocol import QUESTIONNAIRE_EVENT, b64
from sync.server import questionnaires
from sync.server.api.deps import AuthDevice, EngineDep, KeysDep
from sync.server.api.errors import ApiError
from sync.server.assignments import candidate_for
from sync.server.db import changes, device_box_keys, devices
from sync.server.keys import ServerKeys, signing_public

router = APIRouter(tags=["pull"])
MAX_LIMIT = 500
MAX_CURSOR = 2**63 - 1  # changes.seq and devices.pull_cursor are 64-bit: nothing past reaches SQL


class BoxKeyMissing(Exception):
    """A pre-filled household waits, but the device has no box key to seal it to."""


def event(row, conn: Connection | None = None, keys: ServerKeys | None = None,
          device_id: str = "", officer_id: str = "") -> dict | None:
    """The event as the device sees it; None for a pre-filled household that is no longer
    this officer's (the release that follows tells the laptop)."""
    detail = json.loads(row.detail) if row.detail else {}
    out: dict = {"seq": row.seq, "type": row.kind}
    if row.kind == "status":
        out |= {"household_id": row.household_id, "revision": row.revision,
                "status": detail.get("status"), "reason": detail.get("reason"),
                "card_number": detail.get("card_number")}
    elif row.kind == "duplicate":
        out |= {"household_id": row.household_id, "kind": detail.get("kind"),
                "other_household_id": detail.get("other_household_id")}
    elif row.kind == QUESTIONNAIRE_EVENT:  # for every device; None once retired
        return questionnaires.event(conn, out, detail.get("version"), device_id)
    elif "candidate" in detail:
        return _candidate(out, detail["candidate"], conn, keys, device_id, officer_id)
    elif "release" in detail:
        out |= {"type": "release", "household_id": detail["release"]}
    else:
        out["areas"] = list(detail.get("areas", []))
    return out


def _candidate(out: dict, hid: str, conn, keys, device_id: str, officer_id: str) -> dict | None:
    found = candidate_for(conn, keys, hid)
    if found is None or found.officer_id != officer_id:
        return None
    box = conn.execute(select(device_box_keys.c.public_key)
                       .where(device_box_keys.c.device_id == device_id)).scalar()
    if box is None:
        raise BoxKeyMissing()
    sealed = seal_to(bytes(box), found.plaintext, candidate_info(device_id, hid, found.revision))
    return out | {"type": "candidate", "household_id": hid, "revision": found.revision,
                  "base_revision": found.base_revision, "sealed": b64(sealed)}


def events_for(conn: Connection, device_id: str, officer_id: str, after: int, limit: int,
               keys: ServerKeys | None = None) -> dict:
    with conn.begin():
        rows = conn.execute(
            select(changes)
            .where(changes.c.seq > after,
                   or_(changes.c.officer_id == officer_id, changes.c.device_id == device_id,
                       changes.c.kind == QUESTIONNAIRE_EVENT))
            .order_by(changes.c.seq).limit(limit + 1)
        ).all()
        # Asking for events after N acknowledges everything up to N.
        conn.execute(update(devices)
                     .where(devices.c.id == device_id, devices.c.pull_cursor < after)
                     .values(pull_cursor=after))
        shown = rows[:limit]
        events = [event(r, conn, keys, device_id, officer_id) for r in shown]
        signing = signing_public(conn)
    reply = {"cursor": shown[-1].seq if shown else after, "more": len(rows) > limit,
             "events": [e for e in events if e is not None]}
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
