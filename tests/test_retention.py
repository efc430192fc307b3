"""Laptop retention (app/store/retention.py, docs/privacy.md): a household the province decided
keeps only its stub once the retention period ends, and its ciphertext leaves the file and WAL;
drafts, unsent, sent-back and undecided households stay whole; stubs still list and still catch
a duplicate NIK or KK; a withdrawal of consent erases a household entirely."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from app import households as ops
from app.cli import main
from app.errors import NotFinalisable, RecordPurged
from app.policy import DEFAULT_RETENTION_DAYS
from app.store import Store, retention
from app.store.outbox import apply_events, apply_results
from tests import records
from tests.conftest import FAST_KDF, PASSPHRASE

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cstore(data_dir, clock):
    s = Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF, clock=clock)
    yield s
    s.close()


def family(n: int) -> dict:
    """A whole final household with its own KK and NIKs (serials differ per family)."""
    rec = records.household(
        id=f"00000000-0000-4000-8000-{n:012d}",
        no_kk=f"62710301011{n:05d}",
        anggota=[
            records.head(serial=10 * n + 1),
            records.wife(serial=10 * n + 2),
            records.child(serial=10 * n + 3),
        ],
    )
    return rec


def status(hid: str, revision: int, value: str, seq: int, decided_at: str | None = None):
    return {
        "seq": seq,
        "type": "status",
        "household_id": hid,
        "revision": revision,
        "status": value,
        "reason": "not_eligible" if value == "rejected" else None,
        "card_number": "KHBS-62-0007" if value == "verified" else None,
        "decided_at": decided_at,
    }


def sent(store: Store, rec: dict) -> int:
    revision = store.save(rec)
    apply_results(store, [{"id": rec["id"], "revision": revision, "outcome": "accepted"}])
    return revision


def blob_of(store: Store, hid: str) -> bytes:
    return bytes(
        store.db.execute("SELECT record FROM households WHERE id = ?", (hid,)).fetchone()[0]
    )


def file_bytes(data_dir) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data_dir.iterdir()) if p.is_file())


def test_decided_households_keep_only_a_stub_after_the_period(cstore, clock, data_dir):
    verified, rejected, unsent, draft, received, pushed_back = (family(i) for i in range(1, 7))
    for rec in (verified, rejected, received):
        sent(cstore, rec)
    cstore.save(unsent)  # final, still in the outbox
    cstore.save(dict(draft, status="draft"))
    cstore.save(pushed_back)  # the province refused it at push: the officer must fix it
    apply_results(
        cstore,
        [{"id": pushed_back["id"], "revision": 1, "outcome": "rejected", "reason": "outside_area"}],
    )
    apply_events(
        cstore,
        [
            status(verified["id"], 1, "verified", 1),
            status(rejected["id"], 1, "rejected", 2),
            status(received["id"], 1, "received", 3),
            {"seq": None, "type": "settings", "retention_days": 14},
        ],
        cursor=3,
    )
    assert retention.retention_days(cstore) == 14
    ciphertexts = {r["id"]: blob_of(cstore, r["id"]) for r in (verified, rejected)}
    cstore.flush_audit()

    clock.move(days=13, hours=23)
    assert retention.purge(cstore, dry_run=True).ids == []
    clock.move(hours=2)
    assert retention.purge(cstore, dry_run=True).ids == sorted([verified["id"], rejected["id"]])
    result = retention.purge(cstore)
    assert result.ids == sorted([verified["id"], rejected["id"]]) and result.checkpointed
    assert (data_dir / "khbs.db-wal").stat().st_size == 0  # checkpointed and truncated
    raw = file_bytes(data_dir)  # the database file and its WAL, while the store is open
    for hid, blob in ciphertexts.items():
        assert blob[:48] not in raw and blob[-48:] not in raw, hid

    # The stubs: in the list with desa, decision, card number and dates; nothing to open.
    rows = {r.id: r for r in cstore.rows()}
    stub = rows[verified["id"]]
    assert (stub.sync_state, stub.kode_desa, stub.card_number) == (
        "purged",
        records.DESA,
        "KHBS-62-0007",
    )
    assert (stub.sync_reason, stub.summary, stub.head) == ("verified", "", "")
    assert rows[rejected["id"]].sync_reason == "not_eligible"
    with pytest.raises(RecordPurged):
        cstore.get(verified["id"])
    assert {hid for hid, _ in cstore.records()} == {
        r["id"] for r in (unsent, draft, received, pushed_back)
    }
    assert retention.counts(cstore) == (4, 2)
    assert cstore.status_counts()["stubs"] == 2
    for rec in (unsent, draft, received, pushed_back):  # never purged, however long it waits
        assert cstore.get(rec["id"])[0]["no_kk"] == rec["no_kk"]
    clock.move(days=400)
    assert retention.purge(cstore).ids == []

    # Audited by id, never with the data; verify still passes (tokens and MACs consistent).
    purged = [e for e in cstore.audit.entries() if e.action == "household.purged"]
    assert sorted(e.record_id for e in purged) == sorted(ciphertexts)
    assert all(e.detail == "days=14" for e in purged)
    assert cstore.verify().ok

    # The duplicate check still sees the stub's NIK and KK on this laptop.
    again = dict(family(1), id="00000000-0000-4000-8000-000000000099")
    with pytest.raises(NotFinalisable) as found:
        ops.finalise(cstore, again, acknowledge=True, today=date(2026, 12, 2))
    codes = {i.code for i in found.value.result.errors}
    assert {"kk_duplicate_device", "nik_duplicate_device"} <= codes
    assert cstore.households_with("kk", verified["no_kk"]) == {verified["id"]}

    cstore.close()
    raw = file_bytes(data_dir)
    for hid, blob in ciphertexts.items():
        assert blob[:48] not in raw and blob[-48:] not in raw, hid
    assert blob_of_file_check(data_dir, unsent)


def blob_of_file_check(data_dir, rec) -> bool:
    """The kept households are still in the file (the scan above can find ciphertext)."""
    with Store.open(data_dir, PASSPHRASE) as s:
        blob = blob_of(s, rec["id"])
    return blob[:48] in file_bytes(data_dir)


def test_a_decision_sent_back_after_it_keeps_the_household(cstore, clock):
    """Any later `sync.*` entry for the revision (a return, a case) stops the purge."""
    rec = family(1)
    sent(cstore, rec)
    apply_events(cstore, [status(rec["id"], 1, "verified", 1)], cursor=1)
    with cstore.db.atomic():
        cstore.audit.append(cstore.now(), cstore.actor, "sync.review", rec["id"], 1)
    clock.move(days=DEFAULT_RETENTION_DAYS + 1)
    assert retention.purge(cstore).ids == []


def test_the_period_runs_from_the_provinces_decision(cstore, clock):
    rec = family(1)
    sent(cstore, rec)
    decided = (START - timedelta(days=DEFAULT_RETENTION_DAYS)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    apply_events(cstore, [status(rec["id"], 1, "verified", 1, decided)], cursor=1)
    assert retention.purge(cstore).ids == [rec["id"]]


def test_an_erase_event_removes_the_household_whatever_its_state(cstore, data_dir):
    kept, erased = family(1), family(2)
    sent(cstore, kept)
    cstore.save(erased)  # final and unsent: erased all the same (consent withdrawn)
    secret = blob_of(cstore, erased["id"])
    pulled = apply_events(cstore, [{"seq": 1, "type": "erase", "household_id": erased["id"]}], 1)
    assert pulled.erased == 1
    assert retention.checkpoint(cstore)
    assert [r.id for r in cstore.rows()] == [kept["id"]]
    assert cstore.households_with("kk", erased["no_kk"]) == set()
    assert [e.record_id for e in cstore.audit.entries() if e.action == "household.erased"] == [
        erased["id"]
    ]
    assert cstore.verify().ok
    cstore.close()
    raw = file_bytes(data_dir)
    assert secret[:48] not in raw and secret[-48:] not in raw


def test_khbs_purge_dry_run_lists_then_purges(data_dir, capsys, monkeypatch):
    monkeypatch.setenv("KHBS_PASSPHRASE", PASSPHRASE)
    old = datetime.now(UTC) - timedelta(days=DEFAULT_RETENTION_DAYS + 1)
    clock = Clock()
    clock.now = old
    rec = family(1)
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF, clock=clock) as s:
        sent(s, rec)
        apply_events(s, [status(rec["id"], 1, "verified", 1)], cursor=1)
    argv = ["--data-dir", str(data_dir)]
    assert main([*argv, "purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert rec["id"] in out and "1 keluarga akan disisakan" in out
    assert main([*argv, "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stubs"] == 0
    assert main([*argv, "purge"]) == 0
    assert "Di laptop ini: 0 lengkap, 1 ringkasan" in capsys.readouterr().out
    assert main([*argv, "status", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["full"], counts["stubs"]) == (0, 1)


def test_an_open_return_keeps_the_household(cstore, clock):
    """A supervisor's return of a revision the laptop does not hold yet (a correction made at
    the province) leaves the laptop's decided revision due by its audit trail; the open return
    ("Perlu perbaikan") still keeps the household whole."""
    from app.province_key import ProvinceKeyPair
    from app.store import supervision
    from tests.review_events import comment, review

    box = ProvinceKeyPair.generate()
    rec = family(1)
    sent(cstore, rec)
    apply_events(cstore, [status(rec["id"], 1, "verified", 1)], cursor=1)
    event = review(
        box.public_bytes(), "device-7", rec["id"], 2, [comment("no_kk", "cek KK")], seq=2
    )
    apply_events(cstore, [event], 2, box=("device-7", box))
    assert supervision.open_returns(cstore) == [(rec["id"], "returned")]
    clock.move(days=DEFAULT_RETENTION_DAYS + 1)
    assert retention.purge(cstore).ids == []
    assert supervision.of(cstore, rec["id"]).open_return is not None


def test_unsent_photos_keep_the_household_and_sent_ones_leave_with_the_record(cstore, clock):
    from app.store import attachments

    waiting, done = family(1), family(2)
    for n, rec in enumerate((waiting, done), start=1):
        sent(cstore, rec)
        attachments.add(cstore, rec["id"], "photo", b"\xff\xd8 foto", b"thumb", {})
        apply_events(cstore, [status(rec["id"], 1, "verified", n)], cursor=n)
    (photo,) = attachments.listed(cstore, done["id"])
    attachments.mark_sent(cstore, photo.id)
    clock.move(days=DEFAULT_RETENTION_DAYS + 1)
    assert retention.purge(cstore).ids == [done["id"]]
    assert attachments.listed(cstore, done["id"]) == []
    assert len(attachments.listed(cstore, waiting["id"])) == 1
    assert retention.purge(cstore).ids == []
