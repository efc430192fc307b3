"""Autosave and finalise for the household being edited (controller, no layout).

A draft is saved (encrypted, on the worker) a couple of seconds after the last change, on every
section change, on Ctrl+S, when the page closes and before the app locks, so a closed window,
a lock or a crash loses at most the last few seconds of typing. One save is in flight at a
time; changes made meanwhile are saved right after it, with the revision it returned.

The editor has no Qt parent: the page it serves may be deleted while a save is still running;
the queued operation's callbacks keep the editor alive. `close()` detaches it from the form.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from app import paradata, visits
from app.errors import NotFinalisable, user_message
from app.gui.session import Session

AUTOSAVE_MS = 2000


class HouseholdEditor(QObject):
    saved = Signal(int)  # revision
    finalised = Signal(dict)
    needsAcknowledgement = Signal(object)  # rules.Result with warnings to confirm
    blocked = Signal(object)  # rules.Result with errors
    failed = Signal(str)  # a message for the officer
    done = Signal()  # closed and nothing left in flight: the owner may drop it
    paradataChanged = Signal(dict)  # the paradata as saved (or, on load, as it stands)

    def __init__(
        self,
        session: Session,
        form,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        super().__init__()
        self.session = session
        self.form = form
        # Paradata (app/paradata.py): the time since the household was opened, per page.
        self._clock, self._wall = clock, wall
        self._timing: paradata.Session | None = None
        self._paradata_base: dict | None = None
        self.revision: int | None = None
        self.dirty = False
        self.closed = False
        self._in_flight = 0  # operations submitted and not yet answered
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_now)
        form.changed.connect(self._changed)
        form.sectionChanged.connect(self._section_changed)

    def load(self, record: dict, revision: int | None) -> None:
        """Open a household. A family left to revisit (nobody home) opened on a later day than
        its visit starts a new visit: the earlier one joins the history and the outcome is
        asked again (app/visits.py); saved only once the officer changes something."""
        self.revision = revision
        self.dirty = False
        record = visits.start_revisit(record, self.form.today or date.today()) or record
        self.form.set_record(record)
        self._paradata_base = record.get(paradata.PARADATA)
        self._timing = paradata.Session(self._wall(), self._clock(), page=self._page())
        self.paradataChanged.emit(self._stamped(self.form.record())[paradata.PARADATA])

    def _page(self) -> str:
        return self.form.section_keys()[self.form.current_section()]

    def _stamped(self, record: dict) -> dict:
        """The record with its paradata: what it held when opened, plus this opening so far."""
        if self._timing is None:
            return record
        stamp = self._timing.stamp(record, self._paradata_base, self._clock(), self._wall())
        return {**record, paradata.PARADATA: stamp}

    def _record(self) -> dict:
        record = self._stamped(self.form.record())
        self.paradataChanged.emit(record.get(paradata.PARADATA) or {})
        return record

    def _changed(self) -> None:
        self.dirty = True
        self._timer.start()

    def _section_changed(self, _index: int) -> None:
        if self._timing is not None:
            self._timing.switch(self._page(), self._clock())
        self.save_now()

    def save_now(self) -> None:
        self._timer.stop()
        if not self.dirty or self._in_flight or self.closed:
            return
        self.dirty = False
        self._in_flight += 1
        self.session.save_draft(
            self._record(), self.revision, on_done=self._saved, on_error=self._save_failed
        )

    def close(self) -> None:
        """The page is going (back to the list, lock, window closed). What is typed is queued
        now, before anything the caller queues next (such as closing the store); if a save is
        still running it goes right behind it, so the revision check is not needed."""
        self._timer.stop()
        self.form.changed.disconnect(self._changed)
        self.form.sectionChanged.disconnect(self._section_changed)
        for signal in (
            self.saved,
            self.finalised,
            self.needsAcknowledgement,
            self.blocked,
            self.paradataChanged,
        ):
            try:  # their receivers belong to the page that is going away
                signal.disconnect()
            except (RuntimeError, TypeError):
                pass
        if self.dirty:
            self.dirty = False
            revision = None if self._in_flight else self.revision
            self._in_flight += 1
            self.session.save_draft(
                self._record(), revision, on_done=self._saved, on_error=self._save_failed
            )
        self.closed = True
        self.form = None
        self._maybe_done()

    def _saved(self, revision: int) -> None:
        self._in_flight -= 1
        self.revision = revision
        self.saved.emit(revision)
        if self.dirty:  # typed while the save was running
            self.save_now()
        self._maybe_done()

    def _save_failed(self, exc: BaseException) -> None:
        self._in_flight -= 1
        self.dirty = not self.closed  # keep it: the next change or close tries again
        self.failed.emit(user_message(exc, app=True))  # disk full: says the edit is not saved
        self._maybe_done()

    def _maybe_done(self) -> None:
        if self.closed and not self._in_flight:
            self.done.emit()

    def finalise(self, acknowledge: bool = False) -> None:
        """Save what is typed as final, if the rules allow it (checked on the worker with the
        device-wide NIK/KK lookups)."""
        if self.closed:
            return
        if self._in_flight:
            QTimer.singleShot(100, lambda: self.finalise(acknowledge))
            return
        self._timer.stop()
        self.dirty = False
        self._in_flight += 1
        self.session.finalise(
            self._record(),
            self.revision,
            acknowledge=acknowledge,
            on_done=self._finalised,
            on_error=self._finalise_failed,
        )

    def _finalised(self, result: tuple) -> None:
        self._in_flight -= 1
        final, self.revision = result
        if not self.closed:
            self.form.set_record(final)
            self.dirty = False
        self.finalised.emit(final)
        self._maybe_done()

    def _finalise_failed(self, exc: BaseException) -> None:
        self._in_flight -= 1
        # Keep what was typed, as a draft, before asking anything: the question below may
        # start another finalise, which then waits for this save.
        self.dirty = not self.closed
        self.save_now()
        if isinstance(exc, NotFinalisable) and not self.closed:
            result = exc.result
            self.form.show_final_result(result)
            if result.errors:
                self.blocked.emit(result)
            else:
                self.needsAcknowledgement.emit(result)
        elif not isinstance(exc, NotFinalisable):
            self.failed.emit(user_message(exc, app=True))
        self._maybe_done()
