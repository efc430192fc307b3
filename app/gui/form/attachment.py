"""The editor of an attachment question (x-attachment, docs/evidence.md): a thumbnail, what is
attached, and buttons that ask for a photo or a signature. Layout only: the answer is the
attachment's id; choosing, preparing and storing happen in app/gui/evidence.py, which listens
to `requested` and shows the result with `show_attachment`."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.gui.form.text import ui
from app.gui.form.widgets import Editor

THUMB_BOX = 120  # px: a 160 px thumbnail, scaled to fit the form's row


class AttachmentEditor(Editor):
    requested = Signal(str)  # "add", "camera" or "remove"

    def __init__(self, name, spec, lang="id", parent=None):
        super().__init__(name, spec, lang, parent)
        self.kind = spec.get("x-attachment", {}).get("kind", "photo")
        self._id: str | None = None
        self._read_only = self._has_camera = False
        self.picture = QLabel()
        self.picture.setFixedSize(THUMB_BOX, THUMB_BOX)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("border: 1px solid #b0b0b0; background: #fafafa;")
        self.status = QLabel(ui("attachment_none", lang))
        self.status.setWordWrap(True)
        self.add = QPushButton(ui("signature_draw" if self.kind == "signature" else "photo_pick"))
        self.remove = QPushButton(ui("attachment_remove", lang))
        # A photo can also come from the laptop's camera; app/gui/evidence.py enables it when
        # the system has one (set_camera).
        self.camera = QPushButton(ui("photo_camera"))
        if self.kind != "photo":
            self.camera.hide()  # (never show() a button before it has its parent: a window)
        self.set_camera(False)
        self.add.clicked.connect(lambda: self.requested.emit("add"))
        self.camera.clicked.connect(lambda: self.requested.emit("camera"))
        self.remove.clicked.connect(lambda: self.requested.emit("remove"))
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add)
        buttons.addWidget(self.camera)
        buttons.addStretch(1)
        column.addLayout(buttons)
        column.addWidget(self.remove, 0, Qt.AlignmentFlag.AlignLeft)
        column.addStretch(1)
        self._layout.addWidget(self.picture)
        self._layout.addWidget(side, 1)
        self.setFocusProxy(self.add)
        self._show_buttons()

    def focus_widgets(self):
        chain = [self.add]
        if self.kind == "photo" and self.camera.isEnabled():
            chain.append(self.camera)
        return [*chain, self.remove] if self._id else chain

    def set_camera(self, available: bool) -> None:
        """The camera button works only where the system has a camera; else it says why."""
        self.camera.setEnabled(available and not self._read_only)
        self._has_camera = available
        self.camera.setToolTip(ui("camera_take") if available else ui("camera_none"))

    def _read(self):
        return self._id

    def _write(self, value):
        self._id = value if isinstance(value, str) and value else None
        if self._id is None:
            self.show_attachment(None, ui("attachment_none", self.lang))
        self._show_buttons()

    def _show_buttons(self) -> None:
        self.remove.setVisible(self._id is not None)

    def attach(self, attachment_id: str | None) -> None:
        """A new attachment (or none): the answer changes, as if typed."""
        self._id = attachment_id
        if attachment_id is None:
            self.show_attachment(None, ui("attachment_none", self.lang))
        self._show_buttons()
        self.changed.emit()

    def show_attachment(self, thumbnail: bytes | None, text: str) -> None:
        self.status.setText(text)
        if not thumbnail:
            self.picture.clear()
            return
        pixmap = QPixmap()
        pixmap.loadFromData(thumbnail)
        self.picture.setPixmap(
            pixmap.scaled(
                THUMB_BOX - 4,
                THUMB_BOX - 4,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def set_read_only(self, on: bool) -> None:
        self._read_only = on
        self.add.setEnabled(not on)
        self.remove.setEnabled(not on)
        self.camera.setEnabled(self._has_camera and not on)
