"""`khbs-server` commands for data minimisation and the families' rights (docs/privacy.md):
`retention ...`, `device exposure` and `rights ...`. Registered by sync/server_cli.py's
build_parser (register()); they use its helpers (database, unlock, errors)."""

from __future__ import annotations

import argparse
import sys

from app.i18n import tr
from sync.server_cli import EXIT_OK, _print_json, _utc, database, unlock

ACTOR = "server-cli"


def _storage(args: argparse.Namespace):
    """The attachment storage the server uses (erasure removes a household's photos there)."""
    from sync.server.attachments import storage_for
    from sync.server.settings import Settings

    return storage_for(Settings.load(db=args.db))


# -- retention ----------------------------------------------------------------------------------


def cmd_retention_days(args: argparse.Namespace) -> int:
    """Show or set a retention period (laptops', or the province's own)."""
    from sync.server import privacy

    name = privacy.LAPTOP_DAYS if args.which == "laptop" else privacy.PROVINCE_DAYS
    with database(args) as engine, engine.begin() as conn:
        if args.days is not None:
            unlock(conn)
            privacy.set_days(conn, name, args.days, ACTOR)
        value = privacy.days(conn, name)
    if args.json:
        _print_json({name: value})
    else:
        print(tr(f"privacy.{name}", days=value))
    return EXIT_OK


def cmd_retention_apply(args: argparse.Namespace) -> int:
    """Minimise households of families who left the program longer ago than the period."""
    from sync.server import privacy

    with database(args) as engine:
        with engine.begin() as conn:
            if not args.dry_run:
                unlock(conn)
            ids = privacy.apply_retention(conn, ACTOR, storage=_storage(args), dry_run=args.dry_run)
            period = privacy.days(conn, privacy.PROVINCE_DAYS)
        if ids and not args.dry_run:
            privacy.checkpoint(engine)
    if args.json:
        _print_json({"dry_run": args.dry_run, "days": period, "households": ids})
        return EXIT_OK
    for hid in ids:
        print(hid)
    key = "privacy.retention_dry_run" if args.dry_run else "privacy.retention_applied"
    print(tr(key, n=len(ids), days=period))
    return EXIT_OK


# -- a lost or stolen laptop ----------------------------------------------------------------------


def cmd_device_exposure(args: argparse.Namespace) -> int:
    """Which households could have been on the device's laptop in full at its last sync."""
    from sync.server import privacy

    with database(args) as engine, engine.begin() as conn:
        keys = unlock(conn)
        report = privacy.exposure(conn, keys, args.device, ACTOR)
    if args.json:
        _print_json(report.as_dict())
    elif args.csv:
        sys.stdout.write(privacy.exposure_csv(report))
    else:
        _exposure_text(report)
    return EXIT_OK


def _exposure_text(report) -> None:
    from app import regions

    last = _utc(report.last_sync_at) if report.last_sync_at else "-"
    print(
        tr(
            "privacy.exposure_head",
            device_id=report.device_id,
            officer_id=report.officer_id,
            last=last,
            days=report.retention_days,
            n=len(report.households),
        )
    )
    for desa, n in report.by_desa.items():
        print(f"  {desa} {regions.name(desa) or ''}: {n}")
    print(tr("privacy.exposure_categories", **report.by_category))
    if report.settings_changed_since:
        print(tr("privacy.exposure_settings_changed"), file=sys.stderr)


# -- the families' rights ------------------------------------------------------------------------


def _family(conn, keys, scope, args) -> str:
    from sync.server import rights

    return rights.find(conn, keys, scope, nik=args.nik, kk=args.kk, household_id=args.id)


def cmd_rights_withdraw(args: argparse.Namespace) -> int:
    """The family withdrew consent: erase it here and on every laptop, keep a tombstone."""
    from sync.server import privacy, rights
    from sync.server.scope import Scope

    with database(args) as engine:
        with engine.begin() as conn:
            keys = unlock(conn)
            scope = Scope.province()
            hid = _family(conn, keys, scope, args)
            stone = rights.withdraw(
                conn, keys, scope, hid, ACTOR, args.note or "", storage=_storage(args)
            )
        privacy.checkpoint(engine)
    if args.json:
        _print_json(
            {
                "household_id": stone.household_id,
                "kode_desa": stone.kode_desa,
                "erased_at": privacy.moment(stone.erased_at),
                "laptops_told": stone.laptops_told,
            }
        )
    else:
        print(tr("rights.withdrawn", household_id=stone.household_id, n=stone.laptops_told))
    return EXIT_OK


def cmd_rights_access(args: argparse.Namespace) -> int:
    """A readable copy of everything held about the family, for the family (HTML file)."""
    import os
    from pathlib import Path

    from app.i18n import current_lang
    from sync.server import access_copy
    from sync.server.scope import Scope

    with database(args) as engine, engine.begin() as conn:
        keys = unlock(conn)
        scope = Scope.province()
        hid = _family(conn, keys, scope, args)
        html = access_copy.make(conn, keys, scope, hid, args.reason, ACTOR, lang=current_lang())
    path = Path(args.out)
    # Personal data: readable by this user only, written whole or not at all.
    temp = path.with_name(path.name + ".part")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(html)
    os.replace(temp, path)
    print(tr("rights.written", household_id=hid, path=str(path)))
    return EXIT_OK


def cmd_rights_correct(args: argparse.Namespace) -> int:
    """A family's correction: applied here as a new revision (audited), or with --to-officer
    returned to the officer to correct (a supervision-loop return; closed by the new revision)."""
    from sync.server import rights
    from sync.server.scope import Scope

    answers = {}
    for item in args.set or []:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            raise rights.BadPath(path=item.split("=")[0] or "?")
        answers[path.strip()] = value
    with database(args) as engine, engine.begin() as conn:
        keys = unlock(conn)
        scope = Scope.province()
        hid = _family(conn, keys, scope, args)
        if args.to_officer:
            request_id, _round = rights.return_correction(
                conn, keys, scope, hid, answers, ACTOR, args.note or ""
            )
            revision = None
        else:
            if not answers:
                raise rights.BadPath(path="--set")
            request_id, revision = rights.correct(
                conn, keys, scope, hid, answers, ACTOR, args.note or ""
            )
    if args.json:
        _print_json({"household_id": hid, "request_id": request_id, "revision": revision})
    elif revision is None:
        print(tr("rights.correction_open", request_id=request_id))
    else:
        print(
            tr(
                "rights.corrected",
                household_id=hid,
                revision=revision,
                n=len(answers),
                request_id=request_id,
            )
        )
    return EXIT_OK


def _family_arguments(p) -> None:
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--nik", metavar="NIK", help="a member's NIK (found by the blind index)")
    which.add_argument("--kk", metavar="NO_KK", help="the family's KK number")
    which.add_argument("--id", metavar="HOUSEHOLD_ID")


def register(sub, common, command, device_actions) -> None:
    """The privacy commands, added to khbs-server's parser."""
    exposure = command(
        device_actions,
        "exposure",
        cmd_device_exposure,
        "households that could have been on a (lost) laptop in full at its last sync",
    )
    exposure.add_argument("device", metavar="DEVICE_ID")
    form = exposure.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true")
    form.add_argument("--csv", action="store_true", help="one line per household, for the notice")

    retention = sub.add_parser("retention", parents=[common], help="how long personal data is kept")
    actions = retention.add_subparsers(dest="action", required=True)
    for which, help_text in (
        ("laptop", "days a decided household stays in full on laptops (sent with each sync)"),
        ("province", "days after which families who left the program are minimised"),
    ):
        p = command(actions, f"{which}-days", cmd_retention_days, help_text)
        p.add_argument("days", nargs="?", type=int, default=None, metavar="DAYS")
        p.add_argument("--json", action="store_true")
        p.set_defaults(which=which)
    apply = command(
        actions,
        "apply",
        cmd_retention_apply,
        "erase (keeping a tombstone) households of families who left the program "
        "longer ago than province-days",
    )
    apply.add_argument("--dry-run", action="store_true", help="only list what would go")
    apply.add_argument("--json", action="store_true")

    rights = sub.add_parser(
        "rights", parents=[common], help="a family's requests: access, correction, withdrawal"
    )
    rights_actions = rights.add_subparsers(dest="action", required=True)
    withdraw = command(
        rights_actions,
        "withdraw",
        cmd_rights_withdraw,
        "the family withdrew consent: erase its data here and on laptops, keep a tombstone",
    )
    _family_arguments(withdraw)
    withdraw.add_argument("--note", default="", help="the request as received (sealed)")
    withdraw.add_argument("--json", action="store_true")
    access = command(
        rights_actions,
        "access",
        cmd_rights_access,
        "a readable copy of everything held about the family (HTML), audited",
    )
    _family_arguments(access)
    access.add_argument("--reason", required=True, help="the request as stated (kept sealed)")
    access.add_argument("--out", required=True, metavar="FILE")
    correct = command(
        rights_actions,
        "correct",
        cmd_rights_correct,
        "a family's correction, applied here as a new revision (audited)",
    )
    _family_arguments(correct)
    correct.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="an answer to correct, e.g. anggota.2.nama='Rosmiati Ilas' (members from 1)",
    )
    correct.add_argument("--note", default="", help="the request as received (sealed)")
    correct.add_argument(
        "--to-officer",
        action="store_true",
        help="record it for the officer to correct in the field instead",
    )
    correct.add_argument("--json", action="store_true")
