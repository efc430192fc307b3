"""GET /v1/pull?after=N&limit=M: events for this device's officer (and for the device itself)
after the cursor. Ids, codes and card numbers only."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import Connection, or_, select, update
from starlette.concurrency import run_in_threadpool

from sync.server.api.deps import AuthDevice, EngineDep
from sync.server.db import changes, devices

router = APIRouter(tags=["pull"])
MAX_LIMIT = 500


def event(row) -> dict:
    detail = json.loads(row.detail) if row.detail else {}
    out: dict = {"seq": row.seq, "type": row.kind}
    if row.kind == "status":
        out |= {"household_id": row.household_id, "revision": row.revision,
                "status": detail.get("status"), "reason": detail.get("reason"),
                "card_number": detail.get("card_number")}
    elif row.kind == "duplicate":
        out |= {"household_id": row.household_id, "kind": detail.get("kind"),
                "other_household_id": detail.get("other_household_id")}
    else:
        out["areas"] = list(detail.get("areas", []))
    return out


def events_for(conn: Connection, device_id: str, officer_id: str, after: int, limit: int) -> dict:
    with conn.begin():
        rows = conn.execute(
            select(changes)
            .where(changes.c.seq > after,
                   or_(changes.c.officer_id == officer_id, changes.c.device_id == device_id))
            .order_by(changes.c.seq).limit(limit + 1)
        ).all()
        # Asking for events after N acknowledges everything up to N.
        conn.execute(update(devices)
                     .where(devices.c.id == device_id, devices.c.pull_cursor < after)
                     .values(pull_cursor=after))
    shown = rows[:limit]
    return {"cursor": shown[-1].seq if shown else after, "more": len(rows) > limit,
            "events": [event(r) for r in shown]}


@router.get("/v1/pull")
async def pull(
    auth: AuthDevice,
    engine: EngineDep,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> dict:
    def read() -> dict:
        with engine.connect() as conn:
            return events_for(conn, auth.device.id, auth.device.officer_id, after, limit)

    return await run_in_threadpool(read)
