"""`khbs-server review|cards|cases ...`: the supervision loop for automation (issue 15,
docs/supervision.md). The commands act for the province (--regency narrows a listing or an
issue to one regency) and are registered by sync/server_cli.py's build_parser (`register`).

    review list     households waiting for a decision, oldest first
    review verify | return | reject --id H --revision N
    review reasons  the reason codes (resources/review_reasons.json)
    cards issue     --regency CODE [--desa CODE] [--dry-run]
    cards reissue   --id H --reason lost|damaged|data_changed
    cards list      the print list: a CSV in the export's Excel-ID layout
    cases list | decide

Free text (a return's note and comments) given here is in the shell's history: the console
is the place for text that names people.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from app.i18n import current_lang, tr
from sync.server_cli import EXIT_OK, CliError, cli_scope, database, unlock


def _json(obj: object) -> None:
    print(json.dumps(obj, sort_keys=True, ensure_ascii=False))


def _when(moment) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


# -- review -------------------------------------------------------------------------------------


def cmd_review_list(args: argparse.Namespace) -> int:
    from sync.server import repo, review

    scope = cli_scope(args.regency)
    desa = repo.canonical_area(args.desa) if args.desa else None
    with database(args) as engine, engine.connect() as conn:
        rows = review.queue(conn, scope, desa=desa, officer=args.officer, limit=args.limit)
        total = review.queue_count(conn, scope, desa=desa, officer=args.officer)
    if args.json:
        _json(
            {
                "total": total,
                "households": [
                    {
                        "household_id": r.household_id,
                        "revision": r.revision,
                        "kode_desa": r.kode_desa,
                        "officer_id": r.officer_id,
                        "waiting_since": _when(r.waiting_since),
                        "rounds": r.rounds,
                        "conflict": r.conflict,
                    }
                    for r in rows
                ],
            }
        )
        return EXIT_OK
    for r in rows:
        again = tr("server.review_again", n=r.rounds + 1) if r.rounds else ""
        print(
            tr(
                "server.review_line",
                household_id=r.household_id,
                revision=r.revision,
                desa=r.kode_desa,
                officer=r.officer,
                since=r.waiting_since.strftime("%d-%m-%Y %H:%M"),
                again=again,
            )
        )
    print(tr("server.review_count", n=total))
    return EXIT_OK


def _comments(raw: list[list[str]] | None) -> list[dict]:
    out = []
    for path, code, text in raw or []:
        out.append(
            {
                "path": "" if path == "-" else path,
                "code": None if code == "-" else code,
                "text": None if text == "-" else text,
            }
        )
    return out


def _decide(args: argparse.Namespace, decision: str) -> int:
    from sync.server import review
    from sync.server.admins import CLI_ACTOR
    from sync.server.scope import Scope

    with database(args) as engine, engine.begin() as conn:
        keys = unlock(conn)
        done = review.decide(
            conn,
            keys,
            Scope.province(),
            CLI_ACTOR,
            args.id,
            args.revision,
            decision,
            reason=getattr(args, "reason", None),
            note=getattr(args, "note", None),
            comments=_comments(getattr(args, "comment", None)),
        )
    if args.json:
        _json(done)
    else:
        print(tr("server.review_done", **done))
    return EXIT_OK


def cmd_review_verify(args: argparse.Namespace) -> int:
    return _decide(args, "verified")


def cmd_review_return(args: argparse.Namespace) -> int:
    return _decide(args, "returned")


def cmd_review_reject(args: argparse.Namespace) -> int:
    return _decide(args, "rejected")


def cmd_review_reasons(args: argparse.Namespace) -> int:
    from sync.server.review import reason_codes

    codes = reason_codes()
    if args.json:
        _json(codes)
        return EXIT_OK
    lang = current_lang()
    for kind, found in codes.items():
        print(f"{kind}:")
        for code, labels in found.items():
            print(f"  {code:22} {labels.get(lang) or labels['id']}")
    return EXIT_OK


# -- cards --------------------------------------------------------------------------------------


def _area(code: str | None) -> str | None:
    from sync.server import repo

    return repo.canonical_area(code) if code else None


def cmd_cards_issue(args: argparse.Namespace) -> int:
    from sync.server import cards
    from sync.server.admins import CLI_ACTOR
    from sync.server.scope import Scope

    regency, desa = _area(args.regency), _area(args.desa)
    if regency is not None and regency.count(".") != 1:
        raise CliError(tr("server.export_filter", name="--regency", value=regency))
    with database(args) as engine, engine.begin() as conn:
        if not args.dry_run:
            unlock(conn)
        done = cards.issue(
            conn, Scope.province(), CLI_ACTOR, regency=regency, desa=desa, dry_run=args.dry_run
        )
    if args.json:
        _json(done.as_dict())
        return EXIT_OK
    detail = "".join(f", {kab}: {n}" for kab, n in done.by_regency.items())
    detail = f" ({detail[2:]})" if detail else ""
    key = "server.cards_preview" if args.dry_run else "server.cards_issued"
    print(tr(key, n=done.count, detail=detail))
    return EXIT_OK


def cmd_cards_reissue(args: argparse.Namespace) -> int:
    from sync.server import cards
    from sync.server.admins import CLI_ACTOR
    from sync.server.scope import Scope

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)
        done = cards.reissue(conn, Scope.province(), CLI_ACTOR, args.id, args.reason)
    if args.json:
        _json(done)
    else:
        print(tr("server.card_reissued", **done))
    return EXIT_OK


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(tr("server.export_filter", name="--since", value=text[:40])) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cmd_cards_list(args: argparse.Namespace) -> int:
    from sync.server import cards
    from sync.server.admins import CLI_ACTOR
    from sync.server.scope import Scope

    out = Path(args.out)
    with database(args) as engine, engine.begin() as conn:
        keys = unlock(conn)
        n = cards.print_list(
            conn,
            keys,
            Scope.province(),
            CLI_ACTOR,
            out,
            regency=_area(args.regency),
            desa=_area(args.desa),
            since=_since(args.since),
        )
    if args.json:
        _json({"cards": n, "path": str(out)})
    else:
        print(tr("server.cards_listed", n=n, path=out))
    return EXIT_OK


# -- duplicate cases ----------------------------------------------------------------------------


def cmd_cases_list(args: argparse.Namespace) -> int:
    from sync.server import cases

    scope = cli_scope(args.regency)
    with database(args) as engine, engine.connect() as conn:
        found = cases.list_cases(conn, scope, state=None if args.all else "open")
    if args.json:
        _json({"cases": [c.as_dict() for c in found]})
        return EXIT_OK
    for c in found:
        print(
            tr(
                "server.case_line",
                case_id=c.id,
                kind=c.kind,
                household_a=c.household_a,
                household_b=c.household_b,
                outcome=c.outcome,
            )
        )
    return EXIT_OK


def cmd_cases_decide(args: argparse.Namespace) -> int:
    from sync.server import cases
    from sync.server.admins import CLI_ACTOR
    from sync.server.scope import Scope

    with database(args) as engine, engine.begin() as conn:
        unlock(conn)
        done = cases.decide(
            conn, Scope.province(), CLI_ACTOR, args.case, args.outcome, reason=args.reason
        )
    if args.json:
        _json(done)
    else:
        print(tr("server.case_decided", case_id=done["case_id"], outcome=done["outcome"]))
    return EXIT_OK


# -- parsing ------------------------------------------------------------------------------------


def register(sub, command, common) -> None:
    """Add `review`, `cards` and `cases` to khbs-server's parser (server_cli.build_parser)."""
    from sync.protocol import CASE_OUTCOMES

    rv = sub.add_parser("review", parents=[common], help="the review queue and decisions")
    actions = rv.add_subparsers(dest="action", required=True)
    listing = command(actions, "list", cmd_review_list, "households waiting, oldest first")
    listing.add_argument("--regency", default=None, metavar="CODE")
    listing.add_argument("--desa", default=None, metavar="CODE", help="a desa or kecamatan")
    listing.add_argument("--officer", default=None, metavar="ID")
    listing.add_argument("--limit", type=int, default=100, metavar="N")
    listing.add_argument("--json", action="store_true")
    helps = {
        "verify": (cmd_review_verify, "verify the household's revision"),
        "return": (cmd_review_return, "return it to the officer for correction"),
        "reject": (cmd_review_reject, "reject it, with a reason code"),
    }
    for name, (func, text) in helps.items():
        p = command(actions, name, func, text)
        p.add_argument("--id", required=True, metavar="HOUSEHOLD_ID")
        p.add_argument(
            "--revision",
            required=True,
            type=int,
            metavar="N",
            help="the revision reviewed: refused when a newer one has arrived",
        )
        p.add_argument("--json", action="store_true")
        if name != "verify":
            p.add_argument(
                "--reason",
                required=name == "reject",
                default=None,
                metavar="CODE",
                help="see `khbs-server review reasons`",
            )
            p.add_argument("--note", default=None, help="free text for the officer")
        if name == "return":
            p.add_argument(
                "--comment",
                nargs=3,
                action="append",
                metavar=("PATH", "CODE", "TEXT"),
                help="on one question, e.g. anggota.1.nik nik_wrong 'Cek KK' ('-': none); "
                "members counted from 0",
            )
    reasons = command(actions, "reasons", cmd_review_reasons, "the reason codes")
    reasons.add_argument("--json", action="store_true")

    cd = sub.add_parser("cards", parents=[common], help="KHBS cards for verified households")
    card_actions = cd.add_subparsers(dest="action", required=True)
    issue = command(card_actions, "issue", cmd_cards_issue, "issue cards in bulk")
    issue.add_argument("--regency", default=None, metavar="CODE")
    issue.add_argument("--desa", default=None, metavar="CODE", help="a desa or kecamatan")
    issue.add_argument("--dry-run", action="store_true", help="only count them")
    issue.add_argument("--json", action="store_true")
    reissue = command(card_actions, "reissue", cmd_cards_reissue, "replace a lost card")
    reissue.add_argument("--id", required=True, metavar="HOUSEHOLD_ID")
    reissue.add_argument("--reason", required=True, choices=("lost", "damaged", "data_changed"))
    reissue.add_argument("--json", action="store_true")
    printing = command(card_actions, "list", cmd_cards_list, "the print list (CSV, Excel-ID)")
    printing.add_argument("--out", required=True, metavar="FILE.csv")
    printing.add_argument("--regency", default=None, metavar="CODE")
    printing.add_argument("--desa", default=None, metavar="CODE")
    printing.add_argument("--since", default=None, metavar="DATE", help="issued at or after")
    printing.add_argument("--json", action="store_true")

    cs = sub.add_parser("cases", parents=[common], help="province-wide duplicate cases")
    case_actions = cs.add_subparsers(dest="action", required=True)
    clist = command(case_actions, "list", cmd_cases_list, "open cases (--all: decided too)")
    clist.add_argument("--regency", default=None, metavar="CODE")
    clist.add_argument("--all", action="store_true")
    clist.add_argument("--json", action="store_true")
    decide = command(case_actions, "decide", cmd_cases_decide, "decide (or decide again)")
    decide.add_argument("--case", required=True, metavar="CASE_ID")
    decide.add_argument(
        "--outcome", required=True, choices=CASE_OUTCOMES, help="as seen from household_a"
    )
    decide.add_argument("--reason", default=None, metavar="CODE")
    decide.add_argument("--json", action="store_true")
