"""`khbs`: the field officer's command line, for headless use, scripts and support.

Errors print one line in the chosen language and exit non-zero; tracebacks never reach the
user (they could carry personal data from a record). KHBS_DEBUG=1 shows them to developers.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from app.errors import KhbsError, user_message
from app.i18n import LANGS, current_lang, lang_at_start, tr

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("KHBS Enroll", "Dinsos Kalteng"))


class CliError(Exception):
    """A one-line message for the user, already translated."""


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data_dir:
        return Path(args.data_dir)
    env = os.environ.get("KHBS_DATA_DIR")
    return Path(env) if env else default_data_dir()


def _ask(prompt_key: str) -> str:
    if not sys.stdin.isatty():
        raise CliError(tr("cli.no_passphrase"))
    return getpass.getpass(tr(prompt_key))


def passphrase() -> str:
    return os.environ.get("KHBS_PASSPHRASE") or _ask("cli.passphrase")


def new_passphrase(env: str) -> str:
    if os.environ.get(env):
        return os.environ[env]
    first = _ask("cli.new_passphrase")
    if first != _ask("cli.repeat_passphrase"):
        raise CliError(tr("cli.passphrase_mismatch"))
    return first


@contextmanager
def open_store(args: argparse.Namespace, *, write: bool):
    """The unlocked store for one command. A writing command holds the store's write lock
    (another writer is told who has it); a reading one (status, verify, dump, export) runs
    beside the app and, when its audit entries cannot be written (disk full), says so."""
    from app.store import Store

    store = Store.open(_data_dir(args), passphrase(), write=write, owner=f"khbs {args.command}")
    try:
        yield store
    finally:
        store.close()
        if store.audit_unwritten:
            reason = store.audit_failure.reason_key if store.audit_failure else "reason.store"
            print(
                tr("cli.audit_not_written", n=store.audit_unwritten, reason=tr(reason)),
                file=sys.stderr,
            )


# -- commands -----------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from app.store import Store

    path = Store.path_in(_data_dir(args))
    if path.exists():
        raise CliError(tr("error.store_exists", path=str(path)))
    Store.create(_data_dir(args), new_passphrase("KHBS_PASSPHRASE"), owner="khbs init").close()
    print(tr("cli.created", path=str(path)))
    return EXIT_OK


def cmd_demo_data(args: argparse.Namespace) -> int:
    from app.households import add_demo

    with open_store(args, write=True) as store:
        add_demo(store, args.households, seed=args.seed)
    print(tr("cli.demo_done", n=args.households))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from app.export.reader import ExportUnreadable, is_export_dir
    from app.households import import_csv, import_jsonl

    source = Path(args.file)
    if source.suffix.lower() == ".csv":  # either file of an export pair names its folder
        source = source.parent
    options = dict(skip_invalid=args.skip_invalid, accept_warnings=args.accept_warnings)
    lines = None if is_export_dir(source) else _read_lines(source)
    with open_store(args, write=True) as store:
        try:
            report = (
                import_jsonl(store, lines, **options)
                if lines is not None
                else import_csv(store, source, **options)
            )
        except ExportUnreadable as exc:
            raise CliError(tr(exc.key, None, **exc.params)) from None  # lang None: the current
    for err in report.errors:
        if err.file:
            print(
                tr("cli.file_line", file=err.file, line=err.line, message=err.message),
                file=sys.stderr,
            )
        else:
            print(tr("cli.line", line=err.line, message=err.message), file=sys.stderr)
    if report.errors and not args.skip_invalid:
        print(tr("cli.import_failed", n=report.invalid_lines), file=sys.stderr)
        return EXIT_ERROR
    print(
        tr(
            "cli.import_done",
            imported=report.imported,
            unchanged=report.unchanged,
            skipped=report.invalid_lines,
        )
    )
    return EXIT_OK


def _read_lines(path: Path) -> list[str]:
    """The file's lines. Bytes that are not UTF-8 refuse the whole file (it is in another
    encoding, as a rule), naming the first line that holds them."""
    try:
        raw = path.read_bytes()
    except OSError:
        raise CliError(tr("cli.file_unreadable", path=str(path))) from None
    # Split on CR, LF and CRLF only: text inside a record may hold U+2028 and similar.
    raw = raw.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    out: list[str] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            raise CliError(tr("cli.not_utf8", path=str(path), line=number)) from None
    return out


def cmd_export(args: argparse.Namespace) -> int:
    from app import regions
    from app.export.laptop import export_store
    from app.export.layout import Options

    desa = None
    if args.desa:
        desa = regions.dotted(args.desa) if "." not in args.desa else args.desa
        if not regions.name(desa):
            raise CliError(tr("cli.unknown_area", code=args.desa))
    options = Options(
        excel=args.excel, mask_ids=args.mask_ids, omit_health=args.no_health, lang=current_lang()
    )  # --lang sets it
    with open_store(args, write=False) as store:
        try:
            result = export_store(store, Path(args.out), options, status=args.status, desa=desa)
        except OSError as exc:
            raise CliError(
                tr("cli.export_unwritable", path=args.out, reason=exc.strerror or "")
            ) from None
    for hid in result.damaged:
        print(tr("cli.damaged", record_id=hid), file=sys.stderr)
    print(tr("cli.export_warning"), file=sys.stderr)
    print(
        tr("cli.export_done", households=result.households, members=result.members, path=args.out)
    )
    return EXIT_ERROR if result.damaged else EXIT_OK


def cmd_dump(args: argparse.Namespace) -> int:
    from app.errors import RecordDamaged

    damaged, count = [], 0
    with open_store(args, write=False) as store:
        with _private_output(args.out) as out:
            for hid, rec in store.records():
                if isinstance(rec, RecordDamaged):
                    damaged.append(hid)
                    continue
                out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
                count += 1
        store.record_event("store.dump", detail=f"households={count}")
    print(tr("cli.dump_warning"), file=sys.stderr)
    if args.out:
        print(tr("cli.dump_done", n=count, path=args.out), file=sys.stderr)
    for hid in damaged:
        print(tr("cli.damaged", record_id=hid), file=sys.stderr)
    return EXIT_ERROR if damaged else EXIT_OK


@contextmanager
def _private_output(name: str | None):
    """stdout, or a file only its owner can read (personal data, unencrypted). Written under a
    temporary name made 0600 from the start and renamed over `name` at the end: an existing
    file's wider mode does not carry over, and a dump that fails leaves no half file. A device
    or pipe (/dev/stdout, a FIFO) is written as it is."""
    if not name:
        yield sys.stdout
        return
    target = Path(name)
    special = target.exists() and not target.is_file() and not target.is_dir()
    try:
        if special:
            out = open(target, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
            temp = None
        else:
            fd, temp = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=".part"
            )  # mode 0600
            out = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise CliError(tr("cli.export_unwritable", path=name, reason=exc.strerror or "")) from None
    try:
        with out:
            yield out
            if temp is not None:
                out.flush()
                os.fsync(out.fileno())
        if temp is not None:
            os.replace(temp, target)
    except OSError as exc:
        raise CliError(tr("cli.export_unwritable", path=name, reason=exc.strerror or "")) from None
    finally:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)  # gone already when renamed


def cmd_status(args: argparse.Namespace) -> int:
    with open_store(args, write=False) as store:
        counts = store.status_counts()
    if args.json:
        print(json.dumps(counts, sort_keys=True))
    else:
        for key, value in counts.items():
            print(f"{key}: {value}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    with open_store(args, write=False) as store:
        report = store.verify()
    for hid in report.damaged:
        print(tr("cli.damaged", record_id=hid))
    for seq in report.audit_broken:
        print(tr("cli.audit_broken", seq=seq))
    for hid in report.unaudited:
        print(tr("cli.unaudited", record_id=hid))
    for key, ids in (
        ("cli.missing", report.missing),
        ("cli.altered", report.altered),
        ("cli.unqueued", report.unqueued),
        ("cli.unverified", report.unverified),
    ):
        for hid in ids:
            print(tr(key, record_id=hid))
    print(
        tr(
            "cli.verify_summary",
            households=report.households,
            damaged=len(report.damaged),
            missing=len(report.missing),
            altered=len(report.altered),
            unverified=len(report.unverified),
            unqueued=len(report.unqueued),
            entries=report.audit_entries,
            broken=len(report.audit_broken),
            unaudited=len(report.unaudited),
            integrity=report.integrity,
        )
    )
    for aid in report.orphans:
        print(tr("cli.orphan_attachment", attachment_id=aid))
    for aid in report.unreferenced:
        print(tr("cli.unreferenced_attachment", attachment_id=aid))
    if report.orphans:
        print(tr("cli.orphans_note", n=len(report.orphans)))
    print(tr("cli.verify_ok" if report.ok else "cli.verify_bad"))
    return EXIT_OK if report.ok else EXIT_ERROR


def cmd_purge(args: argparse.Namespace) -> int:
    """Replace households whose retention period ended by their stubs (app/store/retention.py),
    and remove the photos and signatures of no household (a form never saved); --dry-run lists
    them. Ids only."""
    from app.store import attachments, retention

    with open_store(args, write=not args.dry_run) as store:
        orphans = attachments.sweep_orphans(store, dry_run=args.dry_run)
        result = retention.purge(store, dry_run=args.dry_run)
        full, stubs = retention.counts(store)
        days = retention.retention_days(store)
    for hid in result.ids:
        print(hid)
    key = "cli.purge_dry_run" if args.dry_run else "cli.purge_done"
    print(tr(key, n=len(result.ids), days=days, full=full, stubs=stubs))
    if orphans:
        note = "cli.purge_orphans_dry_run" if args.dry_run else "cli.purge_orphans"
        print(tr(note, n=len(orphans)))
    if not result.checkpointed:
        print(f"khbs: {tr('cli.warning', message=tr('cli.purge_wal_busy'))}", file=sys.stderr)
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from app.gui.app import run

    return run(_data_dir(args))


def cmd_passwd(args: argparse.Namespace) -> int:
    with open_store(args, write=True) as store:
        store.change_passphrase(new_passphrase("KHBS_NEW_PASSPHRASE"))
    print(tr("cli.passwd_done"))
    return EXIT_OK


def cmd_recover(args: argparse.Namespace) -> int:
    """Forgotten passphrase: the province turns this laptop's store id into a recovery code."""
    from app.recovery import parse_code
    from app.store import Store

    data_dir = _data_dir(args)
    print(tr("cli.recover_store_id", store_id=Store.id_of(data_dir)), file=sys.stderr)
    key = parse_code(os.environ.get("KHBS_RECOVERY_CODE") or _ask("cli.recover_prompt"))
    new = new_passphrase("KHBS_NEW_PASSPHRASE")
    Store.recover(data_dir, key, new, owner="khbs recover").close()
    print(tr("cli.recover_done"))
    return EXIT_OK


def _verify(args: argparse.Namespace) -> bool | str:
    """True (the system's CAs), or the province's own CA bundle given with --ca-bundle."""
    if args.ca_bundle is None:
        return True
    if not Path(args.ca_bundle).is_file():
        raise CliError(tr("cli.ca_bundle_missing", path=args.ca_bundle))
    return str(args.ca_bundle)


def cmd_enroll(args: argparse.Namespace) -> int:
    from sync.client import SyncClient

    verify = _verify(args)
    with open_store(args, write=True) as store:  # a SyncError is a KhbsError: main() says it
        device = SyncClient(store, verify=verify).enroll(
            args.server, args.code, allow_insecure=args.insecure_dev
        )
        areas = store.assigned_areas()
    print(
        tr(
            "cli.enrolled",
            device_id=device.device_id,
            officer_id=device.officer_id,
            areas=", ".join(areas),
        )
    )
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    from sync.client import SyncClient, attention_message, clock_warning

    verify = _verify(args)
    with open_store(args, write=True) as store:  # a SyncError is a KhbsError: main() says it
        report = SyncClient(store, verify=verify).sync(args.server, photos=not args.no_photos)
    counts = {
        "sent": report.sent,
        "synced": report.synced,
        "attention": report.attention,
        "events": report.events,
        "bytes_up": report.bytes_up,
        "bytes_down": report.bytes_down,
        "assigned": report.assigned,
        "province_changed": report.province_changed,
        "released": report.released,
        "purged": report.purged,
        "erased": report.erased,
        "returned": report.returned,  # by a supervisor (docs/sync.md, Supervision)
        "attachments_sent": report.attachments_sent,
        "attachment_bytes": report.attachment_bytes,
    }
    # Ids and codes only (and their texts): this output ends up in scripts, logs and tickets.
    attention = [
        {"household_id": hid, "reason": reason, "message": attention_message(reason)}
        for hid, reason in report.needs_attention
    ]
    warnings = []
    offset = report.clock_offset_s
    if offset is not None and report.clock_off:
        code = "clock_ahead" if offset > 0 else "clock_behind"
        warnings.append({"code": code, "message": clock_warning(offset)})
    if report.reviews_refused:
        message = tr("sync.reviews_refused", n=report.reviews_refused)
        warnings.append({"code": "reviews_refused", "message": message})
    if args.json:
        print(
            json.dumps(
                dict(
                    counts,
                    clock_offset_s=report.clock_offset_s,
                    needs_attention=attention,
                    warnings=warnings,
                    questionnaires=report.questionnaires,
                    questionnaires_refused=report.questionnaires_refused,
                ),
                sort_keys=True,
                ensure_ascii=False,
            )
        )
    else:
        print(tr("cli.sync_done", None, **counts))  # lang None: the current one
        if report.assigned or report.province_changed or report.released:
            print(tr("cli.sync_listed", None, **counts))
        if report.purged or report.erased:
            print(tr("cli.sync_retention", None, **counts))
        if report.attachments_sent:
            kb = round(report.attachment_bytes / 1024)
            print(tr("sync.attachments_sent", n=report.attachments_sent, kb=kb))
        if attention:
            print(tr("cli.sync_attention", n=len(attention)))
            for item in attention:
                print(tr("cli.sync_attention_line", **item))
        for version in report.questionnaires:
            print(tr("sync.questionnaire_available", version=version))
        for version in report.questionnaires_refused:
            refused = tr("sync.questionnaire_refused", version=version)
            print(f"khbs: {tr('cli.warning', message=refused)}", file=sys.stderr)
        for warning in warnings:
            print(f"khbs: {tr('cli.warning', message=warning['message'])}", file=sys.stderr)
    for hid in report.damaged:
        print(tr("cli.damaged", record_id=hid), file=sys.stderr)
    return EXIT_OK


# -- parsing ------------------------------------------------------------------------------------


CA_HELP = "the province's own CA certificates (PEM) to trust for https:// (default: the system's)"


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", default=argparse.SUPPRESS, help="data folder (default: KHBS_DATA_DIR)"
    )
    common.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="khbs", description="KHBS Enroll: field enrollment, offline and encrypted."
    )
    parser.add_argument("--data-dir", default=None, help="data folder (default: KHBS_DATA_DIR)")
    parser.add_argument("--lang", choices=LANGS, default=None, help="id (default) or en")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("init", parents=[common], help="create the encrypted store").set_defaults(
        func=cmd_init
    )
    demo = sub.add_parser("demo-data", parents=[common], help="add synthetic training households")
    demo.add_argument("--households", type=int, required=True)
    demo.add_argument("--seed", type=int, default=None)
    demo.set_defaults(func=cmd_demo_data)

    imp = sub.add_parser(
        "import",
        parents=[common],
        help="import households: JSON Lines, or an export folder (households.csv + members.csv)",
    )
    imp.add_argument("file", help="a .jsonl file, or an export folder or one of its .csv files")
    imp.add_argument("--skip-invalid", action="store_true", help="import the valid lines")
    imp.add_argument(
        "--accept-warnings", action="store_true", help="acknowledge warnings of final households"
    )
    imp.set_defaults(func=cmd_import)

    exp = sub.add_parser(
        "export",
        parents=[common],
        help="households.csv + members.csv + manifest.json for spreadsheets (docs/export.md)",
    )
    exp.add_argument("--out", required=True, help="folder to write the three files into")
    exp.add_argument("--status", choices=("draft", "final"), default=None)
    exp.add_argument("--desa", default=None, help="a desa (or kecamatan, regency) code")
    exp.add_argument("--mask-ids", action="store_true", help="NIK/KK: region and last 4 digits")
    exp.add_argument("--no-health", action="store_true", help="leave out the health answers")
    exp.add_argument(
        "--excel",
        action="store_true",
        help="Excel with Indonesian settings: ';' separator, BOM, decimal comma",
    )
    exp.set_defaults(func=cmd_export)

    dump = sub.add_parser("dump", parents=[common], help="every household as JSON Lines")
    dump.add_argument("--out", default=None)
    dump.set_defaults(func=cmd_dump)

    purge = sub.add_parser(
        "purge",
        parents=[common],
        help="keep only stubs of households the province decided longer ago than the "
        "retention period (docs/privacy.md)",
    )
    purge.add_argument("--dry-run", action="store_true", help="only list what would go")
    purge.set_defaults(func=cmd_purge)

    status = sub.add_parser("status", parents=[common], help="counts")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)

    sub.add_parser(
        "verify",
        parents=[common],
        help="open every record; check the audit log, rows deleted or edited outside the app, "
        "the send queue",
    ).set_defaults(func=cmd_verify)
    enroll = sub.add_parser("enroll", parents=[common], help="enroll this laptop with the province")
    enroll.add_argument("--server", required=True, metavar="URL")
    enroll.add_argument("--code", required=True, help="one-time enrollment code")
    enroll.add_argument(
        "--insecure-dev",
        action="store_true",
        help="allow plain HTTP to another machine (development only)",
    )
    enroll.add_argument("--ca-bundle", default=None, metavar="FILE", help=CA_HELP)
    enroll.set_defaults(func=cmd_enroll)

    sync = sub.add_parser("sync", parents=[common], help="send final households, fetch decisions")
    sync.add_argument("--server", default=None, metavar="URL", help="default: the enrolled server")
    sync.add_argument(
        "--no-photos",
        action="store_true",
        help="send the records only; photos and signatures wait for a better link",
    )
    sync.add_argument("--json", action="store_true")
    sync.add_argument("--ca-bundle", default=None, metavar="FILE", help=CA_HELP)
    sync.set_defaults(func=cmd_sync)

    sub.add_parser("gui", parents=[common], help="start the desktop app").set_defaults(func=cmd_gui)
    sub.add_parser(
        "recover",
        parents=[common],
        help="forgotten passphrase: set a new one with the province's recovery code",
    ).set_defaults(func=cmd_recover)
    sub.add_parser("passwd", parents=[common], help="change the passphrase").set_defaults(
        func=cmd_passwd
    )
    return parser


def _utf8_stdout() -> None:
    """Households and --json go to stdout as UTF-8 whatever the console's or pipe's code page:
    Windows writes redirected output in cp1252, which cannot hold every name, and import reads
    UTF-8 (tests/test_windows_paths.py)."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").replace("-", "").lower()
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None and encoding != "utf8":
        reconfigure(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    _utf8_stdout()
    args = build_parser().parse_args(argv)
    lang_at_start(args.lang)
    if args.command == "demo-data" and args.households < 0:
        print("khbs: --households >= 0", file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except KhbsError as exc:
        print(f"khbs: {exc.message(current_lang())}", file=sys.stderr)
    except CliError as exc:
        print(f"khbs: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"khbs: {tr('cli.interrupted')}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the user gets one line, never a traceback
        if os.environ.get("KHBS_DEBUG") == "1":
            raise
        # A disk or file failure (sqlite3, OSError) as what it is: disk full, in use,
        # damaged, read-only. Anything else by its type only.
        print(f"khbs: {user_message(exc, current_lang())}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
