"""QT_TRANSLATE_NOOP with its real type: PySide6's stubs say it returns object, but it returns
its text unchanged. The call only marks the text for pyside6-lupdate (`make translations`),
which finds such calls by their name, wherever the function comes from."""

from __future__ import annotations


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - the name lupdate knows
    return text
