"""Choosing a photo from a folder (a phone's pictures over cable or SD card) by its thumbnail.
Layout only: app/gui/evidence.py reads the folder's thumbnails on the store worker (Pillow,
in memory) and hands them here with `add_thumbnail`."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

ICON = 140


class PhotoPicker(QDialog):
    folderChosen = Signal(str)

    def __init__(self, folder: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Choose a photo"))
        self.resize(900, 560)  # within 1366x705
        self.folder = QLabel(folder)
        browse = QPushButton(self.tr("&Folder…"))
        browse.clicked.connect(self._browse)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(ICON, ICON))
        self.list.setGridSize(QSize(ICON + 64, ICON + 40))  # a phone's file name, whole
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setAccessibleName(self.tr("Photos in the folder"))
        self.list.itemActivated.connect(lambda _item: self.accept())
        self.note = QLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("&Choose"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Folder:")))
        top.addWidget(self.folder, 1)
        top.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, self.tr("Folder with photos"), "")
        if chosen:
            self.show_folder(chosen)
            self.folderChosen.emit(chosen)

    def show_folder(self, folder: str) -> None:
        self.folder.setText(folder)
        self.list.clear()
        self.note.setText(self.tr("Reading photos…"))

    def add_thumbnail(self, path: str, thumbnail: bytes | None) -> None:
        pixmap = QPixmap()
        if thumbnail:
            pixmap.loadFromData(thumbnail)
        item = QListWidgetItem(QIcon(pixmap), Path(path).name)
        item.setData(Qt.ItemDataRole.UserRole, path)
        item.setToolTip(Path(path).name)
        self.list.addItem(item)
        if self.list.count() == 1:
            self.list.setCurrentRow(0)

    def finished_reading(self, count: int) -> None:
        self.note.setText(self.tr("%n photo(s)", "", count) if count else self.tr("No photos here"))

    def chosen(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None
