"""What the console's pages show: plain functions over a Connection, each taking the user's
Scope and applying it in the SQL that reads the rows (never by filtering rows afterwards). A
household outside the scope is not found, exactly like one that does not exist.

    dashboard          counts by regency, kecamatan, desa (drill-down), officers, per day
    list_households    one page of households, filtered by area, status, officer, dates
    find_by_number     households holding a NIK or KK, through the blind index
    household          one household, opened: answers, revisions, warnings, conflicts
    open_household     the audit entry that must be written before a household is shown

Identity numbers in lists are masked (region + last 4 digits, app/export's mask) and names are
initials; only `household` returns the full record, and only after `open_household`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, and_, func, literal, select

from app import dates, regions
from app import questionnaire as q
from app.crypto import DecryptError
from app.export.cells import YES_NO, general, mask
from app.export.layout import questions, roster
from app.i18n import tr
from sync.server import ServerError, counts, questionnaires
from sync.server.admins import audit
from sync.server.audit import entries
from sync.server.console.users import names_of
from sync.server.db import (
    blind_index,
    desa_counts,
    devices,
    duplicate_counts,
    duplicates,
    household_versions,
    households,
    listed_counts,
    officer_areas,
    officer_counts,
    officer_day_counts,
    officers,
)
from sync.server.keys import ServerKeys
from sync.server.repo import STATUSES
from sync.server.scope import Scope

PAGE = 50
DAYS = 14  # the per-day chart
DASHBOARD_OFFICERS = 25
WIB = counts.WIB  # Central Kalimantan's time: days start at midnight WIB
OPEN_ACTION = "console.household_open"
SEARCH_ACTION = "console.search"
REASONS = ("verification", "duplicate", "card", "request", "correction", "oversight", "other")
MAX_NOTE = 200


class NotFound(ServerError):
    """Not there, or not in the user's scope: the same answer for both."""

    key = "console.not_found"


class ReasonMissing(ServerError):
    key = "console.reason_missing"


class BadNumber(ServerError):
    key = "console.number_bad"


# -- areas ------------------------------------------------------------------------------------


def area_name(code: str) -> str:
    return regions.name(code) or code


def view_scope(scope: Scope, area: str | None) -> Scope:
    """The part of the user's scope an `area` parameter asks for; NotFound outside it."""
    if not area:
        return scope
    if not isinstance(area, str) or len(area) > 13 or not scope.overlaps(area):
        raise NotFound()
    if area != regions.PROVINCE and regions.name(area) is None:
        raise NotFound()  # no such area: the same answer as one outside the scope
    narrowed = scope.narrow(area)
    if not narrowed.areas:
        raise NotFound()
    return narrowed


def _level_rows(view: Scope) -> tuple[str | None, list[str]]:
    """(the area the rows are inside, the row codes): the children of a single area, or the
    scope's own areas when it has several."""
    if len(view.areas) == 1:
        only = view.areas[0]
        below = regions.children(only)
        return only, list(below) if below else [only]
    return None, list(view.areas)


def _row_of(code: str, rows: list[str]) -> str | None:
    for row in rows:
        if code == row or code.startswith(row + "."):
            return row
    return None


# -- dashboard --------------------------------------------------------------------------------


COUNT_FIELDS = ("listed", "received", "verified", "rejected", "cards", "duplicates", "conflicts")


@dataclass
class Counts:
    listed: int = 0  # DTSEN families on the list (candidates)
    received: int = 0  # households received final
    verified: int = 0
    rejected: int = 0
    cards: int = 0
    duplicates: int = 0  # households with an open duplicate warning
    conflicts: int = 0

    def add(self, other: Counts) -> None:  # field by field: called per desa and officer
        self.listed += other.listed
        self.received += other.received
        self.verified += other.verified
        self.rejected += other.rejected
        self.cards += other.cards
        self.duplicates += other.duplicates
        self.conflicts += other.conflicts


@dataclass(frozen=True)
class AreaRow:
    code: str
    name: str
    counts: Counts
    deeper: bool  # a desa has nothing below it


@dataclass(frozen=True)
class OfficerRow:
    id: str
    name: str
    areas: tuple[str, ...]
    devices: int
    last_upload: datetime | None
    this_week: int
    households: int


@dataclass(frozen=True)
class Dashboard:
    area: str | None  # what the rows are inside (None: the user's several areas)
    title: str  # its name ("" for the whole province or several areas)
    trail: list[tuple[str, str]]  # (code, name) from the user's top to here
    rows: list[AreaRow]
    total: Counts
    officers: list[OfficerRow]
    days: list[tuple[date, int]]
    officer_count: int


@dataclass(frozen=True)
class Sent:
    """An officer's households inside a view: all, first received since a moment, newest."""

    households: int = 0
    recent: int = 0
    last: datetime | None = None


def _day_bounds(now: datetime) -> tuple[date, list[datetime]]:
    """The chart's first day, and the DAYS + 1 midnights (WIB, as UTC) around its days."""
    first = now.astimezone(WIB).date() - timedelta(days=DAYS - 1)
    return first, [_day_start(first + timedelta(days=i)) for i in range(DAYS + 1)]


def _prefix(codes: list[str]) -> int | None:
    """The length of the row codes when they are all of one level (the children of one area),
    so the database sums desa into them; None: rows of several levels, summed here."""
    lengths = {len(code) for code in codes}
    return lengths.pop() if len(lengths) == 1 else None


def _scan(
    conn: Connection, view: Scope, now: datetime, length: int | None = None
) -> tuple[dict[str, Counts], dict[str, Sent], list[tuple[date, int]]]:
    """From the progress counts (sync/server/counts.py), never the households themselves: the
    counts by area (the desa's first `length` characters; None: by desa), each officer's
    households in the view (all, first received in the last 7 WIB days including today, the
    newest content's time), and the households first received on each of the last DAYS days
    (WIB), oldest first."""
    counts.fold(conn)
    by_area: dict[str, Counts] = {}
    found = counts.by_area(conn, view.where(desa_counts.c.kode_desa), length)
    for area, (received, verified, rejected, cards, conflicts) in found.items():
        by_area[area] = Counts(0, received, verified, rejected, cards, 0, conflicts)
    o, d = officer_counts.c, officer_day_counts.c
    first, _ = _day_bounds(now)
    week = counts.week_start(now)
    recent = dict(
        conn.execute(
            select(d.officer_id, func.sum(d.households))
            .where(view.where(d.kode_desa), d.day >= week)
            .group_by(d.officer_id)
        ).all()
    )
    rows = conn.execute(
        select(o.officer_id, func.sum(o.households), func.max(o.last_at))
        .where(view.where(o.kode_desa))
        .group_by(o.officer_id)
    ).all()
    by_officer = {p: Sent(int(n), int(recent.get(p) or 0), _aware(t)) for p, n, t in rows if n or t}
    per_day = {
        _as_date(day): int(n)
        for day, n in conn.execute(
            select(d.day, func.sum(d.households))
            .where(view.where(d.kode_desa), d.day >= first)
            .group_by(d.day)
        )
    }
    chart = [first + timedelta(days=i) for i in range(DAYS)]
    return by_area, by_officer, [(day, per_day.get(day, 0)) for day in chart]


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _add_lists(
    conn: Connection, view: Scope, found: dict[str, Counts], length: int | None = None
) -> dict[str, Counts]:
    """Households with an open duplicate warning and DTSEN list rows, by area (as _scan), into
    `found`, from their counts (folded by _scan)."""
    where = view.where(duplicate_counts.c.kode_desa)
    for code, n in counts.open_duplicates(conn, where, length).items():
        found.setdefault(code, Counts()).duplicates = n
    for code, n in counts.listed(conn, view.where(listed_counts.c.kode_desa), length).items():
        found.setdefault(code, Counts()).listed = n
    return found


def _trail(scope: Scope, area: str | None) -> list[tuple[str, str]]:
    """Breadcrumbs below the user's own top: each level down to `area` the user may see whole."""
    if not area:
        return []
    parts = area.split(".")
    codes = [".".join(parts[:i]) for i in range(2, len(parts) + 1)]
    return [(code, area_name(code)) for code in codes if scope.covers(code)]


def dashboard(conn: Connection, scope: Scope, area: str | None, *, now: datetime) -> Dashboard:
    view = view_scope(scope, area)
    inside, codes = _level_rows(view)
    length = _prefix(codes)
    by_area, sent, days = _scan(conn, view, now, length)
    _add_lists(conn, view, by_area, length)
    rows: dict[str, Counts] = {code: Counts() for code in codes}
    total = Counts()
    for code, found in by_area.items():
        total.add(found)
        row = _row_of(code, codes) or code  # a code the region list does not know: its own row
        rows.setdefault(row, Counts()).add(found)
    area_rows = [
        AreaRow(code, area_name(code), rows[code], code.count(".") < 3) for code in sorted(rows)
    ]
    people = officers_in(conn, view, now=now, sent=sent)
    title = area_name(inside) if inside and inside != regions.PROVINCE else ""
    return Dashboard(
        inside,
        title,
        _trail(scope, area),
        area_rows,
        total,
        quietest(people),
        days,
        len(people),
    )


def quietest(people: list[OfficerRow], limit: int = DASHBOARD_OFFICERS) -> list[OfficerRow]:
    """The officers to chase first, for a dashboard that stays small (a province has hundreds):
    never uploaded, then the longest since their last upload; the rest are on the officers
    page. A short list keeps its order by name."""
    if len(people) <= limit:
        return people
    never = datetime.min.replace(tzinfo=UTC)
    return sorted(people, key=lambda o: (o.last_upload or never, o.name))[:limit]


def officers_in(
    conn: Connection, view: Scope, *, now: datetime, sent: dict[str, Sent] | None = None
) -> list[OfficerRow]:
    """Officers whose areas overlap the view: their active devices, and the households they
    sent that lie in the view (all, received in the last 7 days, the newest content's time).
    `sent`: those counts when the caller has them already (_scan)."""
    ids = select(officer_areas.c.officer_id).where(view.where_overlaps(officer_areas.c.area_code))
    people = conn.execute(
        select(officers.c.id, officers.c.name)
        .where(officers.c.id.in_(ids))
        .order_by(officers.c.name, officers.c.id)
    ).all()
    if not people:
        return []
    areas: dict[str, list[str]] = {}
    for officer_id, code in conn.execute(
        select(officer_areas.c.officer_id, officer_areas.c.area_code)
        .where(officer_areas.c.officer_id.in_(ids))  # a subquery, not a list of ids: one plan
        .order_by(officer_areas.c.area_code)
    ):
        areas.setdefault(officer_id, []).append(code)
    device_count: dict[str, int] = dict(
        conn.execute(
            select(devices.c.officer_id, func.count())
            .where(devices.c.officer_id.in_(ids), devices.c.revoked_at.is_(None))
            .group_by(devices.c.officer_id)
        ).all()
    )
    if sent is None:
        sent = _scan(conn, view, now)[1]
    return [
        OfficerRow(
            p.id,
            p.name,
            tuple(areas.get(p.id, ())),
            device_count.get(p.id, 0),
            sent.get(p.id, Sent()).last,
            sent.get(p.id, Sent()).recent,
            sent.get(p.id, Sent()).households,
        )
        for p in people
    ]


def _aware(moment) -> datetime | None:
    """A max() over a time column comes back as the driver gives it (text on SQLite)."""
    if moment is None or isinstance(moment, datetime):
        return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(moment)).replace(tzinfo=UTC)


# -- lists ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    area: str | None = None  # a desa, kecamatan or regency inside the scope
    status: str | None = None
    officer: str | None = None
    since: date | None = None  # received on or after (WIB)
    until: date | None = None  # received on or before (WIB)

    def query(self) -> dict:
        """The filters as URL parameters (none of them is personal data)."""
        out = {
            "area": self.area,
            "status": self.status,
            "officer": self.officer,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class ListRow:
    id: str
    kode_desa: str
    desa: str
    kk: str  # masked: region and last 4 digits
    head: str  # initials
    members: int | None
    status: str
    reason: str | None
    card: bool
    duplicate: bool
    conflict: bool
    officer: str
    received_at: datetime
    damaged: bool = False
    rt_rw: tuple[str, str] | None = None  # as the household's heading shows it


@dataclass(frozen=True)
class Page:
    rows: list[ListRow]
    total: int
    page: int
    pages: int


def initials(name: object) -> str:
    """'Yohanes Ilas' -> 'Y. I.': enough to tell two rows apart, not to name anyone."""
    parts = [p for p in str(name or "").split() if p[:1].isalpha()]
    return " ".join(p[0].upper() + "." for p in parts[:4]) or "-"


def masked_kk(record: dict) -> str:
    kk = record.get(q.KK)
    return mask(kk) if isinstance(kk, str) and kk else "-"


def head_initials(record: dict) -> str:
    return initials((q.head(record) or {}).get(q.NAME))


def rt_rw(record: dict) -> tuple[str, str] | None:
    """(RT, RW) of the record's location, "-" for one missing; None without either."""
    place = record.get(q.LOCATION)
    place = place if isinstance(place, dict) else {}
    if place.get("rt") or place.get("rw"):
        return (str(place.get("rt") or "-"), str(place.get("rw") or "-"))
    return None


def _current_versions():
    h, v = households, household_versions
    return h.join(
        v,
        and_(
            v.c.household_id == h.c.id,
            v.c.revision == h.c.revision,
            v.c.content_hash == h.c.content_hash,
        ),
    )


def _list_select():
    h = households
    open_dupe = (
        select(literal(1))
        .select_from(duplicates)
        .where(duplicates.c.household_id == h.c.id, duplicates.c.cleared_at.is_(None))
        .exists()
    )
    return select(
        h.c.id,
        h.c.kode_desa,
        h.c.revision,
        h.c.content_hash,
        h.c.status,
        h.c.status_reason,
        h.c.card_number,
        h.c.conflict,
        h.c.received_at,
        officers.c.name.label("officer"),
        household_versions.c.key_id,
        household_versions.c.content,
        open_dupe.label("duplicate"),
    ).select_from(_current_versions().join(officers, officers.c.id == h.c.officer_id))


def _list_rows(keys: ServerKeys, rows) -> list[ListRow]:
    out = []
    for r in rows:
        record, damaged = {}, False
        try:
            record = json.loads(
                keys.open_content(
                    r.key_id, r.id, r.revision, bytes(r.content_hash), bytes(r.content)
                )
            )
        except (DecryptError, ValueError):
            damaged = True
        members = len(q.members(record)) if record else None
        out.append(
            ListRow(
                r.id,
                r.kode_desa,
                area_name(r.kode_desa),
                masked_kk(record),
                head_initials(record),
                members,
                r.status,
                r.status_reason,
                r.card_number is not None,
                bool(r.duplicate),
                bool(r.conflict),
                r.officer,
                r.received_at,
                damaged,
                rt_rw(record) if record else None,
            )
        )
    return out


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), WIB).astimezone(UTC)


def list_households(
    conn: Connection, keys: ServerKeys, scope: Scope, filters: Filters, page: int = 1
) -> Page:
    """One page of households, newest first. An area or officer outside the scope is
    NotFound, as an unknown one is."""
    h = households
    view = view_scope(scope, filters.area)
    where = [view.where(h.c.kode_desa)]
    if filters.status:
        if filters.status not in STATUSES:
            raise NotFound()
        where.append(h.c.status == filters.status)
    if filters.officer:
        if not any(o.id == filters.officer for o in officer_choices(conn, view)):
            raise NotFound()
        where.append(h.c.officer_id == filters.officer)
    if filters.since:
        where.append(h.c.received_at >= _day_start(filters.since))
    if filters.until:
        where.append(h.c.received_at < _day_start(filters.until + timedelta(days=1)))
    total = conn.execute(select(func.count()).select_from(h).where(*where)).scalar_one()
    pages = max(1, -(-total // PAGE))
    page = min(max(1, page), pages)
    rows = conn.execute(
        _list_select()
        .where(*where)
        .order_by(h.c.received_at.desc(), h.c.id)
        .limit(PAGE)
        .offset((page - 1) * PAGE)
    ).all()
    return Page(_list_rows(keys, rows), total, page, pages)


@dataclass(frozen=True)
class Choice:
    id: str
    name: str


def officer_choices(conn: Connection, view: Scope) -> list[Choice]:
    ids = select(officer_areas.c.officer_id).where(view.where_overlaps(officer_areas.c.area_code))
    rows = conn.execute(
        select(officers.c.id, officers.c.name)
        .where(officers.c.id.in_(ids))
        .order_by(officers.c.name, officers.c.id)
    )
    return [Choice(r.id, r.name) for r in rows]


def area_choices(scope: Scope) -> list[Choice]:
    """Areas the user may filter the list by: each of theirs and two levels below it (for the
    province: regencies and their kecamatan; desa come from drilling down on the dashboard)."""
    out: list[Choice] = []
    for top in scope.areas:
        if top != regions.PROVINCE:
            out.append(Choice(top, area_name(top)))
        for code in regions.children(top):
            out.append(Choice(code, area_name(code)))
            if top == regions.PROVINCE or top.count(".") == 1:
                out += [Choice(c, area_name(c)) for c in regions.children(code)]
    return out


def number_digits(text: str) -> str:
    """A typed NIK or KK: 16 digits once spaces, dots and dashes are gone; BadNumber
    otherwise (the message never repeats what was typed)."""
    digits = "".join(c for c in str(text) if c not in " .-\t")
    if len(digits) != 16 or not digits.isdigit():
        raise BadNumber()
    return digits


def find_by_number(
    conn: Connection, keys: ServerKeys, scope: Scope, number: str, actor: str
) -> list[ListRow]:
    """Households in the scope holding this NIK or KK (blind-index tokens of the active index
    key; the number itself is neither stored nor logged). The search is audited with how many
    were found and their ids."""
    digits = number_digits(number)
    tokens = [keys.blind_token(kind, digits) for kind in ("nik", "kk")]
    h = households
    held = select(blind_index.c.household_id).where(
        blind_index.c.key_id == tokens[0][0], blind_index.c.token.in_([t for _, t in tokens])
    )
    rows = conn.execute(
        _list_select()
        .where(h.c.id.in_(held), scope.where(h.c.kode_desa))
        .order_by(h.c.received_at.desc(), h.c.id)
        .limit(PAGE)
    ).all()
    found = _list_rows(keys, rows)
    audit(conn, actor, SEARCH_ACTION, {"found": len(found), "household_ids": [r.id for r in found]})
    return found


# -- one household ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Brief:
    """What the reason form shows: nothing personal."""

    id: str
    kode_desa: str
    desa: str
    status: str


def brief(conn: Connection, scope: Scope, household_id: str) -> Brief:
    if not isinstance(household_id, str) or len(household_id) > 36:
        raise NotFound()
    row = conn.execute(
        select(households.c.id, households.c.kode_desa, households.c.status).where(
            households.c.id == household_id, scope.where(households.c.kode_desa)
        )
    ).first()
    if row is None:
        raise NotFound()
    return Brief(row.id, row.kode_desa, area_name(row.kode_desa), row.status)


def open_household(
    conn: Connection, scope: Scope, household_id: str, reason: str, note: str, actor: str
) -> None:
    """The audit entry (who, which household, why) written before the household is shown;
    commit it before rendering. NotFound outside the scope (then nothing is written)."""
    brief(conn, scope, household_id)
    note = " ".join("".join(c if c.isprintable() else " " for c in str(note)).split())
    note = note[:MAX_NOTE]
    if reason not in REASONS or (reason == "other" and not note):
        raise ReasonMissing()
    detail = {"household_id": household_id, "reason": reason}
    if note:
        detail["note"] = note
    audit(conn, actor, OPEN_ACTION, detail)


@dataclass(frozen=True)
class Line:
    label: str
    code: str  # the stored code of a coded or yes/no answer; "" for others
    text: str  # the code's label, the answer itself (text, numbers), a date as DD-MM-YYYY


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[Line]


@dataclass(frozen=True)
class Revision:
    revision: int
    content_hash: str
    received_at: datetime
    device_id: str
    current: bool
    conflict: bool  # another content was received for the same revision


@dataclass(frozen=True)
class Warning:
    key: str
    code: str
    message: str
    where: str


@dataclass(frozen=True)
class Duplicate:
    kind: str
    other_id: str
    visible: bool  # the other household is in the user's scope too


@dataclass(frozen=True)
class Access:
    at: datetime
    who: str
    reason: str
    note: str


@dataclass
class HouseholdView:
    id: str
    kode_desa: str
    desa: str
    officer: str
    status: str
    reason: str | None
    card: str | None
    conflict: bool
    revision: int
    received_at: datetime
    updated_at: datetime
    damaged: bool
    # What the page's title shows: no more than the list does (masked KK, initials), so a
    # browser's history or a shared screen's tab keeps nothing more.
    kk: str = "-"
    head: str = "-"
    rt_rw: tuple[str, str] | None = None  # in the heading, with the whole record below it
    sections: list[Section] = field(default_factory=list)
    members: list[Section] = field(default_factory=list)
    revisions: list[Revision] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    accesses: list[Access] = field(default_factory=list)


def _line(question, value, lang: str) -> Line | None:
    if q.is_empty(value):
        return None
    label = q.text_of(question.spec, "x-label", lang) or question.name
    if question.kind in ("code", "yesno", "multi"):
        cells = general(question.kind, question.spec, value, lang=lang, excel=False, masked=False)
        return Line(label, cells[0], cells[1])
    if isinstance(value, bool):
        return Line(label, "1" if value else "0", YES_NO[value].get(lang, ""))
    if isinstance(value, list):
        return Line(label, "", " ".join(str(v) for v in value))
    if isinstance(value, dict):
        return Line(label, "", json.dumps(value, ensure_ascii=False))
    if question.spec.get("format") in ("date", dates.PARTIAL_FORMAT):
        return Line(label, "", dates.shown(value))  # DD-MM-YYYY, as the officer typed it
    return Line(label, "", str(value))  # text and numbers: the answer itself


def _value_at(node: object, path: tuple) -> object:
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def answer_sections(record: dict, lang: str) -> tuple[list[Section], list[Section]]:
    """(household sections, one section per member) with the questionnaire's own labels; a
    question without an answer is left out. The record's own questionnaire version (registered
    by questionnaires.published)."""
    schema = q.schema_for(record)
    sections: dict[str, list[Line]] = {}
    titles: dict[str, str] = {}
    for question in questions(schema):
        if question.path[0] == q.ACKNOWLEDGED:
            continue
        group = question.path[0] if len(question.path) > 1 else ""
        if group not in titles:
            titles[group] = (
                q.label((group,), lang) if group else tr("console.household_section", lang)
            )
        line = _line(question, _value_at(record, question.path), lang)
        if line is not None:
            sections.setdefault(group, []).append(line)
    household_sections = [Section(titles[g], lines) for g, lines in sections.items()]
    _, member_schema = roster(schema)
    member_questions = list(questions(member_schema))
    members = []
    for i, member in enumerate(q.members(record), start=1):
        lines = [
            line
            for question in member_questions
            if (line := _line(question, _value_at(member, question.path), lang))
        ]
        members.append(Section(tr("console.member_title", lang, n=i), lines))
    return household_sections, members


def _warnings(record: dict, lang: str) -> list[Warning]:
    """The warnings the officer acknowledged (`peringatan_diterima`: code@path)."""
    found = record.get(q.ACKNOWLEDGED)
    out = []
    for key in found if isinstance(found, list) else []:
        if not isinstance(key, str):
            continue
        code, _, where = key.partition("@")
        try:
            message = tr(f"rule.{code}", lang)
        except (KeyError, IndexError):
            message = code
        out.append(Warning(key, code, message, _where(where, lang)))
    return out


def _where(path: str, lang: str) -> str:
    parts = tuple(int(p) if p.isdigit() else p for p in path.split("/") if p)
    if len(parts) >= 3 and isinstance(parts[1], int):
        return tr(
            "console.member_field",
            lang,
            n=parts[1] + 1,
            field=q.label((parts[0], parts[1], *parts[2:]), lang),
        )
    return q.label(parts, lang) if parts else ""


def household(
    conn: Connection, keys: ServerKeys, scope: Scope, household_id: str, lang: str
) -> HouseholdView:
    """The whole household, opened. Call open_household (and commit) first."""
    h = households
    row = conn.execute(
        select(
            h,
            officers.c.name.label("officer"),
            household_versions.c.key_id,
            household_versions.c.content,
        )
        .select_from(_current_versions().join(officers, officers.c.id == h.c.officer_id))
        .where(h.c.id == household_id, scope.where(h.c.kode_desa))
    ).first()
    if row is None:
        raise NotFound()
    record, damaged = {}, False
    try:
        record = json.loads(
            keys.open_content(
                row.key_id, row.id, row.revision, bytes(row.content_hash), bytes(row.content)
            )
        )
    except (DecryptError, ValueError):
        damaged = True
    view = HouseholdView(
        row.id,
        row.kode_desa,
        area_name(row.kode_desa),
        row.officer,
        row.status,
        row.status_reason,
        row.card_number,
        bool(row.conflict),
        row.revision,
        row.received_at,
        row.updated_at,
        damaged,
    )
    if record:
        view.kk, view.head = masked_kk(record), head_initials(record)
        view.rt_rw = rt_rw(record)
        questionnaires.published(conn)  # the versions a record may be of
        view.sections, view.members = answer_sections(record, lang)
        view.warnings = _warnings(record, lang)
    versions = conn.execute(
        select(
            household_versions.c.revision,
            household_versions.c.content_hash,
            household_versions.c.received_at,
            household_versions.c.device_id,
        )
        .where(household_versions.c.household_id == household_id)
        .order_by(household_versions.c.revision.desc(), household_versions.c.received_at)
    ).all()
    per_revision = Counter(v.revision for v in versions)
    view.revisions = [
        Revision(
            v.revision,
            bytes(v.content_hash).hex()[:12],
            v.received_at,
            v.device_id,
            v.revision == row.revision and bytes(v.content_hash) == bytes(row.content_hash),
            per_revision[v.revision] > 1,
        )
        for v in versions
    ]
    others = conn.execute(
        select(
            duplicates.c.kind,
            duplicates.c.other_household_id,
            scope.where(households.c.kode_desa).label("visible"),
        )
        .select_from(
            duplicates.join(households, households.c.id == duplicates.c.other_household_id)
        )
        .where(duplicates.c.household_id == household_id, duplicates.c.cleared_at.is_(None))
        .order_by(duplicates.c.kind, duplicates.c.other_household_id)
    ).all()
    view.duplicates = [Duplicate(d.kind, d.other_household_id, bool(d.visible)) for d in others]
    view.accesses = accesses(conn, scope, household_id, lang)
    return view


def accesses(
    conn: Connection, scope: Scope, household_id: str, lang: str, limit: int = 20
) -> list[Access]:
    """Who opened this household in the console, newest first (audit.entries, by its
    household_id column)."""
    found = entries(conn, scope, action=OPEN_ACTION, household_id=household_id, limit=limit)
    names = names_of(conn, {e.actor for e in found})
    out = []
    for e in found:
        reason = str(e.detail.get("reason", ""))
        label = tr(f"console.reason.{reason}", lang) if reason in REASONS else reason
        out.append(Access(e.at, names.get(e.actor, e.actor), label, str(e.detail.get("note", ""))))
    return out
