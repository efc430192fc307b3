"""`khbs-server` commands for data minimisation and the families' rights (docs/privacy.md):
`retention ...`, `device exposure` and `rights ...`. Registered by sync/server_cli.py's
build_parser (register()); they use its helpers (database, unlock, errors)."""

from __future__ import annotations

import argparse
import csv
import io
import sys

from app.i18n import tr
from sync.server_cli import EXIT_OK, _print_json, _utc, database, unlock

ACTOR = "server-cli"


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
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["household_id", "kode_desa", *privacy.CATEGORIES, "erased", "how"])
        for h in report.households:
            flags = [int(c in h.categories) for c in privacy.CATEGORIES]
            writer.writerow(
                [h.household_id, h.kode_desa, *flags, int("erased" in h.categories), h.how]
            )
        sys.stdout.write(out.getvalue())
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
