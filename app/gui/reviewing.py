"""The supervision loop on the household page (controller, no layout): the household's decisions
read on the worker (app/store/supervision.py), put into words for views/review.py, and the open
return's comments handed to the form, each beside its question."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from app.gui.session import Session
    from app.gui.views.household import HouseholdPage
    from app.gui.views.review import ShownComment, ShownRound
    from app.store.supervision import Round, Supervision


def attach(
    session: Session, page: HouseholdPage, household_id: str, alive: Callable[[], bool]
) -> None:
    """Fill the page's review panel and the form's comments, once read; nothing for a household
    no supervisor has decided on (no store call). `alive()`: the page is still the one shown."""
    row = next((r for r in session.rows if r.id == household_id), None)
    if row is None or not (row.review_rounds or row.cases or row.returned_revision):
        return
    lang = session.settings.lang
    session.supervision(household_id, lambda found: show(page, found, lang) if alive() else None)


def show(page: HouseholdPage, found: Supervision, lang: str) -> None:
    from app.gui.views.review import ShownCase

    panel = page.review
    record = page.form.record()
    rounds = [_round(r, record, lang, page) for r in found.rounds]
    open_return = found.open_return
    shown_open = _round(open_return, record, lang, page) if open_return else None
    cases = [ShownCase(c.kind, c.outcome, _words(c.reason)) for c in found.cases]
    panel.show_review(shown_open, cases, len(rounds))
    if shown_open is not None:
        page.form.show_comments([(c.path, c.text) for c in shown_open.comments])
    panel.historyRequested.connect(lambda: _history(page, rounds))


def _round(r: Round, record: dict, lang: str, page: HouseholdPage) -> ShownRound:
    from app.gui.views.review import ShownRound

    comments = tuple(_comment(c.path, c.code, c.text, record, lang, page) for c in r.comments)
    kind = "reject" if r.decision == "rejected" else "return"
    return ShownRound(
        r.decision,
        r.round,
        _when(r.decided_at),
        _words(r.reason, kind),
        r.note or "",
        comments,
        r.damaged,
    )


def _comment(path, code, text, record: dict, lang: str, page: HouseholdPage) -> ShownComment:
    from app.gui.views.review import ShownComment

    said = ": ".join(t for t in (_words(code), text or "") if t)
    return ShownComment(tuple(path), page.review.where_text(tuple(path), record, lang), said)


def _words(code: str | None, kind: str = "return") -> str:
    """A reason or comment code in the officer's language, as the console shows it
    (app/review_reasons.py); a code this version does not know as it is."""
    from app.review_reasons import reason_label

    return reason_label(kind, code).replace("_", " ")


def _when(iso: str | None) -> str:
    """DD-MM-YYYY HH:MM in the laptop's time zone (a time without a zone is UTC, as the
    province keeps its times)."""
    if not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%d-%m-%Y %H:%M")


def _history(page: HouseholdPage, rounds: list[ShownRound]) -> None:
    from app.gui.views.review import ReviewHistoryDialog

    dialog = ReviewHistoryDialog(rounds, page.review, page)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    page.history_dialog = dialog
    dialog.open()
