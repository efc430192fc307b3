"""The store worker: operations run off the GUI thread, in order, and report back on it."""

import threading
import time

import pytest

from app.gui.worker import Cancelled, StoreWorker
from app.store import Store
from tests.conftest import FAST_KDF, PASSPHRASE


@pytest.fixture
def worker(qtbot):
    w = StoreWorker()
    yield w
    w.shutdown()


def test_operations_run_on_the_worker_in_order(qtbot, worker):
    gui = threading.get_ident()
    seen, results = [], []

    def op(n):
        def fn(state):
            seen.append((n, threading.get_ident()))
            return n

        return fn

    with qtbot.waitSignal(worker.busyChanged, check_params_cb=lambda busy: not busy, timeout=5000):
        for n in range(5):
            worker.submit(op(n), on_success=lambda r: results.append((r, threading.get_ident())))
    assert [n for n, _ in seen] == [0, 1, 2, 3, 4]
    assert all(t != gui for _, t in seen)
    assert results == [(n, gui) for n in range(5)]


def test_failure_and_cancel_reach_the_callbacks(qtbot, worker):
    errors, progress = [], []

    def boom(state):
        raise ValueError("x")

    def long(state):
        # Reports progress until the GUI's cancel arrives (bounded: about 10 s at most).
        for i in range(10_000):
            state.progress(i, 10_000)
            time.sleep(0.001)
        return "done"

    with qtbot.waitSignal(worker.busyChanged, check_params_cb=lambda busy: not busy, timeout=5000):
        worker.submit(boom, on_failure=errors.append)
        op = worker.submit(
            long,
            on_failure=errors.append,
            on_progress=lambda d, t: (progress.append(d), op.cancel()),
        )
    assert isinstance(errors[0], ValueError)
    assert isinstance(errors[1], Cancelled)


def test_store_lives_on_the_worker(qtbot, worker, data_dir):
    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    got = []

    def unlock(state):
        state.store = Store.open(data_dir, PASSPHRASE)
        return state.store.status_counts()

    with qtbot.waitSignal(worker.busyChanged, check_params_cb=lambda busy: not busy, timeout=10000):
        worker.submit(unlock, on_success=got.append)
        worker.close_store()
        worker.submit(lambda state: state.store, on_success=got.append, on_failure=got.append)
    assert got[0]["households"] == 0
    # Closed after the work queued before it: a later operation finds no store and is
    # Cancelled (was: state.store None, and an AttributeError in the operation using it).
    assert isinstance(got[1], Cancelled)


def test_an_operation_after_a_lock_shows_no_error(qtbot, worker, data_dir):
    """Opening a household whose answer comes after the store closed: Cancelled, silently (it
    once reached the generic error box as an AttributeError)."""
    from app.gui.session import Session

    session = Session(data_dir, worker)
    errors: list[BaseException] = []
    session.failed.connect(errors.append)
    with qtbot.waitCallback() as ran:
        worker.submit(lambda state: state.is_open, ran)
    ran.assert_called_with(False)  # no store open, as after a lock
    opened: list[object] = []
    session.open_household("any-id", opened.append)
    with qtbot.waitCallback() as after:
        worker.submit(lambda state: None, after)  # queued behind it: it has run
    assert errors == [] and opened == []


# -- the thread's end: never destroyed while it runs ------------------------------------------
# Each case runs in a child process: the defect it guards against aborts the process.

CHILD = """
import gc, sys, threading, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
from app.gui.worker import StoreWorker

app = QApplication([])
done = Path(sys.argv[1])
started = threading.Event()

def slow_save(state):
    started.set()
    time.sleep(1.0)
    done.write_text("saved")

worker = StoreWorker()
worker.submit(slow_save)
started.wait(10)
if sys.argv[2] == "timeout":
    print("shutdown:", worker.shutdown(timeout_ms=50), flush=True)
del worker  # a shutdown that timed out, or none at all: the operation is still running
gc.collect()
print("let go", flush=True)
"""


@pytest.mark.parametrize("how", ["timeout", "no-shutdown"])
def test_a_worker_let_go_while_its_operation_runs_lets_it_finish(tmp_path, how):
    """Was: a shutdown that timed out (an operation longer than its 30 s at exit) or a worker
    dropped without one destroyed its running QThread: "QThread: Destroyed while thread is still
    running" and the process aborted in the middle of the save."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = tmp_path / "done"
    env = dict(os.environ, PYTHONPATH=str(root), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(done), how],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Destroyed while thread" not in proc.stderr
    assert "let go" in proc.stdout
    if how == "timeout":
        assert "shutdown: False" in proc.stdout
    assert done.read_text() == "saved"  # the save ended before the process did
