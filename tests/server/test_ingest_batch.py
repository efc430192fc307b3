"""Ingest plans a batch in memory and writes it with a few set-based statements
(sync/server/ingest.py, _Writer). Whatever a batch holds, the outcome must be what the same
households give pushed one at a time: results, rows, duplicate warnings and their counts,
cases, and change events in the same order. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from sync.protocol import seal_batch
from sync.server import ingest, keys, repo
from sync.server.db import (
    blind_index,
    changes,
    duplicate_cases,
    duplicates,
    household_versions,
    households,
    open_database,
)
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import TODAY, numbered
from tests.server.conftest import AREA


def _items() -> tuple[list[dict], list[dict]]:
    """(stored before, the batch): households sharing numbers inside the batch and with
    stored ones, the same household twice, a replaced household whose old KK another then
    uses, a resend, a conflict and a second match of one pair."""
    s1, s2 = numbered(401), numbered(402)
    a = numbered(403)
    b = numbered(404, no_kk=s1["no_kk"])  # shares the KK of a stored household
    c = numbered(405, no_kk=a["no_kk"])  # shares the KK of one earlier in the batch
    s2_new = numbered(402, no_kk=s1["no_kk"])  # a stored one, now with S1's KK
    a_new = numbered(403, no_kk=numbered(406)["no_kk"])  # A moves off its KK ...
    d = numbered(407, no_kk=a["no_kk"])  # ... so D matches only C on it
    s1_other = numbered(
        401, kebutuhan={"layanan": [1], "catatan": "Lain."}
    )  # same (id, revision), other content
    b_again = numbered(
        404, no_kk=s1["no_kk"], kebutuhan={"layanan": [2], "catatan": "Revisi."}
    )  # the pair matched again
    batch = [
        (a, 1),
        (b, 1),
        (c, 1),
        (s2_new, 2),
        (a_new, 2),
        (d, 1),
        (s1, 1),  # the same again: duplicate
        (s1_other, 1),  # conflict
        (b_again, 2),
    ]
    before = [{"id": r["id"], "revision": 1, "record": r} for r in (s1, s2)]
    return before, [{"id": r["id"], "revision": n, "record": r} for r, n in batch]


def _world(url: str):
    engine = open_database(url, create=True)
    with engine.begin() as conn:
        unlocked = keys.create(conn, PASSPHRASE, kdf=FAST_KDF)
        officer = repo.add_officer(conn, "Sari Petugas", [AREA])
        code = repo.create_enroll_code(conn, officer).code
        key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
        device = repo.redeem_enroll_code(conn, code, key)
    return engine, unlocked, device, officer


def _push(engine, unlocked, device, items: list[dict]) -> list[dict]:
    body = seal_batch(
        unlocked.province.public_bytes(),
        unlocked.active["province"],
        device.id,
        str(uuid.uuid4()),
        items,
    )
    return ingest.ingest(engine, unlocked, device, body, today=TODAY)["results"]


def _state(engine, officer: str) -> dict:
    """What the database holds, free of what differs between two databases (keys, tokens,
    case ids, times, officer ids)."""
    with engine.connect() as conn:
        events = []
        for e in conn.execute(select(changes).order_by(changes.c.seq)):
            detail = json.loads(e.detail) if e.detail else {}
            detail.pop("case_id", None)
            who = "me" if e.officer_id == officer else e.officer_id
            events.append((e.kind, who, e.household_id, e.revision, detail))
        return {
            "households": sorted(
                (h.id, h.revision, h.conflict, h.status, h.kode_desa, bytes(h.content_hash))
                for h in conn.execute(select(households))
            ),
            "versions": sorted(
                (v.household_id, v.revision, bytes(v.content_hash))
                for v in conn.execute(select(household_versions))
            ),
            "tokens": sorted((t.household_id, t.kind) for t in conn.execute(select(blind_index))),
            "duplicates": sorted(
                (d.household_id, d.other_household_id, d.kind, d.matches)
                for d in conn.execute(select(duplicates))
            ),
            "cases": sorted(
                (c.household_a, c.household_b, c.kind, c.outcome)
                for c in conn.execute(select(duplicate_cases))
            ),
            "events": events,
        }


def test_one_batch_equals_the_households_pushed_one_at_a_time(new_url):
    before, batch = _items()
    together, alone = _world(new_url()), _world(new_url())
    for engine, unlocked, device, _ in (together, alone):
        assert {r["outcome"] for r in _push(engine, unlocked, device, before)} == {"accepted"}
    results = _push(*together[:3], batch)
    one_by_one = [r for item in batch for r in _push(*alone[:3], [item])]
    try:
        assert results == one_by_one
        assert [r["outcome"] for r in results] == [
            "accepted",
            "accepted",
            "accepted",
            "accepted",
            "accepted",
            "accepted",
            "duplicate",
            "conflict",
            "accepted",
        ]
        state = _state(together[0], together[3])
        assert state == _state(alone[0], alone[3])
        # The pairs it found: C-A on A's old KK, D-C on it after A moved off it (never D-A),
        # S2-S1 once and S1-B, S2-B twice (B's second revision) on S1's KK.
        s1, s2, a, b, c, d = (numbered(n)["id"] for n in (401, 402, 403, 404, 405, 407))
        kk = {(h, o, m) for h, o, kind, m in state["duplicates"] if kind == "kk"}
        assert kk == {
            (b, s1, 2),
            (s1, b, 2),
            (c, a, 1),
            (a, c, 1),
            (d, c, 1),
            (c, d, 1),
            (s2, s1, 1),
            (s1, s2, 1),
            (s2, b, 2),
            (b, s2, 2),
        }
        assert len(state["cases"]) == 5  # one per pair, never reopened by the second match
        assert [e[0] for e in state["events"]].count("duplicate") == 10
    finally:
        together[0].dispose()
        alone[0].dispose()
