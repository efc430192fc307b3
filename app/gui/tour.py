"""A walk through every page and dialog of the app at 1366x705, on a throwaway store with
training households: first run, the list, export, enroll, settings, every section of the form,
the member dialog, a failed Finalise, the province's changes, the supervisor's returns, the
evidence (photo picker, camera, signature, the form with both attached and the photo's point), lock,
unlock with an error and recovery. `make screenshots` saves each stop as a PNG;
tests/test_gui_fit.py checks at each stop that every text has its room (app/gui/fit.py).

    for name, widget in tour(Path(tmp), "id"): ...

Each stop is (name, the top-level widget to look at: the main window or the dialog open).
Nothing real is touched: the store lives in the folder given and holds demo data only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app.gui.fit import SCREEN
from app.i18n import set_lang
from app.policy import MIN_PASSPHRASE

PASSPHRASE = "layar-contoh-2026"


def wait(signal, timeout_ms: int = 60000) -> None:
    """Block the walk (not an app) until a signal fires."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def settle(ms: int = 200) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def until(condition, timeout_ms: int = 20000) -> None:
    waited = 0
    while not condition() and waited < timeout_ms:
        settle(50)
        waited += 50


def tour(folder: Path, lang: str) -> Iterator[tuple[str, QWidget]]:
    from app.gui.app import install_translator
    from app.gui.main_window import MainWindow
    from app.gui.session import Session
    from app.gui.settings import Settings
    from app.gui.worker import StoreWorker

    set_lang(lang)
    app = QApplication.instance()
    install_translator(app, lang)
    worker = StoreWorker()
    session = Session(folder, worker, Settings(lang=lang))
    window = MainWindow(session)
    try:
        window.resize(SCREEN)
        window.show()
        settle()
        window.first_run.passphrase.setText(PASSPHRASE)
        window.first_run.confirm.setText(PASSPHRASE)
        window.first_run.training.setChecked(True)
        settle()
        yield "first-run", window
        window.first_run.show_error(_error_text("error.weak_passphrase", minimum=MIN_PASSPHRASE))
        settle()
        yield "first-run-error", window
        window.first_run.show_error("")

        session.create(PASSPHRASE, training=True, demo_households=40)
        wait(session.unlocked)
        settle()
        yield "households", window
        yield from _every_state(window, session)
        yield from _dialogs(window)
        yield from _household(window, worker)
        yield from _province_change(window, lang)
        yield from _supervision(window, session, worker)
        yield from _evidence(window, worker, folder)

        window.lock()
        settle()
        window.unlock_page.show_error(_error_text("error.wrong_passphrase"))
        settle()
        yield "locked", window
        window.open_recover()
        settle()
        dialog = window.recover_dialog
        assert dialog is not None, "the recovery dialog did not open"
        dialog.show_error(_error_text("error.recovery_code"))
        settle()
        yield "recover", dialog
        dialog.reject()
        settle()
    finally:
        window.close()
        worker.shutdown()
        window.deleteLater()
        settle(50)


def _error_text(key: str, **params: object) -> str:
    """A message as the app shows it, from the catalogue."""
    from app.i18n import tr

    return tr(key, None, **params)


# Every sync state and mark the list can show, widest first: the columns must hold them whole.
STATES = (
    dict(sync_state="pending", status="final", released=True, province_duplicates=("kk",)),
    dict(sync_state="to_verify", status="draft", listed=True, province_changed=True),
    dict(sync_state="rejected", status="final", sync_reason="rejected"),
    dict(sync_state="local", status="draft", outcome=4, revisit_on="2026-12-09"),
    dict(sync_state="synced", status="final", outcome=3, card_number="KHBS-6201-000123"),
    dict(sync_state="duplicate", status="final", province_duplicates=("nik",)),
    dict(sync_state="training", status="final"),
)


def _every_state(window, session) -> Iterator[tuple[str, QWidget]]:
    """The list with a row in each state (shown only: nothing is stored), then as it was."""
    from dataclasses import replace

    rows = session.rows
    shown = [replace(row, **STATES[i % len(STATES)]) for i, row in enumerate(rows)]
    window.workspace.model.set_rows(shown, session.desa_names)
    settle()
    yield "households-states", window
    window.workspace.model.set_rows(rows, session.desa_names)
    settle(50)


def _dialogs(window) -> Iterator[tuple[str, QWidget]]:
    window.open_export()  # its defaults and the plain-text warning; nothing is written
    settle()
    export = window.export_dialog
    assert export is not None, "the export dialog did not open"
    yield "export", export
    export.reject()
    settle()

    window.open_enroll()
    settle()
    enroll = window.enroll_dialog
    assert enroll is not None, "the enroll dialog did not open"
    yield "enroll", enroll
    enroll.show_error(_error_text("sync.error.certificate"))
    settle()
    yield "enroll-error", enroll
    enroll.reject()
    settle()

    window.open_settings()
    settle()
    dialog = window.settings_dialog
    assert dialog is not None, "the settings dialog did not open"
    yield "settings", dialog
    dialog.reject()
    settle()


def _household(window, worker) -> Iterator[tuple[str, QWidget]]:
    first = window.workspace.proxy.index(0, 0)
    window.workspace.table.activated.emit(first)
    until(lambda: window.household is not None)
    until(lambda: not worker.busy())
    settle(300)
    page = window.household
    assert page is not None, "the household did not open"
    form = page.form
    for i, key in enumerate(form.section_keys()):
        form.set_section(i)
        settle(100)
        yield f"form-{key or 'identity'}", window
    members = form.members
    form.set_section(form.section_keys().index("anggota"))
    settle(100)
    dialog = members.edit(0)
    assert dialog is not None, "the member dialog did not open"
    settle()
    yield "member", dialog
    dialog.reject()
    settle()
    # A household with nothing typed, finalised: every section shows its own messages.
    window.workspace.newRequested.emit()
    until(lambda: window.household is not page)
    settle(200)
    window.household.finaliseRequested.emit()
    until(lambda: bool(window.household.form.result.issues))
    until(lambda: not worker.busy())
    settle(200)
    yield "form-errors", window
    window.household.closeRequested.emit()
    until(lambda: not worker.busy())
    settle(200)


def _province_change(window, lang: str) -> Iterator[tuple[str, QWidget]]:
    from app.gui.views.province_change import ProvinceChangeDialog
    from app.verification import diff

    mine = {
        "no_kk": "6201010101010001",
        "rumah": {"luas_lantai": 36, "status_kepemilikan": 1},
        "anggota": [{"nama": "Agus", "nik": "6201010101800001", "hubungan": 1}],
    }
    theirs = {
        "no_kk": "6201010101010001",
        "rumah": {"luas_lantai": 48, "status_kepemilikan": 2},
        "anggota": [{"nama": "Agus Salim", "nik": "6201010101800001", "hubungan": 1}],
    }
    dialog = ProvinceChangeDialog(diff(mine, theirs), lang, window)
    dialog.show()
    settle()
    yield "province-change", dialog
    dialog.reject()
    dialog.deleteLater()
    settle(50)


def _supervision(window, session, worker) -> Iterator[tuple[str, QWidget]]:
    """The supervision loop: two demo households returned by a supervisor (sealed to a key made
    here, as the province seals to the device's box key), one of them twice and in a duplicate
    case, a third verified with a card; the list on "Perlu perbaikan", the returned household
    at its members with the comments, the member at the NIK comment, the history."""
    import json

    from app.province_key import ProvinceKeyPair, seal_to
    from app.store.outbox import apply_events
    from sync.protocol import CaseEvent, ReviewEvent, StatusEvent, b64, review_info

    box, device = ProvinceKeyPair.generate(), "tour"
    families = [r.id for r in session.rows if len(r.members) >= 2]  # a comment on member 2
    first, second, third = families[:3]

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
        events = [returned(first, 1, 1, [("rumah.jenis_lantai", "Lantai tanah di foto")], None)]
        apply_events(store, events, 0, box=(device, box))
        record, _ = store.get(first)
        revision = store.save(record, sync_state="training")  # the officer's correction
        events = [
            StatusEvent(None, first, revision, "received").to_json(),
            returned(
                first,
                revision,
                2,
                [
                    ("anggota.1.nik", "NIK tidak sama dengan KK: cek digit terakhir"),
                    ("rumah.jenis_lantai", "Masih tertulis semen"),
                ],
                "Cocokkan dengan KK asli saat kunjungan ulang",
            ),
            CaseEvent(None, "case-7", first, "nik", second, "open").to_json(),
            returned(second, 1, 1, [("no_kk", "Nomor KK kurang satu digit")], None),
            StatusEvent(None, third, 1, "verified", None, "KHBS-6271-0000123").to_json(),
        ]
        apply_events(store, events, 0, box=(device, box))

    worker.submit(supervise)
    session.refresh()
    wait(session.rowsChanged)
    settle()
    ws = window.workspace
    ws.show_returned()
    settle()
    yield "households-returned", window
    ws.table.activated.emit(ws.proxy.index(0, 0))
    until(lambda: window.household is not None and window.household.review.isVisible())
    until(lambda: not worker.busy())
    settle(300)
    page = window.household
    form = page.form
    form.set_section(form.section_keys().index("anggota"))
    settle(100)
    yield "form-returned", window
    form.go_to(("anggota", 1, "nik"), open_member=True)
    settle()
    dialog = form.members.dialog
    assert dialog is not None, "the member did not open at the comment"
    yield "member-comment", dialog
    dialog.reject()
    settle()
    page.review.historyRequested.emit()
    settle()
    history = page.history_dialog
    assert history is not None, "the review history did not open"
    yield "review-history", history
    history.reject()
    page.closeRequested.emit()
    until(lambda: not worker.busy())
    ws.status.setCurrentIndex(0)
    settle(200)


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
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "IMG_20261130_091542.jpg"
    image.save(path, "JPEG", quality=90, exif=exif)
    return path


def _evidence(window, worker, folder: Path) -> Iterator[tuple[str, QWidget]]:
    """A new household with consent given: the photo picker on a phone's folder (one dwelling
    photo with GPS tags, in the throwaway folder), the signature pad with a signature drawn,
    then the evidence section with both attached and the location taken from the photo."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPainterPath

    from app.gui.evidence import EvidenceController, notice_version
    from app.gui.views.signature import SignatureDialog

    window.workspace.newRequested.emit()
    until(lambda: window.household is not None and window.household.evidence is not None)
    until(lambda: not worker.busy())
    settle(200)
    page = window.household
    evidence = page.evidence
    assert isinstance(evidence, EvidenceController)
    given = page.form.section("persetujuan").editor("diberikan")
    given.set_value(True)
    given.changed.emit()

    evidence.folder = str(_demo_photo(folder / "foto-ponsel").parent)
    picker = evidence.picker()
    picker.show()
    until(lambda: picker.list.count() > 0 and not worker.busy())
    settle()
    yield "photo-picker", picker
    chosen = picker.chosen()
    assert chosen is not None, "the photo picker shows no photo"
    picker.reject()
    picker.deleteLater()
    evidence.add_photo("foto_rumah", chosen)
    until(lambda: evidence.editors["foto_rumah"].value() is not None)

    # The camera dialog with a frame in its preview (no camera here: the frame is fed to the
    # sink the camera would fill), then with the photo taken.
    from PySide6.QtGui import QImage
    from PySide6.QtMultimedia import QVideoFrame

    from app.gui.views.camera import CameraDialog

    camera = CameraDialog(None, page)
    frame = QImage(chosen).scaled(1280, 960)
    camera.show()
    camera.sink.setVideoFrame(QVideoFrame(frame))
    until(camera.take.isEnabled)
    settle()
    yield "camera", camera
    camera.take_photo()
    settle()
    yield "camera-taken", camera
    camera.reject()
    camera.deleteLater()

    dialog = SignatureDialog(notice_version(), page)
    path = QPainterPath(QPointF(40, 150))
    for x, y in ((110, 60), (170, 150), (240, 70), (300, 140), (380, 90), (560, 130)):
        path.lineTo(x, y)
    dialog.pad.strokes.append(path)
    dialog.pad.drawn.emit()
    dialog.show()
    settle()
    yield "signature", dialog
    evidence.add_signature("tanda_tangan", dialog.pad.png(), notice_version())
    dialog.reject()
    dialog.deleteLater()
    until(lambda: evidence.editors["tanda_tangan"].value() is not None)
    until(lambda: not worker.busy())

    form = page.form
    form.set_section(form.section_keys().index("bukti"))
    settle()
    yield "form-evidence", window
    form.set_section(form.section_keys().index("lokasi"))
    settle()
    yield "form-location", window
    page.closeRequested.emit()
    until(lambda: not worker.busy())
    settle(200)
