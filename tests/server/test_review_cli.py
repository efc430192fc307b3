"""`khbs-server review|cards|cases` as real processes, on SQLite and PostgreSQL: --json output,
a refused decision on an old revision, and card numbers unique when two server processes
issue at the same moment."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

from sqlalchemy import select, update

from app import regions
from sync.server import cards
from sync.server.db import households
from tests.conftest import PASSPHRASE
from tests.records import DESA
from tests.server.test_cli import ROOT, Server
from tests.server.test_supervision import KOBAR_DESA, family, laptop


def test_review_list_return_verify_reject_and_cases_with_json(
    engine, initialised, db_url, tmp_path
):
    sari = laptop(engine, "Sari", ["62.71"])
    budi = laptop(engine, "Budi", ["62.01"])
    first, second, third = family(1), family(2), family(3)
    sari.push(engine, initialised, [first, second, third])
    twin = family(4, KOBAR_DESA)
    twin["anggota"][1]["nik"] = first["anggota"][1]["nik"]
    budi.push(engine, initialised, [twin])
    cli = Server(db_url, tmp_path / "home")

    listed = json.loads(cli.ok("review", "list", "--regency", "6271", "--json").stdout)
    assert listed["total"] == 3
    assert [h["household_id"] for h in listed["households"]] == [
        first["id"],
        second["id"],
        third["id"],
    ]
    assert listed["households"][0]["revision"] == 1 and listed["households"][0]["rounds"] == 0
    returned = json.loads(
        cli.ok(
            "review", "return", "--id", first["id"], "--revision", "1",
            "--comment", "anggota.1.nik", "nik_wrong", "-",
            "--note", "Cek KK", "--json",
        ).stdout
    )  # fmt: skip
    assert returned == {
        "household_id": first["id"],
        "revision": 1,
        "round": 1,
        "decision": "returned",
        "reason": None,
        "comments": 1,
    }
    verified = json.loads(
        cli.ok("review", "verify", "--id", second["id"], "--revision", "1", "--json").stdout
    )
    assert verified["decision"] == "verified"
    refused = cli.fails("review", "reject", "--id", third["id"], "--revision", "1",
                        "--reason", "bukan_kode")  # fmt: skip
    assert "Kode alasan tidak dikenal" in refused
    # The officer corrects: revision 2. A decision on revision 1 is refused, by name.
    corrected = copy.deepcopy(first)
    corrected["anggota"][1]["nama"] += " Baru"
    sari.push(engine, initialised, [corrected])
    stale = cli.fails("review", "verify", "--id", first["id"], "--revision", "1")
    assert "revisi 2" in stale
    again = json.loads(cli.ok("review", "list", "--json").stdout)["households"]
    assert [(h["household_id"], h["revision"], h["rounds"]) for h in again][-1] == (
        first["id"],
        2,
        1,
    )
    human = cli.ok("review", "list").stdout
    assert "putaran ke-2" in human and "menunggu pemeriksaan" in human
    rejected = json.loads(
        cli.ok(
            "review",
            "reject",
            "--id",
            third["id"],
            "--revision",
            "1",
            "--reason",
            "not_eligible",
            "--json",
        ).stdout  # fmt: skip
    )
    assert rejected["reason"] == "not_eligible"
    outside = cli.fails("review", "verify", "--id", "nope", "--revision", "1")
    assert "nope" in outside
    reasons = json.loads(cli.ok("review", "reasons", "--json").stdout)
    assert "nik_wrong" in reasons["return"] and reasons["return"]["nik_wrong"]["en"]

    # Cases: the shared NIK opened one; the province decides it and reverses it.
    open_cases = json.loads(cli.ok("cases", "list", "--json").stdout)["cases"]
    assert len(open_cases) == 1 and open_cases[0]["kind"] == "nik"
    case_id = open_cases[0]["case_id"]
    assert json.loads(cli.ok("cases", "list", "--regency", "62.02", "--json").stdout) == {
        "cases": []
    }
    done = json.loads(
        cli.ok("cases", "decide", "--case", case_id, "--outcome", "keep_this", "--json").stdout
    )
    assert done["outcome"] == "keep_this" and done["decision"] == 1
    done = json.loads(
        cli.ok("cases", "decide", "--case", case_id, "--outcome", "not_duplicate", "--json").stdout
    )
    assert done["decision"] == 2
    assert json.loads(cli.ok("cases", "list", "--json").stdout)["cases"] == []
    every = json.loads(cli.ok("cases", "list", "--all", "--json").stdout)["cases"]
    assert [c["outcome"] for c in every] == ["not_duplicate"]

    # Cards: preview, issue, reissue, print list.
    preview = json.loads(
        cli.ok("cards", "issue", "--regency", "62.71", "--dry-run", "--json").stdout
    )
    assert (preview["count"], preview["dry_run"], preview["cards"]) == (1, True, [])
    issued = json.loads(cli.ok("cards", "issue", "--regency", "62.71", "--json").stdout)
    assert issued["count"] == 1 and issued["cards"][0]["household_id"] == second["id"]
    number = issued["cards"][0]["card_number"]
    assert cards.is_valid(number)
    assert "0 kartu akan diterbitkan" in cli.ok("cards", "issue", "--dry-run").stdout
    new = json.loads(
        cli.ok("cards", "reissue", "--id", second["id"], "--reason", "lost", "--json").stdout
    )
    assert new["replaced"] == number and cards.is_valid(new["card_number"])
    out = tmp_path / "cetak.csv"
    printed = json.loads(cli.ok("cards", "list", "--out", str(out), "--json").stdout)
    assert printed["cards"] == 1 and new["card_number"] in out.read_text("utf-8-sig")


ISSUE = """
import json, sys
from sync.server import cards
from sync.server import keys
from sync.server.db import open_database
from sync.server.scope import Scope
engine = open_database(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()  # both processes start issuing together
with engine.begin() as conn:
    keys.unlock(conn, sys.argv[3])
    done = cards.issue(conn, Scope.province(), "test", regency="62.71", desa=sys.argv[2])
print(json.dumps(done.as_dict()))
"""


def test_card_numbers_stay_unique_when_two_processes_issue_at_once(
    engine, initialised, db_url, tmp_path
):
    """Two server processes issue for two kecamatan of one regency at the same moment (and a
    third for the whole regency): every verified household gets exactly one card, and the
    serials are 1..N without a gap or a repeat."""
    sari = laptop(engine, "Sari", ["62.71"])
    other = regions.desa_in("62.71.01")[0]
    records = [family(n, DESA if n % 2 else other) for n in range(1, 61)]
    sari.push(engine, initialised, records)
    with engine.begin() as conn:
        conn.execute(update(households).values(status="verified"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHBS_")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ISSUE, db_url, area, PASSPHRASE],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for area in ("62.71.03", "62.71.01", "62.71")
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    issued = [c for r in results for c in r["cards"]]
    assert len(issued) == 60
    assert len({c["household_id"] for c in issued}) == 60
    numbers = sorted(c["card_number"] for c in issued)
    assert len(set(numbers)) == 60 and all(cards.is_valid(n) for n in numbers)
    assert [int(n.split("-")[2]) for n in numbers] == list(range(1, 61))
    with engine.connect() as conn:
        stored = dict(conn.execute(select(households.c.id, households.c.card_number)).all())
    assert {c["household_id"]: c["card_number"] for c in issued} == stored
