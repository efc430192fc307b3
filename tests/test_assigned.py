"""Verification assignments on the laptop: the pull's `candidate` and `release` events applied to a
real encrypted store, candidates sealed here as the province seals them (app/store/assigned.py)."""

from __future__ import annotations

import base64
import json

import pytest

from app import households
from app.province_key import ProvinceKeyPair, seal_to
from app.store import Store, assigned
from app.store.outbox import apply_events, apply_results, next_batch, pull_cursor
from sync.protocol import candidate_info
from tests import records
from tests.conftest import PASSPHRASE
from tests.test_leak import all_bytes, secrets_in

DEVICE = "device-7"
DESA_A, DESA_B = "62.71.03.1001", "62.71.03.1002"


@pytest.fixture(scope="module")
def key():
    return ProvinceKeyPair.generate()


def listed(n: int = 1, desa: str = DESA_A, **extra) -> dict:
    """A DTSEN candidate as the province sends it: identity, location and members only."""
    full = records.numbered(n)
    rec = {
        "schema_version": 1,
        "id": full["id"],
        "status": "draft",
        "no_kk": full["no_kk"],
        "lokasi": {"kode_desa": desa, "alamat": "Jalan Rajawali 12"},
        "verifikasi": {"sumber": 1},
        "anggota": [{k: m[k] for k in records.LISTED} for m in full["anggota"]],
    }
    rec.update(extra)
    return rec


def away(rec: dict, presence: int = 7) -> dict:
    """`rec` verified in the field and ready to finalise: the family was not found (7) or moved."""
    return records.listed_away(
        presence,
        id=rec["id"],
        no_kk=rec["no_kk"],
        lokasi=dict(rec["lokasi"], rt="002", rw="005"),
        anggota=[dict(m, keberadaan=presence) for m in rec["anggota"]],
    )


def candidate(key, rec: dict, revision: int = 1, seq: int = 1, device: str = DEVICE) -> dict:
    info = candidate_info(device, rec["id"], revision)
    sealed = seal_to(key.public_bytes(), json.dumps(rec).encode(), info)
    return {
        "seq": seq,
        "type": "candidate",
        "household_id": rec["id"],
        "revision": revision,
        "sealed": base64.urlsafe_b64encode(sealed).decode().rstrip("="),
    }


def pull(store, key, events, cursor=None):
    return apply_events(store, events, cursor or max(e["seq"] for e in events), box=(DEVICE, key))


def row(store, hid):
    return next(r for r in store.rows() if r.id == hid)


def actions(store, hid):
    return [e.action for e in store.audit.entries() if e.record_id == hid]


def test_new_candidate_is_stored_to_verify(store, key):
    rec = listed()
    pulled = pull(store, key, [candidate(key, rec)])
    assert pulled.candidates == 1 and pull_cursor(store) == 1
    stored, revision = store.get(rec["id"])
    assert stored == rec and revision == 1
    r = row(store, rec["id"])
    assert (r.sync_state, r.status, r.listed, r.province_changed, r.released) == (
        "to_verify",
        "draft",
        True,
        False,
        False,
    )
    assert r.head == rec["anggota"][0]["nama"]
    assert store.households_with("nik", rec["anggota"][1]["nik"]) == {rec["id"]}
    assert actions(store, rec["id"]) == ["household.assigned"]
    assert next_batch(store, 10)[0] == []  # a draft from the list is not sent
    assert store.verify().ok


def test_untouched_household_is_replaced_silently(store, key):
    rec = listed()
    pull(store, key, [candidate(key, rec)])
    newer = listed(no_kk="6271030101999999")
    pulled = pull(store, key, [candidate(key, newer, revision=2, seq=2)])
    assert pulled.candidates == 1 and pulled.province_changed == 0
    assert store.get(rec["id"]) == (newer, 2)
    assert assigned.listed(store, rec["id"]).revision == 2
    assert row(store, rec["id"]).sync_state == "to_verify"


def test_saving_a_draft_unchanged_still_counts_as_untouched(store, key):
    rec = listed()
    pull(store, key, [candidate(key, rec)])
    households.save_draft(store, rec, expected_revision=1)  # autosave, nothing typed
    assert row(store, rec["id"]).sync_state == "local"  # the normal draft state
    pull(store, key, [candidate(key, listed(no_kk="6271030101999999"), revision=2, seq=2)])
    assert store.get(rec["id"])[0]["no_kk"] == "6271030101999999"


def test_edited_household_keeps_the_officers_record(store, key):
    rec = listed()
    pull(store, key, [candidate(key, rec)])
    mine = dict(rec, tanggal_kunjungan="2026-11-27", no_kk="6271030101888888")
    households.save_draft(store, mine, expected_revision=1)
    theirs = listed(lokasi={"kode_desa": DESA_A, "alamat": "Jalan Garuda 3"})
    pulled = pull(store, key, [candidate(key, theirs, revision=2, seq=2)])
    assert pulled.province_changed == 1 and pulled.candidates == 0
    assert store.get(rec["id"]) == (mine, 2)  # nothing overwritten
    assert assigned.province_version(store, rec["id"]) == (theirs, 2)
    assert assigned.listed(store, rec["id"]).origin == rec
    assert row(store, rec["id"]).province_changed
    assert actions(store, rec["id"])[-1] == "household.province_changed"


def test_finalised_household_is_not_overwritten(store, key):
    rec = listed()
    pull(store, key, [candidate(key, rec)])
    households.finalise(store, away(rec), expected_revision=1, today=records.TODAY)
    pull(store, key, [candidate(key, listed(no_kk="6271030101999999"), revision=2, seq=2)])
    stored, revision = store.get(rec["id"])
    assert stored["status"] == "final" and stored["no_kk"] == rec["no_kk"] and revision == 2
    assert row(store, rec["id"]).province_changed


def test_stale_and_repeated_versions_are_ignored(store, key):
    rec = listed()
    pull(store, key, [candidate(key, rec, revision=3)])
    pulled = pull(
        store,
        key,
        [
            candidate(key, listed(no_kk="6271030101999999"), revision=2, seq=2),
            candidate(key, rec, revision=3, seq=3),
        ],
    )
    assert pulled.stale == 2 and pulled.candidates == 0
    assert store.get(rec["id"]) == (rec, 1)


def test_resolve_saves_the_choice_and_promotes_the_province_version(store, key):
    from app import verification

    rec = listed()
    pull(store, key, [candidate(key, rec)])
    mine = dict(rec, no_kk="6271030101888888")
    households.save_draft(store, mine, expected_revision=1)
    theirs = listed(lokasi={"kode_desa": DESA_A, "alamat": "Jalan Garuda 3"})
    pull(store, key, [candidate(key, theirs, revision=2, seq=2)])
    choices = {
        d.key: verification.THEIRS
        for d in verification.diff(mine, theirs)
        if d.path == ("lokasi", "alamat")
    }
    merged = verification.merge(mine, theirs, choices)
    revision = assigned.resolve(store, rec["id"], merged, expected_revision=2, province_revision=2)
    stored, _ = store.get(rec["id"])
    assert revision == 3 and stored["no_kk"] == "6271030101888888"
    assert stored["lokasi"]["alamat"] == "Jalan Garuda 3"
    kept = assigned.listed(store, rec["id"])
    assert (kept.revision, kept.origin, kept.pending) == (2, theirs, None)
    assert not row(store, rec["id"]).province_changed
    assert store.verify().ok


def test_release_with_nothing_unsent_deletes(store, key):
    rec, synced = listed(1), listed(2)
    pull(store, key, [candidate(key, rec), candidate(key, synced, seq=2)])
    households.finalise(store, away(synced), expected_revision=1, today=records.TODAY)
    apply_results(store, [{"id": synced["id"], "revision": 2, "outcome": "accepted"}])
    pulled = pull(
        store,
        key,
        [
            {"seq": 3, "type": "release", "household_id": rec["id"]},
            {"seq": 4, "type": "release", "household_id": synced["id"]},
        ],
    )
    assert pulled.released == 2
    assert store.rows() == []
    for table, col in (
        ("lookup", "household_id"),
        ("assigned", "household_id"),
        ("outbox", "household_id"),
    ):
        assert store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, (table, col)
    assert actions(store, rec["id"])[-1] == "household.released"
    assert store.verify().ok


def test_release_of_an_unsent_final_waits_for_the_push(store, key):
    rec = listed()
    pull(store, key, [candidate(key, rec)])
    households.finalise(store, away(rec, 3), expected_revision=1, today=records.TODAY)
    pulled = pull(store, key, [{"seq": 2, "type": "release", "household_id": rec["id"]}])
    assert pulled.release_waiting == 1 and row(store, rec["id"]).released
    batch, _ = next_batch(store, 10)
    assert [b["id"] for b in batch] == [rec["id"]]  # still goes to the province
    applied = apply_results(store, [{"id": rec["id"], "revision": 2, "outcome": "accepted"}])
    assert applied.synced == 1 and applied.released == 1
    assert store.rows() == [] and actions(store, rec["id"])[-1] == "household.released"


def test_release_of_an_edited_draft_keeps_it(store, key):
    rec = listed()
    pull(store, key, [candidate(key, rec)])
    households.save_draft(store, dict(rec, no_kk="6271030101888888"), expected_revision=1)
    pull(store, key, [{"seq": 2, "type": "release", "household_id": rec["id"]}])
    pull(
        store,
        key,
        [
            {
                "seq": 3,
                "type": "status",
                "household_id": rec["id"],
                "revision": 2,
                "status": "received",
            }
        ],
    )  # nothing the province has
    assert row(store, rec["id"]).released and store.get(rec["id"])[1] == 2


def test_counts_to_verify_per_desa(store, key):
    a1, a2, b1 = listed(1), listed(2), listed(3, desa=DESA_B)
    pull(store, key, [candidate(key, r, seq=i) for i, r in enumerate((a1, a2, b1), start=1)])
    store.save(records.numbered(4, status="draft"))  # typed by the officer: not from the list
    assert assigned.to_verify_counts(store) == {DESA_A: 2, DESA_B: 1}
    households.save_draft(store, dict(a1, no_kk="6271030101888888"), expected_revision=1)
    assert assigned.to_verify_counts(store) == {DESA_A: 2, DESA_B: 1}  # still a draft
    households.finalise(store, away(b1), expected_revision=1, today=records.TODAY)
    assert assigned.to_verify_counts(store) == {DESA_A: 2}


def test_damaged_candidates_are_skipped_and_counted(store, key):
    good, bad, other_device, wrong_rev = listed(1), listed(2), listed(3), listed(4)
    tampered = candidate(key, bad, seq=2)
    blob = bytearray(base64.urlsafe_b64decode(tampered["sealed"] + "=="))
    blob[-5] ^= 1
    tampered["sealed"] = base64.urlsafe_b64encode(bytes(blob)).decode().rstrip("=")
    moved = candidate(key, wrong_rev, revision=1, seq=4)
    moved["revision"] = 2  # the info names revision 1: does not open as 2
    events = [
        candidate(key, good),
        tampered,
        candidate(key, other_device, seq=3, device="x"),
        moved,
        {
            "seq": 5,
            "type": "candidate",
            "household_id": listed(5)["id"],
            "revision": 1,
            "sealed": "!!not base64!!",
        },
        {"seq": 6, "type": "candidate", "household_id": 7, "revision": "x"},
        {"seq": 7, "type": "something_new"},
    ]
    pulled = pull(store, key, events)
    assert (pulled.candidates, pulled.damaged, pulled.other) == (1, 5, 1)
    assert [r.id for r in store.rows()] == [good["id"]] and pull_cursor(store) == 7


def test_candidate_with_a_foreign_id_inside_is_refused(store, key):
    rec = listed(1)
    event = candidate(key, dict(rec, id=listed(2)["id"]))
    event["household_id"] = rec["id"]  # sealed under the other id: info does not match either
    info = candidate_info(DEVICE, rec["id"], 1)
    event["sealed"] = (
        base64.urlsafe_b64encode(
            seal_to(key.public_bytes(), json.dumps(dict(rec, id=listed(2)["id"])).encode(), info)
        )
        .decode()
        .rstrip("=")
    )
    assert pull(store, key, [event]).damaged == 1 and store.rows() == []


def test_without_a_box_candidates_are_skipped(store, key):
    pulled = apply_events(store, [candidate(key, listed())], 1)
    assert pulled.damaged == 1 and store.rows() == []


def test_store_made_before_assignments_opens(data_dir, key):
    import sqlite3

    from tests.conftest import FAST_KDF

    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    with sqlite3.connect(Store.path_in(data_dir)) as db:
        db.execute("DROP TABLE assigned")
        db.execute("ALTER TABLE households DROP COLUMN mac")  # added by m005
        db.execute("DROP TABLE questionnaires")  # added by m006
        db.execute("DROP TABLE supervision")  # added by m007
        db.execute("DROP TABLE supervision_rounds")  # added by m007
        db.execute("PRAGMA user_version = 3")
    with Store.open(data_dir, PASSPHRASE) as s:
        pull(s, key, [candidate(key, listed())])
        assert row(s, listed()["id"]).listed


def test_no_personal_data_on_disk_or_in_audit(data_dir, key):
    from tests import test_leak
    from tests.conftest import FAST_KDF

    store = Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF)
    people = test_leak.PEOPLE
    rec = {
        "schema_version": 1,
        "id": listed()["id"],
        "status": "draft",
        "no_kk": test_leak.KK,
        "lokasi": {"kode_desa": DESA_A, "alamat": test_leak.ADDRESS},
        "verifikasi": {"sumber": 1},
        "anggota": [
            {"nik": nik, "nama": name, "hubungan": 1 if i == 0 else 3}
            for i, (name, nik) in enumerate(people)
        ],
    }
    pull(store, key, [candidate(key, rec)])
    households.save_draft(store, dict(rec, no_kk="6271030101888888"), expected_revision=1)
    pull(
        store,
        key,
        [
            candidate(key, dict(rec, lokasi={"kode_desa": DESA_A}), revision=2, seq=2),
            {"seq": 3, "type": "release", "household_id": rec["id"]},
        ],
    )
    details = " ".join(f"{e.action} {e.detail}" for e in store.audit.entries())
    assert not secrets_in(details.encode())
    found = {path: secrets_in(data) for path, data in all_bytes(data_dir).items()}
    assert not any(found.values()), found
    store.close()
    found = {path: secrets_in(data) for path, data in all_bytes(data_dir).items()}
    assert not any(found.values()), found
