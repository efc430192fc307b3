"""Network work off the store thread (issue 11): enroll, sync and the automatic sync's check.

Over 2G a sync takes minutes (timeouts, retries, Retry-After waits). As one StoreWorker
operation it held every autosave, open and list refresh behind the network, so typing was lost
if the battery died meanwhile. A NetworkJob runs the HTTP on a thread of its own; each store
access is a short call (take the next batch, apply the answers, apply a page of events with its
cursor, read a secret) that `run_on_store` submits to the StoreWorker, in order with the GUI's
own operations, and waits for on the job's thread. The GUI thread waits for nothing; results
come back to it as Qt signals.

cancel() (a lock) refuses every store call still to come, wakes the job from any wait and
lets the worker close the store at once; a call already running finishes its transaction, so
what the province acknowledged so far is kept. An HTTP request in flight is not interrupted:
the job ends when it returns (within the client's timeouts) without touching the store again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.gui.worker import Cancelled, StoreWorker, WorkerState

if TYPE_CHECKING:
    from app.store import Store

T = TypeVar("T")


class NetworkJob(QObject):
    """fn(job) on a thread of its own; on_success(result) or on_failure(exc), and
    on_progress(done, total, stage), on the GUI thread. Made and started on the GUI thread."""

    _succeeded = Signal(object)
    _failed = Signal(object)
    _progressed = Signal(int, int, str)
    _started: set[NetworkJob] = set()  # kept alive until their answer is delivered (GUI thread)

    def __init__(
        self,
        worker: StoreWorker,
        fn: Callable[[NetworkJob], object],
        on_success: Callable[[object], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> None:
        super().__init__()
        self.worker = worker
        self._fn = fn
        self._on_success, self._on_failure, self._on_progress = on_success, on_failure, on_progress
        self._cancel = threading.Event()
        self._waits: set[threading.Event] = set()  # store calls this job waits for
        self._waits_lock = threading.Lock()
        queued = Qt.ConnectionType.QueuedConnection  # delivered on the GUI thread
        self._succeeded.connect(self._deliver_success, queued)
        self._failed.connect(self._deliver_failure, queued)
        self._progressed.connect(self._deliver_progress, queued)
        # A daemon: a request still in flight when the app quits does not hold the exit (the
        # thread never writes anything itself; the worker has finished the store's calls).
        self._thread = threading.Thread(target=self._run, name="khbs-sync", daemon=True)

    def start(self) -> NetworkJob:
        NetworkJob._started.add(self)
        self._thread.start()
        return self

    def cancel(self) -> None:
        """From the GUI thread: no more store calls; any wait ends with Cancelled."""
        self._cancel.set()
        with self._waits_lock:
            for wait in self._waits:
                wait.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # -- on the job's thread -----------------------------------------------------------------

    def run_on_store(self, fn: Callable[[Store], T]) -> T:
        """fn(store) on the StoreWorker, after what is queued there; this thread waits for its
        result (or exception). Raises Cancelled once the job is cancelled or the store closed."""
        done = threading.Event()
        value: list[T] = []
        error: list[BaseException] = []

        def op(state: WorkerState) -> None:
            try:
                if self._cancel.is_set() or not state.is_open:
                    raise Cancelled()
                value.append(fn(state.store))
            except BaseException as exc:  # noqa: BLE001 - raised again on the job's thread
                error.append(exc)
            finally:
                done.set()

        with self._waits_lock:
            self._waits.add(done)
        try:
            if self._cancel.is_set():
                raise Cancelled()
            self.worker.submit(op)
            done.wait()
        finally:
            with self._waits_lock:
                self._waits.discard(done)
        if error:
            raise error[0]
        if not value:
            raise Cancelled()  # woken by cancel(); the op, if it still runs, refuses
        return value[0]

    def sleep(self, seconds: float) -> None:
        """A SyncClient's backoff or Retry-After wait, cut short by cancel()."""
        if self._cancel.wait(seconds):
            raise Cancelled()

    def progress(self, done: int, total: int, stage: str = "") -> None:
        """How far the job is (`stage` names the part: a sync sends records, then photos)."""
        self._progressed.emit(done, total, stage)
        if self._cancel.is_set():
            raise Cancelled()

    def _run(self) -> None:
        try:
            result = self._fn(self)
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI, never swallowed
            self._failed.emit(exc)
            return
        self._succeeded.emit(result)

    # -- on the GUI thread -------------------------------------------------------------------

    @Slot(object)
    def _deliver_success(self, result: object) -> None:
        NetworkJob._started.discard(self)
        if self._on_success:
            self._on_success(result)

    @Slot(object)
    def _deliver_failure(self, exc: BaseException) -> None:
        NetworkJob._started.discard(self)
        if self._on_failure:
            self._on_failure(exc)

    @Slot(int, int, str)
    def _deliver_progress(self, done: int, total: int, stage: str) -> None:
        if self._on_progress:
            self._on_progress(done, total, stage)
