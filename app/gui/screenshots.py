"""`make screenshots`: render the main screens offscreen with demo data into PNG files.

    QT_QPA_PLATFORM=offscreen python -m app.gui.screenshots docs/screenshots [--lang id|en]

Uses a throwaway store in a temporary folder with training households; nothing real.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from app.i18n import set_lang

PASSPHRASE = "layar-contoh-2026"


def _wait(signal, timeout_ms: int = 60000) -> None:
    """Block this script (not an app) until a signal fires."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def _settle(ms: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.gui.screenshots")
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", default="id", choices=("id", "en"))
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    set_lang(args.lang)

    from app.gui.app import install_translator
    from app.gui.main_window import MainWindow
    from app.gui.session import Session
    from app.gui.settings import Settings
    from app.gui.worker import StoreWorker

    app = QApplication.instance() or QApplication(sys.argv[:1])
    install_translator(app, args.lang)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.lang == "id" else "-en"

    with tempfile.TemporaryDirectory(prefix="khbs-shots-") as tmp:
        worker = StoreWorker()
        session = Session(Path(tmp), worker, Settings(lang=args.lang))
        window = MainWindow(session)
        window.resize(1366, 705)  # a 1366x768 laptop less taskbar and title bar
        window.show()
        _settle()
        window.first_run.passphrase.setText(PASSPHRASE)
        window.first_run.confirm.setText(PASSPHRASE)
        window.first_run.training.setChecked(True)
        window.grab().save(str(args.out / f"first-run{suffix}.png"))

        session.create(PASSPHRASE, training=True, demo_households=40)
        _wait(session.unlocked)
        _settle()
        window.grab().save(str(args.out / f"households{suffix}.png"))

        window.open_export()  # its defaults and the plain-text warning; nothing is written
        _settle()
        dialog = window.export_dialog
        assert dialog is not None, "the export dialog did not open"
        dialog.grab().save(str(args.out / f"export{suffix}.png"))
        dialog.reject()
        _settle()

        first = window.workspace.proxy.index(0, 0)
        window.workspace.table.activated.emit(first)
        _wait(worker.busyChanged)
        _settle(600)
        page = window.household
        assert page is not None, "the household did not open"
        keys = page.form.section_keys()
        for key, name in (
            ("", "form-identity"),
            ("rumah", "form-dwelling"),
            ("anggota", "form-members"),
        ):
            page.form.set_section(keys.index(key))
            _settle()
            window.grab().save(str(args.out / f"{name}{suffix}.png"))
        page.form.set_section(keys.index("persetujuan"))
        _settle()
        window.grab().save(str(args.out / f"form-consent{suffix}.png"))

        window.lock()
        _settle()
        window.grab().save(str(args.out / f"locked{suffix}.png"))
        window.close()
        worker.shutdown()
    print(f"screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
