"""Small ones from issue 10 item 7, through the real `khbs` process: control characters in
names are refused by every importer naming line and field, a JSON line nested past any
household is a clean line error, and `khbs dump --out` onto an existing file leaves it 0600.
The DTSEN list's reader has its own tests in tests/server/test_assignments.py."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from app import rules
from app.store import Store
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import TODAY, numbered
from tests.test_cli import Khbs, error_lines, write_jsonl


@pytest.fixture
def ready(tmp_path) -> Khbs:
    runner = Khbs(tmp_path / "data", tmp_path)
    Store.create(runner.data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    return runner


NUL_NAME = "Yohanes\x00Ilas"


def test_a_nul_in_a_name_is_refused_by_the_jsonl_import(ready, tmp_path):
    bad = numbered(2)
    bad["anggota"][1]["nama"] = NUL_NAME
    proc = ready.fails("import", str(write_jsonl(tmp_path / "a.jsonl", [numbered(1), bad])))
    (line,) = error_lines(proc.stderr)
    assert line.startswith("baris 2: Anggota ke-2, Nama lengkap: berisi karakter kontrol U+0000")
    assert "Yohanes" not in proc.stderr and ready.status()["households"] == 0  # nothing in


@pytest.mark.parametrize("char", ["\t", "\n", "\x1b", "\x7f", "\x85"])
def test_single_line_answers_refuse_control_characters_notes_take_line_breaks(char):
    rec = numbered(1)
    rec["anggota"][0]["tempat_lahir"] = f"Palangka{char}Raya"
    codes = [(i.code, i.path) for i in rules.check(rec, rules.Context(today=TODAY)).errors]
    assert codes == [("control_char", ("anggota", 0, "tempat_lahir"))]
    note = numbered(1)
    note["kebutuhan"]["catatan"] = f"baris satu{char}baris dua"  # a multi-line question
    errors = rules.check(note, rules.Context(today=TODAY)).errors
    assert bool(errors) == (char not in "\t\n")


def test_a_nul_in_a_name_is_refused_by_the_csv_folder_import(ready, tmp_path):
    with Store.open(ready.data_dir, PASSPHRASE) as store:
        store.save(numbered(1))
        store.save(numbered(2))
    out = tmp_path / "out"
    ready.ok("export", "--out", str(out))
    with open(out / "members.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    column = rows[0].index("nama")
    rows[4][column] = NUL_NAME  # row 5: the second household's first member
    with open(out / "members.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    (out / "manifest.json").unlink()  # edited by hand, as in a spreadsheet
    fresh = Khbs(tmp_path / "fresh", tmp_path)
    Store.create(fresh.data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    proc = fresh.fails("import", str(out))
    assert proc.stderr.splitlines()[0] == (
        "members.csv baris 5: kolom nama: berisi karakter kontrol U+0000 (mis. NUL atau tab) "
        "yang tidak boleh ada di sini; ketik ulang isiannya."
    )
    assert "Yohanes" not in proc.stderr and fresh.status()["households"] == 0


@pytest.mark.parametrize("depth", [100_000, 40])
def test_json_nested_too_deep_is_a_line_error(ready, tmp_path, depth):
    """Past Python's recursion limit (json.loads raises RecursionError), and well under it
    but past any household (later steps walk records recursively)."""
    deep = '{"id": "x", "catatan": ' + "[" * depth + "]" * depth + "}"
    path = write_jsonl(tmp_path / "deep.jsonl", [numbered(1), deep])
    proc = ready.fails("import", str(path))
    assert error_lines(proc.stderr) == [
        "baris 2: bersarang lebih dari 16 tingkat: bukan data keluarga."
    ]
    assert ready.status()["households"] == 0
    proc = ready.ok("import", "--skip-invalid", str(path))  # the other lines still can
    assert ready.status()["households"] == 1


def test_not_a_number_is_not_json(ready, tmp_path):
    rec = json.dumps(numbered(1)).replace('"luas_lantai": 36', '"luas_lantai": NaN')
    big = json.dumps(numbered(2)).replace('"luas_lantai": 36', '"luas_lantai": 1e400')
    proc = ready.fails("import", str(write_jsonl(tmp_path / "nan.jsonl", [rec, big])))
    assert error_lines(proc.stderr) == [
        "baris 1: bukan JSON yang valid.",
        "baris 2: bukan JSON yang valid.",
    ]


def test_dump_onto_an_existing_file_leaves_it_owner_only(ready, tmp_path):
    with Store.open(ready.data_dir, PASSPHRASE) as store:
        store.save(numbered(1))
    out = tmp_path / "dump.jsonl"
    out.write_text("old\n")
    os.chmod(out, 0o644)
    ready.ok("dump", "--out", str(out))
    assert out.stat().st_mode & 0o777 == 0o600
    assert json.loads(out.read_text("utf-8"))["id"] == numbered(1)["id"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "dump.jsonl"]  # no temp left


def test_dump_into_a_folder_that_does_not_exist_is_one_line(ready, tmp_path):
    proc = ready.fails("dump", "--out", str(tmp_path / "nope" / "dump.jsonl"), lang="en")
    assert proc.stderr.startswith(f"khbs: Cannot write to {tmp_path / 'nope' / 'dump.jsonl'}")


def test_an_export_over_old_files_leaves_every_file_owner_only(ready, tmp_path):
    with Store.open(ready.data_dir, PASSPHRASE) as store:
        store.save(numbered(1))
    out = tmp_path / "out"
    out.mkdir()
    for name in ("households.csv", "members.csv", "manifest.json", ".manifest.json.part"):
        (out / name).write_text("old")
        os.chmod(out / name, 0o644)
    ready.ok("export", "--out", str(out))
    assert {p.name: p.stat().st_mode & 0o777 for p in Path(out).iterdir()} == {
        "households.csv": 0o600,
        "members.csv": 0o600,
        "manifest.json": 0o600,
    }


def test_bytes_not_utf8_name_their_line_and_import_nothing(ready, tmp_path):
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(numbered(n)).encode() for n in (1, 2)]
    path.write_bytes(b"\r\n".join([lines[0], lines[1], b'{"nama": "Jos\xe9"}']) + b"\r\n")
    proc = ready.fails("import", "--skip-invalid", str(path), lang="en")
    assert proc.stderr.startswith(f"khbs: File {path} is not UTF-8 text (line 3 first).")
    assert ready.status()["households"] == 0
