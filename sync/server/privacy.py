"""Data minimisation at the province (docs/privacy.md): the retention settings laptops get with
each pull, erasure with a tombstone (a withdrawal of consent, or the province's own retention
period), and what a lost laptop exposed. Plain functions over a Connection inside the caller's
transaction, like repo.py; every change is audited (audit.py) with ids and codes only.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update

from app import questionnaire as q
from app.crypto import DecryptError
from app.policy import DEFAULT_RETENTION_DAYS
from sync.protocol import MAX_SKEW_S, REJECTED, VERIFIED, SettingsEvent
from sync.server import ServerError, UnknownDevice, UnknownHousehold, repo
from sync.server.attachments import Storage, forget_files
from sync.server.audit import audit
from sync.server.db import (
    attachment_uploads,
    attachments,
    blind_index,
    candidates,
    cards,
    case_decisions,
    changes,
    devices,
    duplicate_cases,
    duplicates,
    handovers,
    household_versions,
    households,
    privacy_settings,
    request_nonces,
    review_rounds,
    rights_requests,
    tombstones,
    utc_now,
)
from sync.server.keys import ServerKeys
from sync.server.scope import Scope

LAPTOP_DAYS = "laptop_retention_days"
PROVINCE_DAYS = "province_retention_days"
# Households of families who left the program (status rejected) are minimised after this many
# days unless the province sets its own period (`khbs-server retention province-days`): five
# years, the span aid records are commonly kept for audit (*unverified*: set it from the
# regulation the province follows).
DEFAULT_PROVINCE_DAYS = 5 * 365
DEFAULTS = {LAPTOP_DAYS: DEFAULT_RETENTION_DAYS, PROVINCE_DAYS: DEFAULT_PROVINCE_DAYS}
MAX_DAYS = 3650
WITHDRAWAL, RETENTION = "withdrawal", "retention"
CATEGORIES = ("identity", "health", "children")
ADULT = 18


class BadDays(ServerError):
    key = "privacy.bad_days"


def moment(at: datetime | None) -> str | None:
    """A timestamp as the wire carries it (ISO 8601, UTC, 'Z')."""
    if at is None:
        return None
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- settings -----------------------------------------------------------------------------------


def days(conn: Connection, name: str) -> int:
    value = conn.execute(
        select(privacy_settings.c.value).where(privacy_settings.c.name == name)
    ).scalar()
    return int(value) if value is not None else DEFAULTS[name]


def set_days(conn: Connection, name: str, value: int, actor: str, *, clock=utc_now) -> None:
    if not 0 <= value <= MAX_DAYS:
        raise BadDays(maximum=MAX_DAYS)
    now = clock()
    where = privacy_settings.c.name == name
    if conn.execute(select(privacy_settings.c.name).where(where)).first():
        conn.execute(update(privacy_settings).where(where).values(value=str(value), updated_at=now))
    else:
        conn.execute(insert(privacy_settings).values(name=name, value=str(value), updated_at=now))
    audit(conn, actor, "privacy.settings", {"name": name, "days": value})


def settings_changed_at(conn: Connection, name: str) -> datetime | None:
    return conn.execute(
        select(privacy_settings.c.updated_at).where(privacy_settings.c.name == name)
    ).scalar()


def settings_event(conn: Connection) -> SettingsEvent:
    return SettingsEvent(None, days(conn, LAPTOP_DAYS))


# -- erasure ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tombstone:
    household_id: str
    kode_desa: str
    basis: str
    erased_at: datetime
    laptops_told: int  # officers whose laptops get an `erase` event


def erase(
    conn: Connection,
    household_id: str,
    basis: str,
    actor: str,
    *,
    storage: Storage | None,
    scope: Scope | None = None,
    clock=utc_now,
) -> Tombstone:
    """Erase a household's personal data at the province: every version, its blind-index
    tokens, duplicate marks and cases (with their decisions), review rounds (their sealed
    comments), cards, photos and signatures (rows and the sealed files in `storage`), change
    events and DTSEN list entry; leave a tombstone (id, desa, card number, date, basis, the KK's
    token) and tell every laptop that may hold it (an `erase` event for its officer and earlier
    officers). UnknownHousehold outside the scope.

    The files go before the transaction commits: should it then fail, the household is still
    there without its photos, and erasing it again finishes the job. `storage` None: only when
    the caller has no attachment storage (a household with attachments is then refused)."""
    scope = scope or Scope.province()
    row = conn.execute(
        select(households).where(
            households.c.id == household_id, scope.where(households.c.kode_desa)
        )
    ).first()
    if row is None:
        raise UnknownHousehold(household_id=repo.shown(household_id))
    kk = conn.execute(
        select(blind_index.c.key_id, blind_index.c.token).where(
            blind_index.c.household_id == household_id, blind_index.c.kind == "kk"
        )
    ).first()
    officer_ids = {row.officer_id}
    officer_ids |= set(
        conn.execute(
            select(handovers.c.from_officer_id).where(handovers.c.household_id == household_id)
        ).scalars()
    )
    listed = or_(candidates.c.id == household_id)
    if kk is not None:
        listed = or_(
            candidates.c.id == household_id,
            and_(candidates.c.kk_key_id == kk.key_id, candidates.c.kk_token == bytes(kk.token)),
        )
    officer_ids |= {
        o for o in conn.execute(select(candidates.c.officer_id).where(listed)).scalars() if o
    }
    now = clock()
    held = list(
        conn.execute(
            select(attachments.c.id).where(attachments.c.household_id == household_id)
        ).scalars()
    )
    uploading = list(
        conn.execute(
            select(attachment_uploads.c.id).where(attachment_uploads.c.household_id == household_id)
        ).scalars()
    )
    if (held or uploading) and storage is None:
        raise ValueError("erase: attachments but no storage to remove them from")
    cases = select(duplicate_cases.c.id).where(
        or_(
            duplicate_cases.c.household_a == household_id,
            duplicate_cases.c.household_b == household_id,
        )
    )
    for statement in (
        delete(attachments).where(attachments.c.household_id == household_id),
        delete(attachment_uploads).where(attachment_uploads.c.household_id == household_id),
        delete(review_rounds).where(review_rounds.c.household_id == household_id),
        delete(case_decisions).where(case_decisions.c.case_id.in_(cases)),
        delete(duplicate_cases).where(
            or_(
                duplicate_cases.c.household_a == household_id,
                duplicate_cases.c.household_b == household_id,
            )
        ),
        # The tombstone keeps the current card number; earlier (replaced) ones go.
        delete(cards).where(cards.c.household_id == household_id),
        delete(duplicates).where(
            or_(
                duplicates.c.household_id == household_id,
                duplicates.c.other_household_id == household_id,
            )
        ),
        delete(blind_index).where(blind_index.c.household_id == household_id),
        delete(household_versions).where(household_versions.c.household_id == household_id),
        delete(changes).where(changes.c.household_id == household_id),
        delete(handovers).where(handovers.c.household_id == household_id),
        delete(candidates).where(listed),
        # A request's own words may name people: the request stays (kind, dates, outcome).
        update(rights_requests)
        .where(rights_requests.c.household_id == household_id)
        .values(content=None, key_id=None),
        delete(households).where(households.c.id == household_id),
    ):
        conn.execute(statement)
    if storage is not None:
        forget_files(storage, held, uploading)
    conn.execute(
        insert(tombstones).values(
            household_id=household_id,
            kode_desa=row.kode_desa,
            kode_kab=row.kode_kab,
            card_number=row.card_number,
            basis=basis,
            recorded_by=actor[:64],
            erased_at=now,
            kk_key_id=kk.key_id if kk else None,
            kk_token=bytes(kk.token) if kk else None,
        )
    )
    for officer_id in sorted(officer_ids):
        repo.append_change(
            conn, "assignment", officer_id=officer_id, detail={"erase": household_id}, clock=clock
        )
    audit(
        conn,
        actor,
        "household.erase",
        {"household_id": household_id, "basis": basis, "kode_desa": row.kode_desa},
    )
    return Tombstone(household_id, row.kode_desa, basis, now, len(officer_ids))


def withdrawn_kk(conn: Connection, key_id: str, token: bytes) -> bool:
    """Whether a family with this KK token withdrew consent (a DTSEN import flags it)."""
    return (
        conn.execute(
            select(tombstones.c.household_id).where(
                tombstones.c.kk_key_id == key_id,
                tombstones.c.kk_token == token,
                tombstones.c.basis == WITHDRAWAL,
            )
        ).first()
        is not None
    )


def checkpoint(engine: Engine) -> bool:
    """SQLite: copy the WAL into the file and truncate it, so erased pages' old images leave
    the WAL (secure_delete has zeroed them in the file). PostgreSQL reclaims dead rows itself
    (autovacuum; docs/privacy.md). False when a reader kept the checkpoint from finishing."""
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()  # outside SQLAlchemy's transaction: a checkpoint needs that
    try:
        driver = raw.driver_connection
        assert driver is not None
        busy = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        raw.close()
    return busy == 0


# -- the province's own retention -----------------------------------------------------------------


def due_for_retention(conn: Connection, *, clock=utc_now) -> list[str]:
    """Households of families who left the program (rejected) longer ago than the province's
    period, in id order."""
    cutoff = clock() - timedelta(days=days(conn, PROVINCE_DAYS))
    return list(
        conn.execute(
            select(households.c.id)
            .where(households.c.status == REJECTED, households.c.status_at <= cutoff)
            .order_by(households.c.id)
        ).scalars()
    )


def apply_retention(
    conn: Connection,
    actor: str,
    *,
    storage: Storage | None = None,
    dry_run: bool = False,
    clock=utc_now,
) -> list[str]:
    """Erase (basis `retention`, tombstone kept) every household due; their laptops are told.
    Returns the ids (those that would go, with `dry_run`). Audited once with the count."""
    due = due_for_retention(conn, clock=clock)
    if dry_run:
        return due
    for hid in due:
        erase(conn, hid, RETENTION, actor, storage=storage, clock=clock)
    audit(conn, actor, "retention.apply", {"count": len(due), "days": days(conn, PROVINCE_DAYS)})
    return due


# -- a lost or stolen laptop ----------------------------------------------------------------------


@dataclass(frozen=True)
class Exposed:
    household_id: str
    kode_desa: str
    categories: tuple[str, ...]  # of CATEGORIES; ("erased",) for one erased since
    how: str  # "sent": the laptop sent it; "listed": the province sent it (DTSEN list)


@dataclass
class Exposure:
    device_id: str
    officer_id: str
    revoked_at: datetime | None
    last_sync_at: datetime | None
    retention_days: int
    settings_changed_since: bool  # the retention setting changed after the last sync
    households: list[Exposed] = field(default_factory=list)

    @property
    def by_desa(self) -> dict[str, int]:
        return dict(sorted(Counter(h.kode_desa for h in self.households).items()))

    @property
    def by_category(self) -> dict[str, int]:
        found = Counter(c for h in self.households for c in h.categories)
        return {c: found.get(c, 0) for c in CATEGORIES}

    def as_dict(self) -> dict:
        return {
            "device_id": self.device_id,
            "officer_id": self.officer_id,
            "revoked_at": moment(self.revoked_at),
            "last_sync_at": moment(self.last_sync_at),
            "retention_days": self.retention_days,
            "settings_changed_since_last_sync": self.settings_changed_since,
            "count": len(self.households),
            "by_desa": self.by_desa,
            "by_category": self.by_category,
            "households": [
                {
                    "id": h.household_id,
                    "kode_desa": h.kode_desa,
                    "categories": list(h.categories),
                    "how": h.how,
                }
                for h in self.households
            ],
        }


def exposure(
    conn: Connection, keys: ServerKeys, device_id: str, actor: str, *, scope: Scope | None = None
) -> Exposure:
    """The households that could have been on this device's laptop in full at its last sync,
    from the province's own records (docs/privacy.md, "A lost laptop"): every household the
    laptop sent and every DTSEN household sent to its officer before that sync, less those the
    laptop had certainly replaced by stubs (decided, the decision pulled, and the retention
    period over by the last sync, with the clock skew the server allows). Audited."""
    scope = scope or Scope.province()
    device = conn.execute(select(devices).where(devices.c.id == device_id)).first()
    if device is None:
        raise UnknownDevice(device_id=repo.shown(device_id))
    last = conn.execute(
        select(func.max(request_nonces.c.seen_at)).where(request_nonces.c.device_id == device_id)
    ).scalar()
    retention = days(conn, LAPTOP_DAYS)
    changed_at = settings_changed_at(conn, LAPTOP_DAYS)
    report = Exposure(
        device_id,
        device.officer_id,
        device.revoked_at,
        last,
        retention,
        bool(last and changed_at and changed_at > last),
    )
    if last is None:  # never synced: the province sent it nothing and holds nothing from it
        _audit_exposure(conn, actor, report)
        return report
    sent = set(
        conn.execute(
            select(household_versions.c.household_id).where(
                household_versions.c.device_id == device_id
            )
        ).scalars()
    )
    listed = set()
    for detail in conn.execute(
        select(changes.c.detail).where(
            changes.c.officer_id == device.officer_id,
            changes.c.kind == "assignment",
            changes.c.at <= last,
            changes.c.detail.like('%"candidate"%'),
        )
    ).scalars():
        listed.add(json.loads(detail)["candidate"])
    erased_on_laptop = set()
    for detail in conn.execute(
        select(changes.c.detail).where(
            changes.c.officer_id == device.officer_id,
            changes.c.seq <= device.pull_cursor,
            changes.c.detail.like('%"erase"%'),
        )
    ).scalars():
        erased_on_laptop.add(json.loads(detail)["erase"])
    margin = timedelta(days=retention, seconds=MAX_SKEW_S)
    for hid in sorted((sent | listed) - erased_on_laptop):
        row = conn.execute(
            select(households).where(households.c.id == hid, scope.where(households.c.kode_desa))
        ).first()
        if row is None:
            stone = conn.execute(
                select(tombstones).where(
                    tombstones.c.household_id == hid, scope.where(tombstones.c.kode_desa)
                )
            ).first()
            if stone is not None:
                report.households.append(
                    Exposed(hid, stone.kode_desa, ("erased",), _how(hid, sent))
                )
            elif hid in listed:
                listed_row = conn.execute(
                    select(candidates.c.kode_desa).where(
                        candidates.c.id == hid, scope.where(candidates.c.kode_desa)
                    )
                ).first()
                if listed_row is not None:
                    cats = _categories(_candidate_record(conn, keys, hid))
                    report.households.append(Exposed(hid, listed_row.kode_desa, cats, "listed"))
            continue
        if _stub_by(conn, row, device.pull_cursor, last, margin):
            continue
        cats = _categories(_current_record(conn, keys, row))
        report.households.append(Exposed(hid, row.kode_desa, cats, _how(hid, sent)))
    _audit_exposure(conn, actor, report)
    return report


def exposure_csv(report: Exposure) -> str:
    """The report as CSV (ids, desa and 0/1 flags only): `khbs-server device exposure --csv`
    and the console's download."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["household_id", "kode_desa", *CATEGORIES, "erased", "how"])
    for h in report.households:
        flags = [int(c in h.categories) for c in CATEGORIES]
        writer.writerow([h.household_id, h.kode_desa, *flags, int("erased" in h.categories), h.how])
    return out.getvalue()


def _how(hid: str, sent: set[str]) -> str:
    return "sent" if hid in sent else "listed"


def _stub_by(conn: Connection, row, pull_cursor: int, last: datetime, margin: timedelta) -> bool:
    """The laptop had certainly kept only a stub at `last`: the household is decided, the
    laptop pulled that decision, and the period ran out before its last sync."""
    if row.status not in (VERIFIED, REJECTED) or row.status_at is None:
        return False
    decision = conn.execute(
        select(changes.c.seq, changes.c.revision, changes.c.at)
        .where(changes.c.household_id == row.id, changes.c.kind == "status")
        .order_by(changes.c.seq.desc())
        .limit(1)
    ).first()
    if decision is None or decision.revision != row.revision or decision.seq > pull_cursor:
        return False
    return decision.at + margin <= last


def _audit_exposure(conn: Connection, actor: str, report: Exposure) -> None:
    audit(
        conn,
        actor,
        "device.exposure",
        {
            "device_id": report.device_id,
            "count": len(report.households),
            "by_category": report.by_category,
        },
    )


def _current_record(conn: Connection, keys: ServerKeys, row) -> dict:
    version = conn.execute(
        select(household_versions.c.key_id, household_versions.c.content).where(
            household_versions.c.household_id == row.id,
            household_versions.c.revision == row.revision,
            household_versions.c.content_hash == row.content_hash,
        )
    ).first()
    if version is None:
        return {}
    try:
        return json.loads(
            keys.open_content(
                version.key_id,
                row.id,
                row.revision,
                bytes(row.content_hash),
                bytes(version.content),
            )
        )
    except (DecryptError, ValueError):
        return {}


def _candidate_record(conn: Connection, keys: ServerKeys, hid: str) -> dict:
    row = conn.execute(select(candidates).where(candidates.c.id == hid)).first()
    if row is None:
        return {}
    try:
        return json.loads(
            keys.open_candidate(
                row.key_id, hid, row.revision, bytes(row.content_hash), bytes(row.content)
            )
        )
    except (DecryptError, ValueError):
        return {}


def _categories(record: dict, today: date | None = None) -> tuple[str, ...]:
    """Which kinds of data the record holds: identity always (NIK, names); health when a
    member has an answer to a question marked x-sensitive "health"; children when a member is
    under 18. A record that does not open counts as holding all of them."""
    if not record:
        return CATEGORIES
    found = ["identity"]
    members = q.members(record)
    health = _health_paths()
    if any(not q.is_empty(_at(m, path)) for m in members for path in health):
        found.append("health")
    today = today or datetime.now(UTC).date()
    if any(
        (age := q.age_on(m.get(q.BIRTH_DATE), today)) is not None and age < ADULT for m in members
    ):
        found.append("children")
    return tuple(found)


def _at(node: object, path: tuple[str, ...]) -> object:
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _health_paths() -> list[tuple[str, ...]]:
    """Member questions marked x-sensitive "health" (or inside a group so marked)."""
    roster = q.load_schema()["properties"][q.MEMBERS]["items"]
    found: list[tuple[str, ...]] = []

    def walk(group: dict, prefix: tuple[str, ...], inherited: bool) -> None:
        for name, spec in group.get("properties", {}).items():
            health = inherited or spec.get("x-sensitive") == "health"
            if q.is_group(spec):
                walk(spec, prefix + (name,), health)
            elif health:
                found.append(prefix + (name,))

    walk(roster, (), False)
    return found
