"""The export dialog's controller: builds the options, runs export_store on the StoreWorker
(never on the GUI thread), shows progress and the outcome as text that is safe to show."""

from __future__ import annotations

import errno
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths

from app.i18n import tr as msg  # not `tr`: lupdate would take these keys for Qt texts

if TYPE_CHECKING:
    from app.gui.session import Session
    from app.gui.views.export import ExportDialog
    from app.gui.worker import Op, WorkerState


def default_folder(today: date | None = None) -> str:
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    base = Path(docs) if docs else Path.home()
    return str(base / f"KHBS-ekspor-{(today or date.today()).isoformat()}")


def expected_total(rows, status: str | None, desa: str | None) -> int:
    """Households the filters take, from the list already in memory (for the progress bar)."""
    return sum(
        1
        for r in rows
        if (not status or r.status == status)
        and (not desa or r.kode_desa == desa or (r.kode_desa or "").startswith(desa + "."))
    )


class ExportController:
    """One per dialog. Answers that come after the dialog closed or the app locked are dropped."""

    def __init__(self, session: Session, dialog: ExportDialog) -> None:
        self.session, self.dialog = session, dialog
        self.closed = False  # the dialog was closed: answers still coming are dropped
        self.op: Op | None = None
        self.runs = 0  # answers of an earlier run are dropped
        dialog.exportRequested.connect(self.start)
        dialog.cancelRequested.connect(self.cancel)
        dialog.finished.connect(self._closed)

    def start(self, choices: dict) -> None:
        if self.op is not None or not self.session.is_unlocked:
            return
        out = Path(choices["folder"]).expanduser()
        status, desa = choices["status"], choices["desa"]
        total = expected_total(self.session.rows, status, desa)
        flags = {k: choices[k] for k in ("excel", "mask_ids", "omit_health", "lang")}

        def fn(state: WorkerState):
            from app.export.laptop import export_store
            from app.export.layout import Options
            from app.gui.worker import Cancelled

            report = state.progress

            def progress(n: int) -> bool | None:
                try:
                    report(n, total)
                except Cancelled:
                    return False  # export_store removes its part files
                return None

            report(0, total)
            created = not out.exists()
            try:
                return export_store(
                    state.store, out, Options(**flags), status=status, desa=desa, progress=progress
                )
            except BaseException:
                if created:  # a cancelled export leaves not even its (empty) folder
                    try:
                        out.rmdir()
                    except OSError:
                        pass
                raise

        generation, self.runs = self.session.generation, self.runs + 1
        run = self.runs

        def current() -> bool:
            return (
                not self.closed
                and self.runs == run
                and self.op is not None
                and self.session.generation == generation
            )

        self.op = self.session.worker.submit(
            fn,
            lambda result: self._done(result, out) if current() else None,
            lambda exc: self._failed(exc, out) if current() else None,
            lambda done, n: self.dialog.show_progress(done, n) if current() else None,
        )
        self.dialog.set_running(total)  # after submit: a Cancel from here on reaches the op

    def cancel(self) -> None:
        if self.op is not None:
            self.op.cancel()
            if not self.closed:
                self.dialog.set_cancelling()

    def _done(self, result, out: Path) -> None:
        self.op = None
        text = msg(
            "cli.export_done", households=result.households, members=result.members, path=str(out)
        )
        if result.damaged:
            text += " " + msg("export.damaged", n=len(result.damaged))
        self.dialog.show_done(text)

    def _failed(self, exc: BaseException, out: Path) -> None:
        from app.export.files import Cancelled as ExportCancelled
        from app.gui.worker import Cancelled

        self.op = None
        if isinstance(exc, (Cancelled, ExportCancelled)):
            self.dialog.show_cancelled()
        else:
            self.dialog.show_error(export_message(exc, out))

    def _closed(self, _result: int) -> None:
        self.cancel()  # closing the window while exporting stops it
        self.closed = True


def export_message(exc: BaseException, out: Path) -> str:
    """A failed export as a sentence: the kind of failure and the folder, never an exception's
    text or a traceback."""
    from app.errors import user_message

    if isinstance(exc, OSError):
        key = (
            "export.disk_full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "export.unwritable"
        )
        return msg(key, path=str(out))
    return user_message(exc, app=True)
