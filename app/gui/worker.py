"""One thread owns the Store; the GUI submits small operations to it (datasette's single
writer, Anki's aqt/operations). Operations run in order, one at a time, and report back on the
GUI thread through their callbacks. Don't call UI routines inside an operation's function.
The sync thread (app/gui/syncing.py) submits its short store calls here too.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, QThread, Signal, Slot

if TYPE_CHECKING:
    from app.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")


class Cancelled(Exception):
    """Raised inside an operation that saw its cancel flag."""


@dataclass
class Progress:
    """Handed to an operation: report progress, and check for a cancel request."""

    op_id: int
    _emit: Callable[[int, int, int], None]
    _cancel: threading.Event = field(default_factory=threading.Event)

    def __call__(self, done: int, total: int) -> None:
        self._emit(self.op_id, done, total)
        if self._cancel.is_set():
            raise Cancelled()


class WorkerState:
    """What an operation gets: the store (an unlock sets it, a lock clears it) and progress."""

    def __init__(self) -> None:
        self._store: Store | None = None
        self._progress: Progress | None = None

    @property
    def store(self) -> Store:
        """The open store. An operation that runs after a lock closed it is Cancelled (its
        answer would be dropped anyway), not an AttributeError on None."""
        if self._store is None:
            raise Cancelled()
        return self._store

    @store.setter
    def store(self, store: Store | None) -> None:
        self._store = store

    @property
    def is_open(self) -> bool:
        return self._store is not None

    @property
    def progress(self) -> Progress:
        """The running operation's: every submitted Op has one."""
        if self._progress is None:
            raise RuntimeError("no operation is running")
        return self._progress

    @progress.setter
    def progress(self, progress: Progress | None) -> None:
        self._progress = progress


@dataclass
class Op:
    """A slow step: fn(state) -> result, run on the worker thread."""

    fn: Callable[[WorkerState], object]
    on_success: Callable[[Any], object] | None = None  # given what fn returned
    on_failure: Callable[[BaseException], object] | None = None
    on_progress: Callable[[int, int], object] | None = None
    id: int = 0
    progress: Progress | None = None

    def cancel(self) -> None:
        if self.progress:
            self.progress._cancel.set()


class _Runner(QObject):
    finished = Signal(int, object)
    failed = Signal(int, object)
    progressed = Signal(int, int, int)

    def __init__(self) -> None:
        super().__init__()
        self.state = WorkerState()
        self.stopping = False  # set on the GUI thread by StoreWorker.shutdown

    @Slot(object)
    def run(self, op: Op) -> None:
        self.state.progress = op.progress
        try:
            result = op.fn(self.state)
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI, never swallowed
            self.failed.emit(op.id, exc)
            return
        self.finished.emit(op.id, result)

    @Slot()
    def close_store(self) -> None:
        if self.state.is_open:
            self.state.store.close()
            self.state.store = None

    @Slot()
    def stop(self) -> None:
        """Queued like an operation, so everything submitted before it has run."""
        QThread.currentThread().quit()


# Every store thread with its runner, from its start until a shutdown has seen it end: only
# then, on the thread that waited for it, may the QThread be destroyed. Dropped earlier (a
# shutdown that timed out, a worker let go without one, the last reference to it released on
# a network or the store thread itself), ~QThread aborts the process ("Destroyed while thread
# is still running") or, on the ending thread, waits on itself and frees what it still uses.
_live: dict[int, tuple[QThread, _Runner]] = {}
_live_lock = threading.Lock()


@atexit.register
def _end_live_threads() -> None:
    """At interpreter exit: a worker never shut down stops after its current operation; one
    whose shutdown timed out finishes its queue (a save ends its transaction). Then their
    threads may be destroyed."""
    with _live_lock:
        live = list(_live.values())
    for thread, runner in live:
        if not runner.stopping:
            thread.quit()
        thread.wait()


class StoreWorker(QObject):
    """Lives on the GUI thread; its runner lives on the worker thread."""

    _submit = Signal(object)
    _close = Signal()
    _stop = Signal()
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._pending: dict[int, Op] = {}
        self._pending_lock = threading.Lock()  # submit() may come from the sync thread
        self._thread = QThread()
        self._thread.setObjectName("khbs-store")
        self._runner = _Runner()
        self._runner.moveToThread(self._thread)
        self._submit.connect(self._runner.run)
        self._close.connect(self._runner.close_store)
        self._stop.connect(self._runner.stop)
        self._runner.finished.connect(self._finished)
        self._runner.failed.connect(self._failed)
        self._runner.progressed.connect(self._progressed)
        with _live_lock:
            _live[id(self._thread)] = (self._thread, self._runner)
        self._thread.start()

    def submit(
        self,
        fn: Callable[[WorkerState], T],
        on_success: Callable[[T], object] | None = None,
        on_failure: Callable[[BaseException], object] | None = None,
        on_progress: Callable[[int, int], object] | None = None,
    ) -> Op:
        """Queue fn(state) on the worker thread. Safe from any thread; the callbacks always run
        on the GUI thread, and what they return is ignored."""
        with self._pending_lock:
            op = Op(fn, on_success, on_failure, on_progress, next(self._ids))
            op.progress = Progress(op.id, self._runner.progressed.emit)
            self._pending[op.id] = op
        self.busyChanged.emit(True)
        self._submit.emit(op)
        return op

    def close_store(self) -> None:
        """Queued behind every submitted operation, so pending saves finish first."""
        self._close.emit()

    def busy(self) -> bool:
        return bool(self._pending)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Finish queued work, close the store, stop the thread (on app exit). Answers to the
        last operations are not delivered: the GUI is going away. True once the thread has
        ended; a second call only waits again.

        An operation still running after timeout_ms keeps its thread going: False, and the
        thread stays in _live (waited for at interpreter exit) instead of being destroyed under
        the operation, which aborted the process."""
        if not self._runner.stopping:
            self._runner.stopping = True
            self._close.emit()
            self._stop.emit()
        if not self._thread.wait(timeout_ms):
            log.warning("store worker still busy %d ms into shutdown; left to end", timeout_ms)
            return False
        with _live_lock:
            _live.pop(id(self._thread), None)
        return True

    def _take(self, op_id: int) -> Op | None:
        with self._pending_lock:
            op = self._pending.pop(op_id, None)
            idle = not self._pending
        if idle:
            self.busyChanged.emit(False)
        return op

    @Slot(int, object)
    def _finished(self, op_id: int, result: object) -> None:
        op = self._take(op_id)
        if op and op.on_success:
            op.on_success(result)

    @Slot(int, object)
    def _failed(self, op_id: int, exc: BaseException) -> None:
        op = self._take(op_id)
        if op and op.on_failure:
            op.on_failure(exc)
        elif not isinstance(exc, Cancelled):
            # Only the type: an exception text could carry a value from a record.
            log.error("store operation failed: %s", type(exc).__name__)

    @Slot(int, int, int)
    def _progressed(self, op_id: int, done: int, total: int) -> None:
        op = self._pending.get(op_id)
        if op and op.on_progress:
            op.on_progress(done, total)
