"""Child processes for the desktop benchmarks. Each prints one JSON line when its window is
shown (or its store unlocked), then exits. Run by bench/gui.py, not by hand."""

import json
import os
import sys
import time


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    kind = sys.argv[1]
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication(sys.argv[:1])
    report = {}

    def done(**extra):
        report.update(extra, rss_mib=rss_mib())
        print(json.dumps(report), flush=True)
        app.quit()

    if kind == "bare":
        w = QWidget()
        w.resize(1100, 720)
        w.show()
        QTimer.singleShot(0, lambda: done())
    else:
        from pathlib import Path

        from app.gui.main_window import MainWindow
        from app.gui.session import Session
        from app.gui.worker import StoreWorker

        data_dir = Path(sys.argv[2])
        worker = StoreWorker()
        session = Session(data_dir, worker)
        window = MainWindow(session)
        window.show()
        if kind == "start":
            QTimer.singleShot(0, lambda: done())
        else:  # "unlocked": unlock and wait for the list to fill
            t = time.perf_counter()
            session.unlocked.connect(
                lambda: QTimer.singleShot(
                    0,
                    lambda: done(
                        unlock_s=time.perf_counter() - t, rows=window.workspace.model.rowCount()
                    ),
                )
            )
            session.unlock(sys.argv[3])
    app.exec()
    if kind != "bare":
        worker.shutdown()


if __name__ == "__main__":
    main()
