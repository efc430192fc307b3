"""The supervision loop's reason codes and their labels (resources/review_reasons.json), read by
the province (sync/server/review.py: what a decision may carry) and by the laptop (the officer
sees the label of the code a return or a comment came with). A laptop keeps the codes it was
sent, so a code is added to the file, never renamed; an unknown code is shown as it is."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from app.i18n import current_lang


@cache
def reason_codes() -> dict[str, dict[str, dict[str, str]]]:
    """{"return": {code: {"id", "en"}}, "reject": {...}, "reissue": {...}}."""
    text = resources.files("resources").joinpath("review_reasons.json").read_text("utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


def reason_label(kind: str, code: str | None, lang: str | None = None) -> str:
    """The code's label in `lang` (default: the current language); "" for none, the code
    itself for a code this version does not know."""
    if not code:
        return ""
    entry = reason_codes().get(kind, {}).get(code)
    if entry is None:
        return code
    return entry.get(lang or current_lang()) or entry["id"]
