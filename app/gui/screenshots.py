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


def _until(done, timeout_s: float = 60) -> None:
    for _ in range(int(timeout_s * 10)):
        if done():
            return
        _settle(100)
    raise RuntimeError("screenshots: an evidence operation did not finish")


def _demo_photo(folder: Path) -> Path:
    """A drawn dwelling with a phone's GPS tags (Palangka Raya), as a phone would copy it."""
    from fractions import Fraction

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1200), (150, 200, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 850, 1600, 1200), fill=(90, 150, 70))
    draw.rectangle((450, 500, 1150, 900), fill=(170, 120, 70))
    draw.polygon([(380, 520), (800, 250), (1220, 520)], fill=(120, 60, 40))
    draw.rectangle((720, 680, 860, 900), fill=(80, 50, 30))
    draw.rectangle((520, 600, 640, 700), fill=(230, 230, 200))
    draw.rectangle((960, 600, 1080, 700), fill=(230, 230, 200))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:11:30 09:15:42"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "S", 2: (Fraction(2), Fraction(12), Fraction(49)), 3: "E"})
    gps.update({4: (Fraction(113), Fraction(54), Fraction(39)), 31: Fraction(8)})
    path = folder / "IMG_20261130_091542.jpg"
    image.save(path, "JPEG", quality=90, exif=exif)
    return path


def _evidence(page, folder: Path) -> None:
    """The dwelling photo (its GPS point becomes the location) and a drawn signature."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPainterPath

    from app.gui.views.signature import SignaturePad

    consent = page.form.section("persetujuan")
    if not consent.editor("diberikan").value():
        consent.editor("diberikan").set_value(True)
        consent.editor("diberikan").changed.emit()
    from app.gui.evidence import EvidenceController

    evidence = page.evidence
    assert isinstance(evidence, EvidenceController)
    evidence.add_photo("foto_rumah", str(_demo_photo(folder)))
    _until(lambda: evidence.editors["foto_rumah"].value() is not None)
    pad = SignaturePad()
    path = QPainterPath(QPointF(40, 150))
    for x, y in ((110, 60), (170, 150), (240, 70), (300, 140), (380, 90), (560, 130)):
        path.lineTo(x, y)
    pad.strokes.append(path)
    evidence.add_signature("tanda_tangan", pad.png(), "2026.1")
    _until(lambda: evidence.editors["tanda_tangan"].value() is not None)


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
        window.workspace.newRequested.emit()  # a new household: evidence from the phone
        _settle(600)
        page = window.household
        assert page is not None, "the new household did not open"
        _evidence(page, Path(tmp))
        page.form.set_section(page.form.section_keys().index("bukti"))
        _settle()
        window.grab().save(str(args.out / f"form-evidence{suffix}.png"))
        page.form.set_section(page.form.section_keys().index("lokasi"))
        _settle()
        window.grab().save(str(args.out / f"form-location{suffix}.png"))

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
