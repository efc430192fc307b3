"""The `khbs` command line, run as a real process (python -m app.cli) against real stores.

Every run is checked for tracebacks on stderr: the CLI must answer in one translated line.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.store import Store
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered

NEW_PASSPHRASE = "sungai-barito-2027"


class Khbs:
    """Runs `python -m app.cli` with its own data folder, passphrase and language."""

    def __init__(self, data_dir: Path, cwd: Path):
        self.data_dir = data_dir
        self.cwd = cwd

    def __call__(
        self, *args: str, passphrase: str | None = PASSPHRASE, lang: str = "id", **env: str
    ) -> subprocess.CompletedProcess:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("KHBS_")}
        full_env.update(KHBS_DATA_DIR=str(self.data_dir), KHBS_LANG=lang, **env)
        if passphrase is not None:
            full_env["KHBS_PASSPHRASE"] = passphrase
        proc = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            cwd=self.cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stdout, proc.stdout
        return proc

    def ok(self, *args: str, **kw) -> subprocess.CompletedProcess:
        proc = self(*args, **kw)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc

    def fails(self, *args: str, **kw) -> subprocess.CompletedProcess:
        proc = self(*args, **kw)
        assert proc.returncode != 0, (args, proc.stdout, proc.stderr)
        return proc

    def status(self) -> dict:
        out = self.ok("status", "--json").stdout
        assert len(out.splitlines()) == 1, out
        return json.loads(out)

    def dump(self, out: Path) -> bytes:
        self.ok("dump", "--out", str(out))
        return out.read_bytes()


@pytest.fixture
def khbs(tmp_path) -> Khbs:
    return Khbs(tmp_path / "data", tmp_path)


@pytest.fixture
def ready(khbs) -> Khbs:
    """A runner whose store exists. Made like `khbs init` does but with the cheaper test KDF
    (the stored KDF parameters are what every later command uses), to keep the suite fast;
    `khbs init` itself is tested below and in the dump round trip."""
    Store.create(khbs.data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    return khbs


def write_jsonl(path: Path, lines: list) -> Path:
    text = "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)
    path.write_text(text, encoding="utf-8")
    return path


def bad_nik_in_member_2(n: int) -> dict:
    rec = numbered(n)
    rec["anggota"][1]["nik"] = rec["anggota"][1]["nik"][:12] + "0000"  # serial 0000
    return rec


@pytest.fixture
def mixed_file(tmp_path) -> Path:
    """3 valid lines (1, 3, 5), a line that is not JSON (2), a bad NIK in member 2 (4)."""
    return write_jsonl(
        tmp_path / "mixed.jsonl",
        [numbered(1), '{"id": "broken", ', numbered(2), bad_nik_in_member_2(4), numbered(3)],
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("baris ")]


# ---------------------------------------------------------------------------- init, status


def test_init_creates_store_and_refuses_to_overwrite(khbs, tmp_path):
    ready = khbs
    proc = ready.ok("init")
    assert proc.stdout.startswith("Penyimpanan data terenkripsi dibuat di ")
    assert (ready.data_dir / "khbs.db").is_file()
    ready.ok("import", str(write_jsonl(tmp_path / "one.jsonl", [numbered(1)])))

    again = ready.fails("init")
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1, again.stderr
    assert "sudah ada" in lines[0] and "tidak akan ditimpa" in lines[0]
    assert ready.status()["households"] == 1  # the existing store is untouched

    again_en = ready.fails("init", lang="en")
    assert "will not be overwritten" in again_en.stderr


def test_init_refuses_a_short_passphrase(khbs):
    proc = khbs.fails("init", passphrase="pendek")
    assert "minimal 10 karakter" in proc.stderr
    assert not (khbs.data_dir / "khbs.db").exists()


def test_status_json_counts(ready, tmp_path):
    empty = ready.status()
    assert empty["households"] == 0 and empty["pending_sync"] == 0
    draft = numbered(3, status="draft")
    ready.ok("import", str(write_jsonl(tmp_path / "h.jsonl", [numbered(1), numbered(2), draft])))
    counts = ready.status()
    assert type(counts["households"]) is int and type(counts["pending_sync"]) is int
    assert counts["households"] == 3
    assert counts["pending_sync"] == 2  # only final households wait for sync
    assert counts["by_status"] == {"final": 2, "draft": 1}


# ---------------------------------------------------------------------------- import


def test_import_with_bad_lines_imports_nothing(ready, mixed_file):
    proc = ready.fails("import", str(mixed_file))
    errors = error_lines(proc.stderr)
    assert [e.split(":")[0] for e in errors] == ["baris 2", "baris 4"], proc.stderr
    assert "bukan JSON" in errors[0]
    assert errors[1].startswith("baris 4: Anggota ke-2, ")
    assert "nomor urut NIK (4 digit terakhir) tidak boleh 0000." in errors[1]
    assert "0000" in errors[1] and numbered(4)["anggota"][1]["nik"][:12] not in proc.stderr
    assert "Tidak ada yang diimpor: 2 baris bermasalah." in proc.stderr
    assert ready.status()["households"] == 0


def test_import_reports_in_english(ready, mixed_file):
    proc = ready.fails("import", str(mixed_file), lang="en")
    assert "line 4: Member 2, " in proc.stderr and "line 2: not valid JSON." in proc.stderr


def test_import_skip_invalid_then_reimport_changes_nothing(ready, mixed_file, tmp_path):
    proc = ready.ok("import", "--skip-invalid", str(mixed_file))
    assert "3 keluarga diimpor, 0 sudah sama, 2 baris dilewati." in proc.stdout
    assert [e.split(":")[0] for e in error_lines(proc.stderr)] == ["baris 2", "baris 4"]
    before_counts = ready.status()
    assert before_counts["households"] == 3 and before_counts["pending_sync"] == 3
    before = ready.dump(tmp_path / "before.jsonl")

    again = ready.ok("import", "--skip-invalid", str(mixed_file))
    assert "0 keluarga diimpor, 3 sudah sama, 2 baris dilewati." in again.stdout
    clean = write_jsonl(tmp_path / "clean.jsonl", [numbered(1), numbered(2), numbered(3)])
    assert "0 keluarga diimpor, 3 sudah sama" in ready.ok("import", str(clean)).stdout
    assert ready.status() == before_counts
    assert ready.dump(tmp_path / "after.jsonl") == before


def test_two_lines_sharing_a_nik_are_reported(ready, tmp_path):
    first, second = numbered(1), numbered(2)
    second["anggota"][2]["nik"] = first["anggota"][2]["nik"]
    second["anggota"][2]["tanggal_lahir"] = first["anggota"][2]["tanggal_lahir"]
    proc = ready.fails("import", str(write_jsonl(tmp_path / "dup.jsonl", [first, second])))
    errors = error_lines(proc.stderr)
    second_line = [e for e in errors if e.startswith("baris 2: Anggota ke-3, ")]
    assert second_line and "NIK ini sudah tercatat" in second_line[0], proc.stderr
    assert all(e.startswith(("baris 1: Anggota ke-3, ", "baris 2: Anggota ke-3, ")) for e in errors)
    assert ready.status()["households"] == 0


def test_nik_already_on_the_device_is_reported(ready, tmp_path):
    ready.ok("import", str(write_jsonl(tmp_path / "a.jsonl", [numbered(1)])))
    later = numbered(2)
    later["anggota"][0]["nik"] = numbered(1)["anggota"][0]["nik"]
    proc = ready.fails("import", str(write_jsonl(tmp_path / "b.jsonl", [later])))
    (line,) = error_lines(proc.stderr)
    assert line.startswith("baris 1: Anggota ke-1, ") and "NIK ini sudah tercatat" in line
    assert ready.status()["households"] == 1


def test_import_non_utf8_file(ready, tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"nama": "Jos\u00e9 Ba\u00f1os"}\n'.encode("latin-1"))
    proc = ready.fails("import", str(path))
    assert proc.stderr.strip() == (
        f"khbs: Berkas {path} bukan teks UTF-8 (baris 1 yang "
        "pertama). Tidak ada yang diimpor; simpan ulang berkasnya "
        "sebagai UTF-8."
    )
    assert "not UTF-8" in ready.fails("import", str(path), lang="en").stderr
    assert ready.status()["households"] == 0


def test_import_missing_file(ready, tmp_path):
    proc = ready.fails("import", str(tmp_path / "nope.jsonl"))
    assert "tidak bisa dibaca" in proc.stderr


# ---------------------------------------------------------------------------- dump round trip


def _roundtrip_records() -> list[dict]:
    warned = numbered(2)
    warned["anggota"][2]["tanggal_lahir"] = "2018-05-16"  # NIK/birth mismatch: a warning
    accented = numbered(3, status="draft")
    accented["lokasi"]["alamat"] = "Jl. Tjilik Riwut km 7 \u2013 Désa Tumbang Anoi, \u201cRT\u201d"
    return [numbered(1), warned, accented]


def test_dump_then_import_into_fresh_store_is_byte_identical(ready, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", _roundtrip_records())
    ready.ok("import", "--accept-warnings", str(source))
    first = tmp_path / "first.jsonl"
    dumped = ready.dump(first)
    assert len(dumped.decode("utf-8").splitlines()) == 3
    assert "Désa" in dumped.decode("utf-8")
    assert first.stat().st_mode & 0o077 == 0  # unencrypted personal data: owner only

    fresh = Khbs(tmp_path / "fresh", tmp_path)
    fresh.ok("init")
    proc = fresh.ok("import", str(first))
    assert "3 keluarga diimpor" in proc.stdout
    assert fresh.dump(tmp_path / "second.jsonl") == dumped


def test_dump_roundtrip_with_unicode_line_separator_in_text(ready, tmp_path):
    rec = numbered(1)
    rec["lokasi"]["alamat"] = "Jl. Rajawali\u2028Gg. Merpati No. 7"  # pasted from a phone
    ready.ok("import", str(write_jsonl(tmp_path / "in.jsonl", [rec])))
    first = tmp_path / "first.jsonl"
    dumped = ready.dump(first)
    fresh = Khbs(tmp_path / "fresh", tmp_path)
    fresh.ok("init")
    fresh.ok("import", str(first))
    assert fresh.dump(tmp_path / "second.jsonl") == dumped


# ---------------------------------------------------------------------------- passphrases


def test_wrong_passphrase_is_one_translated_line(ready):
    proc = ready.fails("status", passphrase="bukan-kata-sandinya")
    assert proc.stderr == "khbs: Kata sandi salah.\n"
    assert proc.stdout == ""
    proc_en = ready.fails("status", passphrase="bukan-kata-sandinya", lang="en")
    assert proc_en.stderr == "khbs: Wrong passphrase.\n"
    assert ready.status()["households"] == 0  # the right one still opens it


def test_passwd_changes_the_passphrase(ready, tmp_path):
    ready.ok("import", str(write_jsonl(tmp_path / "one.jsonl", [numbered(1)])))
    proc = ready.ok("passwd", KHBS_NEW_PASSPHRASE=NEW_PASSPHRASE)
    assert "Kata sandi diganti." in proc.stdout
    assert "Kata sandi salah." in ready.fails("status", "--json").stderr
    counts = json.loads(ready.ok("status", "--json", passphrase=NEW_PASSPHRASE).stdout)
    assert counts["households"] == 1
    ready.ok("verify", passphrase=NEW_PASSPHRASE)


def test_passwd_refuses_a_short_new_passphrase(ready):
    proc = ready.fails("passwd", KHBS_NEW_PASSPHRASE="pendek")
    assert "minimal 10 karakter" in proc.stderr
    ready.ok("status")  # the old passphrase still works


def test_no_passphrase_and_no_terminal(ready):
    proc = ready.fails("status", passphrase=None)
    assert "KHBS_PASSPHRASE" in proc.stderr


# ---------------------------------------------------------------------------- verify, missing


def test_verify_good_store_and_tampered_record(ready, tmp_path):
    ready.ok("import", str(write_jsonl(tmp_path / "h.jsonl", [numbered(1), numbered(2)])))
    proc = ready.ok("verify")
    assert "2 keluarga, 0 rusak" in proc.stdout and "Semua baik." in proc.stdout

    victim = numbered(2)["id"]
    db = sqlite3.connect(ready.data_dir / "khbs.db")
    try:
        (blob,) = db.execute("SELECT record FROM households WHERE id = ?", (victim,)).fetchone()
        flipped = bytearray(blob)
        flipped[len(flipped) // 2] ^= 0x01
        db.execute("UPDATE households SET record = ? WHERE id = ?", (bytes(flipped), victim))
        db.commit()
    finally:
        db.close()
    bad = ready.fails("verify")
    assert f"Rusak, tidak bisa dibuka: keluarga {victim}" in bad.stdout
    assert "Ada masalah" in bad.stdout


def test_missing_store_tells_to_run_init(khbs, tmp_path):
    for args in (("status",), ("verify",), ("dump",), ("passwd",)):
        proc = khbs.fails(*args, KHBS_NEW_PASSPHRASE=NEW_PASSPHRASE)
        assert "Jalankan 'khbs init' dulu." in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert "Run 'khbs init' first." in khbs.fails("status", lang="en").stderr
    assert not (khbs.data_dir / "khbs.db").exists()


def test_ca_bundle_that_does_not_exist_is_one_line(ready, tmp_path):
    missing = tmp_path / "provinsi-ca.pem"
    for args in (
        ["enroll", "--server", "https://sync.example.go.id", "--code", "ABCD-EFGH"],
        ["sync"],
    ):
        proc = ready.fails(*args, "--ca-bundle", str(missing), lang="en")
        assert proc.stderr.splitlines() == [f"khbs: CA certificate file not found: {missing}"], (
            proc.stderr
        )
    proc = ready.fails("sync", "--ca-bundle", str(missing))
    assert "tidak ditemukan" in proc.stderr


def test_language_comes_from_lang_then_khbs_lang_and_is_never_written(
    tmp_path, monkeypatch, capsys
):
    """In process, as the app's other front ends run: the CLI reads --lang, else KHBS_LANG, once
    at start, and keeps the language in app.i18n; it never writes the environment (a child
    process or the next command would inherit a choice nobody made for it)."""
    from app import cli
    from app.i18n import current_lang

    monkeypatch.setenv("KHBS_DATA_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("KHBS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("KHBS_LANG", "id")
    assert cli.main(["--lang", "en", "status"]) == cli.EXIT_ERROR
    assert "Run 'khbs init' first." in capsys.readouterr().err
    assert current_lang() == "en" and os.environ["KHBS_LANG"] == "id"
    monkeypatch.setenv("KHBS_LANG", "en")
    assert cli.main(["status"]) == cli.EXIT_ERROR
    assert "Run 'khbs init' first." in capsys.readouterr().err
    monkeypatch.setenv("KHBS_LANG", "fr")  # not a language of the app: the default
    assert cli.main(["status"]) == cli.EXIT_ERROR
    assert "Jalankan 'khbs init' dulu." in capsys.readouterr().err
    assert os.environ["KHBS_LANG"] == "fr"


def test_the_language_is_a_setting_not_the_environment(monkeypatch):
    from app.i18n import current_lang, set_lang, tr

    monkeypatch.setenv("KHBS_LANG", "en")
    assert set_lang("id") == "id" and current_lang() == "id"
    assert tr("cli.interrupted") == tr("cli.interrupted", "id")
    assert set_lang("en") == "en" and tr("cli.interrupted") == tr("cli.interrupted", "en")
    assert set_lang("xx") == "id"
