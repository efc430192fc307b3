import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["KHBS_LANG"] = "id"  # what the command lines read at start, in process or as children

from app.crypto import KdfParams  # noqa: E402
from app.i18n import set_lang  # noqa: E402
from app.store import Store  # noqa: E402

PASSPHRASE = "kapuas-hulu-2026"
# The OWASP minimum: real Argon2id, cheap enough to open many stores in one test run.
FAST_KDF = KdfParams(memory_kib=19 * 1024, iterations=2, lanes=1)


def in_ci() -> bool:
    """CI=true (or 1, yes): a test whose tool or service is missing fails instead of skipping."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_collection_modifyitems(items):
    """The bundle's build and smoke test (tests/test_bundle.py, the longest single test) goes
    first: under xdist one worker builds it while the other starts on the rest, instead of the
    build becoming the run's tail."""
    items.sort(key=lambda item: item.get_closest_marker("bundle") is None)


# -- PySide6 and the references to None, True and False ---------------------------------------
# PySide6 6.12.0's wheels dropped references on Python 3.11: every void method returned None,
# and signal.emit() returned True, without a reference of their own (harmless on 3.12+, where
# these objects are immortal). Each call took one from the count; the process died at exit
# with "Fatal Python error: bool_dealloc" once all the GUI tests ran in one process (CHANGELOG,
# pyproject.toml). On 3.11 the counts are real, so such a defect shows as a drop across a test.
#
# A defect drops the count once per call: on 6.12.0 the GUI tests dropped True by up to 1,081
# each. A sound binding leaves nothing below the count before the test once the garbage is gone
# (_settle): what a test still holds at its end only raises it. All the GUI tests in one process
# on 6.11.3 dropped it by 15 at most (a daemon thread of an earlier test letting go of an answer
# meanwhile is no defect), hence the margin.
SINGLETON_MARGIN = 100


def _refcounts() -> dict[str, int]:
    import sys

    return {"True": sys.getrefcount(True), "False": sys.getrefcount(False)}


def _settle() -> dict[str, int]:
    """The counts once the garbage is gone: Qt's deferred deletes (deleteLater) delivered and
    Python's cycles collected (a full collection: about 0.1 s of CPU in the GUI tests)."""
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    if QCoreApplication.instance() is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    return _refcounts()


@pytest.fixture(autouse=True)
def _qt_keeps_its_references(request):
    """A Qt test (one with the QApplication) must not take references to True or False that
    it never gave: the test that does fails here, by name, instead of the whole process dying
    at exit. The first autouse fixture, so its window holds the others' set-up and teardown."""
    if "qapp" not in request.fixturenames:
        yield
        return
    before = _settle()
    yield

    def dropped(after: dict[str, int]) -> dict[str, int]:
        return {k: before[k] - after[k] for k in before if before[k] - after[k] > SINGLETON_MARGIN}

    # Garbage left only raises the counts, so the cheap look can clear a test, not condemn it.
    if dropped(_refcounts()) and (lost := dropped(_settle())):
        pytest.fail(
            f"references to {', '.join(lost)} lost during this test ({lost}, margin "
            f"{SINGLETON_MARGIN}): a PySide6 call returns a singleton without taking a reference "
            "(tests/test_qt_references.py finds which); at exit the process would die with "
            "'Fatal Python error: bool_dealloc'",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _indonesian():
    """Each test starts in Bahasa Indonesia: a language chosen in one (`--lang en`, the app's
    settings) is a process setting and must not carry over into the next."""
    set_lang("id")
    yield
    set_lang("id")


@pytest.fixture(autouse=True)
def _builtin_questionnaire_only():
    """Questionnaire versions registered in one test (a store that keeps version 2, a server
    that published it) are a process setting too: each test starts with the built-in one."""
    from app import questionnaire

    questionnaire.forget_versions()
    yield
    questionnaire.forget_versions()


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def store(data_dir):
    s = Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF)
    yield s
    s.close()


def compiled_translations() -> None:
    """`make test` builds the .qm files; a bare `pytest` run builds missing ones itself."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "resources" / "i18n"
    lrelease = shutil.which("pyside6-lrelease", path=str(Path(sys.executable).parent))
    for ts in folder.glob("*.ts"):
        qm = ts.with_suffix(".qm")
        if lrelease and (not qm.exists() or qm.stat().st_mtime < ts.stat().st_mtime):
            subprocess.run([lrelease, "-silent", str(ts), "-qm", str(qm)], check=True)


@pytest.fixture(scope="session")
def qapp_translated(qapp):
    """The QApplication with the app's Indonesian translations, as `khbs gui` starts."""
    from app.gui.app import install_translator

    compiled_translations()
    assert install_translator(qapp, "id"), "resources/i18n/khbs_id.qm did not load"
    yield qapp


@pytest.fixture
def small_disk(tmp_path):
    """A small tmpfs at tmp_path/small (tests/smalldisk.py): .fill() it, .free() it."""
    from tests.smalldisk import SmallDisk

    disk = SmallDisk.mount(tmp_path / "small")
    yield disk
    disk.unmount()
