"""Does every text have the room it needs? Checks one window or dialog as laid out now: each
label, button, check box, radio button, combo box's current text, line edit's placeholder, table
column header, list item and (for tables) each cell shown, against the space it got; and the
window itself against the screen. Used by tests/test_gui_fit.py (every page and dialog at
1366x705, both languages) and by `make screenshots`.

Qt does not elide a label or a button: text that does not fit is cut off at the edge, and a
window whose layout needs more than the screen grows past it. Both are found here from sizes
alone (fontMetrics and sizeHint), not from pixels.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyle,
    QStyleOptionComboBox,
    QTableView,
    QWidget,
)

SCREEN = QSize(1366, 705)  # a 1366x768 laptop less the taskbar and the title bar
SLACK = 1  # pixels of rounding


def _name(w: QWidget) -> str:
    parts: list[str] = []
    node: QWidget | None = w
    while node is not None and len(parts) < 4:
        parts.append(node.objectName() or type(node).__name__)
        node = node.parentWidget()
    return "/".join(reversed(parts))


def _shown(w: QWidget, top: QWidget) -> bool:
    return w.isVisible() and w.isVisibleTo(top) and w.width() > 0 and w.height() > 0


def _in_scroll_area(w: QWidget, top: QWidget) -> bool:
    """Inside a scroll area's viewport (a form page, a table): the area scrolls up and down,
    so only the width counts."""
    node = w.parentWidget()
    while node is not None and node is not top:
        if isinstance(node, QAbstractScrollArea):
            return True
        node = node.parentWidget()
    return False


def window_problems(top: QWidget, screen: QSize = SCREEN) -> list[str]:
    """The window (or dialog) is larger than the screen, or its layout needs more."""
    out = []
    size, need = top.size(), top.minimumSizeHint()
    if size.width() > screen.width() or size.height() > screen.height():
        out.append(f"{_name(top)}: window {size.width()}x{size.height()} > screen")
    if need.width() > screen.width() or need.height() > screen.height():
        out.append(f"{_name(top)}: layout needs {need.width()}x{need.height()} > screen")
    return out


def problems(top: QWidget, screen: QSize = SCREEN) -> list[str]:
    """Everything shown in `top` whose text does not fit, as readable lines (empty: all fits)."""
    out = window_problems(top, screen)
    for w in [top, *top.findChildren(QWidget)]:
        if not _shown(w, top):
            continue
        out += _widget_problems(w, top)
    return out


def _too_small(w: QWidget, text: str, need: QSize, got: QSize) -> str | None:
    if need.width() > got.width() + SLACK or need.height() > got.height() + SLACK:
        return (
            f"{_name(w)} {text!r}: needs {need.width()}x{need.height()},"
            f" has {got.width()}x{got.height()}"
        )
    return None


def _widget_problems(w: QWidget, top: QWidget) -> list[str]:
    found: list[str | None] = []
    if isinstance(w, QLabel) and w.text() and w.pixmap().isNull():
        # The hints include the label's margins and frame: compared with its whole size.
        if w.wordWrap():
            need = QSize(0, w.heightForWidth(w.width()))
        else:
            need = w.sizeHint()
        found.append(_too_small(w, w.text(), need, w.size()))
    elif isinstance(w, QAbstractButton) and w.text():
        found.append(_too_small(w, w.text(), w.sizeHint(), w.size()))
    elif isinstance(w, QComboBox) and w.currentText():
        opt = QStyleOptionComboBox()
        w.initStyleOption(opt)
        field = w.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, w
        )
        need = QSize(w.fontMetrics().horizontalAdvance(w.currentText()), 0)
        found.append(_too_small(w, w.currentText(), need, QSize(field.width(), 0)))
    elif isinstance(w, QLineEdit) and w.placeholderText() and not w.text():
        margins = w.textMargins()
        room = w.width() - margins.left() - margins.right() - 12  # frame and the text's margin
        need = QSize(w.fontMetrics().horizontalAdvance(w.placeholderText()), 0)
        found.append(_too_small(w, w.placeholderText(), need, QSize(room, 0)))
    elif isinstance(w, QHeaderView) and w.orientation() == Qt.Orientation.Horizontal:
        found += _header_problems(w)
    elif isinstance(w, QAbstractItemView):
        found += _item_problems(w)
    if not _in_scroll_area(w, top) and w is not top:
        shown = _clipped(w, top)
        if shown.width() + SLACK < w.width() or shown.height() + SLACK < w.height():
            found.append(
                f"{_name(w)}: cut by its window, {shown.width()}x{shown.height()}"
                f" of {w.width()}x{w.height()} shown"
            )
    else:
        viewport = _viewport_of(w)
        if viewport is not None and not isinstance(viewport.parentWidget(), QAbstractItemView):
            right = w.mapTo(viewport, w.rect().topRight()).x()
            if right > viewport.width() + SLACK:
                found.append(f"{_name(w)}: reaches past the right edge of its scroll area")
    return [f for f in found if f]


def _clipped(w: QWidget, top: QWidget) -> QRect:
    """The part of `w` its parents leave visible (their rectangles, up to the window)."""
    shown = QRect(w.mapTo(top, QPoint(0, 0)), w.size())
    node = w.parentWidget()
    while node is not None:
        shown &= QRect(
            node.mapTo(top, QPoint(0, 0)) if node is not top else QPoint(0, 0), node.size()
        )
        if node is top:
            break
        node = node.parentWidget()
    return shown


def _viewport_of(w: QWidget) -> QWidget | None:
    node = w.parentWidget()
    while node is not None:
        parent = node.parentWidget()
        if isinstance(parent, QAbstractScrollArea) and parent.viewport() is node:
            return node
        node = parent
    return None


def _header_problems(header: QHeaderView) -> list[str | None]:
    model = header.model()
    if model is None:
        return []
    out: list[str | None] = []
    for i in range(header.count()):
        if header.isSectionHidden(i):
            continue
        text = str(model.headerData(i, Qt.Orientation.Horizontal) or "")
        need = header.sectionSizeFromContents(i)
        got = QSize(header.sectionSize(i), header.height())
        out.append(_too_small(header, text, need, got))
    return out


def _item_problems(view: QAbstractItemView, free_text: Iterable[int] = ()) -> list[str | None]:
    """Items shown: a list item's text within the viewport; a table cell within its column,
    except the view's free-text columns (names, addresses: their tooltip shows them whole)."""
    model = view.model()
    if model is None or not model.rowCount():
        return []
    free = set(free_text) | set(view.property("freeTextColumns") or [])
    out: list[str | None] = []
    viewport = view.viewport()
    for row in range(model.rowCount()):
        first = model.index(row, 0)
        rect = view.visualRect(first)
        if rect.bottom() < 0 or rect.top() > viewport.height():
            continue  # scrolled out of sight
        if isinstance(view, QTableView):
            if view.isRowHidden(row):
                continue
            for col in range(model.columnCount()):
                if view.isColumnHidden(col) or col in free:
                    continue
                index = model.index(row, col)
                text = str(model.data(index) or "")
                if not text:
                    continue
                need = QSize(view.sizeHintForIndex(index).width(), 0)
                got = QSize(view.columnWidth(col), 0)
                out.append(_too_small(view, text, need, got))
        else:
            out.append(_list_item(view, first, viewport.width()))
    return out


def _list_item(view: QAbstractItemView, index: QModelIndex, width: int) -> str | None:
    text = str(index.data() or "")
    hint = view.sizeHintForIndex(index)
    got = view.visualRect(index).size()
    wraps = bool(getattr(view, "wordWrap", lambda: False)())
    need = QSize(0 if wraps else hint.width(), hint.height())
    return _too_small(view, text, need, QSize(width, got.height()))
