"""DTSEN candidate lists: `khbs-server assignments import FILE.csv` (issue 6).

One row per member, header `no_kk,nik,nama,hubungan,jenis_kelamin,tanggal_lahir,kode_desa,
alamat`; rows with the same no_kk form one household. The whole file is read and checked
before anything is stored: every problem names its line and column. The checks are the
questionnaire's own (app/rules.py on the pre-filled household as a draft), plus what only a
whole file can show: a NIK in two families, one KK in two desa.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, select

from app import questionnaire as q
from app import regions, rules
from app.csvread import MAX_CELL, CsvUnreadable, records
from app.i18n import tr
from sync.protocol import content_hash
from sync.server import repo
from sync.server.db import (
    candidates,
    handovers,
    household_versions,
    households,
    officer_areas,
    utc_now,
)
from sync.server.keys import ServerKeys
from sync.server.privacy import withdrawn_kk

HEADER = (
    "no_kk",
    "nik",
    "nama",
    "hubungan",
    "jenis_kelamin",
    "tanggal_lahir",
    "kode_desa",
    "alamat",
)
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
        where = (
            tr("assign.where", lang, line=self.line, column=self.column)
            if self.column
            else tr("assign.where_line", lang, line=self.line)
        )
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
        for line, row in members:
            nik = row["nik"]
            if nik in nik_lines:
                out.problems.append(
                    Problem(line, "nik", "assign.nik_twice", {"other": nik_lines[nik]})
                )
            else:
                nik_lines[nik] = line
    out.problems.sort(key=lambda p: (p.line, p.column))
    return out


def _rows(path: Path, problems: list[Problem]) -> list[tuple[int, dict]]:
    """The file's member rows by line. A file that stops parsing part way (not UTF-8, a cell
    past the csv module's limit, a quote never closed) gives one problem on its line and no
    rows at all: a family cut off there must not look complete."""
    out: list[tuple[int, dict]] = []
    try:
        found = records(path)
        first = next(found, None)
        header = [h.strip().lower() for h in (first.cells if first else [])]
        missing = [c for c in HEADER if c not in header]
        extra = [h for h in header if h not in HEADER]
        if missing or extra or len(set(header)) != len(header):
            problems.append(Problem(1, "", "assign.header", {"expected": ",".join(HEADER)}))
            return []
        for record in found:
            row, line = record.cells, record.line
            if not any(cell.strip() for cell in row):
                continue
            if len(out) >= MAX_ROWS:
                problems.append(Problem(line, "", "assign.too_many", {"max": MAX_ROWS}))
                break
            if len(row) != len(header):
                problems.append(Problem(line, "", "assign.width", {"n": len(header)}))
                continue
            cells: dict[str, str | bool] = {h: c.strip() for h, c in zip(header, row, strict=True)}
            cells[_OK] = _cells_ok(line, cells, problems)
            out.append((line, cells))
        return out
    except CsvUnreadable as exc:
        problems.append(
            Problem(exc.line, exc.column.strip().lower(), f"assign.{exc.reason}", {"max": MAX_CELL})
        )
    except OSError:
        problems.append(Problem(1, "", "assign.unreadable"))
    return []


def _cells_ok(line: int, cells: dict, problems: list[Problem]) -> bool:
    ok = True
    for column in HEADER:
        if cells[column] == "":
            problems.append(Problem(line, column, "rule.required"))
            ok = False
    for column in INTEGER_COLUMNS:
        if cells[column] and not _small_number(cells[column]):
            problems.append(Problem(line, column, "rule.type"))
            ok = False
    desa = cells["kode_desa"]
    if desa and "." not in desa and desa.isascii() and desa.isdigit():
        cells["kode_desa"] = regions.dotted(desa)
    if ok and not regions.is_desa(cells["kode_desa"]):
        problems.append(Problem(line, "kode_desa", "rule.desa_unknown"))
        ok = False
    elif ok and not regions.within(cells["kode_desa"], [regions.PROVINCE]):
        problems.append(Problem(line, "kode_desa", "rule.desa_outside_area"))
        ok = False
    return ok


def _small_number(text: str) -> bool:
    # ASCII digits only (str.isdigit() takes "²", which int() refuses), and short: a code.
    return text.isascii() and text.isdigit() and len(text) <= 9


def _candidate(no_kk: str, members: list[tuple[int, dict]], problems: list[Problem]) -> Candidate:
    first_line, first = members[0]
    for line, row in members[1:]:
        for column in ("kode_desa", "alamat"):
            if row[column] != first[column]:
                problems.append(
                    Problem(line, column, "assign.family_differs", {"line": first_line})
                )
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
        line = (
            candidate.lines[member]
            if member is not None and member < len(candidate.lines)
            else candidate.lines[0]
        )
        column = str(issue.path[-1]) if issue.path and issue.path[-1] in HEADER else ""
        problems.append(
            Problem(
                line,
                column,
                f"rule.{issue.code}",
                dict(issue.params),
                warning=issue.severity != rules.ERROR,
            )
        )


# -- into the database ------------------------------------------------------------------------


@dataclass
class ImportSummary:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    members: int = 0
    unassigned: dict[str, int] = field(default_factory=dict)  # desa -> families no officer covers
    skipped: int = 0  # families left out for errors (--skip-invalid)
    withdrawn: int = 0  # families who withdrew consent: flagged, not sent (docs/privacy.md)

    def as_dict(self) -> dict:
        return {
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "members": self.members,
            "unassigned": dict(sorted(self.unassigned.items())),
            "skipped": self.skipped,
            "withdrawn": self.withdrawn,
        }


def officer_for(desa: str, coverage: list[tuple[str, str]]) -> str | None:
    """The officer whose area holds the desa most closely (desa over kecamatan over regency);
    None when nobody covers it or two officers cover it equally (the province decides)."""
    best: list[tuple[int, str]] = []
    for area, officer in coverage:
        if regions.within(desa, [area]):
            best.append((len(area), officer))
    if not best:
        return None
    best.sort(reverse=True)
    top = [o for depth, o in best if depth == best[0][0]]
    return top[0] if len(set(top)) == 1 else None


def import_candidates(
    conn: Connection, keys: ServerKeys, found: CandidateFile, *, clock=utc_now
) -> ImportSummary:
    """Store the file's valid families in one transaction (the caller's; whether to go on when
    some are not is the caller's choice: --skip-invalid). A family already imported with the
    same rows is left alone, so importing the same file twice changes nothing; changed rows
    make a new revision for its officer."""
    now = clock()
    summary = ImportSummary(
        skipped=len(found.candidates) - len(found.valid()) + found.invalid_families
    )
    coverage = [
        (r.area_code, r.officer_id)
        for r in conn.execute(select(officer_areas.c.area_code, officer_areas.c.officer_id))
    ]
    for candidate in found.valid():
        summary.members += len(candidate.record[q.MEMBERS])
        kk_key_id, kk_token = keys.blind_token("kk", candidate.no_kk)
        if withdrawn_kk(conn, kk_key_id, kk_token):  # needs a new consent, not a new visit
            summary.withdrawn += 1
            continue
        _, listed = content_hash(candidate.record)
        row = conn.execute(
            select(candidates).where(
                candidates.c.kk_key_id == kk_key_id, candidates.c.kk_token == kk_token
            )
        ).first()
        if row is not None and bytes(row.dtsen_hash) == listed:
            summary.unchanged += 1
            continue
        desa = candidate.kode_desa
        officer = officer_for(desa, coverage)
        if officer is None:
            summary.unassigned[desa] = summary.unassigned.get(desa, 0) + 1
        hid = row.id if row is not None else str(uuid.uuid4())
        revision = row.revision + 1 if row is not None else 1
        record = dict(candidate.record, id=hid, verifikasi={"sumber": 1})
        plaintext, digest = content_hash(q.canonical(record))
        key_id, sealed = keys.seal_candidate(hid, revision, digest, plaintext)
        values = dict(
            kode_desa=desa,
            kode_kab=desa[:5],
            officer_id=officer,
            revision=revision,
            content_hash=digest,
            key_id=key_id,
            content=sealed,
            dtsen_hash=listed,
            updated_at=now,
        )
        if row is None:
            conn.execute(
                candidates.insert().values(
                    id=hid, kk_key_id=kk_key_id, kk_token=kk_token, imported_at=now, **values
                )
            )
            summary.new += 1
        else:
            conn.execute(candidates.update().where(candidates.c.id == hid).values(**values))
            summary.changed += 1
            if row.officer_id and row.officer_id != officer:
                if officer is not None:
                    conn.execute(
                        households.update().where(households.c.id == hid).values(officer_id=officer)
                    )
                _release(conn, hid, row.officer_id, now)
        if officer is not None:
            repo.append_change(
                conn,
                "assignment",
                officer_id=officer,
                revision=revision,
                detail={"candidate": hid},
                clock=lambda: now,
            )
    return summary


def reassign(conn: Connection, *, clock=utc_now) -> dict[str, int]:
    """After officers or their areas change: every candidate goes to the officer now covering
    its desa. The previous officer's laptops get a release (and may still push their edits),
    the new officer's get the household. Returns {"moved": n, "unassigned": m}."""
    now = clock()
    coverage = [
        (r.area_code, r.officer_id)
        for r in conn.execute(select(officer_areas.c.area_code, officer_areas.c.officer_id))
    ]
    moved = unassigned = 0
    rows = conn.execute(
        select(
            candidates.c.id, candidates.c.kode_desa, candidates.c.officer_id, candidates.c.revision
        )
    ).all()
    for row in rows:
        officer = officer_for(row.kode_desa, coverage)
        unassigned += officer is None
        if officer == row.officer_id:
            continue
        moved += 1
        conn.execute(
            candidates.update()
            .where(candidates.c.id == row.id)
            .values(officer_id=officer, updated_at=now)
        )
        if officer is not None:
            conn.execute(
                households.update().where(households.c.id == row.id).values(officer_id=officer)
            )
            repo.append_change(
                conn,
                "assignment",
                officer_id=officer,
                revision=row.revision,
                detail={"candidate": row.id},
                clock=lambda: now,
            )
        if row.officer_id is not None:
            _release(conn, row.id, row.officer_id, now)
    return {"moved": moved, "unassigned": unassigned}


def _release(conn: Connection, hid: str, officer_id: str, now) -> None:
    """Tell the previous officer's laptops to give the household up (once its edits are sent),
    and let them still push it (handovers)."""
    key = (handovers.c.household_id == hid) & (handovers.c.from_officer_id == officer_id)
    if conn.execute(select(handovers.c.at).where(key)).first() is None:
        conn.execute(
            handovers.insert().values(household_id=hid, from_officer_id=officer_id, at=now)
        )
    repo.append_change(
        conn, "assignment", officer_id=officer_id, detail={"release": hid}, clock=lambda: now
    )


# -- to the laptop ----------------------------------------------------------------------------


@dataclass
class CandidateContent:
    officer_id: str | None
    revision: int  # what the laptop compares: grows with every change the province makes
    base_revision: int  # the household's revision at the province (0: never pushed)
    plaintext: bytes  # canonical JSON of the record the laptop starts from


def candidate_for(conn: Connection, keys: ServerKeys, hid: str) -> CandidateContent | None:
    """What a laptop gets for a pre-filled household: the list's version, or, once an officer
    has pushed it (a reassignment), the province's latest version, as a draft to check."""
    row = conn.execute(select(candidates).where(candidates.c.id == hid)).first()
    if row is None:
        return None
    plaintext = keys.open_candidate(
        row.key_id, hid, row.revision, bytes(row.content_hash), bytes(row.content)
    )
    current = conn.execute(
        select(
            households.c.revision,
            household_versions.c.key_id,
            household_versions.c.content_hash,
            household_versions.c.content,
        )
        .join(
            household_versions,
            (household_versions.c.household_id == households.c.id)
            & (household_versions.c.revision == households.c.revision)
            & (household_versions.c.content_hash == households.c.content_hash),
        )
        .where(households.c.id == hid)
    ).first()
    base = 0  # the laptop's revision R is candidate + household revision: both only grow
    if current is not None:
        base = current.revision
        pushed = json.loads(
            keys.open_content(
                current.key_id,
                hid,
                current.revision,
                bytes(current.content_hash),
                bytes(current.content),
            )
        )
        plaintext, _ = content_hash(q.canonical(dict(pushed, status="draft")))
    return CandidateContent(row.officer_id, row.revision + base, base, plaintext)


# -- what the officers changed ----------------------------------------------------------------

# Answers the field adds on purpose to a listed family: reported even where the list had none.
VERIFICATION_ANSWERS = {"keberadaan_keluarga", "catatan_verifikasi", q.PRESENCE, q.OUTCOME}


@dataclass
class ListChange:
    household_id: str
    kode_desa: str
    changes: list  # app.verification.Difference: the list's value (mine) -> the officer's


def changes_against_list(
    conn: Connection, keys: ServerKeys, *, desa: str | None = None, household_id: str | None = None
) -> list[ListChange]:
    """For each listed household an officer has sent back: what differs from the DTSEN list
    (a listed answer changed or removed, a member added or gone, the verification result).
    Answers the list never had (the dwelling, assets ...) are new, not changes."""
    from app.verification import diff

    query = (
        select(
            candidates,
            households.c.revision.label("h_revision"),
            household_versions.c.key_id.label("h_key_id"),
            household_versions.c.content_hash.label("h_hash"),
            household_versions.c.content.label("h_content"),
        )
        .join(households, households.c.id == candidates.c.id)
        .join(
            household_versions,
            (household_versions.c.household_id == households.c.id)
            & (household_versions.c.revision == households.c.revision)
            & (household_versions.c.content_hash == households.c.content_hash),
        )
        .order_by(candidates.c.kode_desa, candidates.c.id)
    )
    if household_id:
        query = query.where(candidates.c.id == household_id)
    if desa:
        query = query.where(
            (candidates.c.kode_desa == desa) | candidates.c.kode_desa.like(desa + ".%")
        )
    out = []
    for row in conn.execute(query):
        listed = json.loads(
            keys.open_candidate(
                row.key_id, row.id, row.revision, bytes(row.content_hash), bytes(row.content)
            )
        )
        sent = json.loads(
            keys.open_content(
                row.h_key_id, row.id, row.h_revision, bytes(row.h_hash), bytes(row.h_content)
            )
        )
        found = [
            d
            for d in diff(listed, sent)
            if d.mine is not None or d.whole_member or d.path[-1] in VERIFICATION_ANSWERS
        ]
        out.append(ListChange(row.id, row.kode_desa, found))
    return out
