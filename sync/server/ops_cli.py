"""`khbs-server backup-key new`, `backup`, `restore` and `key rotate` (docs/operations.md);
registered in sync/server_cli.py build_parser by `add_commands`. Errors are ServerErrors (one
translated line from the CLI's main), as sync.server_cli may run as __main__ with its own
CliError."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from app.i18n import tr
from sync.server import ServerError

BACKUP_KEY_ENV = "KHBS_BACKUP_KEY"  # the public key file, for the backup timer
BACKUP_PASSPHRASE_ENV = "KHBS_BACKUP_PASSPHRASE"  # the private key's passphrase (restore)


class FileExists(ServerError):
    key = "server.file_exists"


class FileUnwritable(ServerError):
    key = "server.file_unwritable"


class FileUnreadable(ServerError):
    key = "server.file_unreadable"


class NoBackupKey(ServerError):
    key = "server.backup_no_key"


class NoBackupPassphrase(ServerError):
    key = "server.no_backup_passphrase"


class NoServerPassphrase(ServerError):
    key = "server.no_passphrase"


class PassphraseMismatch(ServerError):
    key = "cli.passphrase_mismatch"


class BackupPassphraseShort(ServerError):
    key = "server.backup_passphrase_short"


def ask(prompt_key: str, missing: type[ServerError] = NoBackupPassphrase) -> str:
    if not sys.stdin.isatty():
        raise missing()
    return getpass.getpass(tr(prompt_key))


def print_json(obj: object) -> None:
    print(json.dumps(obj, sort_keys=True, ensure_ascii=False))


def cmd_backup_key_new(args: argparse.Namespace) -> int:
    from app.policy import MIN_PASSPHRASE
    from sync.server import backup

    private, public = Path(args.private), Path(args.public)
    for path in (private, public):
        if path.exists():
            raise FileExists(path=str(path))
    passphrase = os.environ.get(BACKUP_PASSPHRASE_ENV)
    if not passphrase:
        passphrase = ask("server.backup_new_passphrase")
        if passphrase != ask("cli.repeat_passphrase"):
            raise PassphraseMismatch()
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupPassphraseShort(minimum=MIN_PASSPHRASE)
    key_id, private_file, public_file = backup.new_key(passphrase)
    try:
        backup.write_new_file(private, private_file, 0o600)
        backup.write_new_file(public, public_file, 0o644)
    except OSError as exc:
        raise FileUnwritable(path=args.private, reason=exc.strerror or "") from None
    print(tr("server.backup_key_made", key_id=key_id, private=private, public=public))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from sync.server import backup
    from sync.server_cli import database

    key_file = args.key or os.environ.get(BACKUP_KEY_ENV)
    if not key_file:
        raise NoBackupKey()
    public = backup.read_public(Path(key_file))
    out = Path(args.out)
    if out.exists():
        raise FileExists(path=str(out))
    partial = out.with_name(out.name + ".partial")
    with database(args) as engine:
        try:
            with open(partial, "wb") as f:
                os.chmod(partial, 0o600)
                summary = backup.write_backup(engine, public, f)
                f.flush()
                os.fsync(f.fileno())
            if out.exists():  # made meanwhile by someone else: keep theirs
                raise FileExistsError
            os.replace(partial, out)  # whole or absent: never a half-written backup
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise FileUnwritable(path=str(out), reason=exc.strerror or "") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    size = out.stat().st_size
    if args.json:
        print_json(
            {
                "out": str(out),
                "bytes": size,
                "rows": summary.rows,
                "revision": summary.revision,
                "created_at": summary.created_at,
                "key_id": summary.key_id,
            }
        )
    else:
        print(
            tr(
                "server.backup_done",
                path=str(out),
                households=summary.households,
                rows=sum(summary.rows.values()),
                size=size,
                key_id=summary.key_id,
            )
        )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from sync.server import backup
    from sync.server.db import display
    from sync.server_cli import database

    passphrase = os.environ.get(BACKUP_PASSPHRASE_ENV) or ask("server.backup_passphrase")
    pair = backup.read_private(Path(args.key), passphrase)
    try:
        source = open(args.file, "rb")  # noqa: SIM115 - closed below, after the restore
    except OSError as exc:
        raise FileUnreadable(path=args.file, reason=exc.strerror or "") from None
    with source, database(args, create=True) as engine:
        summary = backup.restore(engine, source, pair, args.file)
        db = display(engine.url)
    if args.json:
        print_json({"rows": summary.rows, "created_at": summary.created_at, "db": db})
    else:
        print(
            tr(
                "server.restored",
                db=db,
                households=summary.households,
                rows=sum(summary.rows.values()),
                created=summary.created_at,
            )
        )
    return 0


def cmd_key_rotate(args: argparse.Namespace) -> int:
    """A new active key of a kind; the old one is kept (retired) so what it sealed still opens."""
    from sync.server import keys
    from sync.server.admins import CLI_ACTOR, audit
    from sync.server.settings import PASSPHRASE_ENV
    from sync.server_cli import database

    passphrase = os.environ.get(PASSPHRASE_ENV) or ask("cli.passphrase", NoServerPassphrase)
    with database(args) as engine, engine.begin() as conn:
        keys.unlock(conn, passphrase)  # the audit entry below is sealed
        key_id = keys.rotate(conn, passphrase, args.kind)
        audit(conn, CLI_ACTOR, "key.rotate", {"kind": args.kind, "key_id": key_id})
    if args.json:
        print_json({"kind": args.kind, "key_id": key_id})
    else:
        print(tr("server.key_rotated", kind=args.kind, key_id=key_id))
    return 0


def add_commands(sub, command, common) -> None:
    """The parsers: `command(parent, name, func, help)` is build_parser's helper, `common` its
    shared options."""
    key = sub.add_parser(
        "backup-key", parents=[common], help="the key pair backups are encrypted to"
    )
    key_actions = key.add_subparsers(dest="action", required=True)
    new = command(
        key_actions,
        "new",
        cmd_backup_key_new,
        "make a backup key pair: the private half wrapped by a passphrase of its own",
    )
    new.add_argument("--private", required=True, metavar="FILE", help="keep it off the server")
    new.add_argument("--public", required=True, metavar="FILE", help="for `backup --key`")

    made = command(sub, "backup", cmd_backup, "a consistent, encrypted snapshot of the database")
    made.add_argument("--out", required=True, metavar="FILE", help="never overwritten")
    made.add_argument(
        "--key",
        default=None,
        metavar="FILE",
        help=f"the backup public key (default: {BACKUP_KEY_ENV})",
    )
    made.add_argument("--json", action="store_true")

    back = command(sub, "restore", cmd_restore, "a backup into an empty database")
    back.add_argument("file", metavar="FILE")
    back.add_argument("--key", required=True, metavar="FILE", help="the backup private key")
    back.add_argument("--json", action="store_true")

    key_group = sub.add_parser("key", parents=[common], help="the server's own keys")
    key_group_actions = key_group.add_subparsers(dest="action", required=True)
    rotate = command(
        key_group_actions,
        "rotate",
        cmd_key_rotate,
        "a new active key; the old one is kept for what it sealed",
    )
    rotate.add_argument(
        "--kind",
        required=True,
        choices=("data", "province"),
        help="data: household content from now on; province: laptops enrolled from now on",
    )
    rotate.add_argument("--json", action="store_true")
