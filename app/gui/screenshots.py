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

        _review_screens(window, session, worker, args.out, suffix)

        window.lock()
        _settle()
        window.grab().save(str(args.out / f"locked{suffix}.png"))
        window.close()
        worker.shutdown()
    print(f"screenshots written to {args.out}")
    return 0


def _review_screens(window, session, worker, out: Path, suffix: str) -> None:
    """The supervision loop: two demo households returned by a supervisor (sealed to a key made
    here, as the province seals to the device), one with a duplicate case and one verified with
    a card; the list on "Perlu perbaikan", the form at a comment, the member, the history."""
    import json

    from app.province_key import ProvinceKeyPair, seal_to
    from app.store.outbox import apply_events
    from sync.protocol import CaseEvent, ReviewEvent, StatusEvent, b64, review_info

    if window.household is not None:
        window.household.closeRequested.emit()  # back to the list
        _settle()
    box = ProvinceKeyPair.generate()
    device = "screens"
    ids = [r.id for r in session.rows[:3]]

    def returned(hid: str, revision: int, number: int, comments: list, note: str | None) -> dict:
        review = {
            "round": number,
            "decided_at": f"2026-12-0{number + 1}T09:30:00Z",
            "reason": "nik_wrong" if number > 1 else "answer_inconsistent",
            "note": note,
            "comments": [
                {"path": p, "member_id": None, "code": None, "text": t} for p, t in comments
            ],
        }
        sealed = seal_to(
            box.public_bytes(), json.dumps(review).encode(), review_info(device, hid, revision)
        )
        return ReviewEvent(None, hid, revision, b64(sealed)).to_json()

    def supervise(state) -> None:
        store = state.store
        first, second, third = ids
        events = [returned(first, 1, 1, [("rumah.jenis_lantai", "Lantai tanah di foto")], None)]
        apply_events(store, events, 0, box=(device, box))
        record, _ = store.get(first)
        revision = store.save(record, sync_state="training")  # the officer's correction
        nik = "NIK tidak sama dengan KK: cek digit terakhir"
        events = [
            StatusEvent(None, first, revision, "received").to_json(),
            returned(
                first,
                revision,
                2,
                [("anggota.1.nik", nik), ("rumah.jenis_lantai", "Masih tertulis semen")],
                "Cocokkan dengan KK asli saat kunjungan ulang",
            ),
            CaseEvent(None, "case-7", first, "nik", second, "open").to_json(),
            returned(second, 1, 1, [("no_kk", "Nomor KK kurang satu digit")], None),
            StatusEvent(None, third, 1, "verified", None, "KHBS-6271-0000123").to_json(),
        ]
        apply_events(store, events, 0, box=(device, box))

    worker.submit(supervise)
    session.refresh()
    _wait(session.rowsChanged)
    _settle()
    ws = window.workspace
    ws.show_returned()
    _settle()
    window.grab().save(str(out / f"households-returned{suffix}.png"))
    ws.table.activated.emit(ws.proxy.index(0, 0))
    _wait(worker.busyChanged)
    _settle(800)
    page = window.household
    assert page is not None and page.review.isVisible(), "the returned household did not open"
    keys = page.form.section_keys()
    page.form.set_section(keys.index("anggota"))
    _settle()
    window.grab().save(str(out / f"form-returned{suffix}.png"))
    page.form.go_to(("anggota", 1, "nik"), open_member=True)
    _settle(600)
    dialog = page.form.members.dialog
    assert dialog is not None, "the member did not open"
    dialog.grab().save(str(out / f"member-comment{suffix}.png"))
    dialog.reject()
    _settle()
    page.review.historyRequested.emit()
    _settle(600)
    assert page.history_dialog is not None, "the history did not open"
    page.history_dialog.grab().save(str(out / f"review-history{suffix}.png"))
    page.history_dialog.reject()
    _settle()


if __name__ == "__main__":
    sys.exit(main())
