"""A message box inside a page or dialog: an icon, the text in colour, a tinted frame. Colour
is never the only cue: the icon (the style's own error / warning / information icon) and the
text say it too. Hidden while empty. A dialog grows to show a long message whole."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QLabel, QStyle, QWidget

ERROR, WARNING, INFO = "error", "warning", "info"
# (text colour, background, border): each text colour 6:1 or better on its background.
COLOURS = {
    ERROR: ("#b00020", "#fdecee", "#b00020"),
    WARNING: ("#7a4a00", "#fff4e0", "#8a5300"),
    INFO: ("#1d4f91", "#eaf1fb", "#1d4f91"),
}
ICONS = {
    ERROR: QStyle.StandardPixmap.SP_MessageBoxCritical,
    WARNING: QStyle.StandardPixmap.SP_MessageBoxWarning,
    INFO: QStyle.StandardPixmap.SP_MessageBoxInformation,
}


class Notice(QFrame):
    """setText(text) shows it (or hides it when empty), text() reads it back, like a QLabel."""

    def __init__(self, kind: str = ERROR, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{kind}Text" if kind != INFO else "resultText")
        self.icon = QLabel()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QHBoxLayout(self)
        box.setContentsMargins(8, 6, 8, 6)
        box.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        box.addWidget(self.label, 1)
        self.kind = ""
        self.set_kind(kind)
        self.setVisible(False)

    def set_kind(self, kind: str) -> None:
        if kind == self.kind:
            return
        self.kind = kind
        text, background, border = COLOURS[kind]
        self.setStyleSheet(
            f"Notice {{ background: {background}; border: 1px solid {border};"
            f" border-radius: 4px; }} QLabel {{ color: {text}; background: transparent;"
            " border: none; }"
        )
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.icon.setPixmap(self.style().standardIcon(ICONS[kind]).pixmap(size, size))
        self.label.setAccessibleDescription(kind)

    def setText(self, text: str, kind: str | None = None) -> None:  # noqa: N802 - as QLabel
        if kind:
            self.set_kind(kind)
        self.label.setText(text)
        self.setVisible(bool(text))
        if text:
            grow_to_fit(self.window())

    def text(self) -> str:
        return self.label.text()

    def clear(self) -> None:
        self.setText("")


def grow_to_fit(window: QWidget) -> None:
    """A dialog taller than it is when a wrapped message appears: grown to hold it, never past
    the screen's free height (its layout scrolls or wraps from there)."""
    layout = window.layout() if isinstance(window, QDialog) else None
    if layout is None:
        return
    layout.activate()
    width = window.width()
    need = (
        layout.totalHeightForWidth(width)
        if layout.hasHeightForWidth()
        else layout.totalSizeHint().height()
    )
    screen = window.screen().availableGeometry().height() if window.screen() else need
    if need > window.height():
        window.resize(width, min(need, screen))
