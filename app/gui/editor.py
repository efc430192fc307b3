"""Autosave and finalise for the household being edited (controller, no layout).

A draft is saved (encrypted, on the worker) a couple of seconds after the last change, on every
section change, on Ctrl+S, when the page closes and before the app locks, so a closed window,
a lock or a crash loses at most the last few seconds of typing. One save is in flight at a
time; changes made meanwhile are saved right after it, with the revision it returned.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.errors import KhbsError, NotFinalisable
from app.gui.session import Session

AUTOSAVE_MS = 2000


class HouseholdEditor(QObject):
    saved = Signal(int)  # revision
    finalised = Signal(dict)
    needsAcknowledgement = Signal(object)  # rules.Result with warnings to confirm
    blocked = Signal(object)  # rules.Result with errors
    failed = Signal(str)  # a message for the officer

    def __init__(self, session: Session, form, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.form = form
        self.revision: int | None = None
        self.dirty = False
        self._in_flight = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_now)
        form.changed.connect(self._changed)
        form.sectionChanged.connect(lambda _: self.save_now())

    def load(self, record: dict, revision: int | None) -> None:
        self.revision = revision
        self.dirty = False
        self.form.set_record(record)

    def _changed(self) -> None:
        self.dirty = True
        self._timer.start()

    def save_now(self) -> None:
        self._timer.stop()
        if not self.dirty or self._in_flight:
            return
        self.dirty = False
        self._in_flight = True
        self.session.save_draft(
            self.form.record(), self.revision, on_done=self._saved, on_error=self._save_failed
        )

    def _saved(self, revision: int) -> None:
        self._in_flight = False
        self.revision = revision
        self.saved.emit(revision)
        if self.dirty:  # typed while the save was running
            self.save_now()

    def _save_failed(self, exc: BaseException) -> None:
        self._in_flight = False
        self.dirty = True  # keep it: the next change or close tries again
        self.failed.emit(_message(exc))

    def finalise(self, acknowledge: bool = False) -> None:
        """Save what is typed as final, if the rules allow it (checked on the worker with the
        device-wide NIK/KK lookups)."""
        if self._in_flight:
            QTimer.singleShot(100, lambda: self.finalise(acknowledge))
            return
        self._timer.stop()
        self.dirty = False
        self._in_flight = True
        self.session.finalise(
            self.form.record(), self.revision, acknowledge=acknowledge,
            on_done=self._finalised, on_error=self._finalise_failed,
        )

    def _finalised(self, result: tuple) -> None:
        self._in_flight = False
        final, self.revision = result
        self.form.set_record(final)
        self.finalised.emit(final)

    def _finalise_failed(self, exc: BaseException) -> None:
        self._in_flight = False
        if isinstance(exc, NotFinalisable):
            result = exc.result  # type: ignore[attr-defined]
            self.form.show_result(result)
            if result.errors:
                self.blocked.emit(result)
            else:
                self.needsAcknowledgement.emit(result)
            self.dirty = True
            self.save_now()  # keep what was typed, as a draft
            return
        self.dirty = True
        self.failed.emit(_message(exc))


def _message(exc: BaseException) -> str:
    if isinstance(exc, KhbsError):
        return exc.message()
    from app.i18n import tr as message

    return message("cli.unexpected", kind=type(exc).__name__)
