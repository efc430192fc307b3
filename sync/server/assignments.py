"""DTSEN candidate lists: `khbs-server assignments import FILE.csv` (issue 6).

One row per member, header `no_kk,nik,nama,hubungan,jenis_kelamin,tanggal_lahir,kode_desa,
alamat`; rows with the same no_kk form one household. The whole file is read and checked
before anything is stored: every problem names its line and column. The checks are the
questionnaire's own (app/rules.py on the pre-filled household as a draft), plus what only a
whole file can show: a NIK in two families, one KK in two desa.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from app import questionnaire as q
from app import regions, rules
from app.i18n import tr

HEADER = ("no_kk", "nik", "nama", "hubungan", "jenis_kelamin", "tanggal_lahir", "kode_desa",
          "alamat")
MEMBER_COLUMNS = ("nik", "nama", "hubungan", "jenis_kelamin", "tanggal_lahir")
INTEGER_COLUMNS = ("hubungan", "jenis_kelamin")
MAX_ROWS = 2_000_000
_OK = "\0ok"  # marks a row whose cells could be read
CHECK_ID = "00000000-0000-4000-8000-000000000000"  # a stand-in id while the rules run


@dataclass
class Problem:
    line: int
    column: str  # "" for the whole row
    key: str  # message key (resources/messages.json) or rule.<code>
    params: dict = field(default_factory=dict)
    warning: bool = False

    def message(self, lang: str | None = None) -> str:
        text = tr(self.key, lang, **self.params)
        where = tr("assign.where", lang, line=self.line, column=self.column) if self.column \
            else tr("assign.where_line", lang, line=self.line)
        return f"{where}: {text}"


@dataclass
class Candidate:
    """One DTSEN family as a pre-filled draft household (no id yet)."""

    no_kk: str
    record: dict
    lines: list[int]  # the member rows, in order

    @property
    def kode_desa(self) -> str:
        return self.record[q.LOCATION][q.DESA]


@dataclass
class CandidateFile:
    candidates: list[Candidate] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    invalid_families: int = 0  # families with a row that could not be read at all

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    def valid(self) -> list[Candidate]:
        """The households without errors (--skip-invalid); a family with one bad row is left
        out whole."""
        bad = {p.line for p in self.errors}
        return [c for c in self.candidates if not bad & set(c.lines)]


def read_candidates(path: Path, *, today: date | None = None) -> CandidateFile:
    out = CandidateFile()
    rows = _rows(Path(path), out.problems)
    families: dict[str, list[tuple[int, dict]]] = {}
    for line, row in rows:
        families.setdefault(row["no_kk"], []).append((line, row))
    nik_lines: dict[str, int] = {}
    for no_kk, members in families.items():
        if not all(row[_OK] for _, row in members):
            out.invalid_families += 1  # a family is imported whole or not at all
            continue
        candidate = _candidate(no_kk, members, out.problems)
        out.candidates.append(candidate)
        _check(candidate, today or date.today(), out.problems)
        for (line, row) in members:
            nik = row["nik"]
            if nik in nik_lines:
                out.problems.append(Problem(line, "nik", "assign.nik_twice",
                                            {"other": nik_lines[nik]}))
            else:
                nik_lines[nik] = line
    out.problems.sort(key=lambda p: (p.line, p.column))
    return out


def _rows(path: Path, problems: list[Problem]) -> list[tuple[int, dict]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            first = f.readline()
            f.seek(0)
            if first.startswith("\ufeff"):
                f.read(1)
            delimiter = ";" if first.count(";") > first.count(",") else ","
            reader = csv.reader(f, delimiter=delimiter)
            header = [h.strip().lower() for h in next(reader, [])]
            missing = [c for c in HEADER if c not in header]
            extra = [h for h in header if h not in HEADER]
            if missing or extra or len(set(header)) != len(header):
                problems.append(Problem(1, "", "assign.header",
                                        {"expected": ",".join(HEADER)}))
                return []
            out = []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                line = reader.line_num
                if len(out) >= MAX_ROWS:
                    problems.append(Problem(line, "", "assign.too_many", {"max": MAX_ROWS}))
                    break
                if len(row) != len(header):
                    problems.append(Problem(line, "", "assign.width", {"n": len(header)}))
                    continue
                cells = {h: c.strip() for h, c in zip(header, row)}
                cells[_OK] = _cells_ok(line, cells, problems)
                out.append((line, cells))
            return out
    except UnicodeDecodeError:
        problems.append(Problem(1, "", "assign.not_utf8"))
        return []


def _cells_ok(line: int, cells: dict, problems: list[Problem]) -> bool:
    ok = True
    for column in HEADER:
        if cells[column] == "":
            problems.append(Problem(line, column, "rule.required"))
            ok = False
    for column in INTEGER_COLUMNS:
        if cells[column] and not cells[column].isdigit():
            problems.append(Problem(line, column, "rule.type"))
            ok = False
    desa = cells["kode_desa"]
    if desa and "." not in desa and desa.isdigit():
        cells["kode_desa"] = regions.dotted(desa)
    if ok and not regions.is_desa(cells["kode_desa"]):
        problems.append(Problem(line, "kode_desa", "rule.desa_unknown"))
        ok = False
    elif ok and not regions.within(cells["kode_desa"], [regions.PROVINCE]):
        problems.append(Problem(line, "kode_desa", "rule.desa_outside_area"))
        ok = False
    return ok


def _candidate(no_kk: str, members: list[tuple[int, dict]], problems: list[Problem]) -> Candidate:
    first_line, first = members[0]
    for line, row in members[1:]:
        for column in ("kode_desa", "alamat"):
            if row[column] != first[column]:
                problems.append(Problem(line, column, "assign.family_differs",
                                        {"line": first_line}))
    record = {
        "schema_version": q.schema_version(),
        "id": "",
        "status": "draft",
        q.KK: no_kk,
        q.LOCATION: {q.DESA: first["kode_desa"], "alamat": first["alamat"]},
        q.MEMBERS: [
            {c: int(row[c]) if c in INTEGER_COLUMNS else row[c] for c in MEMBER_COLUMNS}
            for _, row in members
        ],
    }
    return Candidate(no_kk, q.canonical(record), [line for line, _ in members])


def _check(candidate: Candidate, today: date, problems: list[Problem]) -> None:
    """The questionnaire's rules on the family as a draft; each issue on its member's line."""
    record = dict(candidate.record, id=CHECK_ID, **{q.VISIT_DATE: today.isoformat()})
    context = rules.Context(household_id=CHECK_ID, assigned_areas=[regions.PROVINCE], today=today)
    for issue in rules.check(record, context, final=False).issues:
        member = issue.member
        line = candidate.lines[member] if member is not None and member < len(candidate.lines) \
            else candidate.lines[0]
        column = str(issue.path[-1]) if issue.path and issue.path[-1] in HEADER else ""
        problems.append(Problem(line, column, f"rule.{issue.code}", dict(issue.params),
                                warning=issue.severity != rules.ERROR))
