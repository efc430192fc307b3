"""CSV export (`khbs export`) and its way back (`khbs import DIR`), on real encrypted stores.

The expected cells are worked out here from the schema, independently of app/export/layout.py,
so a layout bug cannot hide behind itself. The LibreOffice test opens an --excel export in a
real spreadsheet program (skipped without `soffice`, a failure in CI).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from app import questionnaire as q
from app.export.files import Cancelled
from app.export.laptop import export_store
from app.export.layout import Options, mask, neutralise, restore
from app.households import add_demo
from app.store import Store
from tests.conftest import FAST_KDF, PASSPHRASE, in_ci
from tests.records import LISTED, numbered
from tests.records import member as person
from tests.test_cli import Khbs

FORMULA = ("=", "+", "-", "@", "\t", "\r")
TRICKY = [
    '=HYPERLINK("http://x";"klik")',
    "+62 811 555",
    "-Dimas",
    "@SUM(A1:A9)",
    "\tdi depan tab",
    "\rdi depan CR",
    "'=sudah ber-apostrof",
    "''+dua apostrof",
    'baris\nkedua; dengan "kutip", koma',
]
EXTRA = ["sync_state", "sync_reason", "updated_at", "nomor_kartu"]
DESA_OTHER = "62.03.01.1006"  # a desa in another regency (Kapuas)


# ------------------------------------------------------------------------------ the source


def tricky(n: int, text: str) -> dict:
    """A final household whose free-text answers all start like a formula. Tabs and line
    breaks only in the multi-line answers: single-line ones refuse them (app/rules.py)."""
    rec = numbered(n)
    line = text.translate({9: "", 10: " ", 13: ""})
    rec["lokasi"]["alamat"] = text
    rec["kebutuhan"]["catatan"] = text
    rec["anggota"][0]["nama"] = line
    rec["anggota"][0]["pekerjaan"] = line
    rec["anggota"][1]["tempat_lahir"] = line
    return rec


def source_records() -> list[dict]:
    recs = [numbered(1), numbered(2)]
    recs[1]["rumah"]["luas_lantai"] = 36.5
    recs[1]["lokasi"]["gps"] = {"lat": -2.2136, "lon": 113.9108, "akurasi_m": 8.0}
    recs[1]["lokasi"]["rt"] = "003"
    recs[1]["anggota"][0]["disabilitas"] = [1, 4]
    recs[1]["program"]["program_bansos"] = [1, 3]
    draft = numbered(3, status="draft")
    draft["lokasi"]["kode_desa"] = DESA_OTHER
    for section in ("rumah", "aset", "program", "kebutuhan"):
        del draft[section]
    draft["anggota"] = draft["anggota"][:1]
    recs.append(draft)
    recs += [tricky(10 + i, text) for i, text in enumerate(TRICKY)]
    recs.append(partly_dated(4))
    recs += visit_outcomes()
    return recs


def visit_outcomes() -> list[dict]:
    """A refusal (no KK, no members), a family nobody was home for (a revisit date) and one
    interviewed at the third visit (earlier visits, paradata): these are columns too."""
    base = numbered(30)
    refused = {
        k: base[k] for k in ("schema_version", "id", "status", "tanggal_kunjungan", "lokasi")
    } | {"hasil_kunjungan": 3, "anggota": []}
    nobody = numbered(
        31,
        hasil_kunjungan=4,
        tanggal_kunjungan_ulang="2026-12-03",
        verifikasi={"sumber": 1},
        status="draft",
    )
    for section in ("persetujuan", "rumah", "aset", "program", "kebutuhan"):
        del nobody[section]
    nobody["anggota"] = [{k: m[k] for k in LISTED} for m in nobody["anggota"]]
    third = numbered(32, hasil_kunjungan=1, kunjungan=["2026-11-20:4", "2026-11-24:4"])
    third["paradata"] = {
        "mulai": "2026-11-20T08:15:00+07:00",
        "selesai": "2026-11-27T09:01:30+07:00",
        "durasi_detik": 2140,
        "jumlah_kunjungan": 3,
        "detik_identitas": 40,
        "detik_rumah": 900,
    }
    return [refused, nobody, third]


def partly_dated(n: int) -> dict:
    """A final household with a grandmother born in 1950 (year only: her KK shows 01-07) and a
    grandfather born in July 1948, and "none" answers."""
    rec = numbered(n)
    grandma = person(
        "Ineh Bungai",
        "1950-07-01",
        2,
        6,
        serial=4000 + n,
        status_kawin=4,
        disabilitas=[1, 4],
        penyakit_kronis=[0],
    )
    grandpa = person(
        "Unus Bungai",
        "1948-07-01",
        1,
        6,
        serial=5000 + n,
        status_kawin=2,
        disabilitas=[0],
        penyakit_kronis=[0],
    )
    grandma["tanggal_lahir"], grandpa["tanggal_lahir"] = "1950", "1948-07"
    rec["anggota"] += [grandma, grandpa]
    rec["kebutuhan"]["layanan"] = [0]
    return rec


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Khbs:
    """A store with demo households and hand-made ones (floats, a draft elsewhere, formulas)."""
    folder = tmp_path_factory.mktemp("source")
    with Store.create(folder / "data", PASSPHRASE, kdf=FAST_KDF) as store:
        add_demo(store, 25, seed=5)
        for rec in source_records():  # stored as the app stores them (app/households.py)
            store.save(q.canonical(rec))
    return Khbs(folder / "data", folder)


def stored(runner: Khbs) -> list[dict]:
    with Store.open(runner.data_dir, PASSPHRASE) as store:
        return [rec for _, rec in store.records()]


@pytest.fixture
def fresh(tmp_path) -> Khbs:
    Store.create(tmp_path / "fresh", PASSPHRASE, kdf=FAST_KDF).close()
    return Khbs(tmp_path / "fresh", tmp_path)


def export(runner: Khbs, out: Path, *args: str, **kw) -> dict:
    proc = runner.ok("export", "--out", str(out), *args, **kw)
    assert "data pribadi" in proc.stderr or "personal data" in proc.stderr  # the warning
    return json.loads((out / "manifest.json").read_text("utf-8"))


def read(path: Path, excel: bool = False) -> tuple[list[str], list[dict]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == excel
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";" if excel else ","))
    header = rows[0]
    assert all(len(r) == len(header) for r in rows), "every row as wide as the header"
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:]]


# ----------------------------------------------------------------- expected cells, from the schema


def leaves(group: dict, omit_health: bool = False, health: bool = False):
    for name, spec in group["properties"].items():
        is_health = health or spec.get("x-sensitive") == "health"
        if q.is_roster(spec) or (omit_health and is_health):
            continue
        if q.is_group(spec):
            yield from ((n, (name, *p), s) for n, p, s in leaves(spec, omit_health, is_health))
        elif name != "id":
            yield name, (name,), spec


def expected(
    source: dict, group: dict, *, excel=False, lang="id", masked=False, omit_health=False
) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, path, spec in leaves(group, omit_health):
        value = source
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        labelled = "x-options" in spec or spec["type"] == "boolean"
        text, label = "", ""
        if value in (None, "", []):
            pass
        elif spec["type"] == "boolean":
            text = "1" if value else "0"
            label = {"id": ["Tidak", "Ya"], "en": ["No", "Yes"]}[lang][int(value)]
        elif "x-options" in spec:
            labels = {o["value"]: o["label"][lang] for o in spec["x-options"]}
            values = value if isinstance(value, list) else [value]
            text, label = " ".join(map(str, values)), " | ".join(labels[v] for v in values)
        elif isinstance(value, list):
            text = " ".join(value)
        elif spec["type"] in ("number", "integer"):
            text = str(value).replace(".", ",") if excel else str(value)
        elif masked and spec.get("x-identifier"):
            text = value[:6] + "*" * 6 + value[-4:]
        else:
            text = value
        if spec["type"] not in ("number", "integer") and text.lstrip("'").startswith(FORMULA):
            text = "'" + text
        out[name] = text
        if labelled:
            out[name + "_label"] = label
    return out


def schema() -> dict:
    return q.load_schema()


def member_schema() -> dict:
    return schema()["properties"]["anggota"]["items"]


def check_against_store(
    out: Path, records: list[dict], *, excel=False, lang="id", masked=False, omit_health=False
) -> None:
    """Every household and every member of `records` is in the files, cell for cell."""
    opts = dict(excel=excel, lang=lang, masked=masked, omit_health=omit_health)
    h_header, households = read(out / "households.csv", excel)
    m_header, members = read(out / "members.csv", excel)
    assert h_header == ["household_id", *expected({}, schema(), **opts), *EXTRA]
    assert m_header == ["household_id", "no_urut", *expected({}, member_schema(), **opts)]
    assert [h["household_id"] for h in households] == [r["id"] for r in records]
    by_household: dict[str, list[dict]] = {}
    for m in members:
        by_household.setdefault(m["household_id"], []).append(m)
    assert set(by_household) <= {r["id"] for r in records}
    for rec, row in zip(records, households, strict=True):
        assert {k: row[k] for k in h_header[1 : -len(EXTRA)]} == expected(rec, schema(), **opts)
        assert row["sync_state"] in ("local", "pending", "training")
        rows = by_household.get(rec["id"], [])
        assert [m["no_urut"] for m in rows] == [str(i) for i in range(1, len(rec["anggota"]) + 1)]
        for member, mrow in zip(rec["anggota"], rows, strict=True):
            assert {k: mrow[k] for k in m_header[2:]} == expected(member, member_schema(), **opts)
    assert len(members) == sum(len(r["anggota"]) for r in records)


def check_manifest(out: Path, manifest: dict) -> None:
    for name in ("households.csv", "members.csv"):
        entry = manifest["files"][name]
        data = (out / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["rows"] == len(read(out / name, manifest["options"]["excel"])[1])
    assert manifest["format"] == "khbs-export" and manifest["schema_version"] == q.schema_version()
    assert manifest["source"] == "laptop" and manifest["created_by"] == "local"


# ------------------------------------------------------------------------- read back vs store


@pytest.mark.parametrize("excel", [False, True], ids=["plain", "excel"])
def test_export_matches_the_store_cell_for_cell(source, tmp_path, excel):
    out = tmp_path / "out"
    manifest = export(source, out, *(["--excel"] if excel else []))
    records = stored(source)
    check_against_store(out, records, excel=excel)
    check_manifest(out, manifest)
    assert manifest["files"]["households.csv"]["rows"] == len(records)
    assert manifest["files"]["members.csv"]["rows"] == sum(len(r["anggota"]) for r in records)
    assert manifest["options"] == {
        "excel": excel,
        "mask_ids": False,
        "omit_health": False,
        "lang": "id",
    }
    assert manifest["filters"] == {}
    data = (out / "households.csv").read_bytes()
    assert data.count(b"\r\n") >= len(records) + 1  # CRLF line ends in both modes
    assert sorted(p.name for p in out.iterdir()) == [
        "households.csv",
        "manifest.json",
        "members.csv",
    ]  # no .part files left
    assert all((p.stat().st_mode & 0o077) == 0 for p in out.iterdir())  # personal data: 0600


def test_numbers_are_numbers_and_decimal_comma_in_excel(source, tmp_path):
    export(source, tmp_path / "plain")
    export(source, tmp_path / "excel", "--excel")
    rid = numbered(2)["id"]
    plain = next(
        r for r in read(tmp_path / "plain" / "households.csv")[1] if r["household_id"] == rid
    )
    excel = next(
        r for r in read(tmp_path / "excel" / "households.csv", True)[1] if r["household_id"] == rid
    )
    assert (plain["luas_lantai"], plain["lat"], plain["rt"]) == ("36.5", "-2.2136", "003")
    assert (excel["luas_lantai"], excel["lat"], excel["akurasi_m"]) == ("36,5", "-2,2136", "8,0")
    assert (excel["diberikan"], excel["diberikan_label"]) == ("1", "Ya")
    assert (excel["program_bansos"], excel["program_bansos_label"]) == (
        "1 3",
        "PKH (Program Keluarga Harapan) | BLT Dana Desa",
    )
    head = next(
        m
        for m in read(tmp_path / "excel" / "members.csv", True)[1]
        if m["household_id"] == rid and m["no_urut"] == "1"
    )
    assert (head["disabilitas"], head["disabilitas_label"]) == (
        "1 4",
        "Fisik | Sensorik netra (penglihatan)",
    )


def test_birth_dates_without_day_or_month_and_none_answers_go_out_and_back(source, fresh, tmp_path):
    out = tmp_path / "out"
    export(source, out)
    rec = partly_dated(4)
    rows = [m for m in read(out / "members.csv")[1] if m["household_id"] == rec["id"]]
    grandma, grandpa = rows[-2:]
    assert (grandma["tanggal_lahir"], grandpa["tanggal_lahir"]) == ("1950", "1948-07")
    assert (grandma["penyakit_kronis"], grandma["penyakit_kronis_label"]) == ("0", "Tidak ada")
    household = next(h for h in read(out / "households.csv")[1] if h["household_id"] == rec["id"])
    assert (household["layanan"], household["layanan_label"]) == ("0", "Tidak ada")
    fresh.ok("import", str(out))  # the importer's rules accept them
    back = next(r for r in stored(fresh) if r["id"] == rec["id"])
    assert [m["tanggal_lahir"] for m in back["anggota"][-2:]] == ["1950", "1948-07"]
    assert back == next(r for r in stored(source) if r["id"] == rec["id"])
    # JSON Lines too, as `khbs dump` writes them.
    again = Khbs(tmp_path / "again", tmp_path)
    Store.create(again.data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    lines = tmp_path / "one.jsonl"
    lines.write_text(json.dumps(back, ensure_ascii=False) + "\n", "utf-8")
    again.ok("import", str(lines))
    assert stored(again) == [back]


# ------------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("excel", [False, True], ids=["plain", "excel"])
def test_round_trip_export_import_dump_is_byte_identical(source, fresh, tmp_path, excel):
    out = tmp_path / "out"
    export(source, out, *(["--excel"] if excel else []))
    proc = fresh.ok("import", str(out))
    n = len(stored(source))
    assert f"{n} keluarga diimpor" in proc.stdout
    assert fresh.dump(tmp_path / "b.jsonl") == source.dump(tmp_path / "a.jsonl")
    # Either file of the pair names the folder; importing again changes nothing.
    again = fresh.ok("import", str(out / "members.csv"))
    assert f"0 keluarga diimpor, {n} sudah sama" in again.stdout


def test_formula_cells_are_neutralised_and_restored(source, fresh, tmp_path):
    for mode in ([], ["--excel"]):
        out = tmp_path / ("x".join(mode) or "plain")
        export(source, out, *mode)
        for name in ("households.csv", "members.csv"):
            header, rows = read(out / name, bool(mode))
            numeric = {
                n
                for group in (schema(), member_schema())
                for n, _, s in leaves(group)
                if s["type"] in ("number", "integer")
            }
            for row in rows:
                for column, cell in row.items():
                    if cell.startswith(FORMULA):
                        assert column in numeric, (name, column)
                        float(cell.replace(",", "."))  # a negative number, not a formula
        rows = {r["household_id"]: r for r in read(out / "households.csv", bool(mode))[1]}
        for i, text in enumerate(TRICKY):
            cell = rows[numbered(10 + i)["id"]]["alamat"]
            assert restore(cell) == text
            assert cell == ("'" + text if text.lstrip("'").startswith(FORMULA) else text)
    assert rows[numbered(2)["id"]]["lat"] == "-2,2136"  # a negative latitude stays a number
    fresh.ok("import", str(tmp_path / "plain"))
    assert fresh.dump(tmp_path / "b.jsonl") == source.dump(tmp_path / "a.jsonl")


def test_neutralise_and_restore_are_inverse():
    samples = TRICKY + ["", "'", "''", "'abc", "abc", "=", "'=", "''=", "-", "1-2", " =x"]
    for text in samples:
        cell = neutralise(text)
        assert not cell.startswith(FORMULA)
        assert restore(cell) == text
    assert mask("6271031204800003") == "627103******0003"


def test_fast_cell_functions_agree_with_the_general_rule():
    """The per-question functions (built for speed) give the cells the general rule gives, for
    every kind of question and for answers of unexpected types (old drafts, hand-made files)."""
    from app.export.cells import cell_function, general
    from app.export.layout import Layout

    odd = [
        None,
        "",
        [],
        0,
        1,
        2,
        99,
        -3,
        2.5,
        -2.2136,
        1e-07,
        True,
        False,
        "1",
        "=1",
        "-x",
        "'=y",
        "teks",
        [1, 3],
        [3, 1],
        [99],
        ["a", "b"],
        [1, "x"],
        {"a": 1},
    ]
    layout = Layout(Options())
    for question in layout.household_questions + layout.member_questions:
        for lang in ("id", "en"):
            for excel in (False, True):
                for masked in (False, bool(question.identifier)):
                    kw = dict(lang=lang, excel=excel, masked=masked)
                    fast = cell_function(question.kind, question.spec, **kw)
                    for value in odd + [o["value"] for o in q.options(question.spec)]:
                        want = general(question.kind, question.spec, value, **kw)
                        got = (
                            ("", "")
                            if value is None and len(want) == 2
                            else ("",)
                            if value is None
                            else fast(value)
                        )
                        assert got == want, (question.name, value, kw)


def test_compiled_rows_agree_with_the_plain_loop():
    """Layout's generated row functions (the common cells inline) give the rows of the plain
    loop over the cell functions, for answers of every type in every question and section."""
    import random

    from app.export.layout import Layout, _fill

    odd = [
        None,
        "",
        [],
        0,
        1,
        2,
        99,
        -3,
        2.5,
        True,
        False,
        "1",
        "=1",
        "-x",
        "'=y",
        "teks",
        "a, b",
        [1, 3],
        [99],
        ["a"],
        {"a": 1},
    ]
    rng = random.Random(5)

    def scramble(node):
        if isinstance(node, dict):
            return {
                k: scramble(v)
                if isinstance(v, (dict, list)) and rng.random() < 0.8
                else rng.choice(odd + [v])
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [scramble(x) for x in node]
        return node

    records = [numbered(n) for n in range(1, 6)]
    records += [scramble(r) for r in records for _ in range(40)]
    records += [{"id": "x"}, {"id": "y", "lokasi": None, "anggota": [{}, None, {"nama": 5}]}]
    for options in (
        Options(),
        Options(excel=True, mask_ids=True, lang="en"),
        Options(omit_health=True),
    ):
        layout = Layout(options)
        for record in records:
            want = [neutralise(str(record.get("id", "")))]
            _fill(want, layout._household_plan, record)
            assert layout.household_cells(record) == want
            for i, (got, member) in enumerate(
                zip(layout.member_rows(record), q.members(record), strict=True), start=1
            ):
                want = [neutralise(str(record.get("id", ""))), str(i)]
                _fill(want, layout._member_plan, member)
                assert got == want


def test_csv_lines_are_the_csv_writers_bytes():
    import io
    import random

    from app.export.files import CsvLines

    cells = ["", "a", "a,b", "a;b", 'x"y', "l\nm", "r\rs", " sp ", "'=1", "ü€", "\t", "1,5"]
    rng = random.Random(3)
    rows = [[rng.choice(cells) for _ in range(rng.randint(0, 6))] for _ in range(5000)]
    rows += [[""], [], ["", ""], [1, None, 2.5]]
    for delimiter in (",", ";"):
        text = io.StringIO()
        csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        assert CsvLines(delimiter, "\r\n").text(rows) == text.getvalue()


# ---------------------------------------------------------------------------------- privacy


@contextmanager
def chmod_switched_off(monkeypatch):
    """No chmod, and a umask that makes new files world-readable: a file keeps the mode it was
    created with (a chmod after creating it would leave a moment for others to open it)."""
    monkeypatch.setattr(os, "chmod", lambda *_a, **_k: None)
    monkeypatch.setattr(os, "fchmod", lambda *_a, **_k: None)
    umask = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(umask)


def assert_owner_only(folder: Path) -> None:
    modes = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}
    assert modes == {"households.csv": 0o600, "members.csv": 0o600, "manifest.json": 0o600}


def test_export_files_are_created_owner_only(source, tmp_path, monkeypatch):
    with chmod_switched_off(monkeypatch), Store.open(source.data_dir, PASSPHRASE) as store:
        export_store(store, tmp_path / "out", Options(excel=True))
    assert_owner_only(tmp_path / "out")


def test_mask_ids_hides_the_numbers_and_cannot_be_imported(source, fresh, tmp_path):
    out = tmp_path / "out"
    manifest = export(source, out, "--mask-ids")
    assert manifest["options"]["mask_ids"] is True
    records = stored(source)
    check_against_store(out, records, masked=True)
    blob = b"".join(p.read_bytes() for p in out.iterdir())
    numbers = [r["no_kk"] for r in records if "no_kk" in r]
    numbers += [m["nik"] for r in records for m in r["anggota"] if "nik" in m]
    assert len(numbers) > 100
    for number in numbers:
        assert number.encode() not in blob
        assert (number[:6] + "******" + number[-4:]).encode() in blob
    refused = fresh.fails("import", str(out))
    assert "menyamarkan NIK" in refused.stderr and "--mask-ids" in refused.stderr
    assert fresh.status()["households"] == 0


def health_columns() -> set[str]:
    names = {n for n, _, s in leaves(member_schema()) if s.get("x-sensitive") == "health"}
    return names | {n + "_label" for n in names}


def test_no_health_leaves_out_the_health_answers(source, fresh, tmp_path):
    out = tmp_path / "out"
    manifest = export(source, out, "--no-health")
    assert manifest["options"]["omit_health"] is True
    columns = health_columns()
    assert {"disabilitas", "penyakit_kronis", "hamil", "jaminan_kesehatan"} <= columns
    h_header, _ = read(out / "households.csv")
    m_header, _ = read(out / "members.csv")
    assert not columns & (set(h_header) | set(m_header))
    check_against_store(out, stored(source), omit_health=True)
    assert b"Sensorik netra" not in (out / "members.csv").read_bytes()
    # Importing it would erase the health answers of the households it replaces.
    refused = fresh.fails("import", str(out))
    assert "members.csv tidak punya kolom disabilitas, disabilitas_label" not in refused.stderr
    assert "members.csv tidak punya kolom disabilitas, penyakit_kronis" in refused.stderr
    assert fresh.status()["households"] == 0


def test_audit_log_has_the_export_with_counts_only(source, tmp_path):
    export(source, tmp_path / "out", "--status", "final", "--mask-ids")
    with Store.open(source.data_dir, PASSPHRASE) as store:
        entry = [e for e in store.audit.entries() if e.action == "store.export"][-1]
        records = [r for _, r in store.records() if r["status"] == "final"]
    members = sum(len(r["anggota"]) for r in records)
    assert entry.detail == (
        f"households={len(records)};members={members};mask_ids=1;omit_health=0;filtered=1"
    )
    assert entry.record_id is None


# ------------------------------------------------------------------------ language, filters


def test_labels_in_english(source, tmp_path):
    out = tmp_path / "out"
    proc = source.ok("export", "--out", str(out), lang="en")
    assert "personal data" in proc.stderr and "Exported" in proc.stdout
    check_against_store(out, stored(source), lang="en")
    _, members = read(out / "members.csv")
    assert {m["jenis_kelamin_label"] for m in members} == {"Male", "Female"}
    assert json.loads((out / "manifest.json").read_text())["options"]["lang"] == "en"


def test_filters_by_status_and_area(source, tmp_path):
    records = stored(source)
    for status in ("draft", "final"):
        out = tmp_path / status
        manifest = export(source, out, "--status", status)
        assert manifest["filters"] == {"status": status}
        check_against_store(out, [r for r in records if r["status"] == status])
    # A desa in dotted or plain digits, or a regency: everything inside it.
    for code in (DESA_OTHER, DESA_OTHER.replace(".", ""), "62.03"):
        out = tmp_path / code
        manifest = export(source, out, "--desa", code)
        assert manifest["filters"]["desa"] in (DESA_OTHER, "62.03")
        area = manifest["filters"]["desa"]
        inside = [
            r
            for r in records
            if r["lokasi"]["kode_desa"].startswith(area + ".") or r["lokasi"]["kode_desa"] == area
        ]
        assert numbered(3)["id"] in [r["id"] for r in inside]
        check_against_store(out, inside)
    out = tmp_path / "both"
    export(source, out, "--desa", "62.71", "--status", "final")
    both = [
        r
        for r in records
        if r["lokasi"]["kode_desa"].startswith("62.71.") and r["status"] == "final"
    ]
    assert len(both) >= 11  # the hand-made final households
    check_against_store(out, both)
    unknown = source.fails("export", "--out", str(tmp_path / "x"), "--desa", "62.99.99.9999")
    assert "62.99.99.9999" in unknown.stderr and "tidak dikenal" in unknown.stderr


def test_cancelled_export_leaves_no_files(source, tmp_path, monkeypatch):
    import app.export.files as files

    monkeypatch.setattr(files, "PROGRESS_EVERY", 1)
    out = tmp_path / "out"
    with Store.open(source.data_dir, PASSPHRASE) as store:
        with pytest.raises(Cancelled):
            export_store(store, out, Options(), progress=lambda n: n < 3)
    assert list(out.iterdir()) == []


# ------------------------------------------------------------------------ import: bad input


def edit(path: Path, change) -> None:
    """Edits one file of an export and drops the manifest, as for a pair made by hand."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    change(rows)
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    (path.parent / "manifest.json").unlink(missing_ok=True)


def test_bad_cells_name_file_line_and_column_and_import_nothing(source, fresh, tmp_path):
    out = tmp_path / "out"
    export(source, out)
    records = stored(source)

    def bad_members(rows):
        col = rows[0].index("jenis_kelamin")
        rows[3][col] = "laki"  # line 4 (the header is line 1)

    def bad_households(rows):
        rows[2][rows[0].index("luas_lantai")] = "tiga puluh"
        rows[5][rows[0].index("diberikan")] = "ya"

    edit(out / "members.csv", bad_members)
    edit(out / "households.csv", bad_households)
    proc = fresh.fails("import", str(out))
    lines = proc.stderr.strip().splitlines()
    unfit = "isian tidak sesuai jenis pertanyaannya."
    assert f"members.csv baris 4: kolom jenis_kelamin: {unfit}" in lines
    assert f"households.csv baris 3: kolom luas_lantai: {unfit}" in lines
    assert f"households.csv baris 6: kolom diberikan: {unfit}" in lines
    assert "laki" not in proc.stderr and "tiga puluh" not in proc.stderr
    assert_no_personal_data(proc.stderr, records)
    assert fresh.status()["households"] == 0  # all or nothing
    with open(out / "members.csv", encoding="utf-8", newline="") as f:
        bad_household = list(csv.reader(f))[3][0]
    bad = {bad_household, records[1]["id"], records[4]["id"]}
    assert f"{len(bad)} baris bermasalah" in lines[-1]

    proc = fresh.ok("import", "--skip-invalid", str(out))
    assert f"{len(bad)} baris dilewati" in proc.stdout
    imported = {r["id"] for r in stored(fresh)}
    assert imported == {r["id"] for r in records} - bad


def test_a_short_member_row_keeps_its_household_out(source, fresh, tmp_path):
    """A member row that cannot be read must not let its household in without that member."""
    out = tmp_path / "out"
    export(source, out)
    records = stored(source)
    edit(out / "members.csv", lambda rows: rows[2].pop())
    with open(out / "members.csv", encoding="utf-8", newline="") as f:
        victim = list(csv.reader(f))[2][0]
    proc = fresh.fails("import", str(out))
    assert "members.csv baris 3: " in proc.stderr
    fresh.ok("import", "--skip-invalid", str(out))
    assert {r["id"] for r in stored(fresh)} == {r["id"] for r in records} - {victim}


def test_changed_or_cut_files_are_refused_by_the_manifest(source, fresh, tmp_path):
    out = tmp_path / "out"
    export(source, out)
    members = out / "members.csv"
    data = members.read_bytes()
    members.write_bytes(data[: len(data) // 2])  # cut short while copying
    proc = fresh.fails("import", str(out))
    assert "members.csv" in proc.stderr and "SHA-256" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    members.write_bytes(data.replace(b"Ilas", b"Ilaz", 1))
    assert "SHA-256" in fresh.fails("import", str(out)).stderr
    members.unlink()
    assert "members.csv" in fresh.fails("import", str(out)).stderr
    assert fresh.status()["households"] == 0


def test_broken_pairs_are_refused_in_one_line(source, fresh, tmp_path):
    out = tmp_path / "out"
    export(source, out)
    edit(out / "households.csv", lambda rows: rows[1].__setitem__(0, ""))  # no household id
    proc = fresh.fails("import", str(out))
    assert "households.csv baris 2: kolom household_id: " in proc.stderr
    members = (out / "members.csv").read_bytes()
    with open(out / "members.csv", "a", encoding="utf-8") as f:
        f.write('x,"' + "a" * 200_000 + '"\r\n')  # past the csv module's field limit
    proc = fresh.fails("import", str(out))
    line = members.count(b"\n") + 1  # the row appended, its second column (no_urut)
    assert proc.stderr.strip() == (
        f"khbs: Berkas members.csv baris {line}, kolom no_urut: isian lebih dari 131072 karakter"
        " (atau tanda kutip tidak ditutup). Tidak ada yang diimpor."
    )
    (out / "members.csv").write_bytes(members)
    (out / "households.csv").write_bytes("household_id,nama\n\xff".encode("latin-1"))
    assert "households.csv" in fresh.fails("import", str(out)).stderr
    assert fresh.status()["households"] == 0


def test_rule_errors_in_csv_name_the_file_and_carry_no_personal_data(source, fresh, tmp_path):
    out = tmp_path / "out"
    export(source, out)
    records = stored(source)

    def bad_nik(rows):
        col = rows[0].index("nik")
        rows[1][col] = rows[1][col][:12] + "0000"  # serial 0000 cannot be

    edit(out / "members.csv", bad_nik)
    proc = fresh.fails("import", str(out))
    assert any(line.startswith("households.csv baris ") for line in proc.stderr.splitlines())
    assert_no_personal_data(proc.stderr, records)
    assert fresh.status()["households"] == 0


def assert_no_personal_data(text: str, records: list[dict]) -> None:
    for rec in records:
        for value in (rec.get("no_kk"), (rec.get("lokasi") or {}).get("alamat")):
            assert not value or value not in text
        for m in rec["anggota"]:
            for value in (m.get("nik"), m.get("nama")):
                assert not value or len(value) < 4 or value not in text


# ------------------------------------------------------------------------ a real spreadsheet


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        message = "LibreOffice (soffice) is not installed; `make test` installs it"
        if in_ci():
            pytest.fail(message + "; CI is set, so this fails instead of skipping", pytrace=False)
        pytest.skip(message)
    return found


def through_libreoffice(csv_file: Path, work: Path) -> list[list[str]]:
    """Opens an --excel file in LibreOffice Calc as Excel users in Indonesia would (";",
    UTF-8, Indonesian locale) and saves it back as plain CSV, values as shown."""
    out = work / "lo-out"
    env = dict(os.environ, HOME=str(work / "lo-home"))
    proc = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{work / 'lo-profile'}",
            "--headless",
            "--infilter=CSV:59,34,76,1,,1057",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033",
            "--outdir",
            str(out),
            str(csv_file),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    converted = out / csv_file.name
    assert proc.returncode == 0 and converted.exists(), proc.stdout + proc.stderr
    with open(converted, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def number(text: str, decimal: str) -> float | None:
    try:
        value = float(text.replace(decimal, ".")) if text.strip() == text else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def test_excel_export_opens_in_libreoffice_with_the_right_cells(source, tmp_path):
    soffice()
    out = tmp_path / "out"
    export(source, out, "--excel")
    sheets = {}
    for name in ("households.csv", "members.csv"):
        header, rows = read(out / name, excel=True)
        sheet = sheets[name] = through_libreoffice(out / name, tmp_path)
        assert sheet[0] == header
        assert len(sheet) == len(rows) + 1
        for row, cells in zip(rows, sheet[1:], strict=True):
            assert len(cells) == len(header)
            for column, ours, theirs in zip(header, row.values(), cells, strict=True):
                value = number(ours, ",")
                if value is not None:  # RT "003" comes back as 3: see docs/export.md
                    assert math.isclose(float(theirs), value), (column, ours, theirs)
                else:  # text exactly, but Calc keeps a line break as LF only
                    assert theirs == ours.replace("\r\n", "\n").replace("\r", "\n"), (
                        column,
                        ours,
                        theirs,
                    )
    header = sheets["households.csv"][0]
    row = next(
        dict(zip(header, r, strict=True))
        for r in sheets["households.csv"]
        if r[0] == numbered(2)["id"]
    )
    assert float(row["luas_lantai"]) == 36.5 and float(row["lat"]) == -2.2136
    formula = next(
        dict(zip(header, r, strict=True))
        for r in sheets["households.csv"]
        if r[0] == numbered(10)["id"]
    )
    assert formula["alamat"] == "'" + TRICKY[0]  # shown as text, not run


def test_card_numbers_from_the_province_are_in_the_export(tmp_path):
    from app.store.outbox import apply_events

    data = tmp_path / "data"
    with Store.create(data, PASSPHRASE, kdf=FAST_KDF) as store:
        for n in (1, 2):
            store.save(numbered(n))
        hid = numbered(1)["id"]
        apply_events(
            store,
            [
                {
                    "type": "status",
                    "household_id": hid,
                    "revision": 1,
                    "status": "verified",
                    "card_number": "KHBS-0001",
                }
            ],
            cursor=1,
        )
        export_store(store, tmp_path / "out")
    _, rows = read(tmp_path / "out" / "households.csv")
    cards = {r["household_id"]: r["nomor_kartu"] for r in rows}
    assert cards == {hid: "KHBS-0001", numbered(2)["id"]: ""}
