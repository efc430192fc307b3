"""The supervision loop's province side with a real laptop store and sync client against the
real server on 127.0.0.1, on SQLite and PostgreSQL: the officer finalises and syncs, the
supervisor returns the household with a comment on the second member's NIK, the return opens
with the box key the laptop itself made (what the laptop side reads), the officer corrects and
syncs again, a decision on the old revision is refused, the difference is there, the new
revision is verified, a card is issued, and the laptop shows the card number after its sync."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import select

from app.province_key import ProvinceKeyPair
from sync.client import BOX_SECRET
from sync.protocol import ReviewEvent, read_event, review_info, unb64
from sync.server import cards, review
from sync.server.api.pull import events_for
from sync.server.db import devices
from sync.server.scope import Scope
from tests.records import numbered
from tests.server.test_api import laptop

__all__ = ["laptop"]  # the fixture
SUPERVISOR = Scope.of("supervisor", ["62.71.03"])


def test_return_correct_verify_card(laptop, store, engine, initialised, officer):
    record = numbered(51)
    hid = record["id"]
    store.save(record)
    assert laptop.sync().synced == 1
    with engine.begin() as conn:
        review.decide(
            conn,
            initialised,
            SUPERVISOR,
            "user:pengawas",
            hid,
            1,
            "returned",
            comments=[{"path": "anggota.1.nik", "code": "nik_wrong", "text": "Lihat KK"}],
        )
    laptop.sync()  # an older laptop counts the review event and goes on
    with engine.connect() as conn:
        device_id = conn.execute(select(devices.c.id)).scalar_one()
    with engine.connect() as conn:
        pulled = events_for(conn, device_id, officer, 0, 500, initialised)["events"]
    [returned] = [e for e in map(read_event, pulled) if isinstance(e, ReviewEvent)]
    box = ProvinceKeyPair.from_private_bytes(store.get_secret(BOX_SECRET))
    opened = json.loads(box.open(unb64(returned.sealed), review_info(device_id, hid, 1)))
    assert opened["comments"] == [
        {"path": "anggota.1.nik", "member_id": None, "code": "nik_wrong", "text": "Lihat KK"}
    ]

    corrected, revision = store.get(hid)
    corrected = copy.deepcopy(corrected)
    corrected["anggota"][1]["nama"] = corrected["anggota"][1]["nama"] + " Putri"
    store.save(corrected, expected_revision=revision)
    assert laptop.sync().synced == 1
    with engine.begin() as conn, pytest.raises(review.StaleRevision):
        review.decide(conn, initialised, SUPERVISOR, "user:pengawas", hid, 1, "verified")
    with engine.connect() as conn:
        [waiting] = review.queue(conn, SUPERVISOR)
        found = review.differences(conn, initialised, SUPERVISOR, hid)
    assert (waiting.household_id, waiting.rounds) == (hid, 1)
    assert [d.path for d in found.from_previous] == [("anggota", 1, "nama")]
    with engine.begin() as conn:
        review.decide(
            conn, initialised, SUPERVISOR, "user:pengawas", hid, waiting.revision, "verified"
        )
    with engine.begin() as conn:
        issued = cards.issue(conn, Scope.of("regency", ["62.71"]), "user:kota")
    [(_, number)] = issued.cards
    laptop.sync()
    assert {r.id: r.card_number for r in store.rows()} == {hid: number}
    with engine.connect() as conn:
        history = review.rounds(conn, initialised, SUPERVISOR, hid)
    assert [(r.round, r.revision, r.decision) for r in history] == [
        (1, 1, "returned"),
        (2, waiting.revision, "verified"),
    ]
