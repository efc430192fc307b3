"""DTSEN candidate lists read and checked before import (sync/server/assignments.py): every
problem on its line and column, families whole or not at all."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app import questionnaire as q
from sync.server.assignments import HEADER, read_candidates
from tests.records import numbered


def rows_of(n: int) -> list[dict]:
    """The candidate rows of sample household n, as the province's file holds them."""
    rec = numbered(n)
    return [
        {
            "no_kk": rec["no_kk"],
            "nik": m["nik"],
            "nama": m["nama"],
            "hubungan": m["hubungan"],
            "jenis_kelamin": m["jenis_kelamin"],
            "tanggal_lahir": m["tanggal_lahir"],
            "kode_desa": rec["lokasi"]["kode_desa"],
            "alamat": rec["lokasi"]["alamat"],
        }
        for m in rec["anggota"]
    ]


def write(path: Path, rows: list[dict], *, header=HEADER, delimiter=",", bom=False) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(header), delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)
    return path


def test_a_clean_file_gives_one_prefilled_draft_per_kk(tmp_path):
    rows = rows_of(1) + rows_of(2)
    got = read_candidates(write(tmp_path / "c.csv", rows, delimiter=";", bom=True))
    assert got.problems == [] or all(p.warning for p in got.problems)
    assert [c.no_kk for c in got.valid()] == [numbered(1)["no_kk"], numbered(2)["no_kk"]]
    first = got.candidates[0]
    assert first.lines == [2, 3, 4]
    assert first.record["status"] == "draft"
    assert first.record[q.LOCATION] == {
        "kode_desa": rows[0]["kode_desa"],
        "alamat": rows[0]["alamat"],
    }
    assert [m["nik"] for m in first.record[q.MEMBERS]] == [r["nik"] for r in rows_of(1)]
    assert first.record[q.MEMBERS][0]["hubungan"] == 1  # codes as numbers, like the form


def test_every_problem_names_line_and_column_and_spoils_only_its_family(tmp_path):
    good, bad_nik, bad_code, other_desa = rows_of(1), rows_of(2), rows_of(3), rows_of(4)
    bad_nik[1]["nik"] = bad_nik[1]["nik"][:12] + "0000"  # serial 0000: an invalid NIK
    bad_code[2]["hubungan"] = "anak"
    other_desa[1]["kode_desa"] = "62.71.01.1001"
    twice = rows_of(5)
    twice[0]["nik"] = good[0]["nik"]  # one person in two families
    got = read_candidates(write(tmp_path / "c.csv", good + bad_nik + bad_code + other_desa + twice))
    errors = {(p.line, p.column): p.message("en") for p in got.errors}
    assert (6, "nik") in errors  # row 2 of family 2: header + 3 + 2
    assert errors[(10, "hubungan")] == "line 10, column hubungan: wrong kind of answer."
    assert (12, "kode_desa") in errors and "line 11" in errors[(12, "kode_desa")]
    assert errors[(14, "nik")] == "line 14, column nik: the same NIK is already on line 2."
    assert [c.no_kk for c in got.valid()] == [numbered(1)["no_kk"]]
    assert all(good[0]["nik"] not in m and "Yohanes" not in m for m in errors.values())


TYPO = tuple("tgl_lahir" if h == "tanggal_lahir" else h for h in HEADER)


@pytest.mark.parametrize("header", [HEADER[:-1], (*HEADER, "extra"), TYPO])
def test_a_wrong_header_is_one_problem_on_line_1(tmp_path, header):
    rows = [{k: v for k, v in r.items() if k in header} for r in rows_of(1)]
    got = read_candidates(write(tmp_path / "c.csv", rows, header=header))
    assert [(p.line, p.key) for p in got.problems] == [(1, "assign.header")]
    assert got.candidates == []


def test_a_nul_in_a_name_is_refused_on_its_line_and_column(tmp_path):
    rows = rows_of(1) + rows_of(2)
    rows[4]["nama"] = "Rosmiati\x00Ilas"  # line 6: family 2, member 2
    got = read_candidates(write(tmp_path / "c.csv", rows))
    assert [(p.line, p.column, p.key) for p in got.errors] == [(6, "nama", "rule.control_char")]
    assert (
        got.errors[0]
        .message("en")
        .startswith("line 6, column nama: holds the control character U+0000")
    )
    assert [c.no_kk for c in got.valid()] == [numbered(1)["no_kk"]]


def test_a_50_mb_cell_is_one_problem_with_line_and_column_and_no_rows(tmp_path):
    path = write(tmp_path / "c.csv", rows_of(1))
    with open(path, "a", encoding="utf-8", newline="") as f:
        f.write(
            '6271030101100002,6271031204800002,"' + "a" * 50_000_000 + '",1,1,1980-04-12,'
            "62.71.03.1001,Jl. Rajawali\r\n"
        )
    got = read_candidates(path)
    assert [(p.line, p.column, p.key) for p in got.problems] == [(5, "nama", "assign.too_long")]
    assert got.problems[0].message("en") == (
        "line 5, column nama: a cell longer than 131072 "
        "characters (or a quote never closed); the file was "
        "not read further."
    )
    assert got.candidates == [] and got.valid() == []  # nothing, not the families before it


def test_a_quote_never_closed_and_bytes_not_utf8_name_their_line(tmp_path):
    path = write(tmp_path / "c.csv", rows_of(1) + rows_of(2))
    text = path.read_text("utf-8").splitlines(keepends=True)
    path.write_text("".join(text[:3]) + '"' + "".join(text[3:]) * 30_000, encoding="utf-8")
    got = read_candidates(path)
    assert [(p.line, p.key) for p in got.problems] == [(4, "assign.too_long")]
    assert got.candidates == []
    raw = b"".join(line.encode() for line in text[:5]) + b"Jos\xe9," + text[5].encode()
    path.write_bytes(raw)
    got = read_candidates(path)
    assert [(p.line, p.column, p.key) for p in got.problems] == [(6, "", "assign.not_utf8")]
    assert got.candidates == []
