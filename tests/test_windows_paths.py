"""What Windows laptops do differently, exercised here (docs/architecture.md, "The officer's app
bundle", lists what has and has not run on Windows itself): a data folder under a user name
with spaces and letters outside ASCII, `os.replace` refused because another program holds the
target open (Windows' sharing rules), the store locked by another process, and output through
a console or pipe in a legacy code page (cp1252, cp437: Windows' default for redirected
output), which cannot hold every name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import cli
from app.errors import StoreInUse
from app.store import Store
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered
from tests.test_cli import Khbs, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
# As %LOCALAPPDATA% looks for a user "Siti Nur'aini Çağlar": spaces, an apostrophe, ç and ğ
# (ğ is in no Western code page).
USER_DIR = "Users/Siti Nur'aini Çağlar/AppData/Local/Dinsos Kalteng/KHBS Enroll"
NAME = "Nguyễn Thị Çağlar"  # ễ and ğ: outside cp1252 and cp437


@pytest.fixture
def khbs(tmp_path) -> Khbs:
    return Khbs(tmp_path / USER_DIR, tmp_path)


def household_named(name: str) -> dict:
    record = numbered(1)
    record["anggota"][0]["nama"] = name
    return record


def test_a_data_folder_with_spaces_and_non_ascii_letters(khbs, tmp_path):
    khbs.ok("init")
    khbs.ok("demo-data", "--households", "3", "--seed", "1")
    khbs.ok("import", str(write_jsonl(tmp_path / "Keluarga Désa.jsonl", [household_named(NAME)])))
    assert khbs.status()["households"] == 4
    out = tmp_path / "Ekspor Kantor Çağlar"
    khbs.ok("export", "--out", str(out))
    assert (out / "households.csv").exists()
    dumped = tmp_path / "Cadangan – Çağlar.jsonl"
    khbs.ok("dump", "--out", str(dumped))
    assert NAME in dumped.read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding", ["cp1252", "cp437"])
def test_output_through_a_legacy_code_page(khbs, tmp_path, encoding):
    """`khbs dump > file` on Windows writes through the ANSI code page unless told otherwise:
    the JSON Lines must still be UTF-8 (what import reads), and no name may stop the dump."""
    khbs.ok("init")
    khbs.ok("import", str(write_jsonl(tmp_path / "k.jsonl", [household_named(NAME)])))
    dumped = khbs.ok("dump", PYTHONIOENCODING=encoding)
    assert json.loads(dumped.stdout.splitlines()[0])["anggota"][0]["nama"] == NAME
    status = khbs.ok("status", "--json", PYTHONIOENCODING=encoding)
    assert json.loads(status.stdout)["households"] == 1
    # A message naming a file outside the code page: one line, in that code page.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHBS_")}
    env.update(KHBS_DATA_DIR=str(khbs.data_dir), KHBS_PASSPHRASE=PASSPHRASE)
    env["PYTHONIOENCODING"] = encoding
    missing = str(tmp_path / "Tidak Ada – Çağlar.jsonl")
    refused = subprocess.run(
        [sys.executable, "-m", "app.cli", "import", missing],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    err = refused.stderr.decode(encoding)  # strict: it is in the console's code page
    assert refused.returncode != 0 and err.startswith("khbs: ") and len(err.splitlines()) == 1


def test_replace_refused_because_the_target_is_open(khbs, tmp_path, monkeypatch, capsys):
    """Windows refuses os.replace over a file another program has open (an editor showing the
    last dump): one line, the old file intact, no temporary file left behind."""
    khbs.ok("init")
    khbs.ok("import", str(write_jsonl(tmp_path / "k.jsonl", [household_named(NAME)])))
    target = tmp_path / "Cadangan Çağlar.jsonl"
    target.write_text("the dump of last week\n", encoding="utf-8")

    def refused(src, dst):
        raise PermissionError(13, "Access is denied", str(dst))

    monkeypatch.setattr(os, "replace", refused)
    monkeypatch.setenv("KHBS_DATA_DIR", str(khbs.data_dir))
    monkeypatch.setenv("KHBS_PASSPHRASE", PASSPHRASE)
    assert cli.main(["dump", "--out", str(target)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("khbs: ") and "Traceback" not in "".join(err)
    assert target.read_text(encoding="utf-8") == "the dump of last week\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".part")) == []


HOLDER = """
import sys
from app.store import Store
from tests.conftest import PASSPHRASE
with Store.open(sys.argv[1], PASSPHRASE, owner="khbs gui"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_the_store_locked_by_another_process(tmp_path):
    data = tmp_path / USER_DIR
    Store.create(data, PASSPHRASE, kdf=FAST_KDF).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreInUse) as caught:
            Store.open(data, PASSPHRASE)
        assert caught.value.params == {"pid": holder.pid, "command": "khbs gui"}
    finally:
        holder.communicate("\n", timeout=30)
    Store.open(data, PASSPHRASE).close()  # the lock went with the process


def test_the_windowed_program_runs_without_stdout_or_stderr(tmp_path):
    """khbs-gui.exe (PyInstaller, console=False) starts with sys.stdout and sys.stderr None:
    anything the app prints must not kill it."""
    data = tmp_path / USER_DIR
    Store.create(data, PASSPHRASE, kdf=FAST_KDF).close()
    script = (
        "import runpy, sys\nsys.stdout = sys.stderr = None\n"
        f"sys.argv = ['khbs-gui', '--data-dir', {str(data)!r}]\n"
        "runpy.run_path('packaging/khbs_gui.py', run_name='__main__')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    env["KHBS_GUI_SMOKE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
