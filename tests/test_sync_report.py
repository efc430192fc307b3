"""What `khbs sync` tells the officer (issue 10 item 6): a laptop whose clock runs two days fast
sends today's visit, the province refuses it as dated in the future, and the output names the
household, the reason and the clock's offset, in text and in --json, with no personal data.

The real CLI in its own process, against the real server (SQLite) on 127.0.0.1. The process's
clock runs two days fast the way a laptop's would: time.time() is moved before anything is
imported, so the sync client signs with it and learns the offset from the server on its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.store import Store
from sync.client import SyncClient
from sync.server import keys, repo
from sync.server.api.app import create_app
from sync.server.db import open_database
from sync.server.settings import Settings as ServerSettings
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.liveserver import LiveServer
from tests.records import numbered

AREA = "62.71.03"  # kecamatan Jekan Raya: holds tests.records.DESA
AHEAD = 2 * 86400  # two days fast
ROOT = Path(__file__).resolve().parents[1]
SKEWED = (
    "import sys, time; real = time.time; time.time = lambda: real() + {ahead}; "
    "import runpy; sys.argv = ['khbs', *sys.argv[1:]]; "
    "runpy.run_module('app.cli', run_name='__main__')"
)


@pytest.fixture
def province(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = open_database(url, create=True)
    with engine.begin() as conn:
        unwrapped = keys.create(conn, PASSPHRASE, kdf=FAST_KDF)
    with engine.begin() as conn:
        officer = repo.add_officer(conn, "Sari Petugas", [AREA])

    def code() -> str:  # one-time: a code for each laptop
        with engine.begin() as conn:
            return repo.create_enroll_code(conn, officer).code

    with LiveServer(create_app(ServerSettings(db_url=url), unwrapped)) as live:
        yield live.url, code
    engine.dispose()


def visited_on(n: int, day: date) -> dict:
    """Household n as the form saves it on a laptop whose calendar says `day`."""
    rec = numbered(n)
    rec["tanggal_kunjungan"] = rec["persetujuan"]["tanggal"] = day.isoformat()
    return rec


def laptop(data_dir: Path, province, *records: dict) -> None:
    url, code = province
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as store:
        SyncClient(store).enroll(url, code())  # enrolled while the clock was still right
        for rec in records:
            store.save(rec)


def khbs_sync(data_dir: Path, *args: str, ahead: int = AHEAD, lang: str = "id"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHBS_")}
    env.update(KHBS_DATA_DIR=str(data_dir), KHBS_PASSPHRASE=PASSPHRASE, KHBS_LANG=lang)
    proc = subprocess.run(
        [sys.executable, "-c", SKEWED.format(ahead=ahead), "sync", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


def test_a_clock_two_days_fast_is_named_with_the_household_and_reason(province, tmp_path):
    fast_today = date.today() + timedelta(days=2)
    rec = visited_on(1, fast_today)
    laptop(tmp_path / "a", province, rec)
    proc = khbs_sync(tmp_path / "a", "--json")
    out = json.loads(proc.stdout)
    assert out["attention"] == 1 and out["synced"] == 0
    assert abs(out["clock_offset_s"] - AHEAD) <= 5  # laptop minus server: positive is ahead
    assert out["needs_attention"] == [
        {
            "household_id": rec["id"],
            "reason": "date_in_future",
            "message": "tanggal kunjungan di masa depan (periksa jam laptop)",
        }
    ]
    (warning,) = out["warnings"]
    assert warning["code"] == "clock_ahead"
    assert warning["message"].startswith("Jam laptop 2 hari lebih cepat dari server provinsi")
    # Ids and codes only: no name, NIK, KK or address from the household.
    for value in (
        rec["anggota"][0]["nama"],
        rec["anggota"][0]["nik"],
        rec["no_kk"],
        rec["lokasi"]["alamat"],
    ):
        assert value not in proc.stdout + proc.stderr

    # Text: a second laptop, the same story in sentences (the clock warning on stderr).
    rec2 = visited_on(2, fast_today)
    laptop(tmp_path / "b", province, rec2)
    text = khbs_sync(tmp_path / "b")
    assert "1 perlu perhatian" in text.stdout
    assert (
        f"  {rec2['id']}: date_in_future: tanggal kunjungan di masa depan (periksa jam laptop)"
    ) in text.stdout.splitlines()
    assert "khbs: Peringatan: Jam laptop 2 hari lebih cepat dari server provinsi" in text.stderr
    english = khbs_sync(tmp_path / "b", lang="en")  # nothing new to send: the list stays
    assert f"  {rec2['id']}: date_in_future: visit date in the future" in english.stdout
    assert "The laptop's clock is 2 days ahead of the province's server" in english.stderr


def test_a_right_clock_says_nothing_about_it(province, tmp_path):
    laptop(tmp_path / "a", province, visited_on(1, date.today()))
    out = json.loads(khbs_sync(tmp_path / "a", "--json", ahead=0).stdout)
    assert out["synced"] == 1 and out["needs_attention"] == [] and out["warnings"] == []
    assert abs(out["clock_offset_s"]) <= 5
    text = khbs_sync(tmp_path / "a", ahead=90)  # a minute and a half off: not worth a word
    assert "Jam laptop" not in text.stderr and "Perlu perhatian" not in text.stdout


def test_offsets_read_as_days_hours_and_minutes():
    from sync.client import attention_message, clock_warning, duration

    assert duration(2 * 86400 + 3 * 3600 + 59) == "2 hari 3 jam"
    assert duration(2 * 86400 - 1) == "2 hari"  # to the minute: a second short is still 2 days
    assert duration(3600 + 20 * 60, "en") == "1 hour 20 minutes"
    assert duration(7 * 60) == "7 menit"
    assert duration(86400 + 5 * 60, "en") == "1 day"
    assert clock_warning(-(6 * 60), "en").startswith("The laptop's clock is 6 minutes behind")
    assert attention_message("nik_serial") == "nomor urut NIK (4 digit terakhir) tidak boleh 0000."
    assert attention_message("range", "en") == "an answer is out of the allowed range"
    assert (
        attention_message("age_implausible", "en") == "refused by the province (code "
        "age_implausible); open it to see its checks"
    )  # its text needs a number: not sent
    assert "made_up_code" in attention_message("made_up_code")
