"""KHBS card numbers (issue 15, docs/supervision.md "Card numbers").

    62RR-YYYY-NNNNNNN-CC

62 is Central Kalimantan, RR the regency or city (Kemendagri code: 71 is Palangka Raya), YYYY
the year of issue, NNNNNNN a serial counted per regency and year from 1, CC two check digits,
ISO 7064 MOD 97-10 over the 15 digits before them (the scheme of the IBAN). MOD 97-10 catches
every single wrong digit and every swap of two neighbouring digits, which Luhn does not fully
(it misses 09<->90), and most other errors; its two digits never need a letter, unlike MOD 11's
"X". 20 characters, within sync.protocol.CARD_NUMBER.

Unique province-wide: the regency and year are in the number, and the serials of one regency
and year come from one counter row (`counters`, name card:RR:YYYY) that only a transaction
holding the regency's advisory lock touches. The lock is held for the whole issuing transaction,
so two server processes issuing at once for the same regency take turns, and the second finds
the first one's households already carded. The unique card number column backs this up.

Cards are issued for verified households without a card, in bulk (filter, preview count, then
issue); each household's laptop is told by a `status` event carrying the number, as before. A
lost or damaged card is replaced by a new number; the old one stays in `cards` with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection, Row, bindparam, func, insert, select, update

from app import regions
from sync.server import ServerError, UnknownHousehold, repo
from sync.server.audit import audit
from sync.server.db import advisory_lock, cards, counters, households, utc_now
from sync.server.review import reason_codes
from sync.server.scope import Scope

Clock = Callable[[], datetime]
NUMBER_RE = re.compile(r"62(\d{2})-(\d{4})-(\d{7})-(\d{2})")
ISSUERS = ("province", "regency")
MAX_SERIAL = 9_999_999


class CardsNotAllowed(ServerError):
    """A supervisor: cards are a regency's or the province's work."""

    key = "cards.not_allowed"


class AreaOutsideScope(ServerError):
    key = "cards.outside_scope"


class NoCardToReplace(ServerError):
    key = "cards.none_to_replace"


class SerialsExhausted(ServerError):
    key = "cards.exhausted"


class PreviewChanged(ServerError):
    """The count confirmed in the preview is not the count now: nothing is issued."""

    key = "cards.preview_changed"


# -- the number ----------------------------------------------------------------------------------


def check_digits(digits: str) -> str:
    """ISO 7064 MOD 97-10: the two digits that make int(digits + CC) % 97 == 1."""
    return f"{98 - int(digits + '00') % 97:02d}"


def card_number(kode_kab: str, year: int, serial: int) -> str:
    """card_number("62.71", 2026, 1) == "6271-2026-0000001-CC"."""
    rr = kode_kab.split(".")[1]
    digits = f"62{rr}{year:04d}{serial:07d}"
    return f"62{rr}-{year:04d}-{serial:07d}-{check_digits(digits)}"


def is_valid(number: str) -> bool:
    """A number in this format whose check digits are right (typing errors are caught)."""
    m = NUMBER_RE.fullmatch(number.strip())
    if m is None:
        return False
    return int("62" + "".join(m.groups())) % 97 == 1


# -- scope ---------------------------------------------------------------------------------------


def issuing_scope(scope: Scope, regency: str | None = None, desa: str | None = None) -> Scope:
    """The part of the user's scope to issue in; refused for supervisors and for an area
    outside the scope (another regency's cards)."""
    if scope.role not in ISSUERS:
        raise CardsNotAllowed()
    for area in (regency, desa):
        if area and (not scope.covers(area) or _unknown(area)):
            raise AreaOutsideScope(area=repo.shown(area))
        if area:
            scope = scope.narrow(area)
    return scope


def _unknown(area: str) -> bool:
    """No such region: refused as one outside the scope is (the console: 404)."""
    return area != regions.PROVINCE and regions.name(area) is None


def _waiting(view: Scope) -> list:
    return [
        households.c.status == "verified",
        households.c.card_number.is_(None),
        view.where(households.c.kode_desa),
    ]


def preview(
    conn: Connection, scope: Scope, *, regency: str | None = None, desa: str | None = None
) -> dict[str, int]:
    """Households that would get a card now, by regency."""
    view = issuing_scope(scope, regency, desa)
    rows = conn.execute(
        select(households.c.kode_kab, func.count())
        .where(*_waiting(view))
        .group_by(households.c.kode_kab)
        .order_by(households.c.kode_kab)
    )
    return {kab: n for kab, n in rows}


# -- issuing -------------------------------------------------------------------------------------


def _serials(conn: Connection, kode_kab: str, year: int, n: int) -> int:
    """Reserve n serials for the regency and year; returns the first. Hold the regency's lock."""
    name = f"card:{kode_kab}:{year}"
    row = conn.execute(
        update(counters)
        .where(counters.c.name == name)
        .values(value=counters.c.value + n)
        .returning(counters.c.value)
    ).first()
    if row is None:
        conn.execute(insert(counters).values(name=name, value=n))
        last = n
    else:
        last = row.value
    if last > MAX_SERIAL:
        raise SerialsExhausted(regency=kode_kab, year=year)
    return last - n + 1


def _lock(conn: Connection, kode_kab: str) -> None:
    advisory_lock(conn, f"khbs/cards/{kode_kab}")


@dataclass
class Issued:
    by_regency: dict[str, int] = field(default_factory=dict)
    cards: list[tuple[str, str]] = field(default_factory=list)  # (household id, card number)
    dry_run: bool = False

    @property
    def count(self) -> int:
        return sum(self.by_regency.values())

    def as_dict(self) -> dict:
        return {
            "count": self.count,
            "by_regency": self.by_regency,
            "dry_run": self.dry_run,
            "cards": [{"household_id": h, "card_number": c} for h, c in self.cards],
        }


def issue(
    conn: Connection,
    scope: Scope,
    actor: str,
    *,
    regency: str | None = None,
    desa: str | None = None,
    dry_run: bool = False,
    expected: int | None = None,
    clock: Clock = utc_now,
) -> Issued:
    """Cards for every verified household without one in the filter, numbered in desa order.
    `expected`: the count the user confirmed in the preview; if it changed meanwhile nothing
    is issued (PreviewChanged) and they look again. One transaction: all or nothing."""
    view = issuing_scope(scope, regency, desa)
    if dry_run:
        return Issued(preview(conn, scope, regency=regency, desa=desa), dry_run=True)
    now = clock()
    out = Issued()
    regencies = [
        kab for kab in conn.scalars(select(households.c.kode_kab).where(*_waiting(view)).distinct())
    ]
    waiting: dict[str, Sequence[Row]] = {}
    for kab in sorted(regencies):  # one order for every process: no deadlock between locks
        _lock(conn, kab)
        waiting[kab] = conn.execute(  # read after the lock: an earlier issuer has committed
            select(
                households.c.id,
                households.c.officer_id,
                households.c.revision,
                households.c.status_reason,
            )
            .where(*_waiting(view), households.c.kode_kab == kab)
            .order_by(households.c.kode_desa, households.c.id)
        ).all()
    count = sum(len(rows) for rows in waiting.values())
    if expected is not None and expected != count:
        raise PreviewChanged(expected=expected, count=count)
    events: list[dict] = []
    for kab, rows in waiting.items():
        if not rows:
            continue
        first = _serials(conn, kab, now.year, len(rows))
        made = [(r, card_number(kab, now.year, first + i)) for i, r in enumerate(rows)]
        conn.execute(
            insert(cards),
            [
                {
                    "card_number": number,
                    "household_id": r.id,
                    "kode_kab": kab,
                    "issued_by": actor[:64],
                    "issued_at": now,
                }
                for r, number in made
            ],
        )
        conn.execute(  # one executemany
            update(households)
            .where(households.c.id == bindparam("hid"), households.c.card_number.is_(None))
            .values(card_number=bindparam("number"), status_at=now),
            [{"hid": r.id, "number": number} for r, number in made],
        )
        for r, number in made:
            detail = {"status": "verified", "card_number": number}
            if r.status_reason:
                detail["reason"] = r.status_reason
            events.append(
                {
                    "kind": "status",
                    "officer_id": r.officer_id,
                    "household_id": r.id,
                    "revision": r.revision,
                    "detail": detail,
                    "at": now,
                }
            )
            out.cards.append((r.id, number))
        out.by_regency[kab] = len(rows)
    repo.append_changes(conn, events)
    if out.count:
        audit(
            conn,
            actor,
            "cards.issue",
            {"regency": regency, "desa": desa, "count": out.count, "by_regency": out.by_regency},
        )
    return out


def reissue(
    conn: Connection,
    scope: Scope,
    actor: str,
    household_id: str,
    reason: str,
    *,
    clock: Clock = utc_now,
) -> dict:
    """A new card for a lost or damaged one: the old number stays in the history, replaced."""
    if reason not in reason_codes()["reissue"]:
        from sync.server.review import BadReason

        raise BadReason(codes=", ".join(reason_codes()["reissue"]))
    view = issuing_scope(scope)
    row = conn.execute(
        select(
            households.c.id,
            households.c.kode_kab,
            households.c.card_number,
            households.c.officer_id,
            households.c.revision,
            households.c.status,
            households.c.status_at,
        ).where(households.c.id == household_id, view.where(households.c.kode_desa))
    ).first()
    if row is None:
        raise UnknownHousehold(household_id=repo.shown(household_id))
    if row.card_number is None or row.status != "verified":
        raise NoCardToReplace()
    _lock(conn, row.kode_kab)
    now = clock()
    old = row.card_number
    kept = conn.execute(select(cards.c.card_number).where(cards.c.card_number == old)).first()
    if kept is None:  # a number set by hand (`household status --card`) joins the history
        conn.execute(
            insert(cards).values(
                card_number=old,
                household_id=household_id,
                kode_kab=row.kode_kab,
                issued_by="unknown",
                issued_at=row.status_at,
            )
        )
    conn.execute(
        update(cards)
        .where(cards.c.card_number == old)
        .values(replaced_at=now, replaced_reason=reason)
    )
    number = card_number(row.kode_kab, now.year, _serials(conn, row.kode_kab, now.year, 1))
    conn.execute(
        insert(cards).values(
            card_number=number,
            household_id=household_id,
            kode_kab=row.kode_kab,
            issued_by=actor[:64],
            issued_at=now,
        )
    )
    done = repo.set_household_status(
        conn, household_id, "verified", card_number=number, clock=lambda: now
    )
    out = {
        "household_id": household_id,
        "card_number": number,
        "replaced": old,
        "reason": reason,
        "revision": done["revision"],
    }
    audit(conn, actor, "cards.reissue", out | {"officer_id": row.officer_id})
    return out


@dataclass(frozen=True)
class Card:
    card_number: str
    issued_at: datetime
    issued_by: str
    replaced_at: datetime | None
    replaced_reason: str | None


def history(conn: Connection, scope: Scope, household_id: str) -> list[Card]:
    """Every card the household has had, oldest first."""
    found = conn.execute(
        select(households.c.id).where(
            households.c.id == household_id, scope.where(households.c.kode_desa)
        )
    ).first()
    if found is None:
        raise UnknownHousehold(household_id=repo.shown(household_id))
    return [
        Card(r.card_number, r.issued_at, r.issued_by, r.replaced_at, r.replaced_reason)
        for r in conn.execute(
            select(cards)
            .where(cards.c.household_id == household_id)
            .order_by(cards.c.issued_at, cards.c.card_number)
        )
    ]


# -- the print list ------------------------------------------------------------------------------

PRINT_COLUMNS = [
    "nomor_kartu",
    "id",
    "kode_desa",
    "nama_desa",
    "no_kk",
    "nama_kepala_keluarga",
    "alamat",
    "tanggal_terbit",
]


def print_list(
    conn: Connection,
    keys,
    scope: Scope,
    actor: str,
    out: Path,
    *,
    regency: str | None = None,
    desa: str | None = None,
    since: datetime | None = None,
) -> int:
    """The cards to print as one CSV in the export's Excel-ID layout (app/export/files.py:
    `;`, BOM, CRLF, formula cells neutralised), created readable by its owner only. Current
    cards of the filter, issued at or after `since`. Returns the number of rows; audited."""
    from app.export.files import open_private

    tmp = out.with_name(out.name + ".part")
    with open_private(tmp) as raw:
        n = write_print_list(conn, keys, scope, actor, raw, regency=regency, desa=desa, since=since)
    tmp.replace(out)
    return n


def write_print_list(
    conn: Connection,
    keys,
    scope: Scope,
    actor: str,
    raw: BinaryIO,
    *,
    regency: str | None = None,
    desa: str | None = None,
    since: datetime | None = None,
) -> int:
    """The print list into an open binary stream (a private file, or the console's download
    built in memory: never a temporary file). Returns the number of rows; audited."""
    import json

    from app import questionnaire as q
    from app.export.cells import neutralise
    from app.export.files import CsvOut

    view = issuing_scope(scope, regency, desa)
    from sync.server.db import household_versions

    query = (
        select(
            cards.c.card_number,
            cards.c.issued_at,
            households.c.id,
            households.c.kode_desa,
            households.c.revision,
            household_versions.c.key_id,
            household_versions.c.content_hash,
            household_versions.c.content,
        )
        .join(households, households.c.card_number == cards.c.card_number)
        .join(
            household_versions,
            (household_versions.c.household_id == households.c.id)
            & (household_versions.c.revision == households.c.revision)
            & (household_versions.c.content_hash == households.c.content_hash),
        )
        .where(view.where(households.c.kode_desa), cards.c.replaced_at.is_(None))
        .order_by(households.c.kode_desa, cards.c.card_number)
    )
    if since is not None:
        query = query.where(cards.c.issued_at >= since)
    n = 0
    csv_out = CsvOut(raw, PRINT_COLUMNS, excel=True)
    for r in conn.execute(query):
        record = json.loads(
            keys.open_content(r.key_id, r.id, r.revision, bytes(r.content_hash), bytes(r.content))
        )
        members = record.get(q.MEMBERS) or []
        head = next(
            (m for m in members if m.get(q.RELATION) == q.HEAD), members[0] if members else {}
        )
        location = record.get(q.LOCATION) or {}
        row = [
            r.card_number,
            r.id,
            r.kode_desa,
            regions.name(r.kode_desa) or "",
            str(record.get(q.KK) or ""),
            str(head.get(q.NAME) or ""),
            str(location.get("alamat") or ""),
            r.issued_at.strftime("%d-%m-%Y"),
        ]
        csv_out.write_rows([[neutralise(c) for c in row]])
        n += 1
    audit(conn, actor, "cards.print_list", {"regency": regency, "desa": desa, "count": n})
    return n
