"""How rule issues are shown: a text prefix and a colour per severity, and which field of a
section an issue belongs to. Colour is never the only cue: every line starts with
"Kesalahan:" or "Peringatan:"."""

from __future__ import annotations

from html import escape

from app import rules
from app.gui.form.text import ui

ERROR_COLOUR = "#b00020"  # red, 6.9:1 on white
WARNING_COLOUR = "#8a5300"  # dark amber, 6.0:1 on white


def colour(issue: rules.Issue) -> str:
    return ERROR_COLOUR if issue.severity == rules.ERROR else WARNING_COLOUR


def prefix(issue: rules.Issue, lang: str) -> str:
    return ui("error" if issue.severity == rules.ERROR else "warning", lang)


def line(issue: rules.Issue, lang: str) -> str:
    """One message as plain text: "Kesalahan: Anggota ke-1, NIK: harus 16 digit angka."."""
    return f"{prefix(issue, lang)} {issue.message(lang)}"


def html(issues: list[rules.Issue], lang: str) -> str:
    return "<br>".join(
        f'<span style="color:{colour(i)}"><b>{escape(prefix(i, lang))}</b> '
        f"{escape(i.message(lang))}</span>"
        for i in issues
    )


def field_of(issue: rules.Issue, prefix_path: tuple) -> str | None:
    """The question of a section (at `prefix_path`) an issue is about, or None when the issue
    is elsewhere. Issues inside a sub-object (gps/lat) belong to that sub-object's question."""
    n = len(prefix_path)
    if len(issue.path) <= n or tuple(issue.path[:n]) != tuple(prefix_path):
        return None
    name = issue.path[n]
    return name if isinstance(name, str) else None


def counts(issues: list[rules.Issue]) -> tuple[int, int]:
    errors = sum(1 for i in issues if i.severity == rules.ERROR)
    return errors, len(issues) - errors


def summary(issues: list[rules.Issue], lang: str) -> str:
    return count_text(*counts(issues), lang)


def count_text(errors: int, warnings: int, lang: str) -> str:
    """ "Kesalahan: 2, Peringatan: 1", naming only what there is ("" for nothing)."""
    parts = [(errors, "error"), (warnings, "warning")]
    return ", ".join(f"{ui(key, lang)} {n}" for n, key in parts if n)
