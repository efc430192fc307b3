"""Evidence in the form, with the real StoreWorker and a real store: a phone photo chosen from a
folder by its thumbnail becomes an attached, stripped, sealed photo and gives the dwelling's GPS
point; a signature drawn with the mouse is stored with the notice version; removing deletes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog

from app.gui.editor import HouseholdEditor
from app.gui.evidence import EvidenceController
from app.gui.session import Session
from app.gui.settings import Settings
from app.gui.views.household import HouseholdPage
from app.gui.views.photo_picker import PhotoPicker
from app.gui.views.signature import SignatureDialog
from app.gui.worker import StoreWorker
from app.households import new_record
from app.store import Store
from app.store import attachments as stored
from tests import photos
from tests.conftest import FAST_KDF, PASSPHRASE

pytestmark = pytest.mark.usefixtures("qapp_translated")
TIMEOUT = 15_000


@pytest.fixture
def opened(qtbot, data_dir):
    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    worker = StoreWorker()
    session = Session(data_dir, worker, Settings(lang="id"))
    with qtbot.waitSignal(session.unlocked, timeout=TIMEOUT):
        session.unlock(PASSPHRASE)
    page = HouseholdPage("id", [])
    qtbot.addWidget(page)
    editor = HouseholdEditor(session, page.form)
    record = new_record()
    editor.load(record, None)
    controller = EvidenceController(session, page.form, page)
    yield session, page, editor, controller, record["id"]
    editor.close()
    worker.shutdown()


def on_worker(qtbot, session, fn):
    got = []
    session.worker.submit(lambda state: fn(state.store), got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=TIMEOUT)
    return got[0]


def test_photo_from_a_folder_with_thumbnails_gives_the_gps_point(qtbot, opened, tmp_path):
    session, page, editor, controller, hid = opened
    folder = tmp_path / "DCIM"
    folder.mkdir()
    (folder / "IMG_0001.jpg").write_bytes(photos.phone_jpeg(seed=3))
    (folder / "notes.txt").write_text("not a photo")
    picker = PhotoPicker(str(folder))
    qtbot.addWidget(picker)
    controller._read_folder(picker, str(folder))
    qtbot.waitUntil(lambda: picker.list.count() == 1, timeout=TIMEOUT)
    assert not picker.list.item(0).icon().isNull()  # a thumbnail, read on the worker
    assert picker.chosen().endswith("IMG_0001.jpg")

    house = controller.editors["foto_rumah"]
    controller.add_photo("foto_rumah", picker.chosen())
    qtbot.waitUntil(lambda: house.value() is not None, timeout=TIMEOUT)
    assert house.picture.pixmap() is not None and not house.picture.pixmap().isNull()
    assert "KB" in house.status.text() and "30-11-2026 09:15" in house.status.text()
    point = controller.gps.value()
    assert point["sumber_titik"] == 2 and point["lat"] == pytest.approx(-2.2136, abs=1e-5)
    assert "foto" in controller.gps.note.text().lower()
    record = page.form.record()
    assert record["bukti"]["foto_rumah"] == house.value()
    assert record["lokasi"]["gps"]["akurasi_m"] == 6.5
    kept = on_worker(qtbot, session, lambda s: stored.content(s, house.value()))
    assert photos.CAMERA_MODEL.encode() not in kept and kept.startswith(b"\xff\xd8")

    # Typed by hand afterwards: the source says so.
    controller.gps.parts["lat"].set_value(-2.3)
    controller.gps.parts["lat"].changed.emit()
    assert controller.gps.value()["sumber_titik"] == 3

    # Another photo replaces it; the first is deleted from the store.
    first = house.value()
    controller.add_photo("foto_rumah", str(folder / "IMG_0001.jpg"))
    qtbot.waitUntil(lambda: house.value() not in (None, first), timeout=TIMEOUT)
    qtbot.waitUntil(
        lambda: on_worker(qtbot, session, lambda s: stored.get(s, first)) is None,
        timeout=TIMEOUT,
    )
    # Removed: gone from the form and the store.
    second = house.value()
    house.requested.emit("remove")
    assert house.value() is None
    qtbot.waitUntil(
        lambda: on_worker(qtbot, session, lambda s: stored.listed(s, hid)) == [],
        timeout=TIMEOUT,
    )
    assert second


def test_not_a_photo_is_said_in_words(qtbot, opened, tmp_path, monkeypatch):
    session, page, editor, controller, hid = opened
    shown = []
    monkeypatch.setattr("app.gui.evidence.QMessageBox.warning", lambda *a: shown.append(a[2]))
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really")
    controller.add_photo("foto_kk", str(bad))
    qtbot.waitUntil(lambda: bool(shown), timeout=TIMEOUT)
    assert "bukan foto" in shown[0]
    assert controller.editors["foto_kk"].value() is None


def test_signature_drawn_with_the_mouse(qtbot, opened):
    session, page, editor, controller, hid = opened
    consent = page.form.section("persetujuan").editor("diberikan")
    consent.set_value(True)  # the signature is asked only of a family that agreed
    consent.changed.emit()
    qtbot.waitUntil(lambda: page.form.section("bukti").is_shown("tanda_tangan"), timeout=TIMEOUT)
    dialog = SignatureDialog("2026.1")
    qtbot.addWidget(dialog)
    dialog.show()
    pad = dialog.pad
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(40, 150))
    for x, y in ((120, 60), (220, 160), (330, 70), (480, 140)):
        qtbot.mouseMove(pad, QPoint(x, y))
        # offscreen: a move carries no buttons unless the press is still held; draw directly
        pad.strokes[-1].lineTo(x, y)
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(480, 140))
    assert not pad.is_empty()
    assert dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    png = pad.png()
    dialog.done(QDialog.DialogCode.Accepted)
    sign = controller.editors["tanda_tangan"]
    controller.add_signature("tanda_tangan", png, "2026.1")
    qtbot.waitUntil(lambda: sign.value() is not None, timeout=TIMEOUT)
    info = on_worker(qtbot, session, lambda s: stored.info(s, sign.value()))
    assert info["notice_version"] == "2026.1" and info["field"] == "tanda_tangan"
    row = on_worker(qtbot, session, lambda s: stored.get(s, sign.value()))
    assert row.kind == "signature" and row.size < 20_000


def test_sync_asks_about_photos_and_suggests_from_the_last_speed(qtbot, data_dir, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from app.gui.main_window import MainWindow

    worker = StoreWorker()
    session = Session(data_dir, worker, Settings(lang="id"))
    window = MainWindow(session)
    qtbot.addWidget(window)
    asked, synced = [], []
    monkeypatch.setattr(session, "sync", lambda photos=False: synced.append(photos))

    def question(_parent, _title, text, _buttons, default):
        asked.append((text, default))
        return QMessageBox.StandardButton.No

    monkeypatch.setattr("app.gui.main_window.QMessageBox.question", question)
    window._sync_with((0, 0, None))  # nothing waiting: no question, records only
    window._sync_with((12, 1_200_000, 1500))  # 25 minutes: suggested for later
    window._sync_with((2, 200_000, 60))  # a minute: suggested now
    assert synced == [False, False, False]  # the officer said No each time
    assert "12 foto/tanda tangan (1172 KB)" in asked[0][0] and "25 menit" in asked[0][0]
    assert [d for _, d in asked] == [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    worker.shutdown()


# -- the laptop's camera ----------------------------------------------------------------------


def camera_frame(width=1920, height=1080, seed=5):
    """A frame as a webcam gives it: a full-HD picture with detail (not one colour)."""
    import random

    from PySide6.QtGui import QColor, QImage, QPainter

    rng = random.Random(seed)
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#6b8e23"))
    painter = QPainter(image)
    for _ in range(400):
        painter.fillRect(
            rng.randrange(width),
            rng.randrange(height),
            rng.randrange(20, 200),
            rng.randrange(20, 200),
            QColor(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        )
    painter.end()
    return image


class FakeCamera:
    """Stands for QCamera (the camera is outside the system): records start and stop."""

    def __init__(self):
        self.active, self.calls = False, []

    def isActive(self):  # noqa: N802 - QCamera's name
        return self.active

    def start(self):
        self.active = True
        self.calls.append("start")

    def stop(self):
        self.active = False
        self.calls.append("stop")


def feed(dialog, image) -> None:
    """A frame into the sink the preview reads, as the camera would deliver it."""
    from PySide6.QtMultimedia import QVideoFrame

    dialog.sink.setVideoFrame(QVideoFrame(image))


def test_camera_dialog_by_keyboard_and_the_light_goes_off(qtbot):
    from app.gui.views.camera import CameraDialog

    dialog = CameraDialog(None)
    qtbot.addWidget(dialog)
    dialog.camera = camera = FakeCamera()
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # Tab needs the active window
    assert camera.active  # the preview runs while shown
    assert not dialog.take.isEnabled()  # nothing to take before the first frame
    assert "kamera" in dialog.note.text().lower()
    first = camera_frame(seed=1)
    feed(dialog, first)
    qtbot.waitUntil(dialog.take.isEnabled, timeout=TIMEOUT)
    assert dialog.focusWidget() is dialog.take
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Space)  # Space takes the photo
    assert dialog.image is not None and dialog.image.size() == first.size()
    assert dialog.image.pixel(10, 10) == first.pixel(10, 10)
    assert not camera.active  # stopped while the photo is checked
    assert dialog.use.isVisible() and dialog.retake.isVisible() and not dialog.take.isVisible()
    feed(dialog, camera_frame(seed=2))  # the preview is frozen: a later frame changes nothing
    assert dialog.image.pixel(10, 10) == first.pixel(10, 10)

    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Backtab)  # from "Pakai foto" to "Ulangi"
    assert dialog.focusWidget() is dialog.retake
    qtbot.keyClick(dialog.retake, Qt.Key.Key_Space)
    assert dialog.image is None and camera.active and dialog.take.isVisible()
    second = camera_frame(seed=3)
    feed(dialog, second)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)  # Enter takes it too
    assert dialog.image is not None and dialog.image.pixel(10, 10) == second.pixel(10, 10)
    assert dialog.taken_at and dialog.taken_at[:4].isdigit()
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)  # and Enter uses it
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not camera.active and camera.calls[:4] == ["start", "stop", "start", "stop"]


def test_camera_preview_is_throttled_and_the_photo_is_the_newest_frame(qtbot):
    """A 30 fps camera is not converted frame by frame on the GUI thread (at most 15 a
    second for the preview), and "Ambil foto" takes the newest frame, not the last shown."""
    from app.gui.views.camera import CameraDialog

    class Clock:  # the preview's clock, stopped: every frame comes "at once" (no timing)
        def isValid(self):  # noqa: N802 - QElapsedTimer's names
            return True

        def elapsed(self):
            return 0

        def start(self):
            pass

    dialog = CameraDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog._shown_at = Clock()
    frames = [camera_frame(320, 240, seed=s) for s in range(8)]
    for frame in frames:
        feed(dialog, frame)
    assert dialog.view.image.pixel(5, 5) == frames[0].pixel(5, 5)  # shown: the first only
    dialog.take_photo()
    assert dialog.image.pixel(5, 5) == frames[-1].pixel(5, 5)


def test_camera_closed_with_escape_stops(qtbot):
    from app.gui.views.camera import CameraDialog

    dialog = CameraDialog(None)
    qtbot.addWidget(dialog)
    dialog.camera = camera = FakeCamera()
    dialog.show()
    qtbot.waitExposed(dialog)
    feed(dialog, camera_frame())
    assert camera.active
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected and dialog.image is None
    assert not camera.active


def test_no_camera_the_button_says_so(qtbot, opened, monkeypatch):
    from PySide6.QtMultimedia import QCameraDevice

    session, page, editor, controller, hid = opened
    house = controller.editors["foto_rumah"]
    sign = controller.editors["tanda_tangan"]
    assert house.camera.isVisibleTo(house) and not sign.camera.isVisibleTo(sign)  # photos only
    monkeypatch.setattr("app.gui.views.camera.cameras", lambda: [])
    controller.show_cameras()
    assert not house.camera.isEnabled() and "kamera" in house.camera.toolTip().lower()
    assert house.camera not in house.focus_widgets()
    monkeypatch.setattr("app.gui.views.camera.cameras", lambda: [QCameraDevice()])
    controller.show_cameras()
    assert house.camera.isEnabled() and house.camera in house.focus_widgets()


def test_camera_frame_becomes_a_stripped_sealed_photo(qtbot, opened, data_dir, monkeypatch):
    """The whole flow from the form's button: a frame fed to the dialog's sink, taken with
    Space, used with Enter, stored like a photo file (re-encoded, no metadata, thumbnail,
    sealed) and nothing of it readable in the data folder or left in the temp folder."""
    import io
    import os
    import tempfile

    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtMultimedia import QCameraDevice

    from app import evidence
    from app.gui.views.camera import CameraDialog
    from tests.test_leak import all_bytes

    session, page, editor, controller, hid = opened
    temp_before = set(os.listdir(tempfile.gettempdir()))
    frame = camera_frame()
    monkeypatch.setattr("app.gui.views.camera.cameras", lambda: [QCameraDevice()])
    controller.show_cameras()

    def exec_(dialog):
        dialog.show()
        qtbot.waitExposed(dialog)
        feed(dialog, frame)
        qtbot.waitUntil(dialog.take.isEnabled, timeout=TIMEOUT)
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Space)
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
        return dialog.result()

    monkeypatch.setattr(CameraDialog, "exec", exec_)
    house = controller.editors["foto_rumah"]
    house.camera.click()
    qtbot.waitUntil(lambda: house.value() is not None, timeout=TIMEOUT)
    assert house.picture.pixmap() is not None and not house.picture.pixmap().isNull()
    assert "KB" in house.status.text()
    aid = house.value()
    row = on_worker(qtbot, session, lambda s: stored.get(s, aid))
    content = on_worker(qtbot, session, lambda s: stored.content(s, aid))
    thumb = on_worker(qtbot, session, lambda s: stored.thumbnail(s, aid))
    info = on_worker(qtbot, session, lambda s: stored.info(s, aid))
    assert row.kind == "photo" and row.household_id == hid
    assert content.startswith(b"\xff\xd8") and len(content) <= evidence.TARGET_BYTES
    with Image.open(io.BytesIO(content)) as image:
        assert max(image.size) == evidence.LONG_SIDE and image.size[1] == 720
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)
    assert b"Exif" not in content and b"http://ns.adobe.com" not in content
    assert info["field"] == "foto_rumah" and info["taken_at"][:2] == "20"
    assert "position" not in info  # a webcam knows no position
    assert max(Image.open(io.BytesIO(thumb)).size) == evidence.THUMB_SIDE

    # Nothing of the frame, its encodings or the stored photo is readable on disk.
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    frame.convertToFormat(frame.Format.Format_RGB888).save(buffer, "BMP")
    bmp = bytes(buffer.data().data())
    markers = [b"\xff\xd8\xff", b"JFIF", bmp[:26]]
    for blob in (content, thumb, bmp[1000:]):
        markers += [blob[i : i + 64] for i in range(200, len(blob) - 64, len(blob) // 8)]
    for path, data in all_bytes(data_dir).items():
        assert [m[:16] for m in markers if m in data] == [], path
    assert sorted(os.path.basename(p) for p in all_bytes(data_dir)) in (
        ["khbs.db", "khbs.db-shm", "khbs.db-wal"],
        ["khbs.db", "khbs.db-shm", "khbs.db-wal", "khbs.db.lock"],
    )
    assert set(os.listdir(tempfile.gettempdir())) - temp_before == set()


# -- orphans ------------------------------------------------------------------------------------


def test_a_photo_ready_after_its_page_closed_is_not_kept(qtbot, opened, tmp_path):
    session, page, editor, controller, hid = opened
    path = tmp_path / "IMG_0002.jpg"
    path.write_bytes(photos.phone_jpeg(seed=4))
    controller.add_photo("foto_rumah", str(path))
    controller._close()  # the officer went back to the list while it was being prepared
    qtbot.waitUntil(lambda: not session.worker.busy(), timeout=TIMEOUT)
    qtbot.waitUntil(
        lambda: (
            on_worker(
                qtbot,
                session,
                lambda s: s.db.execute(
                    "SELECT count(*) FROM audit WHERE action = 'attachment.delete'"
                ).fetchone()[0],
            )
            == 1
        ),
        timeout=TIMEOUT,
    )
    assert on_worker(qtbot, session, lambda s: stored.listed(s, hid)) == []
    assert controller.editors["foto_rumah"].value() is None


def test_unlock_sweeps_the_attachments_of_forms_never_saved(qtbot, data_dir):
    from app import evidence

    store = Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF)
    prepared = evidence.prepare_photo(photos.phone_jpeg(seed=6))
    saved = new_record()
    store.save(saved)
    kept = stored.add(store, saved["id"], "photo", prepared.content, prepared.thumbnail, {})
    orphan = stored.add(store, new_record()["id"], "photo", prepared.content, b"t", {})
    store.close()
    worker = StoreWorker()
    try:
        session = Session(data_dir, worker, Settings(lang="id"))
        with qtbot.waitSignal(session.unlocked, timeout=TIMEOUT):
            session.unlock(PASSPHRASE)
        assert on_worker(qtbot, session, lambda s: stored.get(s, orphan.id)) is None
        assert on_worker(qtbot, session, lambda s: stored.get(s, kept.id)) is not None
    finally:
        worker.shutdown()
