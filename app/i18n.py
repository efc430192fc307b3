"""Message catalogue for everything the app says outside Qt widgets (CLI, rules, errors).

Texts live in resources/messages.json as {"key": {"id": "...", "en": "..."}}; Bahasa Indonesia is
the default. Qt widgets use Qt's own .ts/.qm files (resources/i18n).
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources

LANGS = ("id", "en")
DEFAULT_LANG = "id"


def current_lang() -> str:
    lang = os.environ.get("KHBS_LANG", DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


@cache
def catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("resources").joinpath("messages.json").read_text("utf-8")
    return json.loads(text)


def tr(key: str, lang: str | None = None, **params: object) -> str:
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"no message {key!r} in resources/messages.json")
    template = entry.get(lang or current_lang()) or entry[DEFAULT_LANG]
    return template.format(**params)
