"""The store when things go wrong (issue 10, items 3 and 4): a full disk, a damaged or empty
file, two processes writing at once. Real files on a real (small, filled) file system, the real
`khbs` command in subprocesses; each failure must come with its own message, and a message may
say that nothing was lost only where that is known."""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app import households
from app.errors import DiskFull, StoreDamaged, StoreInUse, user_message
from app.i18n import tr
from app.store import Store
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered
from tests.test_cli import Khbs, write_jsonl

NOT_LOST = ("Tidak ada data yang hilang", "No data was lost", "utuh", "intact")


def actions(data_dir: Path) -> list[str]:
    """The audit log's actions, read straight from the file (an unlock would add one)."""
    db = sqlite3.connect(Store.path_in(data_dir))
    try:
        return [r[0] for r in db.execute("SELECT action FROM audit ORDER BY seq")]
    finally:
        db.close()


def with_drafts(data_dir: Path, n: int) -> list[dict]:
    recs = [numbered(i) for i in range(1, n + 1)]
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        for rec in recs:
            households.save_draft(s, rec)
    return recs


# -- a full disk ------------------------------------------------------------------------------


def test_read_commands_work_on_a_full_disk(small_disk, tmp_path):
    """Was: unlocking wrote an audit row (and WAL needs its 32 KiB -shm), so status, verify,
    dump and export all failed with "Unexpected error (OperationalError). No data was lost"."""
    data_dir = small_disk.path / "data"
    with_drafts(data_dir, 3)
    before = actions(data_dir)
    khbs = Khbs(data_dir, tmp_path)
    small_disk.fill()
    note = tr("cli.audit_not_written", "id", n=1, reason=tr("reason.disk_full", "id"))

    status = khbs.ok("status", "--json")
    assert json.loads(status.stdout)["households"] == 3
    assert status.stderr.splitlines() == [note]

    verify = khbs.ok("verify")
    assert "Semua baik." in verify.stdout and verify.stderr.splitlines() == [note]

    dump = khbs.ok("dump", "--out", str(tmp_path / "dump.jsonl"))  # to another disk
    assert len((tmp_path / "dump.jsonl").read_text("utf-8").splitlines()) == 3
    assert (
        tr("cli.audit_not_written", "id", n=2, reason=tr("reason.disk_full", "id")) in dump.stderr
    )  # the unlock and the dump itself

    export = khbs.ok("export", "--out", str(tmp_path / "export"), lang="en")
    assert (tmp_path / "export" / "households.csv").is_file()
    assert "could not be written (the disk is full)" in export.stderr
    for proc in (status, verify, dump, export):
        assert "Kesalahan tak terduga" not in proc.stderr and "Unexpected" not in proc.stderr

    # A write on the full disk says what happened and what is safe.
    failed = khbs.fails("import", str(write_jsonl(tmp_path / "one.jsonl", [numbered(9)])))
    assert tr("error.disk_full", "id") in failed.stderr

    small_disk.free()
    assert actions(data_dir)[: len(before)] == before  # nothing half-written meanwhile
    again = khbs.ok("status")
    assert again.stderr == ""  # with space, the read is audited as before
    assert actions(data_dir) == before + ["store.unlock"]
    assert khbs.ok("verify").stdout.rstrip().endswith("Semua baik.")


def test_a_read_on_a_full_disk_is_audited_at_the_next_write(small_disk):
    """The audit entry of a read waits in memory and is written, in order, before the next
    write; a store closed with entries still waiting hands them to its next unlock."""
    data_dir = small_disk.path / "data"
    recs = with_drafts(data_dir, 1)
    small_disk.fill()
    store = Store.open(data_dir, PASSPHRASE)  # unlocking does not fail for want of space
    assert store.audit_unwritten == 1 and isinstance(store.audit_failure, DiskFull)
    store.record_event("store.dump", detail="households=1")
    assert store.audit_unwritten == 2
    store.close()  # still full: kept for the next unlock in this process

    small_disk.free()
    with Store.open(data_dir, PASSPHRASE) as s:
        assert s.audit_unwritten == 0
        tail = [(e.action, e.detail) for e in s.audit.entries()][-3:]
        assert tail == [
            ("store.unlock", "failed_before=0"),
            ("store.dump", "households=1"),
            ("store.unlock", "failed_before=0"),
        ]
        s.audit.defer(s.now(), s.actor, "store.export")  # as a read on a full disk leaves it
        edited = copy.deepcopy(recs[0])
        edited["lokasi"]["rt"] = "042"
        households.save_draft(s, edited, expected_revision=1)
        assert [e.action for e in s.audit.entries()][-2:] == ["store.export", "household.draft"]
        assert s.verify().ok


def test_autosave_on_a_full_disk_says_the_edit_is_not_saved(small_disk):
    data_dir = small_disk.path / "data"
    rec = with_drafts(data_dir, 1)[0]
    with Store.open(data_dir, PASSPHRASE) as store:
        small_disk.fill()
        edited = copy.deepcopy(rec)
        edited["lokasi"]["rt"] = "099"
        with pytest.raises(DiskFull) as caught:
            households.save_draft(store, edited, expected_revision=1)
        text_id, text_en = caught.value.message("id"), caught.value.message("en")
        assert "TIDAK tersimpan" in text_id and "Kosongkan ruang disk" in text_id
        assert "NOT saved" in text_en and "Free some disk space" in text_en
        assert user_message(caught.value, "en") == text_en
        # The earlier saved state is there, whole.
        saved, revision = store.get(rec["id"])
        assert revision == 1 and saved["lokasi"]["rt"] == rec["lokasi"]["rt"]

        small_disk.free()
        assert households.save_draft(store, edited, expected_revision=1) == 2
        assert store.get(rec["id"])[0]["lokasi"]["rt"] == "099"
        assert store.verify().ok


# -- an empty, cut-short or foreign file --------------------------------------------------------


def damaged_files(tmp_path: Path) -> dict[str, bytes]:
    whole_dir = tmp_path / "whole"
    with_drafts(whole_dir, 4)
    whole = Store.path_in(whole_dir).read_bytes()
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO notes (text) VALUES ('catatan')")
    db.close()
    return {
        "empty": b"",
        "cut at a page": whole[: len(whole) // 2 // 4096 * 4096],
        "cut mid-page": whole[: len(whole) // 2 + 100],
        "header only": whole[:100],
        "not sqlite": b"bukan basis data\n" * 300,
        "another sqlite file": foreign.read_bytes(),
    }


def test_damaged_or_empty_store_file_is_refused_and_left_unchanged(tmp_path):
    """Was: a 0-byte khbs.db was turned into an empty schema by the next command, a cut-short
    one gave "Unexpected error ... No data was lost"."""
    source = tmp_path / "one.jsonl"
    write_jsonl(source, [numbered(1)])
    for name, content in damaged_files(tmp_path).items():
        khbs = Khbs(tmp_path / name.replace(" ", "-"), tmp_path)
        khbs.data_dir.mkdir()
        path = Store.path_in(khbs.data_dir)
        path.write_bytes(content)
        for args in (("status",), ("verify",), ("import", str(source)), ("passwd",)):
            proc = khbs.fails(*args, KHBS_NEW_PASSPHRASE="sungai-barito-2027")
            assert proc.stderr == f"khbs: {tr('error.store_damaged', 'id', path=path)}\n", (
                name,
                args,
                proc.stderr,
            )
            assert not any(s in proc.stderr for s in NOT_LOST), proc.stderr
        assert path.read_bytes() == content, name
        assert sorted(p.name for p in khbs.data_dir.iterdir()) == ["khbs.db"], name
        with pytest.raises(StoreDamaged):
            Store.open(khbs.data_dir, PASSPHRASE)
        assert path.read_bytes() == content, name
    english = tr("error.store_damaged", "en", path="x")
    assert "not changed" in english and not any(s in english for s in NOT_LOST)


def test_damage_found_while_reading_is_not_called_safe(tmp_path):
    """A file that opens but holds a broken page: the damaged-file message, which does not
    claim that nothing was lost (was: "Unexpected error (DatabaseError). No data was lost")."""
    data_dir = tmp_path / "data"
    with_drafts(data_dir, 30)
    path = Store.path_in(data_dir)
    db = sqlite3.connect(path)
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'households'").fetchone()[0]
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    raw = bytearray(path.read_bytes())
    raw[(root - 1) * page_size] = 0xFF  # not a b-tree page type any more
    path.write_bytes(bytes(raw))
    for lang in ("id", "en"):
        proc = Khbs(data_dir, tmp_path).fails("dump", "--out", str(tmp_path / "d.jsonl"), lang=lang)
        assert proc.stderr == f"khbs: {tr('error.store_corrupt', lang)}\n"
        assert not any(s in proc.stderr for s in NOT_LOST)


# -- two writers ------------------------------------------------------------------------------


def shared_nik_files(tmp_path: Path, n: int = 150) -> tuple[Path, Path, str]:
    """Two import files of n households each; the last of each has a head with the same NIK."""
    first = [numbered(i) for i in range(1, n + 1)]
    second = [numbered(i) for i in range(n + 1, 2 * n + 1)]
    second[-1]["anggota"][0] = copy.deepcopy(first[-1]["anggota"][0])
    nik = first[-1]["anggota"][0]["nik"]
    return (
        write_jsonl(tmp_path / "a.jsonl", first),
        write_jsonl(tmp_path / "b.jsonl", second),
        nik,
    )


def holders_of(data_dir: Path, nik: str) -> set[str]:
    with Store.open(data_dir, PASSPHRASE, write=False) as s:
        return s.households_with("nik", nik)


def test_two_imports_at_once_store_a_nik_once(tmp_path):
    """Was: one of two `khbs import` failed with "database is locked" as an unexpected error,
    or both passed the device-wide NIK check and stored the NIK twice."""
    a, b, nik = shared_nik_files(tmp_path)
    for round_ in range(2):
        data_dir = tmp_path / f"data{round_}"
        Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KHBS_")}
        env.update(KHBS_DATA_DIR=str(data_dir), KHBS_PASSPHRASE=PASSPHRASE, KHBS_LANG="en")
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "app.cli", "import", str(f)],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for f in (a, b)
        ]
        results = [(p.pid, *p.communicate(timeout=120), p.returncode) for p in procs]
        winners = [r for r in results if r[3] == 0]
        losers = [r for r in results if r[3] != 0]
        assert len(winners) == 1 and len(losers) == 1, results
        winner_pid, loser_err = winners[0][0], losers[0][2]
        in_use = tr("error.store_in_use", "en", command="khbs import", pid=winner_pid)
        duplicate = "already recorded in another household on this laptop"
        assert in_use in loser_err or duplicate in loser_err, loser_err
        assert "Unexpected" not in loser_err and "Traceback" not in loser_err
        assert len(holders_of(data_dir, nik)) == 1
        with Store.open(data_dir, PASSPHRASE, write=False) as s:
            assert s.status_counts()["households"] == 150 and s.verify().ok


def test_device_wide_check_and_write_are_one_transaction(tmp_path):
    """Two writers the process lock does not separate (two stores in one process, as two
    threads): the NIK check runs inside BEGIN IMMEDIATE, so the second sees the first's NIK."""
    a, b, nik = shared_nik_files(tmp_path, n=60)
    data_dir = tmp_path / "data"
    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    stores = [Store.open(data_dir, PASSPHRASE) for _ in range(2)]
    reports: list = [None, None]
    start = threading.Barrier(2)

    def run(i: int, path: Path) -> None:
        lines = path.read_text("utf-8").splitlines()
        start.wait()
        reports[i] = households.import_jsonl(stores[i], lines, lang="en")

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.close()
    imported = sorted(r.imported for r in reports)
    assert imported == [0, 60], [(r.imported, [e.message for e in r.errors]) for r in reports]
    refused = next(r for r in reports if r.imported == 0)
    assert [e.line for e in refused.errors] == [60]
    assert "already recorded in another household on this laptop" in refused.errors[0].message
    assert len(holders_of(data_dir, nik)) == 1


def test_a_writer_is_told_who_holds_the_store(tmp_path):
    data_dir = tmp_path / "data"
    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    khbs = Khbs(data_dir, tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time\n"
                "from app.store import Store\n"
                f"s = Store.open({str(data_dir)!r}, {PASSPHRASE!r}, owner='khbs sync')\n"
                "print('open', flush=True)\n"
                "sys.stdin.readline()\n"
                "s.close()\n"
            ),
        ],
        cwd=Path(__file__).resolve().parents[1],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        before = Store.path_in(data_dir).read_bytes()
        source = write_jsonl(tmp_path / "one.jsonl", [numbered(1)])
        proc = khbs.fails("import", str(source))
        assert (
            proc.stderr
            == "khbs: " + tr("error.store_in_use", "id", command="khbs sync", pid=holder.pid) + "\n"
        )
        assert Store.path_in(data_dir).read_bytes() == before  # nothing written
        with pytest.raises(StoreInUse) as caught:
            Store.open(data_dir, PASSPHRASE)
        assert caught.value.params == {"pid": holder.pid, "command": "khbs sync"}
        # Reading goes on beside the writer.
        assert json.loads(khbs.ok("status", "--json").stdout)["households"] == 0
    finally:
        holder.communicate("\n", timeout=30)
    khbs.ok("import", str(source))  # free again: the lock went with the process
    assert not (data_dir / "khbs.db.lock").exists()


def test_store_errors_have_their_own_messages(tmp_path):
    """SQLite's own failures as they come from the library, mapped to their messages."""
    db_path = tmp_path / "x.db"
    first = sqlite3.connect(db_path, isolation_level=None)
    first.execute("CREATE TABLE t (x)")
    first.execute("BEGIN IMMEDIATE")
    second = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as busy:
        second.execute("BEGIN IMMEDIATE")
    assert user_message(busy.value, "en") == tr("error.store_busy_read", "en")
    first.execute("ROLLBACK")
    first.close()
    second.close()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"x" * 4096)
    with pytest.raises(sqlite3.DatabaseError) as notadb:
        sqlite3.connect(garbage).execute("SELECT * FROM sqlite_master").fetchall()
    assert user_message(notadb.value, "en") == tr("error.store_corrupt", "en")
    assert user_message(OSError(28, "No space left on device"), "id") == tr(
        "error.disk_full_read", "id"
    )
    assert user_message(KeyError("x"), "en") == tr("cli.unexpected", "en", kind="KeyError")
    assert not any(
        s in tr("cli.unexpected", lang, kind="X") for s in NOT_LOST for lang in ("id", "en")
    )
