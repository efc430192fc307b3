"""Starting the desktop app: `khbs gui`."""

from __future__ import annotations

import json
import os
import sys
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTimer, QTranslator
from PySide6.QtWidgets import QApplication

from app.i18n import set_lang

_installed: list[QTranslator] = []
SMOKE_ENV = "KHBS_GUI_SMOKE"  # the bundle's smoke test (make dist-test): say what shows, quit


def install_translator(app: QCoreApplication | None, lang: str) -> bool:
    """Switch Qt translations to resources/i18n/khbs_<lang>.qm (built by `make` from the .ts)."""
    for old in _installed:
        QCoreApplication.removeTranslator(old)
    _installed.clear()
    translator = QTranslator(app)
    # One part per joinpath: in the bundle, "resources" may be a namespace package, whose
    # MultiplexedPath takes one (packaging/khbs.spec).
    path = resources.files("resources").joinpath("i18n").joinpath(f"khbs_{lang}.qm")
    if translator.load(str(path)):
        QCoreApplication.installTranslator(translator)
        _installed.append(translator)
        return True
    return False


def safe_excepthook(kind, value, tb) -> None:
    """An exception escaping a Qt slot: report its type and where, never its text (which can
    hold a value from a record). KHBS_DEBUG=1 shows everything, for developers on test data."""
    import traceback

    if os.environ.get("KHBS_DEBUG") == "1":
        traceback.print_exception(kind, value, tb)
        return
    frames = traceback.extract_tb(tb)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    print(f"khbs gui: unexpected {kind.__name__} at {where}", file=sys.stderr)


def run(data_dir: Path, argv: list[str] | None = None) -> int:
    from app.gui.main_window import MainWindow
    from app.gui.session import Session
    from app.gui.settings import Settings
    from app.gui.worker import StoreWorker

    sys.excepthook = safe_excepthook
    app = QApplication.instance() or QApplication(argv or sys.argv)
    app.setApplicationName("KHBS Enroll")
    settings = Settings.load(data_dir)
    set_lang(settings.lang)
    QLocale.setDefault(
        QLocale(QLocale.Language.Indonesian if settings.lang == "id" else QLocale.Language.English)
    )
    translated = install_translator(app, settings.lang)
    worker = StoreWorker()
    session = Session(data_dir, worker, settings)
    window = MainWindow(session)
    app.installEventFilter(window.idle)
    window.show()
    if os.environ.get(SMOKE_ENV) == "1":
        QTimer.singleShot(0, lambda: _smoke_report(app, window, translated))
    code = app.exec()
    worker.shutdown()  # queued saves finish before the process ends
    _report_unwritten_audit()
    return code


def _smoke_report(app: QCoreApplication, window, translated: bool) -> None:
    """One JSON line: the screen the app opened on and whether its translations loaded (the
    bundle's test checks both). Nothing personal: the store is still locked."""
    screen = type(window.stack.currentWidget()).__name__
    print(json.dumps({"screen": screen, "translations": translated}), flush=True)
    app.quit()


def _report_unwritten_audit() -> None:
    """Audit entries the store could not write before the app ended (the disk stayed full):
    they end with the process, so say so rather than drop them silently."""
    from app.i18n import tr as msg  # not `tr`: lupdate would take the key for a Qt text

    audit = sys.modules.get("app.store.audit")  # not loaded: the store was never opened
    if audit is not None and audit.unwritten_count():
        print(
            "khbs gui: "
            + msg("cli.audit_not_written", n=audit.unwritten_count(), reason=msg("reason.store")),
            file=sys.stderr,
        )
