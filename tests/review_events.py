"""Pull events of the supervision loop, made as the province server makes them: a review is the
supervisor's round as JSON, HPKE-sealed (app.province_key.seal_to) to the device's box public
key with review_info(device, household, revision), the same way sync/server/api/pull.py seals a
pre-filled household with candidate_info. Tests that have no server-side review module to hand
use these in its place."""

from __future__ import annotations

import json

from app.province_key import seal_to
from sync.protocol import CaseEvent, ReviewEvent, StatusEvent, b64, review_info


def comment(path: str, text: str | None = None, code: str | None = None, member_id=None) -> dict:
    return {"path": path, "member_id": member_id, "code": code, "text": text}


def review(
    box_public: bytes,
    device_id: str,
    household_id: str,
    revision: int,
    comments: list[dict],
    *,
    seq: int = 1,
    round: int = 1,
    decided_at: str = "2026-12-02T09:30:00Z",
    reason: str | None = "data_tidak_sesuai",
    note: str | None = None,
) -> dict:
    """A `review` event as the pull answers it (ReviewEvent.to_json with its seq)."""
    payload = {
        "round": round,
        "decided_at": decided_at,
        "reason": reason,
        "note": note,
        "comments": comments,
    }
    sealed = seal_to(
        box_public,
        json.dumps(payload, ensure_ascii=False).encode(),
        review_info(device_id, household_id, revision),
    )
    return ReviewEvent(seq, household_id, revision, b64(sealed)).to_json() | {"seq": seq}


def case(
    household_id: str,
    outcome: str,
    *,
    seq: int = 1,
    case_id: str = "case-1",
    kind: str = "nik",
    other: str = "00000000-0000-4000-8000-00000000ffff",
    reason: str | None = None,
) -> dict:
    event = CaseEvent(seq, case_id, household_id, kind, other, outcome, reason)
    return event.to_json() | {"seq": seq}


def status(
    household_id: str, revision: int, status: str, *, seq: int = 1, card: str | None = None
) -> dict:
    return StatusEvent(seq, household_id, revision, status, None, card).to_json() | {"seq": seq}
