"""Issue 11: a sync that waits on the network must not hold the officer's work.

The real app (MainWindow, Session, StoreWorker) on a real store, enrolled with the real server
on 127.0.0.1 through tests/faultproxy.py. The proxy holds the server's answer to the push, as
a 2G link that goes quiet does; while it is held the officer saves, opens and locks. What was
saved is read back by another process (`khbs dump`, as the officer's supervisor would), before
the answer is released: on disk, not in a queue behind the network.
"""

from __future__ import annotations

import json
import threading

import pytest
from PySide6.QtCore import Qt

from app import questionnaire as q
from app.gui.syncing import NetworkJob
from app.gui.views.household import HouseholdPage
from app.gui.worker import Cancelled, StoreWorker
from app.store import Store
from sync.client import SyncClient
from tests import records
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.faultproxy import FaultProxy
from tests.records import numbered
from tests.test_cli import Khbs
from tests.test_gui_app import (  # noqa: F401 - `start` is a fixture
    CTRL,
    ENTER,
    TIMEOUT,
    App,
    answer,
    go_to_section,
    leaks,
    open_by_search,
    press,
    press_mnemonic,
    start,
    unlock,
)
from tests.test_gui_sync import SENT, WAITING, province, sync_column  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("qapp_translated")

PUSH = b"POST /v1/push "  # the request whose answer the link holds
HEAD_NIK = records.head()[q.NIK]  # the draft household's head; the queued ones have others


@pytest.fixture
def link(province):  # noqa: F811 - the fixture
    """A fault proxy in front of the province's server; never left holding at the end."""
    port = int(province.url.rsplit(":", 1)[1])
    with FaultProxy(port) as proxy:
        yield proxy
        proxy.release()


@pytest.fixture
def laptop(data_dir, province, link):  # noqa: F811 - the fixture
    """A store enrolled through the proxy, with two final households queued for the province
    and the sample household as a draft the officer is working on; returns the draft."""
    draft = records.household(status="draft")
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as store:
        SyncClient(store).enroll(link.url(), province.code())
        store.save(numbered(2))  # not 1: its head has the draft's NIK
        store.save(numbered(3))
        store.save(draft)
    return draft


def on_disk(tmp_path, data_dir, household_id: str) -> dict:
    """The household as another process reads it from the store now (`khbs dump`)."""
    out = tmp_path / "dump.jsonl"
    Khbs(data_dir, tmp_path).ok("dump", "--out", str(out))
    found = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    out.unlink()
    return next(r for r in found if r["id"] == household_id)


def start_held_sync(qtbot, app: App, link: FaultProxy) -> None:
    """A sync (as the automatic timer starts it) whose push answer the link holds."""
    link.hold(after=PUSH)
    assert app.session.sync() is not None
    qtbot.waitUntil(link.held.is_set, timeout=TIMEOUT)
    assert app.session.syncing


def test_autosave_reaches_the_disk_while_the_sync_waits(
    start, laptop, link, qtbot, tmp_path, data_dir
):  # noqa: F811 - `start` is a fixture
    app = start(sync_minutes=0)  # no timer: this test starts the sync itself
    unlock(qtbot, app)
    page = open_by_search(qtbot, app, HEAD_NIK)
    go_to_section(qtbot, page.form, "lokasi")
    lokasi = page.form.section("lokasi")
    press(qtbot, ENTER)  # from the village to RT

    start_held_sync(qtbot, app, link)
    answer(qtbot, lokasi, "rt", "019")
    with qtbot.waitSignal(app.window.editor.saved, timeout=TIMEOUT):
        press(qtbot, Qt.Key.Key_S, CTRL)  # an autosave, asked for now
    assert app.session.syncing  # the push answer is still held in the link
    assert on_disk(tmp_path, data_dir, laptop["id"])["lokasi"]["rt"] == "019"

    # Back to the list and open the household again, the sync still waiting.
    press(qtbot, Qt.Key.Key_W, CTRL)
    qtbot.waitUntil(lambda: app.page() is app.window.workspace)
    page = open_by_search(qtbot, app, HEAD_NIK)
    assert page.form.record()["lokasi"]["rt"] == "019"
    assert app.session.syncing

    link.release()
    qtbot.waitUntil(lambda: not app.session.syncing, timeout=TIMEOUT)
    press(qtbot, Qt.Key.Key_W, CTRL)
    qtbot.waitUntil(lambda: app.page() is app.window.workspace)
    assert sync_column(app).count(SENT) == 2  # the held push went through in the end
    assert not app.window.workspace.sync_message.isVisible()


def test_lock_during_a_stalled_sync_and_the_next_sync_sends_the_rest(
    start, laptop, link, qtbot, tmp_path, data_dir
):  # noqa: F811 - `start` is a fixture
    app = start(sync_minutes=0)
    w = app.window
    unlock(qtbot, app)
    page = open_by_search(qtbot, app, HEAD_NIK)
    go_to_section(qtbot, page.form, "lokasi")
    press(qtbot, ENTER)
    answer(qtbot, page.form.section("lokasi"), "rt", "023")  # typed, not saved yet
    assert leaks(w, laptop)

    start_held_sync(qtbot, app, link)
    held = [t for t in threading.enumerate() if t.name == "khbs-sync"]  # the sync's thread
    press(qtbot, Qt.Key.Key_L, CTRL)
    qtbot.waitUntil(lambda: app.page() is w.unlock_page)
    qtbot.waitUntil(lambda: not w.findChildren(HouseholdPage))  # gone, not hidden
    assert not app.session.is_unlocked and not app.session.syncing
    assert w.workspace.model.rowCount() == 0 and leaks(w, laptop) == []
    # The lock completes while the answer is still held: the worker has saved what was typed
    # and closed the store (the key is gone from memory), not waiting for the network.
    with qtbot.waitCallback(timeout=TIMEOUT) as closed:
        app.worker.submit(lambda state: not state.is_open, closed)
    closed.assert_called_with(True)
    assert link.held.is_set()
    assert on_disk(tmp_path, data_dir, laptop["id"])["lokasi"]["rt"] == "023"

    # The answer arrives after the lock: the cancelled sync ends without touching the store
    # (the next unlock shows both households still waiting) and without a message.
    link.release()
    qtbot.waitUntil(lambda: not any(t.is_alive() for t in held), timeout=TIMEOUT)
    unlock(qtbot, app)
    assert sync_column(app).count(WAITING) == 2
    failures: list[str] = []
    app.session.syncFailed.connect(failures.append)
    ws = w.workspace
    press_mnemonic(qtbot, ws.sync_button)
    qtbot.waitUntil(lambda: sync_column(app).count(SENT) == 2, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not app.session.syncing, timeout=TIMEOUT)
    assert failures == [] and not ws.sync_message.isVisible()
    assert WAITING not in sync_column(app)


# -- the mechanism: NetworkJob ----------------------------------------------------------------


@pytest.fixture
def worker(qtbot, data_dir):
    """A StoreWorker holding an unlocked store."""
    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    w = StoreWorker()
    w.submit(lambda state: setattr(state, "store", Store.open(data_dir, PASSPHRASE)))
    yield w
    w.shutdown()


def test_a_job_runs_on_its_own_thread_and_its_store_calls_on_the_worker(qtbot, worker):
    gui = threading.get_ident()
    seen: dict[str, int] = {}
    progress: list[tuple[int, int, int]] = []

    def counts(store):
        seen["store"] = threading.get_ident()
        return store.status_counts()

    def run(job: NetworkJob):
        seen["job"] = threading.get_ident()
        found = job.run_on_store(counts)
        job.progress(1, 2)
        return found["households"]

    with qtbot.waitCallback(timeout=TIMEOUT) as done:
        NetworkJob(
            worker,
            run,
            done,
            on_progress=lambda d, t, _s: progress.append((d, t, threading.get_ident())),
        ).start()
    done.assert_called_with(0)
    assert len({gui, seen["job"], seen["store"]}) == 3
    assert progress == [(1, 2, gui)]


def test_cancel_wakes_the_job_and_its_store_call_never_runs(qtbot, worker):
    """A lock cancels the sync while its next store call waits behind a slow save: the job
    ends at once, and the call does not run when its turn comes (the store may be closing)."""
    slow, calling, ran = threading.Event(), threading.Event(), []
    worker.submit(lambda _state: slow.wait(30))

    def run(job: NetworkJob):
        calling.set()
        return job.run_on_store(lambda store: ran.append(store))

    with qtbot.waitCallback(timeout=TIMEOUT) as failed:
        job = NetworkJob(worker, run, on_failure=failed).start()
        qtbot.waitUntil(calling.is_set)
        job.cancel()
    assert isinstance(failed.args[0], Cancelled)
    assert not slow.is_set()  # woken while the worker was still busy
    slow.set()
    with qtbot.waitCallback(timeout=TIMEOUT) as idle:
        worker.submit(lambda _state: None, idle)
    assert ran == []


def test_a_backoff_wait_ends_when_the_job_is_cancelled(qtbot, worker):
    """SyncClient sleeps through NetworkJob.sleep in the app: a lock must not wait out a
    server that asked for minutes."""
    with qtbot.waitCallback(timeout=TIMEOUT) as failed:
        job = NetworkJob(worker, lambda job: job.sleep(300), on_failure=failed).start()
        job.cancel()
    assert isinstance(failed.args[0], Cancelled)
