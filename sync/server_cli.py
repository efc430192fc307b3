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
import sys
from contextlib import contextmanager

from app.errors import KhbsError
from app.i18n import LANGS, current_lang, tr

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
    from sync.server import repo

    with database(args) as engine, engine.begin() as conn:
        officer_id = repo.add_officer(conn, args.name, args.area)
        areas = repo.areas_of(conn, officer_id)
    if args.json:
        _print_json({"officer_id": officer_id})
    else:
        name = " ".join(args.name.split())
        print(tr("server.officer_added", officer_id=officer_id, name=name, areas=", ".join(areas)))
    return EXIT_OK


def cmd_officer_areas(args: argparse.Namespace) -> int:
    from sync.server import repo

    with database(args) as engine, engine.begin() as conn:
        areas = repo.set_officer_areas(conn, args.officer, args.area)
    if args.json:
        _print_json({"officer_id": args.officer, "areas": list(areas)})
    else:
        print(tr("server.officer_areas_set", officer_id=args.officer, areas=", ".join(areas)))
    return EXIT_OK


def cmd_household_status(args: argparse.Namespace) -> int:
    from sync.server import repo

    with database(args) as engine, engine.begin() as conn:
        done = repo.set_household_status(conn, args.id, args.status, reason=args.reason,
                                         card_number=args.card)
    if args.json:
        _print_json({k: v for k, v in done.items() if k != "seq"})
    else:
        extra = "".join(f" ({v})" for v in (done["reason"], done["card_number"]) if v)
        print(tr("server.status_set", household_id=done["household_id"],
                 revision=done["revision"], status=done["status"], extra=extra))
    return EXIT_OK


def cmd_enroll_code(args: argparse.Namespace) -> int:
    from sync.server import repo

    with database(args) as engine, engine.begin() as conn:
        code = repo.create_enroll_code(conn, args.officer)
    if args.json:
        _print_json({"code": code.code})
    else:
        print(tr("server.enroll_code", officer_id=code.officer_id, code=code.code))
        print(tr("server.enroll_code_expires", expires=_utc(code.expires_at)))
    return EXIT_OK


def cmd_device_revoke(args: argparse.Namespace) -> int:
    from sync.server import repo

    with database(args) as engine, engine.begin() as conn:
        device, now = repo.revoke_device(conn, args.device)
    if now:
        print(tr("server.device_revoked", device_id=device.id))
    else:
        print(tr("server.device_already_revoked", device_id=device.id, at=_utc(device.revoked_at)))
    return EXIT_OK


def cmd_device_recover(args: argparse.Namespace) -> int:
    """The recovery code for a laptop whose officer forgot the passphrase."""
    from sync.server import keys
    from sync.server.recovery import NoEscrow, recovery_code
    from sync.server.settings import PASSPHRASE_ENV

    with database(args) as engine, engine.connect() as conn:
        unlocked = keys.unlock(conn, os.environ.get(PASSPHRASE_ENV) or _ask("cli.passphrase"))
        try:
            device_id, code = recovery_code(conn, unlocked, args.store)
        except NoEscrow:
            raise CliError(tr("server.no_escrow", store_id=args.store)) from None
    if args.json:
        _print_json({"device_id": device_id, "recovery_code": code})
    else:
        print(tr("server.recovery_code", device_id=device_id, code=code))
    return EXIT_OK


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def cmd_serve(args: argparse.Namespace) -> int:
    """The HTTP API on uvicorn. Plain HTTP only on this machine, or with --insecure-dev."""
    tls = bool(args.tls_cert and args.tls_key)
    if bool(args.tls_cert) != bool(args.tls_key):
        print(f"{PROG}: {tr('server.serve_tls_pair')}", file=sys.stderr)
        return EXIT_USAGE
    if args.host not in LOOPBACK and not tls and not args.insecure_dev:
        print(f"{PROG}: {tr('server.serve_needs_tls', host=args.host)}", file=sys.stderr)
        return EXIT_USAGE
    import uvicorn

    from sync.server import keys
    from sync.server.api.app import create_app
    from sync.server.settings import PASSPHRASE_ENV, Settings

    with database(args) as engine, engine.connect() as conn:
        unlocked = keys.unlock(conn, os.environ.get(PASSPHRASE_ENV) or _ask("cli.passphrase"))
    app = create_app(Settings.load(db=args.db), unlocked)
    print(tr("server.serving", url=f"{'https' if tls else 'http'}://{args.host}:{args.port}"),
          file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, ssl_certfile=args.tls_cert,
                ssl_keyfile=args.tls_key, log_level="info", server_header=False)
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from app import regions
    from sync.server import repo

    with database(args) as engine, engine.begin() as conn:
        counts = repo.stats(conn)
    if args.json:
        _print_json(counts)
        return EXIT_OK
    status = counts["by_status"]
    print(tr("server.stats_households", n=counts["households"]))
    print(
        tr(
            "server.stats_status", received=status["received"], verified=status["verified"],
            rejected=status["rejected"], cards=counts["cards_issued"],
            conflicts=counts["conflicts"], duplicates=counts["duplicate_warnings"],
        )
    )
    for code, n in counts["by_regency"].items():
        print(tr("server.stats_regency", code=code, name=regions.name(code) or "?", n=n))
    devices = counts["devices"]
    print(
        tr(
            "server.stats_people", officers=counts["officers"], active=devices["active"],
            revoked=devices["revoked"],
        )
    )
    return EXIT_OK


# -- parsing ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help="database URL (default: KHBS_DB)")
    common.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS)
    parser = Parser(
        prog=PROG,
        description="KHBS Enroll provincial server: keys, officers, enrollment codes, devices.",
    )
    parser.add_argument(
        "--db", default=None,
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
        officer_actions, "add", cmd_officer_add,
        "add an officer with the areas they may enroll in",
    )
    add.add_argument("--name", required=True)
    add.add_argument(
        "--area", action="append", required=True, metavar="CODE",
        help="Kemendagri code of a regency, kecamatan or desa in Central Kalimantan (62); repeat",
    )
    add.add_argument("--json", action="store_true")
    areas = command(
        officer_actions, "areas", cmd_officer_areas,
        "replace an officer's areas (their laptops get them at the next sync)",
    )
    areas.add_argument("--officer", required=True, metavar="ID")
    areas.add_argument("--area", action="append", required=True, metavar="CODE",
                       help="as for 'officer add'; repeat")
    areas.add_argument("--json", action="store_true")

    household = sub.add_parser("household", parents=[common], help="received households")
    status = command(
        household.add_subparsers(dest="action", required=True), "status", cmd_household_status,
        "the province's decision on a household (the officer's laptop gets it at the next sync)",
    )
    status.add_argument("--id", required=True, metavar="HOUSEHOLD_ID")
    status.add_argument("--status", required=True, choices=("received", "verified", "rejected"))
    status.add_argument("--reason", default=None, metavar="CODE", help="reason code: [a-z_]{1,64}")
    status.add_argument("--card", default=None, metavar="NUMBER",
                        help="card number: [A-Z0-9-]{1,32}, unique")
    status.add_argument("--json", action="store_true")

    code = command(sub, "enroll-code", cmd_enroll_code, "one-time enrollment code (72 hours)")
    code.add_argument("--officer", required=True, metavar="ID")
    code.add_argument("--json", action="store_true")

    device = sub.add_parser("device", parents=[common], help="enrolled laptops")
    device_actions = device.add_subparsers(dest="action", required=True)
    revoke = command(device_actions, "revoke", cmd_device_revoke,
                     "revoke a device (a stolen laptop)")
    revoke.add_argument("--device", required=True, metavar="ID")
    recover = command(device_actions, "recover", cmd_device_recover,
                      "recovery code for a laptop whose passphrase was forgotten")
    recover.add_argument("--store", required=True, metavar="STORE_ID",
                         help="the id the laptop shows on 'khbs recover' or its unlock screen")
    recover.add_argument("--json", action="store_true")

    serve = command(sub, "serve", cmd_serve, "run the HTTP API (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--tls-cert", default=None, metavar="PEM")
    serve.add_argument("--tls-key", default=None, metavar="PEM")
    serve.add_argument(
        "--insecure-dev", action="store_true",
        help="allow plain HTTP on a non-loopback address (development only)",
    )

    stats = command(sub, "stats", cmd_stats, "counts of households, officers and devices")
    stats.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.lang:
        os.environ["KHBS_LANG"] = args.lang
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
