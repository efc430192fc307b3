"""Taking a photo with the laptop's camera (docs/evidence.md): a live preview, "Take photo"
(Space or Enter), then "Retake" or "Use photo". Layout and the camera's life only:
app/gui/evidence.py sends the frame taken (`image`, a QImage in memory; nothing is written to
disk) through the same preparation as a photo file.

The preview reads frames from a QVideoSink (the camera's output); tests feed that sink frames
of their own, as the camera would. The camera runs only while the preview is live: it stops
when a frame is taken and when the dialog closes, so the camera's light goes off."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QElapsedTimer, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtMultimedia import (
    QCamera,
    QCameraDevice,
    QMediaCaptureSession,
    QMediaDevices,
    QVideoFrame,
    QVideoSink,
)
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

PREVIEW = (640, 400)  # px, within 1366x705 with the buttons
PREVIEW_FPS = 15


def cameras() -> list[QCameraDevice]:
    """The cameras the system offers now (none: the button says so)."""
    return list(QMediaDevices.videoInputs())


class FrameView(QWidget):
    """One image scaled to fit, on black (the live frame or the one taken)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(*PREVIEW)
        self.image = QImage()

    def show_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        if not self.image.isNull():
            size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            box = QRect(0, 0, size.width(), size.height())
            box.moveCenter(self.rect().center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(box, self.image)
        painter.end()


class CameraDialog(QDialog):
    """accept(): `image` is the frame taken and `taken_at` when (ISO 8601, local offset)."""

    def __init__(self, device: QCameraDevice | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Take a photo with the camera"))
        self.image: QImage | None = None
        self.taken_at: str | None = None
        self._latest = QImage()  # the preview's last picture
        self._frame_in = QVideoFrame()  # the newest frame, converted only when needed
        self._shown_at = QElapsedTimer()
        self.view = FrameView()
        self.view.setAccessibleName(self.tr("Camera preview"))
        self.sink = QVideoSink(self)
        self.sink.videoFrameChanged.connect(self._frame)
        self.camera: QCamera | None = None
        self._capture = QMediaCaptureSession(self)
        self._capture.setVideoSink(self.sink)
        if device is not None:
            self.camera = QCamera(device, self)
            self.camera.errorOccurred.connect(lambda *_a: self._camera_failed())
            self._capture.setCamera(self.camera)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.take = QPushButton(self.tr("&Take photo"))
        self.take.setToolTip(self.tr("Space or Enter"))
        self.retake = QPushButton(self.tr("&Retake"))
        self.use = QPushButton(self.tr("&Use photo"))
        cancel = QPushButton(self.tr("Cancel"))
        self.take.clicked.connect(self.take_photo)
        self.retake.clicked.connect(self.live)
        self.use.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        for button in (self.take, self.retake, self.use, cancel):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        self.live()

    # -- states -------------------------------------------------------------------------------

    def live(self) -> None:
        """The preview runs; Space or Enter takes the photo once a frame has come."""
        self.image = self.taken_at = None
        self.view.show_image(self._latest)
        self.take.setVisible(True)
        self.retake.setVisible(False)
        self.use.setVisible(False)
        self._ready_to_take()
        if self.isVisible():
            self._start()

    def take_photo(self) -> None:
        """The newest frame becomes the photo; the camera stops while it is checked."""
        if self._latest.isNull() or self.image is not None:
            return
        newest = self._frame_in.toImage() if self._frame_in.isValid() else QImage()
        self.image = newest if not newest.isNull() else self._latest.copy()
        self.taken_at = datetime.now().astimezone().isoformat(timespec="seconds")
        self._stop()
        self.view.show_image(self.image)
        self.take.setVisible(False)
        self.retake.setVisible(True)
        self.use.setVisible(True)
        self.use.setDefault(True)
        self.use.setFocus()
        self.note.setText(self.tr("Is the photo sharp? Use it, or retake."))

    def _ready_to_take(self) -> None:
        has_frame = not self._latest.isNull()
        self.take.setEnabled(has_frame)
        if has_frame:
            self.take.setDefault(True)
            self.take.setFocus()
            self.note.setText(
                self.tr("Aim at the dwelling's front or the KK, then take the photo.")
            )
        else:
            self.note.setText(self.tr("Waiting for the camera…"))

    # -- frames and the camera ----------------------------------------------------------------

    def _frame(self, frame: QVideoFrame) -> None:
        if self.image is not None or not frame.isValid():
            return  # a photo is being checked: the preview is frozen
        self._frame_in = frame
        first = self._latest.isNull()
        # Converting every frame of a 30 fps full-HD camera would keep a slow laptop's GUI
        # thread busy: the preview shows at most PREVIEW_FPS; the photo takes the newest frame.
        recent = self._shown_at.isValid() and self._shown_at.elapsed() < 1000 // PREVIEW_FPS
        if recent and not first:
            return
        self._shown_at.start()
        self._latest = frame.toImage()
        self.view.show_image(self._latest)
        if first:
            self._ready_to_take()

    def _camera_failed(self) -> None:
        self.note.setText(self.tr("The camera could not be opened. Choose a photo file instead."))

    def _start(self) -> None:
        if self.camera is not None and not self.camera.isActive():
            self.camera.start()

    def _stop(self) -> None:
        if self.camera is not None:
            self.camera.stop()  # the light goes off

    def is_running(self) -> bool:
        return self.camera is not None and self.camera.isActive()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.image is None:
            self._start()

    def hideEvent(self, event) -> None:
        self._stop()
        super().hideEvent(event)

    def done(self, result: int) -> None:
        self._stop()
        super().done(result)
