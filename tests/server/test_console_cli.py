"""`khbs-server user ...` and `stats --area` as real processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from sync.server import keys
from sync.server.console import passwords, users
from sync.server.db import audit_log, console_setup_codes, open_database, utc_now
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.server.test_cli import Server


@pytest.fixture
def cli(db_url, tmp_path):
    server = Server(db_url, tmp_path / "home")
    server.ok("init")
    return server


def test_user_add_list_disable_reset(cli, db_url, monkeypatch):
    monkeypatch.setattr(passwords, "COST", FAST_KDF)
    added = json.loads(
        cli.ok(
            "user",
            "add",
            "--name",
            " Rahmat   Kota ",
            "--role",
            "regency",
            "--area",
            "6271",
            "--json",
        ).stdout
    )
    assert set(added) == {
        "user_id",
        "name",
        "role",
        "areas",
        "state",
        "totp",
        "setup_code",
        "expires_at",
        "setup_path",
        "setup_url",
    }
    assert (added["name"], added["areas"], added["state"]) == ("Rahmat Kota", ["62.71"], "setup")
    assert added["setup_path"] == "/console/setup" and len(added["setup_code"]) == 23
    # No public address set: `serve`'s default, and the command says how to set it.
    assert added["setup_url"] == "http://127.0.0.1:8443/console/setup"
    human = cli.ok("user", "add", "--name", "Dewi Provinsi", "--role", "province").stdout
    assert "Kode penyiapan sekali pakai" in human
    assert "ia membuka http://127.0.0.1:8443/console/setup, mengetik kode" in human
    assert "Alamat publik server belum diatur (KHBS_PUBLIC_URL)" in human
    supervisor = json.loads(
        cli.ok(
            "user",
            "add",
            "--name",
            "Lina",
            "--role",
            "supervisor",
            "--area",
            "62.71.03",
            "--area",
            "62.71.01.1001",
            "--json",
        ).stdout
    )
    assert supervisor["areas"] == ["62.71.01.1001", "62.71.03"]

    engine = open_database(db_url)
    try:
        with engine.begin() as conn:  # only the code's hash is stored
            hashes = [bytes(r.code_hash) for r in conn.execute(select(console_setup_codes))]
            assert added["setup_code"].encode() not in b"".join(hashes) and len(hashes) == 3
            keys.unlock(conn, PASSPHRASE)  # this process writes (sealed) audit entries too
            users.set_up(
                conn,
                added["setup_code"],
                "sungai kahayan pagi",
                "sungai kahayan pagi",
                now=utc_now(),
            )
        listed = json.loads(cli.ok("user", "list", "--json").stdout)["users"]
        assert [(u["name"], u["state"]) for u in listed] == [
            ("Dewi Provinsi", "setup"),
            ("Lina", "setup"),
            ("Rahmat Kota", "active"),
        ]
        assert "aktif" in cli.ok("user", "list").stdout

        uid = added["user_id"]
        assert "dinonaktifkan" in cli.ok("user", "disable", "--user", uid).stdout
        assert "sudah nonaktif" in cli.ok("user", "disable", "--user", uid).stdout
        public = {"KHBS_PUBLIC_URL": "https://khbs.kalteng.go.id/"}
        reset = json.loads(cli.ok("user", "reset", "--user", uid, "--json", **public).stdout)
        assert reset["setup_code"] != added["setup_code"]
        assert reset["setup_url"] == "https://khbs.kalteng.go.id/console/setup"
        again = cli.ok("user", "reset", "--user", uid, "--lang", "en", **public).stdout
        assert "they open https://khbs.kalteng.go.id/console/setup, type the code" in again
        assert "KHBS_PUBLIC_URL" not in again
        listed = {
            u["user_id"]: u for u in json.loads(cli.ok("user", "list", "--json").stdout)["users"]
        }
        assert listed[uid]["state"] == "disabled"  # a reset does not enable
        with engine.connect() as conn:
            actions = [
                (r.actor, r.action)
                for r in conn.execute(select(audit_log).order_by(audit_log.c.id))
            ]
        assert actions == [("server-cli", "user.add")] * 3 + [
            (f"user:{uid}", "console.setup"),
            ("server-cli", "user.disable"),
            ("server-cli", "user.reset"),
            ("server-cli", "user.reset"),
        ]
    finally:
        engine.dispose()


def test_user_add_refuses_what_does_not_fit(cli):
    assert "bukan wilayah Kalimantan Tengah" in cli.fails(
        "user", "add", "--name", "X", "--role", "regency", "--area", "63.01"
    )
    assert "tidak valid" in cli.fails(
        "user", "add", "--name", "X", "--role", "regency", "--area", "62.71.03"
    )  # a kecamatan is no regency
    assert "tidak valid" in cli.fails("user", "add", "--name", "X", "--role", "regency")
    assert "tidak valid" in cli.fails(
        "user", "add", "--name", "X", "--role", "province", "--area", "62.71"
    )
    assert "tidak valid" in cli.fails("user", "add", "--name", "X", "--role", "supervisor")
    cli.ok("user", "add", "--name", "Agus", "--role", "province")
    assert "Sudah ada pengguna bernama" in cli.fails(
        "user", "add", "--name", "AGUS", "--role", "province"
    )
    assert "tidak ditemukan" in cli.fails("user", "disable", "--user", "nobody")
    cli.fails("user", "add", "--name", "X", "--role", "admin", code=2)
    assert json.loads(cli.ok("user", "list", "--json").stdout)["users"][0]["name"] == "Agus"


def test_stats_by_area(cli):
    counts = json.loads(cli.ok("stats", "--area", "62.71", "--json").stdout)
    assert counts["areas"] == ["62.71"] and counts["households"] == 0
    assert json.loads(cli.ok("stats", "--area", "62", "--json").stdout)["areas"] == ["62"]
    assert "Wilayah: 62.71.03" in cli.ok("stats", "--area", "627103").stdout
    assert "bukan wilayah Kalimantan Tengah" in cli.fails("stats", "--area", "63")
