"""Message catalogue for everything the app says outside Qt widgets (CLI, rules, errors).

Texts live in resources/messages.json as {"key": {"id": "...", "en": "..."}}; Bahasa Indonesia is
the default. Qt widgets use Qt's own .ts/.qm files (resources/i18n).

The current language is a setting of this process, held here: the command lines set it once at
start (--lang, else the KHBS_LANG environment variable), the desktop app from its settings and
when the officer chooses another. Messages from the rules, the store and sync use it.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources

LANGS = ("id", "en")
DEFAULT_LANG = "id"
LANG_ENV = "KHBS_LANG"  # read by the command lines at start; never written

_lang = DEFAULT_LANG


def current_lang() -> str:
    return _lang


def set_lang(lang: str | None) -> str:
    """Messages in `lang` from now on; anything but a known language means the default.
    Returns the language set."""
    global _lang
    _lang = lang if lang in LANGS else DEFAULT_LANG
    return _lang


def lang_at_start(chosen: str | None) -> str:
    """For a command line starting: --lang (`chosen`), else KHBS_LANG, else the default."""
    return set_lang(chosen or os.environ.get(LANG_ENV))


@cache
def catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("resources").joinpath("messages.json").read_text("utf-8")
    return json.loads(text)


def tr(key: str, lang: str | None = None, **params: object) -> str:
    """The message in `lang` (None: the current language). With a mapping of parameters, pass
    lang before it, tr(key, None, **params), so no key of the mapping can take its place."""
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"no message {key!r} in resources/messages.json")
    template = entry.get(lang or current_lang()) or entry[DEFAULT_LANG]
    return template.format(**params)
