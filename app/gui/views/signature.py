"""The consent signature (docs/evidence.md): drawn with mouse, touchpad or pen on a pad, or
"cannot sign" (then a thumbprint photo or a witness name in the form). Layout only:
app/gui/evidence.py stores what `png()` gives, with the notice version shown here."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QIODevice, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

PAD_SIZE = (600, 200)


class SignaturePad(QWidget):
    """Strokes drawn with the mouse, a touchpad or a pen (tablet events arrive as mouse events
    when not accepted)."""

    drawn = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFixedSize(*PAD_SIZE)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.strokes: list[QPainterPath] = []

    def clear(self) -> None:
        self.strokes.clear()
        self.update()
        self.drawn.emit()

    def is_empty(self) -> bool:
        return not any(path.length() > 3 for path in self.strokes)

    def mousePressEvent(self, event) -> None:
        path = QPainterPath(QPointF(event.position()))
        self.strokes.append(path)
        self.update()

    def mouseMoveEvent(self, event) -> None:
        if self.strokes and event.buttons() & Qt.MouseButton.LeftButton:
            self.strokes[-1].lineTo(QPointF(event.position()))
            self.update()

    def mouseReleaseEvent(self, _event) -> None:
        self.drawn.emit()

    def _paint(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor("black"), 3)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        for path in self.strokes:
            painter.drawPath(path)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        painter.setPen(QPen(QColor("#9a9a9a"), 1, Qt.PenStyle.DashLine))
        baseline = self.height() - 40
        painter.drawLine(20, baseline, self.width() - 20, baseline)
        self._paint(painter)
        painter.end()

    def png(self) -> bytes:
        """The strokes on white, as PNG bytes (kept in memory, never written to disk here)."""
        image = QImage(self.size(), QImage.Format.Format_Grayscale8)
        image.fill(QColor("white"))
        painter = QPainter(image)
        self._paint(painter)
        painter.end()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        return bytes(buffer.data().data())


class SignatureDialog(QDialog):
    """accept(): a signature was drawn (`pad.png()`); done(CANNOT): the person cannot sign."""

    CANNOT = 2

    def __init__(self, notice_version: str, parent=None):
        super().__init__(parent)
        self.notice_version = notice_version
        self.setWindowTitle(self.tr("Consent signature"))
        self.pad = SignaturePad()
        self.pad.setAccessibleName(self.tr("Signature pad"))
        intro = QLabel(
            self.tr(
                "After the notice (version %1) was read aloud, the person giving consent signs"
                " here with the mouse, touchpad or pen."
            ).replace("%1", notice_version)
        )
        intro.setWordWrap(True)
        clear = QPushButton(self.tr("C&lear"))
        clear.clicked.connect(self.pad.clear)
        cannot = QPushButton(self.tr("&Cannot sign"))
        cannot.setToolTip(
            self.tr("Then attach a photo of a thumbprint, or name a witness, in the form.")
        )
        cannot.clicked.connect(lambda: self.done(self.CANNOT))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("&Attach"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        ok.setEnabled(False)
        self.pad.drawn.connect(lambda: ok.setEnabled(not self.pad.is_empty()))
        row = QHBoxLayout()
        row.addWidget(clear)
        row.addWidget(cannot)
        row.addStretch(1)
        row.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.pad)
        layout.addLayout(row)
