"""The laptop side of push: batches from the outbox, and the province's answers applied."""

import sqlite3
import uuid

from app.store import Store
from app.store.migrations import MIGRATIONS
from app.store.outbox import apply_events, apply_results, next_batch
from tests.conftest import FAST_KDF, PASSPHRASE


def rec(i, status="final"):
    return {
        "schema_version": 1,
        "id": f"00000000-0000-4000-8000-{i:012d}",
        "status": status,
        "no_kk": f"62710301011{i:05d}",
        "anggota": [],
    }


def test_batches_follow_queue_order_and_skip_drafts(store):
    for i in range(5):
        store.save(rec(i))
    store.save(rec(9, status="draft"))
    batch, damaged = next_batch(store, 3)
    assert [b["id"] for b in batch] == [rec(i)["id"] for i in range(3)]
    assert all(b["revision"] == 1 and b["record"] == rec(int(b["id"][-1])) for b in batch)
    assert damaged == []
    assert len(next_batch(store, 100)[0]) == 5


def test_answers_mark_synced_only_the_revision_sent(store):
    a, b, c, d = rec(1), rec(2), rec(3), rec(4)
    for r in (a, b, c, d):
        store.save(r)
    batch, _ = next_batch(store, 10)
    store.save(dict(b, no_kk="6271030101199999"))  # edited while being uploaded: revision 2
    applied = apply_results(
        store,
        [
            {"id": a["id"], "revision": 1, "outcome": "accepted"},
            {"id": b["id"], "revision": 1, "outcome": "duplicate"},
            {"id": c["id"], "revision": 1, "outcome": "rejected", "reason": "outside_area"},
            {"id": d["id"], "revision": 1, "outcome": "conflict"},
        ],
    )
    assert (applied.synced, applied.attention, applied.stale) == (1, 2, 1)
    states = {r.id: r.sync_state for r in store.rows()}
    assert states == {
        a["id"]: "synced",
        b["id"]: "pending",
        c["id"]: "rejected",
        d["id"]: "conflict",
    }
    assert [x["id"] for x in next_batch(store, 10)[0]] == [b["id"]]  # only the edited one is left
    reason = store.db.execute(
        "SELECT sync_reason FROM households WHERE id=?", (c["id"],)
    ).fetchone()[0]
    assert reason == "outside_area"
    # Answers are audited, and an edit after rejection queues it again with the reason cleared.
    assert [e.action for e in store.audit.entries() if e.record_id == c["id"]][
        -1
    ] == "sync.rejected"
    store.save(c)
    assert store.db.execute(
        "SELECT sync_state, sync_reason FROM households WHERE id=?", (c["id"],)
    ).fetchone() == ("pending", None)
    assert store.verify().ok


def test_damaged_household_does_not_block_the_batch(store, data_dir):
    store.save(rec(1))
    store.save(rec(2))
    store.close()
    with sqlite3.connect(Store.path_in(data_dir)) as db:
        db.execute("UPDATE households SET record = zeroblob(40) WHERE id = ?", (rec(1)["id"],))
    with Store.open(data_dir, PASSPHRASE) as s:
        batch, damaged = next_batch(s, 10)
    assert [b["id"] for b in batch] == [rec(2)["id"]] and damaged == [rec(1)["id"]]


def test_migration_from_version_1_keeps_households(data_dir):
    """A store made by the first release (user_version 1) opens and gains the new column."""
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        s.save(rec(1))
    with sqlite3.connect(Store.path_in(data_dir)) as db:
        db.execute("DROP INDEX households_sync")
        for column in ("sync_reason", "card", "province_duplicates", "mac"):  # m002, m003, m005
            db.execute(f"ALTER TABLE households DROP COLUMN {column}")
        db.execute("DROP TABLE assigned")  # added by m004
        db.execute("DROP TABLE questionnaires")  # added by m006
        db.execute("DROP TABLE supervision")  # added by m007
        db.execute("DROP TABLE supervision_rounds")  # added by m007
        db.execute("PRAGMA user_version = 1")
    with Store.open(data_dir, PASSPHRASE) as s:
        assert s.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 2
        assert s.get(rec(1)["id"])[0] == rec(1)
        columns = {c[1] for c in s.db.execute("PRAGMA table_info(households)")}
        assert {"sync_reason", "card", "province_duplicates"} <= columns
        assert s.rows()[0].card_number is None and s.rows()[0].province_duplicates == ()


# -- pull: what the province decided -------------------------------------------------------------

CARD = "KHBS-62-0041"


def status(hid, revision, status="verified", card=CARD, seq=1):
    return {
        "seq": seq,
        "type": "status",
        "household_id": hid,
        "revision": revision,
        "status": status,
        "reason": None,
        "card_number": card,
    }


def test_card_number_is_kept_sealed_and_outlives_new_revisions(store, data_dir):
    a, b = rec(1), rec(2)
    store.save(a)
    store.save(b)
    apply_results(store, [{"id": h["id"], "revision": 1, "outcome": "accepted"} for h in (a, b)])
    pulled = apply_events(store, [status(a["id"], 1)], cursor=1)
    assert (pulled.status, pulled.cards) == (1, 1)
    rows = {r.id: r for r in store.rows()}
    assert rows[a["id"]].card_number == CARD and rows[a["id"]].sync_reason == "verified"
    assert rows[b["id"]].card_number is None
    assert store.card_number(a["id"]) == CARD

    # The officer edits the household: the card stays (it is the family's), and a status for
    # the old revision does not touch the new one, while a card it carries is still kept.
    assert store.save(dict(a, no_kk="6271030101199999")) == 2
    apply_events(
        store,
        [
            status(b["id"], 1, "received", card=None, seq=2),
            status(a["id"], 1, "rejected", card="KHBS-62-0042", seq=3),
        ],
        cursor=3,
    )
    rows = {r.id: r for r in store.rows()}
    assert (rows[a["id"]].sync_state, rows[a["id"]].card_number) == ("pending", "KHBS-62-0042")
    assert rows[b["id"]].card_number is None  # an event without a card removes nothing
    # Not a card number the server would issue: ignored, the kept one stays.
    apply_events(store, [status(a["id"], 1, card="<b>x</b>", seq=4)], cursor=4)
    assert store.card_number(a["id"]) == "KHBS-62-0042"

    # Audited as a fact, never with the number; sealed on disk, bound to its household.
    assert [e.detail for e in store.audit.entries() if e.action == "sync.card"] == [None, None]
    assert not any("KHBS-62" in (e.detail or "") for e in store.audit.entries())
    assert store.verify().ok
    sealed = store.db.execute("SELECT card FROM households WHERE id = ?", (a["id"],)).fetchone()[0]
    store.db.execute("UPDATE households SET card = ? WHERE id = ?", (sealed, b["id"]))
    moved = {r.id: r for r in store.rows()}[b["id"]]
    assert moved.damaged and moved.card_number is None
    store.close()
    for f in data_dir.iterdir():
        assert b"KHBS-62-004" not in f.read_bytes(), f


def test_province_duplicates_are_kept_by_kind_and_outlive_saves(store):
    a, b = rec(1), rec(2)
    store.save(a)
    store.save(b)
    other = str(uuid.uuid4())
    events = [
        {
            "seq": 1,
            "type": "duplicate",
            "household_id": a["id"],
            "kind": "nik",
            "other_household_id": other,
        },
        {
            "seq": 2,
            "type": "duplicate",
            "household_id": a["id"],
            "kind": "kk",
            "other_household_id": b["id"],
        },
        {
            "seq": 3,
            "type": "duplicate",
            "household_id": a["id"],
            "kind": "nik",
            "other_household_id": b["id"],
        },
        {
            "seq": 4,
            "type": "duplicate",
            "household_id": str(uuid.uuid4()),
            "kind": "kk",
            "other_household_id": a["id"],
        },  # a household this laptop does not hold
        {
            "seq": 5,
            "type": "duplicate",
            "household_id": b["id"],
            "kind": "name",
            "other_household_id": a["id"],
        },
    ]  # a kind this version does not know
    assert apply_events(store, events, cursor=5).duplicates == 5
    rows = {r.id: r for r in store.rows()}
    assert rows[a["id"]].province_duplicates == ("kk", "nik")
    assert rows[b["id"]].province_duplicates == ()
    store.save(dict(a, status="draft"))
    assert store.rows_for([a["id"]])[0].province_duplicates == ("kk", "nik")
    # Only the kinds are in the household row; the other household's id is in the audit log.
    assert store.db.execute(
        "SELECT province_duplicates FROM households WHERE id = ?", (a["id"],)
    ).fetchone() == ("kk,nik",)
    assert f"nik:{other}" in [e.detail for e in store.audit.entries()]
    assert store.verify().ok


def test_odd_answers_and_events_are_skipped_and_the_rest_applies(store):
    """The province's replies are read through sync/protocol.py's types: a field of the wrong
    type is no value, so one odd item neither stops the sync nor writes nonsense."""
    a, b = rec(1), rec(2)
    store.save(a)
    store.save(b)
    applied = apply_results(
        store,
        [
            "not a result",
            {"id": a["id"], "revision": "1", "outcome": "accepted"},  # not the revision queued
            {"id": b["id"], "revision": 1, "outcome": "accepted"},
        ],
    )
    assert (applied.synced, applied.stale) == (1, 2)
    assert [r.id for r in store.rows() if r.sync_state == "pending"] == [a["id"]]
    store.set_officer("officer-1", ["62.71.01"])
    pulled = apply_events(
        store,
        [
            "not an event",
            {"seq": 1, "type": ["status"]},
            {
                "seq": 2,
                "type": "status",
                "household_id": [a["id"]],
                "revision": 1,
                "status": "verified",
            },
            {"seq": 3, "type": "assignment", "areas": "62.01"},  # not a list of areas
            status(b["id"], 1, seq=4),
        ],
        cursor=4,
    )
    assert (pulled.status, pulled.cards, pulled.other) == (1, 1, 4)
    assert store.assigned_areas() == ["62.71.01"]
    assert store.card_number(b["id"]) == CARD
    assert store.db.execute("SELECT value FROM meta WHERE key = 'pull_cursor'").fetchone() == ("4",)
