"""The laptop side of push: batches from the outbox, and the province's answers applied."""

import sqlite3
import uuid

from app.store import Store
from app.store.migrations import MIGRATIONS
from app.store.outbox import apply_results, next_batch
from tests.conftest import FAST_KDF, PASSPHRASE


def rec(i, status="final"):
    return {"schema_version": 1, "id": f"00000000-0000-4000-8000-{i:012d}", "status": status,
            "no_kk": f"62710301011{i:05d}", "anggota": []}


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
    applied = apply_results(store, [
        {"id": a["id"], "revision": 1, "outcome": "accepted"},
        {"id": b["id"], "revision": 1, "outcome": "duplicate"},
        {"id": c["id"], "revision": 1, "outcome": "rejected", "reason": "outside_area"},
        {"id": d["id"], "revision": 1, "outcome": "conflict"},
    ])
    assert (applied.synced, applied.attention, applied.stale) == (1, 2, 1)
    states = {r.id: r.sync_state for r in store.rows()}
    assert states == {a["id"]: "synced", b["id"]: "pending", c["id"]: "rejected", d["id"]: "conflict"}
    assert [x["id"] for x in next_batch(store, 10)[0]] == [b["id"]]  # only the edited one is left
    reason = store.db.execute("SELECT sync_reason FROM households WHERE id=?", (c["id"],)).fetchone()[0]
    assert reason == "outside_area"
    # Answers are audited, and an edit after rejection queues it again with the reason cleared.
    assert [e.action for e in store.audit.entries() if e.record_id == c["id"]][-1] == "sync.rejected"
    store.save(c)
    assert store.db.execute("SELECT sync_state, sync_reason FROM households WHERE id=?", (c["id"],)).fetchone() == ("pending", None)
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
        db.execute("ALTER TABLE households DROP COLUMN sync_reason")
        db.execute("PRAGMA user_version = 1")
    with Store.open(data_dir, PASSPHRASE) as s:
        assert s.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 2
        assert s.get(rec(1)["id"])[0] == rec(1)
        assert "sync_reason" in {c[1] for c in s.db.execute("PRAGMA table_info(households)")}
