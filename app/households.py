"""Household operations that combine the rules and the store: drafts, finalising, importing.

The app, the CLI and the demo generator all go through these, so a household is never stored
final without having passed the rules, and every record is stored in its canonical form
(questionnaire.canonical), which is what makes an export -> import round trip exact.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from app import questionnaire as q
from app import rules
from app.errors import NotFinalisable, RecordDamaged, RecordNotFound
from app.i18n import tr
from app.questionnaire_migration import MigrationRefused, upgrade
from app.store import Store


def new_record(today: date | None = None) -> dict:
    return {
        "schema_version": q.newest_version(),
        "id": str(uuid.uuid4()),
        "status": "draft",
        q.VISIT_DATE: (today or date.today()).isoformat(),
        q.MEMBERS: [],
    }


def opened(record: dict, lang: str | None = None) -> tuple[dict, str]:
    """The record to edit, and what to tell the officer about its questionnaire version. A
    draft begun on an older version than the newest on hand (not retired) is migrated to it
    (app/questionnaire_migration.py): no answer is dropped, and the questions the new version
    requires that are still unanswered are counted. A draft whose migration would lose an
    answer stays on its version (the province accepts every published one); finals keep
    theirs. Nothing is saved here: the next autosave stores the migrated draft."""
    version, target = record.get("schema_version"), q.newest_version()
    if record.get("status") != "draft" or type(version) is not int or version >= target:
        return record, ""
    try:
        migrated, notes = upgrade(record, q.all_schemas(), target)
    except MigrationRefused:
        return record, tr("form.migration_refused", lang, version=version, target=target)
    required = sum(1 for n in notes if n.kind == "new_required")
    return migrated, tr("form.migrated", lang, version=target, n=required)


def context_for(store: Store, household_id: str | None, today: date | None = None) -> rules.Context:
    return rules.Context(
        household_id=household_id,
        lookup=store.households_with,
        assigned_areas=store.assigned_areas(),
        today=today or date.today(),
    )


def save_draft(store: Store, record: dict, *, expected_revision: int | None = None) -> int:
    """Autosave: never refused for content, so no typing is ever lost."""
    return store.save(
        q.canonical(dict(record, status="draft")), expected_revision=expected_revision
    )


def prepare_final(
    record: dict, context: rules.Context, *, acknowledge: bool
) -> tuple[dict, rules.Result]:
    """The record as it would be finalised (hidden answers cleared, warnings acknowledged when
    asked) and its check result. Raises NotFinalisable when it cannot be."""
    final = q.canonical(q.prune(dict(record, status="final")))
    result = rules.check(final, context, final=True)
    pending = result.unacknowledged(final)
    if result.errors or (pending and not acknowledge):
        exc = NotFinalisable(errors=len(result.errors), warnings=len(pending))
        exc.result = result  # for the form to show every issue
        raise exc
    if pending:
        final[q.ACKNOWLEDGED] = sorted(
            set(final.get(q.ACKNOWLEDGED) or []) | {w.key for w in pending}
        )
    return final, result


def finalise(
    store: Store,
    record: dict,
    *,
    acknowledge: bool = False,
    expected_revision: int | None = None,
    today: date | None = None,
) -> tuple[dict, int]:
    # The device-wide checks (NIK/KK on other households) and the save in one write
    # transaction: another writer cannot store the same NIK between the check and the save.
    with store.db.atomic():
        final, _ = prepare_final(
            record, context_for(store, record["id"], today), acknowledge=acknowledge
        )
        return final, store.save(final, expected_revision=expected_revision)


def add_demo(store: Store, count: int, *, seed: int | None = None, progress=None) -> int:
    """Synthetic training households in the officer's areas, never queued for the province
    (sync state "training"). One transaction: all or none."""
    from app import demo

    taken = lambda kind, value: bool(store.households_with(kind, value))  # noqa: E731
    with store.db.atomic():  # numbers checked free and the saves in one write transaction
        records = demo.generate(count, seed=seed, areas=store.assigned_areas() or None, taken=taken)
        for i, rec in enumerate(records, start=1):
            store.save(q.canonical(rec), action="household.demo", sync_state="training")
            if progress and (i % 50 == 0 or i == count):
                progress(i, count)
    return count


# -- import -----------------------------------------------------------------------------------


@dataclass
class LineError:
    line: int
    message: str
    file: str | None = None  # for CSV imports: households.csv or members.csv


@dataclass
class ImportReport:
    imported: int = 0
    unchanged: int = 0
    errors: list[LineError] = field(default_factory=list)
    invalid_lines: int = 0


def import_jsonl(
    store: Store,
    lines: Iterable[str],
    *,
    skip_invalid: bool = False,
    accept_warnings: bool = False,
    lang: str | None = None,
    today: date | None = None,
) -> ImportReport:
    """Validate every line first; import all (one transaction) or, with errors, nothing unless
    `skip_invalid`. Warnings on final households block too unless `accept_warnings`."""
    report = ImportReport()
    parsed: list[tuple[int, dict]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            rec = json.loads(text, parse_constant=_not_a_number, parse_float=_finite)
        except RecursionError:  # nested past Python's own limit, far past any household
            report.errors.append(LineError(number, _msg("import.too_deep", lang, max=MAX_DEPTH)))
            continue
        except ValueError:
            report.errors.append(LineError(number, _msg("import.bad_json", lang)))
            continue
        if _depth_over(rec, MAX_DEPTH):  # later steps walk records recursively
            report.errors.append(LineError(number, _msg("import.too_deep", lang, max=MAX_DEPTH)))
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
            report.errors.append(LineError(number, _msg("import.not_household", lang)))
            continue
        parsed.append((number, rec))
    return import_records(
        store,
        parsed,
        report,
        skip_invalid=skip_invalid,
        accept_warnings=accept_warnings,
        lang=lang,
        today=today,
    )


MAX_DEPTH = 16  # a household nests 5 levels deep (record, members, member, list, item)


def _not_a_number(name: str) -> float:
    raise ValueError(name)  # NaN and Infinity are not JSON, though Python reads them


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")  # e.g. 1e400, which float() makes infinite
    return value


def _depth_over(value: object, limit: int) -> bool:
    """Whether lists and objects nest deeper than `limit` (without recursion)."""
    todo = [(value, 1)]
    while todo:
        node, depth = todo.pop()
        if isinstance(node, dict):
            children = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                todo.append((child, depth + 1))
    return False


def import_csv(
    store: Store,
    folder,
    *,
    skip_invalid: bool = False,
    accept_warnings: bool = False,
    lang: str | None = None,
    today: date | None = None,
) -> ImportReport:
    """Import an export folder (households.csv + members.csv), as import_jsonl does lines.
    Raises ExportUnreadable when the files cannot be read at all."""
    from app.export.files import HOUSEHOLDS
    from app.export.reader import read_export

    result = read_export(folder)
    report = ImportReport()
    for e in result.errors:
        message = _msg(e.key, lang, column=e.column, **e.params)
        report.errors.append(LineError(e.line, message, e.file))
    parsed = [(line, rec) for line, rec in result.records if line not in result.bad_lines]
    report = import_records(
        store,
        parsed,
        report,
        skip_invalid=skip_invalid,
        accept_warnings=accept_warnings,
        lang=lang,
        today=today,
    )
    # Count households.csv lines left out, plus members without a household there.
    rule_lines = {e.line for e in report.errors if e.file is None}
    orphans = sum(e.key == "import.csv_orphan_member" for e in result.errors)
    report.invalid_lines = len(result.bad_lines | rule_lines) + orphans
    for line_error in report.errors:
        line_error.file = line_error.file or HOUSEHOLDS
    return report


def import_records(
    store: Store,
    parsed: list[tuple[int, dict]],
    report: ImportReport,
    *,
    skip_invalid: bool,
    accept_warnings: bool,
    lang: str | None,
    today: date | None,
) -> ImportReport:
    """Check parsed records (line, record) together, then store all or, with errors, none."""
    parsed = [(number, q.canonical(rec)) for number, rec in parsed]
    # Identity numbers across the file, so two lines with one NIK are caught before import.
    in_file: dict[tuple[str, str], set[str]] = {}
    for _, rec in parsed:
        for ident in q.identifiers(rec):
            in_file.setdefault(ident, set()).add(rec["id"])

    def lookup(kind: str, value: str) -> set[str]:
        return store.households_with(kind, value) | in_file.get((kind, value), set())

    # One write transaction (BEGIN IMMEDIATE) from the device-wide checks to the last save:
    # a second writer cannot add a household with one of these NIK/KK in between.
    with store.db.atomic():
        ready = _check_records(
            parsed,
            report,
            lookup,
            store.assigned_areas(),
            accept_warnings=accept_warnings,
            lang=lang,
            today=today,
        )
        if report.errors and not skip_invalid:
            return report
        for rec in ready:  # all lines or none
            try:
                current, _ = store.get(rec["id"])
            except (RecordNotFound, RecordDamaged):  # the import adds or replaces it
                current = None
            if current == rec:
                report.unchanged += 1
                continue
            store.save(rec, action="household.import")
            report.imported += 1
    return report


def _check_records(
    parsed: list[tuple[int, dict]],
    report: ImportReport,
    lookup: rules.LookupFn,
    areas: list[str],
    *,
    accept_warnings: bool,
    lang: str | None,
    today: date | None,
) -> list[dict]:
    """The records that pass the rules (warnings acknowledged where accepted); the others'
    problems go into `report` by line."""
    ready: list[dict] = []
    line_of_id: dict[str, int] = {}
    bad_lines = {e.line for e in report.errors}
    for number, rec in parsed:
        if rec["id"] in line_of_id:
            report.errors.append(
                LineError(number, _msg("import.duplicate_id", lang, line=line_of_id[rec["id"]]))
            )
            bad_lines.add(number)
            continue
        line_of_id[rec["id"]] = number
        ctx = rules.Context(rec["id"], lookup, areas, today or date.today())
        final = rec.get("status") == "final"
        result = rules.check(rec, ctx, final=final)
        blocking = result.errors + (
            result.unacknowledged(rec) if final and not accept_warnings else []
        )
        if blocking:
            bad_lines.add(number)
            report.errors += [LineError(number, i.message(lang)) for i in blocking]
            continue
        pending = result.unacknowledged(rec) if final else []
        if pending:
            acked = set(rec.get(q.ACKNOWLEDGED) or []) | {w.key for w in pending}
            rec = dict(rec, **{q.ACKNOWLEDGED: sorted(acked)})
        ready.append(rec)
    report.invalid_lines = len(bad_lines)
    return ready


def _msg(key: str, lang: str | None, **params: object) -> str:
    from app.i18n import tr

    return tr(key, lang, **params)
