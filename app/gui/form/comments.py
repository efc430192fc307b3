"""How a supervisor's comments are shown beside their questions (the supervision loop,
app/store/supervision.py): a blue box with a mark and the words "Komentar pengawas:", so neither
colour nor the mark is the only cue and it never looks like one of the rules' messages.

A comment is placed by its path, as the rules' issues are: ("anggota", 2, "nik") is member 3's
NIK, ("rumah", "lantai") a question of a section, ("no_kk",) a root question."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QCoreApplication

from app.gui.translate import QT_TRANSLATE_NOOP

COLOUR = "#1d4ed8"  # blue, 6.7:1 on its background
BACKGROUND = "#eef4ff"
MARK = "\u270e"  # ✎
STYLE = (
    f"QLabel {{ color: {COLOUR}; background: {BACKGROUND}; border-left: 3px solid {COLOUR};"
    " padding: 3px 6px; }"
)
_PREFIX = QT_TRANSLATE_NOOP("Form", "Supervisor's comment:")
_COUNT = QT_TRANSLATE_NOOP("Form", "Supervisor's comments: {n}")
_SHORT = QT_TRANSLATE_NOOP("Form", "Comments: {n}")  # on a member's row, where room is short

Path = tuple[str | int, ...]


def prefix() -> str:
    return QCoreApplication.translate("Form", _PREFIX)


def count_text(n: int) -> str:
    return f"{MARK} " + QCoreApplication.translate("Form", _COUNT).format(n=n)


def short_count_text(n: int) -> str:
    return f"{MARK} " + QCoreApplication.translate("Form", _SHORT).format(n=n)


def html(texts: list[str]) -> str:
    # No quote escaping: Qt's rich text shows &#x27; as it is.
    return "<br>".join(
        f"{MARK} <b>{escape(prefix(), quote=False)}</b> {escape(t, quote=False)}" for t in texts
    )


def plain(texts: list[str]) -> str:
    return " ".join(f"{prefix()} {t}" for t in texts)
