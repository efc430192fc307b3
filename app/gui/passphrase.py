"""Passphrase strength feedback: a simple, explainable estimate (length and variety), with
hints an officer can act on. Not a guarantee; Argon2id does the heavy lifting."""

from __future__ import annotations

from app.gui.translate import QT_TRANSLATE_NOOP

HINTS = (
    QT_TRANSLATE_NOOP("FirstRunPage", "Too short: use at least 10 characters."),
    QT_TRANSLATE_NOOP("FirstRunPage", "Weak: add more words or characters."),
    QT_TRANSLATE_NOOP("FirstRunPage", "Fair: a few more words make it strong."),
    QT_TRANSLATE_NOOP("FirstRunPage", "Good."),
    QT_TRANSLATE_NOOP("FirstRunPage", "Strong."),
)


def strength(text: str) -> tuple[int, str]:
    """(score 0-4, hint). Four random words of 5+ letters score 4."""
    if len(text) < 10:
        return 0, HINTS[0]
    classes = sum(
        (
            any(c.islower() for c in text),
            any(c.isupper() for c in text),
            any(c.isdigit() for c in text),
            any(not c.isalnum() for c in text),
        )
    )
    distinct = len(set(text.lower()))
    score = 1
    if len(text) >= 14 or (classes >= 3 and distinct >= 8):
        score = 2
    if len(text) >= 18 and distinct >= 10:
        score = 3
    if len(text) >= 24 and distinct >= 12:
        score = 4
    return score, HINTS[score]
