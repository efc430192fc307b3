"""`khbs-server`: the province's command line.

The database is --db URL (before or after the command), else KHBS_DB, else a SQLite file in the
server's data folder (sync/server/settings.py). The key passphrase comes from
KHBS_SERVER_PASSPHRASE or a prompt. Errors print one line in the chosen language and exit
non-zero; tracebacks never reach the user (KHBS_DEBUG=1 shows them to developers). --json
prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from contextlib import contextmanager

from app.errors import KhbsError
from app.i18n import LANGS, current_lang, lang_at_start, tr

PROG = "khbs-server"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CliError(Exception):
    """A one-line message for the user, already translated."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + message
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


# -- helpers ------------------------------------------------------------------------------------


def _ask(prompt_key: str) -> str:
    if not sys.stdin.isatty():
        raise CliError(tr("server.no_passphrase"))
    return getpass.getpass(tr(prompt_key))


def new_passphrase() -> str:
    from sync.server.settings import PASSPHRASE_ENV

    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    first = _ask("cli.new_passphrase")
    if first != _ask("cli.repeat_passphrase"):
        raise CliError(tr("cli.passphrase_mismatch"))
    return first


@contextmanager
def database(args: argparse.Namespace, *, create: bool = False):
    """A migrated engine; outside `init`, also a server that has been initialised."""
    from sync.server import NotInitialised
    from sync.server.db import display, open_database
    from sync.server.keys import is_initialised
    from sync.server.settings import Settings

    engine = open_database(Settings.load(db=args.db).db_url, create=create)
    try:
        if not create:
            with engine.connect() as conn:
                if not is_initialised(conn):
                    raise NotInitialised(db=display(engine.url))
        yield engine
    finally:
        engine.dispose()


def unlock(conn):
    """The server's keys, unwrapped with the passphrase; this process may then write the
    (sealed) audit log."""
    from sync.server import keys
    from sync.server.settings import PASSPHRASE_ENV

    return keys.unlock(conn, os.environ.get(PASSPHRASE_ENV) or _ask("cli.passphrase"))


def cli_scope(regency: str | None):
    """The CLI acts for the province; --regency narrows it to one regency."""
    from sync.server import repo
    from sync.server.export import BadExportFilter
    from sync.server.scope import Scope

    if not regency:
        return Scope.province()
    code = repo.canonical_area(regency)
    if code.count(".") != 1:
        raise BadExportFilter(name="--regency", value=code)
    return Scope.of("regency", [code])


def _print_json(obj: object) -> None:
    print(json.dumps(obj, sort_keys=True, ensure_ascii=False))


def _utc(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


# -- commands -----------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from sync.server import AlreadyInitialised, keys
    from sync.server.db import display

    with database(args, create=True) as engine:
        with engine.connect() as conn:
            if keys.is_initialised(conn):
                raise AlreadyInitialised(db=display(engine.url))
        passphrase = new_passphrase()
        with engine.begin() as conn:
            made = keys.create(conn, passphrase)
        print(tr("server.initialised", db=display(engine.url), key_id=made.active["province"]))
    return EXIT_OK


def cmd_officer_add(args: argparse.Namespace) -> int:
    from sync.server import officers
    from sync.server.admins import CLI_ACTOR
    from sync.server.scope import Scope

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)
        # Listed families in these areas go to the new officer (reassign, inside).
        officer_id, areas = officers.add_officer(
            conn, Scope.province(), CLI_ACTOR, args.name, args.area
        )
    if args.json:
        _print_json({"officer_id": officer_id})
    else:
        name = " ".join(args.name.split())
        print(tr("server.officer_added", officer_id=officer_id, name=name, areas=", ".join(areas)))
    return EXIT_OK


def cmd_officer_areas(args: argparse.Namespace) -> int:
    from sync.server import officers
    from sync.server.admins import CLI_ACTOR
    from sync.server.scope import Scope

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)
        # Listed families follow their desa to whoever covers it now (reassign, inside).
        areas = officers.set_areas(conn, Scope.province(), CLI_ACTOR, args.officer, args.area)
    if args.json:
        _print_json({"officer_id": args.officer, "areas": list(areas)})
    else:
        print(tr("server.officer_areas_set", officer_id=args.officer, areas=", ".join(areas)))
    return EXIT_OK


def cmd_officer_list(args: argparse.Namespace) -> int:
    """The officers a scope sees, with their areas, devices and this week's households."""
    from sync.server import officers

    scope = cli_scope(args.regency)
    with database(args) as engine, engine.begin() as conn:  # the counts' fold is kept
        found = officers.list_officers(conn, scope)

    def when(moment) -> str | None:
        return moment.isoformat(timespec="seconds") if moment else None

    if args.json:
        _print_json(
            {
                "officers": [
                    {
                        "officer_id": o.id,
                        "name": o.name,
                        "areas": list(o.areas),
                        "households_week": o.households_week,
                        "manageable": o.manageable,
                        "last_sync_at": when(o.last_sync_at),
                        "devices": [
                            {
                                "device_id": d.id,
                                "enrolled_at": when(d.enrolled_at),
                                "revoked_at": when(d.revoked_at),
                                "last_seen_at": when(d.last_seen_at),
                                "escrow": d.escrow,
                            }
                            for d in o.devices
                        ],
                    }
                    for o in found
                ]
            }
        )
        return EXIT_OK
    for o in found:
        active = sum(d.revoked_at is None for d in o.devices)
        print(
            tr(
                "server.officer_line",
                officer_id=o.id,
                name=o.name,
                areas=", ".join(o.areas),
                devices=active,
                households=o.households_week,
                last=_utc(o.last_sync_at) if o.last_sync_at else "-",
            )
        )
    return EXIT_OK


def cmd_household_status(args: argparse.Namespace) -> int:
    from sync.server import repo

    with database(args) as engine, engine.begin() as conn:
        done = repo.set_household_status(
            conn, args.id, args.status, reason=args.reason, card_number=args.card
        )
    if args.json:
        _print_json({k: v for k, v in done.items() if k != "seq"})
    else:
        extra = "".join(f" ({v})" for v in (done["reason"], done["card_number"]) if v)
        print(
            tr(
                "server.status_set",
                household_id=done["household_id"],
                revision=done["revision"],
                status=done["status"],
                extra=extra,
            )
        )
    return EXIT_OK


def cmd_enroll_code(args: argparse.Namespace) -> int:
    from sync.server import officers
    from sync.server.admins import CLI_ACTOR
    from sync.server.scope import Scope

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)
        code = officers.make_enroll_code(conn, Scope.province(), CLI_ACTOR, args.officer)
    if args.json:
        _print_json({"code": code.code})
    else:
        print(tr("server.enroll_code", officer_id=code.officer_id, code=code.code))
        print(tr("server.enroll_code_expires", expires=_utc(code.expires_at)))
    return EXIT_OK


def cmd_device_revoke(args: argparse.Namespace) -> int:
    from sync.server import officers
    from sync.server.admins import CLI_ACTOR
    from sync.server.scope import Scope

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)
        device, now = officers.revoke_device(conn, Scope.province(), CLI_ACTOR, args.device)
    if now:
        print(tr("server.device_revoked", device_id=device.id))
        print(tr("privacy.exposure_hint", device_id=device.id))  # docs/privacy.md
    else:
        print(tr("server.device_already_revoked", device_id=device.id, at=_utc(device.revoked_at)))
    return EXIT_OK


def cmd_device_recover(args: argparse.Namespace) -> int:
    """The recovery code for a laptop whose officer forgot the passphrase."""
    from sync.server import keys
    from sync.server.admins import CLI_ACTOR, audit
    from sync.server.recovery import AmbiguousEscrow, NoEscrow, recovery_code
    from sync.server.settings import PASSPHRASE_ENV

    refused: AmbiguousEscrow | None = None
    with database(args) as engine, engine.begin() as conn:
        unlocked = keys.unlock(conn, os.environ.get(PASSPHRASE_ENV) or _ask("cli.passphrase"))
        try:
            device_id, code = recovery_code(conn, unlocked, args.store, device_id=args.device)
        except NoEscrow:
            key, params = (
                ("server.no_escrow", {})
                if args.device is None
                else ("server.no_escrow_device", {"device_id": args.device[:40]})
            )
            raise CliError(tr(key, store_id=args.store[:40], **params)) from None
        except AmbiguousEscrow as exc:
            refused = exc  # audited below, in this transaction, before the error is shown
        else:
            # Who gave out a laptop's key, and when: the record UU PDP asks for.
            audit(
                conn,
                CLI_ACTOR,
                "device.recover",
                {"device_id": device_id} | ({"chosen": True} if args.device else {}),
            )
        if refused is not None:
            audit(
                conn,
                CLI_ACTOR,
                "device.recover_refused",
                {"device_ids": [d for d, _ in refused.holders]},
            )
    if refused is not None:
        holders = ", ".join(
            tr("server.escrow_holder", device_id=d, officer_id=o) for d, o in refused.holders
        )
        raise CliError(tr("server.escrow_ambiguous", store_id=refused.store_id, holders=holders))
    if args.json:
        _print_json({"device_id": device_id, "recovery_code": code})
    else:
        print(tr("server.recovery_code", device_id=device_id, code=code))
    return EXIT_OK


def cmd_device_check_escrow(args: argparse.Namespace) -> int:
    """Upgrade step: remove escrow blobs that do not seal their device's own store's key."""
    from sync.server import keys
    from sync.server.admins import CLI_ACTOR
    from sync.server.recovery import check_escrow
    from sync.server.settings import PASSPHRASE_ENV

    with database(args) as engine, engine.begin() as conn:
        unlocked = keys.unlock(conn, os.environ.get(PASSPHRASE_ENV) or _ask("cli.passphrase"))
        result = check_escrow(conn, unlocked, CLI_ACTOR)
    if args.json:
        _print_json(result.as_dict())
    else:
        ids = f" [{', '.join(result.removed)}]" if result.removed else ""
        print(
            tr(
                "server.escrow_checked",
                kept=result.kept,
                removed=len(result.removed),
                ids=ids,
                legacy=len(result.legacy),
            )
        )
    return EXIT_OK


def cmd_admin_add(args: argparse.Namespace) -> int:
    from sync.server.admins import add_admin

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)  # the audit entry is sealed with the server's key
        admin_id, token = add_admin(conn, args.name)
    if args.json:
        _print_json({"admin_id": admin_id, "token": token})
    else:
        print(tr("server.admin_added", admin_id=admin_id, token=token))
    return EXIT_OK


def cmd_admin_revoke(args: argparse.Namespace) -> int:
    from sync.server.admins import revoke_admin

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)
        now = revoke_admin(conn, args.id)
    print(tr("server.admin_revoked" if now else "server.admin_already_revoked", admin_id=args.id))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.export.layout import Options
    from sync.server import keys
    from sync.server.admins import CLI_ACTOR
    from sync.server.attachments import storage_for
    from sync.server.export import export_to_dir, parse_filters
    from sync.server.settings import PASSPHRASE_ENV, Settings

    filters = parse_filters(args.regency, args.since, args.status)
    files = storage_for(Settings.load(db=args.db)) if args.attachments else None
    options = Options(
        excel=args.excel,
        mask_ids=args.mask_ids,
        omit_health=args.no_health,
        lang=args.lang or current_lang(),
    )
    with database(args) as engine:
        with engine.connect() as conn:
            unlocked = keys.unlock(conn, os.environ.get(PASSPHRASE_ENV) or _ask("cli.passphrase"))
        try:
            result = export_to_dir(
                engine,
                unlocked,
                Path(args.out),
                options,
                filters,
                actor=CLI_ACTOR,
                workers=args.workers,
                attachment_files=files,
            )
        except OSError as exc:
            raise CliError(
                tr("cli.export_unwritable", path=args.out, reason=exc.strerror or "")
            ) from None
    if result.damaged:
        print(tr("server.export_damaged", n=len(result.damaged)), file=sys.stderr)
    if args.json:
        _print_json(
            {
                "households": result.households,
                "members": result.members,
                "damaged": sorted(result.damaged),
                "attachments": result.attachments,
                "attachment_files": result.attachment_files,
                "out": str(args.out),
            }
        )
        return EXIT_OK
    print(tr("cli.export_warning"), file=sys.stderr)
    print(
        tr("cli.export_done", households=result.households, members=result.members, path=args.out)
    )
    return EXIT_OK


def cmd_assignments_import(args: argparse.Namespace) -> int:
    """A DTSEN candidate list: checked whole first, then stored and assigned by desa."""
    from pathlib import Path

    from sync.server import keys
    from sync.server.admins import audit
    from sync.server.assignments import import_candidates, read_candidates
    from sync.server.settings import PASSPHRASE_ENV

    path = Path(args.file)
    if not path.is_file():
        raise CliError(tr("cli.file_unreadable", path=args.file))
    found = read_candidates(path)
    for problem in found.problems:
        print(problem.message(), file=sys.stderr)
    if found.errors and not args.skip_invalid:
        raise CliError(tr("assign.nothing_imported", n=len({p.line for p in found.errors})))
    with database(args) as engine, engine.begin() as conn:
        unlocked = keys.unlock(conn, os.environ.get(PASSPHRASE_ENV) or _ask("cli.passphrase"))
        summary = import_candidates(conn, unlocked, found)
        audit(conn, "server-cli", "assignments.import", summary.as_dict())
    if args.json:
        _print_json(summary.as_dict())
    else:
        print(
            tr(
                "assign.imported",
                new=summary.new,
                changed=summary.changed,
                unchanged=summary.unchanged,
                skipped=summary.skipped,
            )
        )
        for desa, n in sorted(summary.unassigned.items()):
            print(tr("assign.unassigned", desa=desa, n=n))
        if summary.withdrawn:  # docs/privacy.md: a new consent first
            print(tr("assign.withdrawn", n=summary.withdrawn))
    return EXIT_OK


def cmd_assignments_changes(args: argparse.Namespace) -> int:
    """What officers changed against the DTSEN list: per household the answers that differ
    (question keys); with --id also both values, for the one household asked about."""
    from sync.server import keys
    from sync.server.assignments import changes_against_list
    from sync.server.settings import PASSPHRASE_ENV

    desa = None
    if args.desa:
        from sync.server import repo

        desa = repo.canonical_area(args.desa)
    with database(args) as engine, engine.connect() as conn:
        unlocked = keys.unlock(conn, os.environ.get(PASSPHRASE_ENV) or _ask("cli.passphrase"))
        found = changes_against_list(conn, unlocked, desa=desa, household_id=args.id)
    values = args.id is not None
    if args.json:
        _print_json(
            {
                "households": [
                    {
                        "household_id": c.household_id,
                        "kode_desa": c.kode_desa,
                        "changes": [
                            {
                                "key": d.key,
                                **({"list": d.mine, "officer": d.theirs} if values else {}),
                            }
                            for d in c.changes
                        ],
                    }
                    for c in found
                ]
            }
        )
        return EXIT_OK
    for c in found:
        print(
            tr(
                "assign.changes_line",
                household_id=c.household_id,
                desa=c.kode_desa,
                n=len(c.changes),
                keys=" ".join(d.key for d in c.changes) or "-",
            )
        )
        if values:
            for d in c.changes:
                print(
                    f"  {d.key}: {json.dumps(d.mine, ensure_ascii=False)} -> "
                    f"{json.dumps(d.theirs, ensure_ascii=False)}"
                )
    return EXIT_OK


def cmd_questionnaire_publish(args: argparse.Namespace) -> int:
    """A new questionnaire version: checked completely, signed, offered to every laptop. With
    --check only checked (no passphrase needed)."""
    from pathlib import Path

    from sync.server import keys
    from sync.server.admins import CLI_ACTOR
    from sync.server.questionnaires import QuestionnaireRefused, check_file, publish
    from sync.server.settings import PASSPHRASE_ENV

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError:
        raise CliError(tr("cli.file_unreadable", path=args.file)) from None
    with database(args) as engine:
        try:
            if args.check:
                with engine.connect() as conn:
                    warnings = check_file(conn, data)
                done = None
            else:
                with engine.begin() as conn:
                    passphrase = os.environ.get(PASSPHRASE_ENV) or _ask("cli.passphrase")
                    unlocked = keys.ensure_signing(conn, passphrase)  # servers from before it
                    done = publish(conn, unlocked, data, notes=args.notes, actor=CLI_ACTOR)
                    warnings = done.warnings
        except QuestionnaireRefused as exc:
            if args.json:
                _print_json(
                    {
                        "published": False,
                        "ok": False,
                        "problems": [p.as_dict() for p in exc.problems],
                    }
                )
            else:
                for problem in exc.problems:
                    print(problem.message(), file=sys.stderr)
            raise
    for warning in warnings:
        message = tr("server.questionnaire_warning", message=warning.message())
        print(f"{PROG}: {message}", file=sys.stderr)
    shown = [w.as_dict() for w in warnings]
    if done is None:
        if args.json:
            _print_json({"published": False, "ok": True, "warnings": shown})
        else:
            print(tr("server.questionnaire_checked"))
    elif args.json:
        _print_json(
            {
                "published": True,
                "ok": True,
                "version": done.version,
                "sha256": done.sha256,
                "key_id": done.key_id,
                "warnings": shown,
            }
        )
    else:
        print(
            tr(
                "server.questionnaire_published",
                version=done.version,
                sha256=done.sha256[:16],
                key_id=done.key_id,
            )
        )
    return EXIT_OK


def cmd_questionnaire_list(args: argparse.Namespace) -> int:
    from sync.server.questionnaires import builtin_version, listing

    with database(args) as engine, engine.connect() as conn:
        found = listing(conn)
    if args.json:
        _print_json(
            {
                "builtin": builtin_version(),
                "versions": [
                    {
                        **v,
                        "published_at": v["published_at"].isoformat(),
                        "retired_at": v["retired_at"].isoformat() if v["retired_at"] else None,
                    }
                    for v in found
                ],
            }
        )
        return EXIT_OK
    print(tr("server.questionnaire_builtin", version=builtin_version()))
    for v in found:
        retired = (
            tr("server.questionnaire_retired_at", at=_utc(v["retired_at"]))
            if v["retired_at"]
            else ""
        )
        print(
            tr(
                "server.questionnaire_line",
                version=v["version"],
                at=_utc(v["published_at"]),
                received=v["received"],
                sent=v["sent"],
                retired=retired,
                notes=v["notes"] or "-",
            )
        )
    return EXIT_OK


def cmd_questionnaire_retire(args: argparse.Namespace) -> int:
    from sync.server.admins import CLI_ACTOR
    from sync.server.questionnaires import retire

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)  # the audit entry is sealed with the server's key
        now = retire(conn, args.version, actor=CLI_ACTOR)
    print(
        tr(
            "server.questionnaire_retired" if now else "server.questionnaire_already_retired",
            version=args.version,
        )
    )
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """Check the server's audit log: every entry follows from the one before and carries the
    server key's seal; and the progress counts against the rows they summarise (one snapshot).
    Exit status 1 at the first broken entry or a count that differs; --repair-counts rebuilds
    the counts (then only the audit log decides the exit status)."""
    from sync.server import audit, counts
    from sync.server.db import read_snapshot

    with database(args) as engine:
        with engine.connect() as conn:
            keys = unlock(conn)
        with read_snapshot(engine) as conn:
            check = audit.verify(conn, keys)
            differences = counts.check(conn)
        repaired = bool(differences and args.repair_counts)
        if repaired:
            with engine.begin() as conn:
                counts.rebuild(conn)
    counts_ok = not differences or repaired
    if args.json:
        _print_json(
            check.as_dict()
            | {
                "counts": {
                    "ok": not differences,
                    "differences": len(differences),
                    "first": differences[:20],
                    "repaired": repaired,
                }
            }
        )
    else:
        if differences:
            print(
                tr("server.counts_broken", n=len(differences), first=differences[0]),
                file=sys.stderr,
            )
        else:
            print(tr("server.counts_checked"))
        if repaired:
            print(tr("server.counts_rebuilt"))
        print(
            tr(
                "server.audit_checked",
                entries=check.entries,
                sealed=check.sealed,
                before=check.before_chain,
                seq=check.head_seq,
                hash=check.head_hash.hex(),
            )
        )
        if check.broken:
            seq, reason = check.broken[0]
            print(
                tr(
                    "server.audit_broken",
                    seq=seq,
                    n=check.broken_count,
                    why=tr(f"server.audit_{reason}"),
                ),
                file=sys.stderr,
            )
    return EXIT_OK if check.ok and counts_ok else EXIT_ERROR


def cmd_audit(args: argparse.Namespace) -> int:
    """Entries of the server's audit log, newest first, filtered."""
    from sync.server import audit
    from sync.server.export import parse_moment

    since = parse_moment(args.since.strip(), "--since") if args.since else None
    until = parse_moment(args.until.strip(), "--until") if args.until else None
    scope = cli_scope(args.regency)
    with database(args) as engine, engine.connect() as conn:
        found = audit.entries(
            conn,
            scope,
            actor=args.actor,
            action=args.action,
            officer_id=args.officer,
            household_id=args.household,
            since=since,
            until=until,
            limit=args.limit,
        )
    rows = [
        {
            "seq": e.seq,
            "at": e.at.isoformat(timespec="seconds"),
            "actor": e.actor,
            "action": e.action,
            "officer_id": e.officer_id,
            "household_id": e.household_id,
            "detail": e.detail,
        }
        for e in found
    ]
    if args.json:
        _print_json({"entries": rows})
        return EXIT_OK
    for row in rows:
        print(
            f"{row['seq']}  {row['at']}  {row['actor']}  {row['action']}  "
            f"{json.dumps(row['detail'], sort_keys=True, ensure_ascii=False)}"
        )
    return EXIT_OK


LOOPBACK = ("127.0.0.1", "localhost", "::1")
# `serve` options that override the Settings field of the same name (docs/security.md, "Server
# limits"): field -> (kind of value, what it limits).
SERVE_LIMITS = {
    "max_body": ("SIZE", "request body of every route but /v1/push"),
    "max_push_body": ("SIZE", "request body of POST /v1/push"),
    "max_bodies_in_flight": ("SIZE", "all request bodies being received at once"),
    "body_idle_timeout": ("SECONDS", "wait for the next piece of a request body"),
    "body_timeout": ("SECONDS", "a whole request body"),
    "header_timeout": ("SECONDS", "a request's line and headers"),
    "keep_alive_timeout": ("SECONDS", "an idle connection between requests"),
    "max_connections": ("N", "connections and requests at once; more are answered 503"),
    "device_per_minute": ("PER_MINUTE", "signed requests per device, all workers together"),
    "device_burst": ("N", "signed requests a device may make at once"),
    "enroll_per_minute": ("PER_MINUTE", "enrollments per client address"),
    "enroll_burst": ("N", "enrollments a client address may make at once"),
}
SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def size_arg(text: str) -> int:
    """Bytes: 65536, 64K, 32M, 1G."""
    found = re.fullmatch(r"\s*(\d+)([KMG]?)\s*", text, re.IGNORECASE)
    if not found or int(found.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 64K, 32M)")
    return int(found.group(1)) * SIZE_UNITS[found.group(2).upper()]


def size_text(size: int) -> str:
    for unit in ("G", "M", "K"):
        if size % SIZE_UNITS[unit] == 0:
            return f"{size // SIZE_UNITS[unit]}{unit}"
    return str(size)


def positive_arg(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not 0 < value < 10**9:
            raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
        return value

    return parse


def cmd_serve(args: argparse.Namespace) -> int:
    """The HTTP API on uvicorn. Plain HTTP only on this machine, or with --insecure-dev."""
    tls = bool(args.tls_cert and args.tls_key)
    if bool(args.tls_cert) != bool(args.tls_key):
        print(f"{PROG}: {tr('server.serve_tls_pair')}", file=sys.stderr)
        return EXIT_USAGE
    if args.host not in LOOPBACK and not tls and not args.insecure_dev:
        print(f"{PROG}: {tr('server.serve_needs_tls', host=args.host)}", file=sys.stderr)
        return EXIT_USAGE
    from dataclasses import replace

    import uvicorn

    if args.workers > 1:  # before prometheus_client is imported (sync/server/workers.py)
        from sync.server.workers import shared_metrics

        shared_metrics()
    from sync.server import keys
    from sync.server.api.app import create_app
    from sync.server.api.limits import uvicorn_options
    from sync.server.api.observe import log_config
    from sync.server.settings import PASSPHRASE_ENV, Settings

    limits = {
        field: getattr(args, field) for field in SERVE_LIMITS if getattr(args, field) is not None
    }
    settings = replace(Settings.load(db=args.db), **limits)
    with database(args) as engine, engine.connect() as conn:
        unlocked = keys.unlock(conn, os.environ.get(PASSPHRASE_ENV) or _ask("cli.passphrase"))
    from app import regions

    regions.load()  # before the fork: one copy for every worker, not in a push's time
    options = dict(
        host=args.host,
        port=args.port,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        log_level="info",
        log_config=log_config(),  # JSON lines without personal data
        access_log=False,  # observe.py writes its own, without the query string
        server_header=False,
        **uvicorn_options(settings),
    )
    print(
        tr("server.serving", url=f"{'https' if tls else 'http'}://{args.host}:{args.port}"),
        file=sys.stderr,
    )
    if args.workers > 1:  # forked after the keys are unlocked (sync/server/workers.py)
        from sync.server import workers

        if not workers.can_fork():
            raise CliError(tr("server.workers_need_fork"))
        return workers.serve(lambda: create_app(settings, unlocked), options, args.workers)
    uvicorn.run(create_app(settings, unlocked), **options)
    return EXIT_OK


def cmd_fold_counts(args: argparse.Namespace) -> int:
    """Merge the writers' own progress-count rows into slot 0 (counts.fold): the console and
    `stats` do it when they read; the nightly backup job does it too, so the rows stay few
    when nobody reads for days (docs/operations.md). SQLite keeps no such rows."""
    from sync.server import counts

    with database(args) as engine, engine.begin() as conn:
        folded = counts.fold(conn)
    if args.json:
        _print_json({"folded": folded})
    else:
        print(tr("server.counts_folded" if folded else "server.counts_not_folded"))
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from app import regions
    from sync.server import repo
    from sync.server.scope import Scope

    scope = None
    if args.area:
        codes = [repo.canonical_area(a) for a in args.area]
        scope = Scope.province() if regions.PROVINCE in codes else Scope.of("supervisor", codes)
    with database(args) as engine, engine.begin() as conn:
        counts = repo.stats(conn, scope)
    if args.json:
        _print_json(counts)
        return EXIT_OK
    if scope is not None:
        print(tr("server.stats_areas", areas=", ".join(counts["areas"])))
    status = counts["by_status"]
    print(tr("server.stats_households", n=counts["households"]))
    print(
        tr(
            "server.stats_status",
            received=status["received"],
            verified=status["verified"],
            rejected=status["rejected"],
            cards=counts["cards_issued"],
            conflicts=counts["conflicts"],
            duplicates=counts["duplicate_warnings"],
        )
    )
    for code, n in counts["by_regency"].items():
        print(tr("server.stats_regency", code=code, name=regions.name(code) or "?", n=n))
        outcomes = counts["by_regency_outcome"].get(code, {})
        print(
            tr(
                "server.stats_outcomes",
                counts=", ".join(f"{_outcome_label(key)} {m}" for key, m in outcomes.items()),
            )
        )
    devices = counts["devices"]
    print(
        tr(
            "server.stats_people",
            officers=counts["officers"],
            active=devices["active"],
            revoked=devices["revoked"],
        )
    )
    return EXIT_OK


def _outcome_label(key: str) -> str:
    """ "3 Menolak" for an outcome code of the stats, in the CLI's language."""
    from app import questionnaire as q

    if not key.isdigit():
        return tr("server.stats_outcome_unknown")
    spec = q.load_schema()["properties"][q.OUTCOME]
    return f"{key} {q.option_label(spec, int(key), current_lang())}"


def _setup_url(args: argparse.Namespace) -> tuple[str, bool]:
    """The set-up page's full address, and whether it comes from KHBS_PUBLIC_URL (else from
    `serve`'s default host and port)."""
    from sync.server.console.users import SETUP_PATH
    from sync.server.settings import Settings

    settings = Settings.load(db=args.db)
    return settings.console_url(SETUP_PATH), settings.public_url is not None


def _setup_lines(args: argparse.Namespace, user, code) -> None:
    from sync.server.console.formats import moment
    from sync.server.settings import PUBLIC_URL_ENV

    url, configured = _setup_url(args)
    print(
        tr(
            "server.user_setup_code",
            code=code.code,
            expires=moment(code.expires_at),  # as the console shows times: DD-MM-YYYY WIB
            name=user.name,
            url=url,
        )
    )
    if not configured:
        print(tr("server.user_setup_url_unset", env=PUBLIC_URL_ENV))


def cmd_user_add(args: argparse.Namespace) -> int:
    from sync.server.admins import CLI_ACTOR
    from sync.server.console import users
    from sync.server.db import utc_now

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)
        user, code = users.add_user(
            conn, args.name, args.role, args.area or [], now=utc_now(), actor=CLI_ACTOR
        )
    if args.json:
        _print_json(
            user.as_dict()
            | {
                "setup_code": code.code,
                "expires_at": code.expires_at.isoformat(timespec="seconds"),
                "setup_path": users.SETUP_PATH,
                "setup_url": _setup_url(args)[0],
            }
        )
        return EXIT_OK
    areas = f": {', '.join(user.areas)}" if user.areas else ""
    print(tr("server.user_added", user_id=user.id, name=user.name, role=user.role, areas=areas))
    _setup_lines(args, user, code)
    return EXIT_OK


def cmd_user_reset(args: argparse.Namespace) -> int:
    from sync.server.admins import CLI_ACTOR
    from sync.server.console import users
    from sync.server.db import utc_now

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)
        code = users.reset_user(conn, args.user, now=utc_now(), actor=CLI_ACTOR)
        user = users.get_user(conn, args.user)
    if args.json:
        _print_json(
            {
                "user_id": user.id,
                "setup_code": code.code,
                "expires_at": code.expires_at.isoformat(timespec="seconds"),
                "setup_path": users.SETUP_PATH,
                "setup_url": _setup_url(args)[0],
            }
        )
        return EXIT_OK
    print(tr("server.user_reset", user_id=user.id))
    _setup_lines(args, user, code)
    return EXIT_OK


def cmd_user_disable(args: argparse.Namespace) -> int:
    from sync.server.admins import CLI_ACTOR
    from sync.server.console import users
    from sync.server.db import utc_now

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)
        now = users.disable_user(conn, args.user, now=utc_now(), actor=CLI_ACTOR)
    print(tr("server.user_disabled" if now else "server.user_already_disabled", user_id=args.user))
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace) -> int:
    from sync.server.console import users

    with database(args) as engine, engine.connect() as conn:
        found = users.list_users(conn)
    if args.json:
        _print_json({"users": [u.as_dict() for u in found]})
        return EXIT_OK
    if not found:
        print(tr("server.user_none"))
    for user in found:
        shown = user.as_dict()
        print(
            tr(
                "server.user_line",
                user_id=user.id,
                name=user.name,
                role=user.role,
                areas=",".join(user.areas) or "62",
                state=tr(f"server.user_state.{shown['state']}"),
                totp=" TOTP" if user.totp else "",
            )
        )
    return EXIT_OK


# -- parsing ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from sync.server.settings import SERVE_HOST, SERVE_PORT

    common = Parser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help="database URL (default: KHBS_DB)")
    common.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS)
    parser = Parser(
        prog=PROG,
        description="KHBS Enroll provincial server: keys, officers, enrollment codes, devices.",
    )
    parser.add_argument(
        "--db",
        default=None,
        help="sqlite:///FILE or postgresql+psycopg://... (default: KHBS_DB, else a SQLite file "
        "in the server's data folder)",
    )
    parser.add_argument("--lang", choices=LANGS, default=None, help="id (default) or en")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(parent, name: str, func, help: str) -> argparse.ArgumentParser:
        p = parent.add_parser(name, parents=[common], help=help)
        p.set_defaults(func=func)
        return p

    command(sub, "init", cmd_init, "create the database and the province keys")

    officer = sub.add_parser("officer", parents=[common], help="field officers")
    officer_actions = officer.add_subparsers(dest="action", required=True)
    add = command(
        officer_actions,
        "add",
        cmd_officer_add,
        "add an officer with the areas they may enroll in",
    )
    add.add_argument("--name", required=True)
    add.add_argument(
        "--area",
        action="append",
        required=True,
        metavar="CODE",
        help="Kemendagri code of a regency, kecamatan or desa in Central Kalimantan (62); repeat",
    )
    add.add_argument("--json", action="store_true")
    areas = command(
        officer_actions,
        "areas",
        cmd_officer_areas,
        "replace an officer's areas (their laptops get them at the next sync)",
    )
    areas.add_argument("--officer", required=True, metavar="ID")
    areas.add_argument(
        "--area",
        action="append",
        required=True,
        metavar="CODE",
        help="as for 'officer add'; repeat",
    )
    areas.add_argument("--json", action="store_true")
    listing = command(
        officer_actions,
        "list",
        cmd_officer_list,
        "officers with their areas, devices, last sync and this week's households",
    )
    listing.add_argument(
        "--regency",
        default=None,
        metavar="CODE",
        help="only officers working in this regency, e.g. 62.71",
    )
    listing.add_argument("--json", action="store_true")

    household = sub.add_parser("household", parents=[common], help="received households")
    status = command(
        household.add_subparsers(dest="action", required=True),
        "status",
        cmd_household_status,
        "the province's decision on a household (the officer's laptop gets it at the next sync)",
    )
    status.add_argument("--id", required=True, metavar="HOUSEHOLD_ID")
    status.add_argument("--status", required=True, choices=("received", "verified", "rejected"))
    status.add_argument("--reason", default=None, metavar="CODE", help="reason code: [a-z_]{1,64}")
    status.add_argument(
        "--card", default=None, metavar="NUMBER", help="card number: [A-Z0-9-]{1,32}, unique"
    )
    status.add_argument("--json", action="store_true")

    code = command(sub, "enroll-code", cmd_enroll_code, "one-time enrollment code (72 hours)")
    code.add_argument("--officer", required=True, metavar="ID")
    code.add_argument("--json", action="store_true")

    device = sub.add_parser("device", parents=[common], help="enrolled laptops")
    device_actions = device.add_subparsers(dest="action", required=True)
    revoke = command(
        device_actions, "revoke", cmd_device_revoke, "revoke a device (a stolen laptop)"
    )
    revoke.add_argument("--device", required=True, metavar="ID")
    recover = command(
        device_actions,
        "recover",
        cmd_device_recover,
        "recovery code for a laptop whose passphrase was forgotten",
    )
    recover.add_argument(
        "--store",
        required=True,
        metavar="STORE_ID",
        help="the id the laptop shows on 'khbs recover' or its unlock screen",
    )
    recover.add_argument(
        "--device",
        default=None,
        metavar="DEVICE_ID",
        help="only this device's escrow: when several devices hold different "
        "keys for the store, the one checked to be the caller's laptop",
    )
    recover.add_argument("--json", action="store_true")
    check = command(
        device_actions,
        "check-escrow",
        cmd_device_check_escrow,
        "remove key escrow that does not belong to its device's laptop (run once after upgrading)",
    )
    check.add_argument("--json", action="store_true")

    assignments = sub.add_parser(
        "assignments", parents=[common], help="DTSEN candidate families for officers to verify"
    )
    assignment_actions = assignments.add_subparsers(dest="action", required=True)
    imp = command(
        assignment_actions,
        "import",
        cmd_assignments_import,
        "import a candidate list (one row per member; same file twice changes nothing)",
    )
    imp.add_argument(
        "file",
        metavar="FILE.csv",
        help="header: no_kk,nik,nama,hubungan,jenis_kelamin,tanggal_lahir,kode_desa,alamat",
    )
    imp.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the families without errors, report the rest",
    )
    imp.add_argument("--json", action="store_true")
    chg = command(
        assignment_actions,
        "changes",
        cmd_assignments_changes,
        "what officers changed against the list, per household",
    )
    chg.add_argument(
        "--desa", default=None, metavar="CODE", help="a desa, kecamatan or regency code"
    )
    chg.add_argument(
        "--id",
        default=None,
        metavar="HOUSEHOLD_ID",
        help="one household, with the list's and the officer's values",
    )
    chg.add_argument("--json", action="store_true")

    questionnaire = sub.add_parser(
        "questionnaire", parents=[common], help="questionnaire versions for the laptops"
    )
    questionnaire_actions = questionnaire.add_subparsers(dest="action", required=True)
    pub = command(
        questionnaire_actions,
        "publish",
        cmd_questionnaire_publish,
        "check, sign and publish a new version (laptops get it at their next sync)",
    )
    pub.add_argument(
        "file",
        metavar="FILE.json",
        help="the questionnaire, with x-version and x-migration (docs/questionnaire.md)",
    )
    pub.add_argument(
        "--check",
        action="store_true",
        help="only check the file (as publishing would); nothing is published",
    )
    pub.add_argument(
        "--notes",
        default=None,
        metavar="TEXT",
        help="what changed, for the list (up to 500 characters)",
    )
    pub.add_argument("--json", action="store_true")
    qlist = command(
        questionnaire_actions,
        "list",
        cmd_questionnaire_list,
        "published versions, and how many laptops have received each",
    )
    qlist.add_argument("--json", action="store_true")
    qretire = command(
        questionnaire_actions,
        "retire",
        cmd_questionnaire_retire,
        "stop offering a version to laptops (those that have it keep it)",
    )
    qretire.add_argument("version", type=int, metavar="VERSION")

    serve = command(sub, "serve", cmd_serve, "run the HTTP API (uvicorn)")
    serve.add_argument("--host", default=SERVE_HOST)
    serve.add_argument("--port", type=int, default=SERVE_PORT)
    serve.add_argument("--tls-cert", default=None, metavar="PEM")
    serve.add_argument("--tls-key", default=None, metavar="PEM")
    serve.add_argument(
        "--insecure-dev",
        action="store_true",
        help="allow plain HTTP on a non-loopback address (development only)",
    )
    serve.add_argument(
        "--workers",
        type=positive_arg(int),
        default=1,
        metavar="N",
        help="API processes on one port; limits are shared in the database (default: 1)",
    )
    from sync.server.settings import Settings

    for field, (metavar, what) in SERVE_LIMITS.items():
        kind = {
            "SIZE": size_arg,
            "SECONDS": positive_arg(float),
            "PER_MINUTE": positive_arg(float),
            "N": positive_arg(int),
        }[metavar]
        default = getattr(Settings, field)
        shown = size_text(default) if metavar == "SIZE" else f"{default:g}"
        serve.add_argument(
            f"--{field.replace('_', '-')}",
            type=kind,
            default=None,
            metavar=metavar,
            help=f"{what} (default: {shown})",
        )

    admin = sub.add_parser(
        "admin", parents=[common], help="administrators: API tokens for the export download"
    )
    admin_actions = admin.add_subparsers(dest="action", required=True)
    admin_add = command(
        admin_actions, "add", cmd_admin_add, "add an administrator; prints their API token once"
    )
    admin_add.add_argument("--name", required=True)
    admin_add.add_argument("--json", action="store_true")
    admin_revoke = command(
        admin_actions, "revoke", cmd_admin_revoke, "revoke an administrator's token"
    )
    admin_revoke.add_argument("--id", required=True, metavar="ADMIN_ID")

    export = command(
        sub,
        "export",
        cmd_export,
        "households.csv + members.csv + manifest.json (docs/province-export.md)",
    )
    export.add_argument("--out", required=True, metavar="DIR")
    export.add_argument(
        "--regency", default=None, metavar="CODE", help="Kemendagri regency code, e.g. 62.71"
    )
    export.add_argument(
        "--since",
        default=None,
        metavar="DATE",
        help="received, changed or given a status on or after: YYYY-MM-DD (UTC) or ISO 8601",
    )
    export.add_argument("--status", default=None, choices=("received", "verified", "rejected"))
    export.add_argument("--mask-ids", action="store_true", help="NIK/KK: region and last digits")
    export.add_argument("--no-health", action="store_true", help="leave out health answers")
    export.add_argument(
        "--excel",
        action="store_true",
        help="';' separator and BOM, for Excel with Indonesian settings",
    )
    export.add_argument(
        "--workers",
        type=int,
        default=min(4, os.cpu_count() or 1),
        metavar="N",
        help="processes that format a big export (default: cores, at most 4)",
    )
    export.add_argument(
        "--attachments",
        action="store_true",
        help="also write the photos and signatures into attachments/ beside the CSV",
    )
    export.add_argument("--json", action="store_true")

    stats = command(sub, "stats", cmd_stats, "counts of households, officers and devices")
    stats.add_argument(
        "--area",
        action="append",
        default=None,
        metavar="CODE",
        help="only this regency, kecamatan or desa (repeat): the numbers a "
        "console user of that area sees",
    )
    stats.add_argument("--json", action="store_true")

    fold = command(
        sub,
        "fold-counts",
        cmd_fold_counts,
        "merge the progress counts' per-transaction rows (PostgreSQL; run by the nightly job)",
    )
    fold.add_argument("--json", action="store_true")

    verify = command(
        sub,
        "verify",
        cmd_verify,
        "check the audit log's hash chain and seals, and the progress counts against the "
        "households (exit 1 when broken)",
    )
    verify.add_argument("--json", action="store_true")
    verify.add_argument(
        "--repair-counts",
        action="store_true",
        help="rebuild the progress counts (dashboard, stats) from the rows when they differ",
    )

    log = command(sub, "audit", cmd_audit, "the audit log, newest first")
    log.add_argument("--actor", default=None, help="server-cli, admin:<id>, device:<id> ...")
    log.add_argument("--action", default=None, help="e.g. export, officer.add, device.recover")
    log.add_argument("--officer", default=None, metavar="ID", help="entries about this officer")
    log.add_argument("--household", default=None, metavar="ID", help="entries about this household")
    log.add_argument("--since", default=None, metavar="DATE", help="at or after (UTC)")
    log.add_argument("--until", default=None, metavar="DATE", help="before (UTC)")
    log.add_argument(
        "--regency", default=None, metavar="CODE", help="only what a user of this regency would see"
    )
    log.add_argument(
        "--limit",
        type=positive_arg(int),
        default=100,
        metavar="N",
        help="at most N entries (up to 1000)",
    )
    log.add_argument("--json", action="store_true")

    user = sub.add_parser(
        "user", parents=[common], help="console users: province, regency and supervisor staff"
    )
    user_actions = user.add_subparsers(dest="action", required=True)
    user_add = command(
        user_actions,
        "add",
        cmd_user_add,
        "add a console user; prints a one-time set-up code (72 hours)",
    )
    user_add.add_argument("--name", required=True, help="the name they log in with")
    user_add.add_argument("--role", required=True, choices=("province", "regency", "supervisor"))
    user_add.add_argument(
        "--area",
        action="append",
        default=None,
        metavar="CODE",
        help="regency: its code (62.xx); supervisor: kecamatan or desa codes "
        "(repeat); province: none",
    )
    user_add.add_argument("--json", action="store_true")
    user_list = command(user_actions, "list", cmd_user_list, "console users and their state")
    user_list.add_argument("--json", action="store_true")
    user_disable = command(
        user_actions,
        "disable",
        cmd_user_disable,
        "disable a console user; their sessions end at once",
    )
    user_disable.add_argument("--user", required=True, metavar="ID")
    user_reset = command(
        user_actions,
        "reset",
        cmd_user_reset,
        "forgotten password or lost phone: clear password and TOTP, end "
        "sessions, print a new set-up code",
    )
    user_reset.add_argument("--user", required=True, metavar="ID")
    user_reset.add_argument("--json", action="store_true")

    from sync.server.review_cli import register as register_supervision  # issue 15

    register_supervision(sub, command, common)
    from sync.server import ops_cli

    ops_cli.add_commands(sub, command, common)  # backup-key, backup, restore
    from sync.server import privacy_cli  # retention, device exposure, rights (docs/privacy.md)

    privacy_cli.register(sub, common, command, device_actions)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lang_at_start(args.lang)
    try:
        return args.func(args)
    except KhbsError as exc:
        print(f"{PROG}: {exc.message(current_lang())}", file=sys.stderr)
    except CliError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{PROG}: {tr('cli.interrupted')}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the user gets one line, never a traceback
        if os.environ.get("KHBS_DEBUG") == "1":
            raise
        print(f"{PROG}: {tr('cli.unexpected', kind=type(exc).__name__)}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
