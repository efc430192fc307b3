"""`khbs-server` as a real process (python -m sync.server_cli) on both databases. Every run is
checked for tracebacks; errors must be one translated line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.server import repo
from sync.server.db import open_database
from tests.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]


class Server:
    def __init__(self, db: str | None, home: Path):
        self.db, self.home = db, home

    def __call__(
        self, *args: str, db_first: bool = True, passphrase: str | None = PASSPHRASE, **env: str
    ) -> subprocess.CompletedProcess:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("KHBS_")}
        full_env.update(KHBS_LANG="id", XDG_DATA_HOME=str(self.home), HOME=str(self.home), **env)
        if passphrase is not None:
            full_env["KHBS_SERVER_PASSPHRASE"] = passphrase
        db = ["--db", self.db] if self.db else []
        argv = [*db, *args] if db_first else [*args, *db]
        proc = subprocess.run(
            [sys.executable, "-m", "sync.server_cli", *argv],
            cwd=ROOT,
            env=full_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )
        assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
        return proc

    def ok(self, *args: str, **kw) -> subprocess.CompletedProcess:
        proc = self(*args, **kw)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc

    def fails(self, *args: str, code: int = 1, **kw) -> str:
        """The one line of stderr of a refused command."""
        proc = self(*args, **kw)
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("khbs-server"), proc.stderr
        return lines[0]


@pytest.fixture
def cli(db_url, tmp_path):
    return Server(db_url, tmp_path / "home")


def test_end_to_end(cli, db_url, db_kind):
    made = cli.ok("init")
    assert "Server disiapkan" in made.stdout and "Kunci provinsi" in made.stdout
    assert "sudah disiapkan" in cli.fails("init", db_first=False)

    line = cli.fails("officer", "add", "--name", "Siti", "--area", "62.12", "--area", "63.01")
    assert line == "khbs-server: Kode wilayah 63.01 bukan wilayah Kalimantan Tengah (62)."
    if db_kind == "sqlite":
        english = cli.fails(
            "--lang",
            "en",
            "officer",
            "add",
            "--name",
            "S",
            "--area",
            "62.99",
            "--json",
            db_first=False,
        )
        assert english == "khbs-server: Region code '62.99' is not a known Kemendagri region."

    added = cli.ok(
        "officer",
        "add",
        "--name",
        "Siti Rahmah",
        "--area",
        "62.12",
        "--area",
        "6271",
        "--json",
        db_first=False,
    )
    officer = json.loads(added.stdout)
    assert list(officer) == ["officer_id"]
    code = json.loads(cli.ok("enroll-code", "--officer", officer["officer_id"], "--json").stdout)
    assert list(code) == ["code"] and len(code["code"]) == 23

    engine = open_database(db_url)
    try:
        with engine.begin() as conn:
            key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
            device = repo.redeem_enroll_code(conn, code["code"], key)
    finally:
        engine.dispose()
    assert device.areas == ("62.12", "62.71")

    assert device.id in cli.ok("device", "revoke", "--device", device.id).stdout
    assert "sudah dicabut" in cli.ok("device", "revoke", "--device", device.id).stdout

    stats = json.loads(Server(None, cli.home).ok("stats", "--json", KHBS_DB=db_url).stdout)
    assert stats["households"] == 0 and stats["officers"] == 1
    assert stats["by_regency"] == {}
    assert stats["by_status"] == {"received": 0, "verified": 0, "rejected": 0}
    assert stats["devices"] == {"active": 0, "revoked": 1}
    human = cli.ok("stats", db_first=False).stdout
    assert "Keluarga: 0" in human and "Petugas: 1" in human


def test_commands_need_init(cli, db_kind):
    assert "belum disiapkan" in cli.fails("officer", "add", "--name", "S", "--area", "62")
    if db_kind == "sqlite":
        assert not Path(cli.db.removeprefix("sqlite:///")).exists()


def test_errors_without_a_database(tmp_path):
    cli = Server(None, tmp_path / "home")
    line = cli.fails("serve", "--host", "0.0.0.0", "--port", "8443", code=2)
    assert "--tls-cert" in line and "--insecure-dev" in line  # no plain HTTP off this machine
    assert "--tls-key" in cli.fails("serve", "--tls-cert", "c.pem", code=2)
    cli.fails("serve", "--port", "x", code=2)
    cli.fails("officer", "add", "--name", "S", code=2)  # --area is required
    assert "URL basis data tidak dikenal" in cli.fails("stats", "--db", "mysql://x/y")
    line = cli.fails("stats", "--db", "postgresql://postgres:rahasia@127.0.0.1:1/test")
    assert "tidak bisa dihubungi" in line and "rahasia" not in line
    assert "belum disiapkan" in cli.fails("stats")  # default: the per-user data folder
    assert not (tmp_path / "home" / "KHBS Server" / "khbs-server.db").exists()
    db = f"sqlite:///{tmp_path / 'server.db'}"
    assert "KHBS_SERVER_PASSPHRASE" in cli.fails("init", "--db", db, passphrase=None)
    assert "terlalu pendek" in cli.fails("init", "--db", db, passphrase="short")


def test_serve_runs_the_api(cli, tmp_path):
    """`khbs-server serve` as a real process: keys unlocked from the environment, the API up
    on a free loopback port, stopped with SIGINT."""
    import re
    import signal

    import requests

    cli.ok("init")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHBS_")}
    env.update(
        KHBS_LANG="id",
        HOME=str(cli.home),
        XDG_DATA_HOME=str(cli.home),
        KHBS_SERVER_PASSPHRASE=PASSPHRASE,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync.server_cli", "--db", cli.db, "serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if found:
                break
        assert found, seen
        url = f"http://127.0.0.1:{found.group(1)}"
        assert requests.get(url + "/v1/health", timeout=10).json()["status"] == "ok"
        reply = requests.get(url + "/v1/pull", timeout=10)
        assert reply.status_code == 401 and reply.json()["error"] == "missing_auth"
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=30)[1]
    assert "Traceback" not in "".join(seen) + rest
    assert wrong_passphrase_refused(cli)


def wrong_passphrase_refused(cli) -> bool:
    line = cli.fails("serve", "--port", "0", passphrase="bukan-kata-sandinya")
    return "salah" in line.lower()


def test_household_status_and_officer_areas(cli, db_url):
    import uuid
    from datetime import datetime

    from sqlalchemy import insert, select

    from sync.server.db import changes, households

    cli.ok("init")
    officer = json.loads(
        cli.ok("officer", "add", "--name", "Siti", "--area", "62.12", "--json").stdout
    )["officer_id"]
    hid, now = str(uuid.uuid4()), datetime.now(UTC)
    engine = open_database(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(households).values(
                    id=hid,
                    officer_id=officer,
                    kode_desa="62.12.01.2001",
                    kode_kab="62.12",
                    revision=1,
                    content_hash=bytes(32),
                    received_at=now,
                    updated_at=now,
                    status_at=now,
                )
            )

        done = json.loads(
            cli.ok(
                "household",
                "status",
                "--id",
                hid,
                "--status",
                "verified",
                "--card",
                "KHBS-62-0001",
                "--json",
            ).stdout
        )
        assert done == {
            "household_id": hid,
            "revision": 1,
            "status": "verified",
            "reason": None,
            "card_number": "KHBS-62-0001",
        }
        line = cli.ok(
            "household",
            "status",
            "--id",
            hid,
            "--status",
            "rejected",
            "--reason",
            "document_missing",
            db_first=False,
        ).stdout
        assert hid in line and "rejected (document_missing) (KHBS-62-0001)" in line

        unknown = str(uuid.uuid4())
        line = cli.fails("household", "status", "--id", unknown, "--status", "verified")
        assert line == f"khbs-server: Keluarga {unknown} tidak ditemukan."
        assert "--status" in cli.fails("household", "status", "--id", hid, "--status", "ok", code=2)
        assert "Kode alasan" in cli.fails(
            "household", "status", "--id", hid, "--status", "rejected", "--reason", "Nope!"
        )
        assert "Nomor kartu" in cli.fails(
            "household", "status", "--id", hid, "--status", "verified", "--card", "x y"
        )

        areas = cli.ok(
            "officer",
            "areas",
            "--officer",
            officer,
            "--area",
            "6213",
            "--area",
            "62.71.03",
            "--json",
        ).stdout
        assert json.loads(areas) == {"officer_id": officer, "areas": ["62.13", "62.71.03"]}
        assert (
            "62.13, 62.71.03"
            in cli.ok(
                "officer", "areas", "--officer", officer, "--area", "62.13", "--area", "62.71.03"
            ).stdout
        )
        line = cli.fails("officer", "areas", "--officer", officer, "--area", "63.01")
        assert line == "khbs-server: Kode wilayah 63.01 bukan wilayah Kalimantan Tengah (62)."
        assert "tidak ditemukan" in cli.fails(
            "officer", "areas", "--officer", "nobody", "--area", "62.12"
        )
        cli.fails("officer", "areas", "--officer", officer, code=2)  # --area is required

        with engine.connect() as conn:
            row = conn.execute(select(households).where(households.c.id == hid)).one()
            kinds = conn.execute(select(changes.c.kind).order_by(changes.c.seq)).scalars().all()
            assert repo.areas_of(conn, officer) == ("62.13", "62.71.03")
        assert (row.status, row.status_reason, row.card_number) == (
            "rejected",
            "document_missing",
            "KHBS-62-0001",
        )
        assert kinds == ["status", "status", "assignment", "assignment"]
    finally:
        engine.dispose()
