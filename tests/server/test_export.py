"""The province export (sync/server/export.py, export_zip.py, api/export.py), on SQLite and
PostgreSQL: households pushed by a real enrolled laptop through the real API, exported with
`khbs-server export` (a real process) and through the download endpoint, read back with the
csv module and compared to what was pushed."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, update

from app import questionnaire as q
from app.export.layout import Options, mask
from app.export.reader import read_export
from sync.client import SyncClient
from sync.server import repo
from sync.server.admins import add_admin, revoke_admin
from sync.server.db import audit_log, households, utc_now
from sync.server.export import EXTRA_COLUMNS
from tests.records import numbered
from tests.server.conftest import new_code
from tests.server.test_cli import Server

CARD = "KHBS-6271-000001"


@pytest.fixture
def pushed(store, live, engine, officer) -> list[dict]:
    """Four households pushed from an enrolled laptop; the second verified with a card, the
    third rejected."""
    client = SyncClient(store, sleep=lambda _s: None, max_attempts=2)
    client.enroll(live.url, new_code(engine, officer))
    records = [numbered(n) for n in (1, 2, 3, 4)]
    records[3]["anggota"] = records[3]["anggota"][:1]  # households of different sizes
    for r in records:
        store.save(r)
    report = client.push()
    assert report.synced == len(records)
    with engine.begin() as conn:
        repo.set_household_status(conn, records[1]["id"], "verified", card_number=CARD)
        repo.set_household_status(conn, records[2]["id"], "rejected", reason="document_missing")
    return [store.get(r["id"])[0] for r in records]


@pytest.fixture
def cli(db_url, tmp_path) -> Server:
    return Server(db_url, tmp_path / "home")


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        first = f.readline()
        f.seek(0)
        delimiter = ";" if first.count(";") > first.count(",") else ","
        if f.read(1) != "\ufeff":
            f.seek(0)
        return list(csv.DictReader(f, delimiter=delimiter))


def check_against(folder: Path, records: list[dict]) -> tuple[list[dict], list[dict]]:
    """Every pushed household and every one of its members is in the files, cell by cell."""
    hh, members = read_csv(folder / "households.csv"), read_csv(folder / "members.csv")
    assert sorted(r["household_id"] for r in hh) == sorted(r["id"] for r in records)
    for record in records:
        rows = [m for m in members if m["household_id"] == record["id"]]
        assert [int(m["no_urut"]) for m in rows] == list(range(1, len(record["anggota"]) + 1))
        for row, member in zip(rows, record["anggota"], strict=True):
            assert (row["nik"], row["nama"]) == (member["nik"], member["nama"])
    assert len(members) == sum(len(r["anggota"]) for r in records)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["source"] == "province"
    assert manifest["files"]["households.csv"]["rows"] == len(hh)
    assert manifest["files"]["members.csv"]["rows"] == len(members)
    return hh, members


def audits(engine) -> list[tuple[str, str, dict]]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
    return [(r.actor, r.action, json.loads(r.detail)) for r in rows]


# -- khbs-server export -------------------------------------------------------------------------


def test_cli_export_matches_what_was_pushed(cli, pushed, engine, tmp_path):
    out = tmp_path / "out"
    proc = cli.ok("export", "--out", str(out))
    assert "4 keluarga" in proc.stdout and "data pribadi" in proc.stderr
    hh, _ = check_against(out, pushed)
    by_id = {r["household_id"]: r for r in hh}
    assert list(hh[0])[-len(EXTRA_COLUMNS) :] == list(EXTRA_COLUMNS)
    verified, rejected = by_id[pushed[1]["id"]], by_id[pushed[2]["id"]]
    assert (verified["province_status"], verified["card_number"]) == ("verified", CARD)
    assert (rejected["province_status"], rejected["province_reason"]) == (
        "rejected",
        "document_missing",
    )
    assert {r["conflict"] for r in hh} == {"0"}
    assert by_id[pushed[0]["id"]]["no_kk"] == pushed[0]["no_kk"]
    # The whole pair reads back into the records that were pushed.
    back = {r["id"]: r for _, r in read_export(out).records}
    for record in pushed:
        assert back[record["id"]] == q.canonical(record)
    actor, action, detail = audits(engine)[-1]
    assert (actor, action) == ("server-cli", "export")
    assert (detail["households"], detail["members"], detail["via"]) == (4, 10, "cli")
    assert pushed[0]["anggota"][0]["nik"] not in json.dumps(audits(engine))


def test_cli_export_filters(cli, pushed, engine, tmp_path):
    def ids(*args: str) -> set[str]:
        out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}"
        cli.ok("export", "--out", str(out), *args)
        return {r["household_id"] for r in read_csv(out / "households.csv")}

    every = {r["id"] for r in pushed}
    assert ids("--regency", "62.71") == every
    assert ids("--regency", "6271") == every
    assert ids("--regency", "62.01") == set()
    assert ids("--status", "verified") == {pushed[1]["id"]}
    assert ids("--status", "received") == {pushed[0]["id"], pushed[3]["id"]}
    # --since: content or status changed since then. Move one household into the past.
    month_ago = utc_now() - timedelta(days=30)
    with engine.begin() as conn:
        conn.execute(
            update(households)
            .where(households.c.id == pushed[0]["id"])
            .values(updated_at=month_ago, status_at=month_ago)
        )
    since = (utc_now() - timedelta(days=1)).date().isoformat()
    assert ids("--since", since) == every - {pushed[0]["id"]}
    assert ids("--since", "2000-01-01") == every
    with engine.begin() as conn:  # a card issued today: in the export again
        repo.set_household_status(conn, pushed[0]["id"], "verified", card_number="KHBS-2")
    assert ids("--since", since) == every
    assert audits(engine)[-1][2]["filters"] == {"since": f"{since}T00:00:00+00:00"}


def test_cli_export_masking_excel_and_no_health(cli, pushed, tmp_path):
    out = tmp_path / "masked"
    cli.ok("export", "--out", str(out), "--mask-ids", "--excel", "--no-health", "--lang", "en")
    raw = (out / "households.csv").read_bytes()
    assert raw.startswith("\ufeff".encode()) and b";" in raw.splitlines()[0]
    hh, members = check_against_masked(out, pushed)
    assert hh[0]["no_kk"] == mask(pushed[0]["no_kk"])
    every_nik = {m["nik"] for r in pushed for m in r["anggota"]}
    text = (out / "members.csv").read_text("utf-8") + raw.decode("utf-8")
    assert not any(nik in text for nik in every_nik)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["options"] == {
        "excel": True,
        "mask_ids": True,
        "omit_health": True,
        "lang": "en",
    }


def check_against_masked(folder: Path, records: list[dict]):
    hh, members = read_csv(folder / "households.csv"), read_csv(folder / "members.csv")
    assert len(hh) == len(records)
    assert len(members) == sum(len(r["anggota"]) for r in records)
    for row in members:
        assert "*" in row["nik"]
    return hh, members


def test_cli_export_errors_are_one_line(cli, pushed, tmp_path):
    line = cli.fails("export", "--out", str(tmp_path / "x"), "--regency", "62.71.03")
    assert "62.71.03" in line and "--regency" in line
    line = cli.fails("export", "--out", str(tmp_path / "x"), "--since", "kemarin")
    assert "--since" in line
    line = cli.fails("--lang", "en", "export", "--out", str(tmp_path / "x"), "--regency", "63.01")
    assert "Central Kalimantan" in line
    assert "khbs-server" in cli.fails(
        "export", "--out", str(tmp_path / "x"), passphrase="wrong-pass"
    )
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert "khbs-server" in cli.fails("export", "--out", str(blocker / "sub"))
    assert not (tmp_path / "x").exists()


# -- admins and the download endpoint -----------------------------------------------------------


def admin_token(engine, name: str = "Admin Provinsi") -> tuple[str, str]:
    with engine.begin() as conn:
        return add_admin(conn, name)


def download(live, token: str | None, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(live.url + "/v1/admin/export", params=params, headers=headers, timeout=60)


def unzip(reply: requests.Response, folder: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        assert archive.namelist() == ["households.csv", "members.csv", "manifest.json"]
        archive.extractall(folder)
    return folder


def test_endpoint_streams_a_zip_matching_the_cli_export(live, cli, pushed, engine, tmp_path):
    admin_id, token = admin_token(engine)
    reply = download(live, token)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/zip"
    assert "attachment" in reply.headers["content-disposition"]
    got = unzip(reply, tmp_path / "zip")
    check_against(got, pushed)
    manifest = json.loads((got / "manifest.json").read_text("utf-8"))
    assert manifest["created_by"] == "Admin Provinsi"
    # Same bytes as the command line's export of the same rows (only the manifest differs).
    cli.ok("export", "--out", str(tmp_path / "cli"))
    for name in ("households.csv", "members.csv"):
        assert (got / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    cli_manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text("utf-8"))
    assert manifest["files"] == cli_manifest["files"]
    actor, action, detail = [a for a in audits(engine) if a[2].get("via") == "api"][-1]
    assert (actor, action, detail["completed"]) == (f"admin:{admin_id}", "export", True)
    assert (detail["households"], detail["members"]) == (4, 10)


def test_endpoint_filters_and_options(live, pushed, engine, tmp_path):
    _, token = admin_token(engine)
    reply = download(live, token, status="verified", mask_ids="true", excel="true")
    assert reply.status_code == 200
    got = unzip(reply, tmp_path / "v")
    hh = read_csv(got / "households.csv")
    assert [r["household_id"] for r in hh] == [pushed[1]["id"]]
    assert hh[0]["card_number"] == CARD and "*" in hh[0]["no_kk"]
    assert download(live, token, regency="62.71.03").json()["error"] == "bad_filter"
    assert download(live, token, since="nope").status_code == 400


def test_endpoint_refuses_without_a_valid_token(live, pushed, engine):
    admin_id, token = admin_token(engine)
    for bad in (None, "nope", token[:-2] + "xx", "khbs_admin_" + "A" * 43):
        reply = download(live, bad)
        assert reply.status_code == 401
        assert reply.json()["error"] in ("missing_auth", "bad_token")
    basic = requests.get(
        live.url + "/v1/admin/export", timeout=10, headers={"Authorization": f"Basic {token}"}
    )
    assert basic.status_code == 401
    assert download(live, token).status_code == 200
    with engine.begin() as conn:
        assert revoke_admin(conn, admin_id) is True
        assert revoke_admin(conn, admin_id) is False
    reply = download(live, token)
    assert (reply.status_code, reply.json()["error"]) == (401, "bad_token")
    # Refusals export nothing: the one download is the only one audited.
    assert [a for a, _, d in audits(engine) if d.get("via") == "api"] == [f"admin:{admin_id}"]


def test_the_zip_is_streamed_in_pieces(pushed, engine, initialised, monkeypatch):
    """The archive leaves in pieces as it is made, not whole at the end (here a piece goes as
    soon as the compressor gives out any bytes)."""
    from app.export.layout import Options
    from sync.server import export_zip
    from sync.server.export import Filters

    monkeypatch.setattr(export_zip, "FLUSH", 1)
    pieces = list(
        export_zip.zip_export(
            engine, initialised, Options(), Filters(), actor="test", created_by="test"
        )
    )
    assert len(pieces) >= 3 and b"manifest.json" not in pieces[0] + pieces[1]
    with zipfile.ZipFile(io.BytesIO(b"".join(pieces))) as archive:
        assert len(archive.read("members.csv").decode().splitlines()) == 1 + 10


def test_endpoint_is_rate_limited_per_admin(live, pushed, engine):
    _, token = admin_token(engine)
    _, other = admin_token(engine, "Admin Lain")
    answers = [download(live, token, status="verified").status_code for _ in range(7)]
    assert answers[:5] == [200] * 5 and 429 in answers[5:]
    assert download(live, other, status="verified").status_code == 200


def test_admin_cli(cli, engine, live, pushed):
    made = json.loads(cli.ok("admin", "add", "--name", "Budi Admin", "--json").stdout)
    assert set(made) == {"admin_id", "token"}
    assert download(live, made["token"], status="verified").status_code == 200
    shown = cli.ok("admin", "add", "--name", "Sari Admin").stdout
    assert "sekali" in shown
    assert "dicabut" in cli.ok("admin", "revoke", "--id", made["admin_id"]).stdout
    assert "sudah dicabut" in cli.ok("admin", "revoke", "--id", made["admin_id"]).stdout
    assert "tidak ditemukan" in cli.fails("admin", "revoke", "--id", "nope")
    assert download(live, made["token"]).status_code == 401
    # Only the hash of a token is stored.
    from tests.server.conftest import stored_bytes

    assert made["token"].encode() not in stored_bytes(engine)


# -- the export functions directly --------------------------------------------------------------


def test_parallel_export_writes_the_same_bytes(pushed, engine, initialised, tmp_path):
    from sync.server.export import export_to_dir

    one = export_to_dir(engine, initialised, tmp_path / "one", actor="test")
    two = export_to_dir(
        engine, initialised, tmp_path / "two", actor="test", workers=2, parallel_from=0
    )
    for name in ("households.csv", "members.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert one.manifest["files"] == two.manifest["files"]
    assert {k: v for k, v in one.manifest.items() if k != "created_at"} == {
        k: v for k, v in two.manifest.items() if k != "created_at"
    }


@pytest.mark.parametrize("workers", [1, 2])
def test_content_that_does_not_open_is_left_out_and_counted(
    pushed, engine, initialised, tmp_path, workers
):
    from sync.server.db import household_versions
    from sync.server.export import export_to_dir

    with engine.begin() as conn:
        conn.execute(
            update(household_versions)
            .where(household_versions.c.household_id == pushed[0]["id"])
            .values(content=b"\0" * 64)
        )
    result = export_to_dir(
        engine, initialised, tmp_path / "out", actor="test", workers=workers, parallel_from=0
    )
    assert result.damaged == {pushed[0]["id"]}
    check_against(tmp_path / "out", pushed[1:])
    assert audits(engine)[-1][2]["damaged"] == 1


@pytest.mark.parametrize(
    "options",
    [Options(), Options(excel=True, mask_ids=True, omit_health=True, lang="en")],
    ids=["plain", "excel-masked"],
)
def test_laptop_and_province_write_the_same_bytes(
    store, live, engine, officer, initialised, tmp_path, options
):
    """The same households with the same options, written by the laptop (`khbs export`) and by
    the province (one process, worker processes, the ZIP stream): members.csv is the same
    bytes, households.csv the same cells but for each side's own columns at the end."""
    from app.export.laptop import EXTRA_COLUMNS as LAPTOP_COLUMNS
    from app.export.laptop import export_store
    from sync.server.export import Filters, export_to_dir
    from sync.server.export_zip import zip_export
    from tests.test_export import TRICKY, tricky

    client = SyncClient(store, sleep=lambda _s: None, max_attempts=2)
    client.enroll(live.url, new_code(engine, officer))
    records = [numbered(1), numbered(2)] + [tricky(10 + i, t) for i, t in enumerate(TRICKY)]
    records[1]["rumah"]["luas_lantai"] = 36.5  # a decimal comma in Excel mode
    for r in records:
        store.save(q.canonical(r))
    assert client.push().synced == len(records)

    export_store(store, tmp_path / "laptop", options)
    export_to_dir(engine, initialised, tmp_path / "one", options, actor="test")
    export_to_dir(
        engine, initialised, tmp_path / "workers", options, actor="test", workers=2, parallel_from=0
    )
    zipped = b"".join(
        zip_export(engine, initialised, options, Filters(), actor="test", created_by="test")
    )
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        archive.extractall(tmp_path / "zip")

    laptop = tmp_path / "laptop"
    members = (laptop / "members.csv").read_bytes()
    # The tricky cells are there: line breaks in multi-line answers, quotes everywhere.
    assert b'"baris\nkedua; dengan ""kutip"", koma"' in (laptop / "households.csv").read_bytes()
    assert b'"baris kedua; dengan ""kutip"", koma"' in members
    delimiter = ";" if options.excel else ","
    assert members.startswith(b"\xef\xbb\xbf" if options.excel else b"household_id,")
    laptop_rows = list(
        csv.reader(
            io.StringIO((laptop / "households.csv").read_text("utf-8"), newline=""),
            delimiter=delimiter,
        )
    )
    assert len(laptop_rows) == 1 + len(records)
    for folder in ("one", "workers", "zip"):
        province = tmp_path / folder
        assert (province / "members.csv").read_bytes() == members, folder
        rows = list(
            csv.reader(
                io.StringIO((province / "households.csv").read_text("utf-8"), newline=""),
                delimiter=delimiter,
            )
        )
        assert [r[: -len(EXTRA_COLUMNS)] for r in rows] == [
            r[: -len(LAPTOP_COLUMNS)] for r in laptop_rows
        ], folder
        manifests = [
            json.loads((f / "manifest.json").read_text("utf-8")) for f in (laptop, province)
        ]
        assert manifests[0]["files"]["members.csv"] == manifests[1]["files"]["members.csv"]
        assert manifests[0]["dialect"] == manifests[1]["dialect"]


@pytest.mark.parametrize("workers", [1, 2])
def test_export_files_are_created_owner_only(
    pushed, engine, initialised, tmp_path, monkeypatch, workers
):
    """Created 0600, by the worker processes' writer too (tests/test_export.py)."""
    from sync.server.export import export_to_dir
    from tests.test_export import assert_owner_only, chmod_switched_off

    with chmod_switched_off(monkeypatch):
        export_to_dir(
            engine, initialised, tmp_path / "out", actor="test", workers=workers, parallel_from=0
        )
    assert_owner_only(tmp_path / "out")
