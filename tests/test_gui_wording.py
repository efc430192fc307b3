"""Wording (issue 12): the app's Indonesian says "keluarga" for the unit and has no English
words; no message the app can show tells the officer to run a command or pass an option; every
Qt text is translated into both languages."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.errors import for_app
from app.i18n import catalogue, tr

I18N = Path(__file__).resolve().parents[1] / "resources" / "i18n"
# Message families the app shows (errors, sync answers, the rules' messages and their places).
SHOWN = ("error.", "sync.error.", "sync.reason.", "rule.", "where.", "reason.", "export.")
PRODUCT = "KHBS Enroll"  # the product's name may stay as a name
CLI = re.compile(r"\bkhbs(-server)?\s+[a-z]|--[a-z]|`")  # `khbs verify`, not "KHBS store"
ENGLISH = re.compile(
    r"(?i)\b(offline|online|spreadsheet|household|sync|upload|download|training|enroll|"
    r"draft|export)\b"  # "folder" is what Indonesian Windows itself says
)


def shown_keys() -> list[str]:
    return sorted(k for k in catalogue() if k.startswith(SHOWN) and not k.endswith(".app"))


def qt_texts(lang: str) -> list[tuple[str, str, str]]:
    """(context, source, translation) of every Qt text; numerus forms joined."""
    out = []
    for ctx in ET.parse(I18N / f"khbs_{lang}.ts").getroot():
        name = ctx.findtext("name") or ""
        for m in ctx.findall("message"):
            t = m.find("translation")
            assert t is not None
            forms = t.findall("numerusform")
            text = " ".join(n.text or "" for n in forms) if forms else t.text or ""
            out.append((name, m.findtext("source") or "", text))
    return out


@pytest.mark.parametrize("lang", ["id", "en"])
def test_no_message_the_app_shows_names_a_command_or_option(lang):
    said = {}
    for key in shown_keys():
        text = catalogue()[for_app(key, True)].get(lang, "")
        if CLI.search(text.replace(PRODUCT, "")):
            said[key] = text
    assert not said, said


def test_the_command_line_keeps_its_instructions():
    """The CLI's own sentence still says which command to run."""
    assert "khbs verify" in tr("error.store_io", "en")
    assert "khbs verify" not in tr(for_app("error.store_io", True), "en")


def test_indonesian_says_keluarga_and_has_no_english_words():
    found = []
    for ctx, source, text in qt_texts("id"):
        plain = text.replace(PRODUCT, "").replace("&", "")
        if re.search(r"(?i)rumah tangga", plain) or ENGLISH.search(plain):
            found.append((ctx, source, text))
    for key in shown_keys():
        text = catalogue()[for_app(key, True)]["id"]
        if re.search(r"(?i)rumah tangga", text):
            found.append(("messages.json", key, text))
    assert not found, found


def test_the_command_line_server_and_console_say_keluarga_too():
    """Every Indonesian message, not only those the app shows: the CLI's counts, the server's
    answers and the console's pages name the unit as the app does."""
    found = {k: v["id"] for k, v in catalogue().items() if re.search(r"(?i)rumah tangga", v["id"])}
    assert not found, found


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_qt_text_is_translated(lang):
    missing = [(ctx, source) for ctx, source, text in qt_texts(lang) if not text.strip()]
    assert not missing, missing


def test_the_app_shows_the_app_sentences():
    """What the app's error paths turn an exception into (app.errors.user_message(app=True))."""
    from app.errors import StoreDamaged, user_message
    from sync.client import SyncError

    assert user_message(StoreDamaged(), "id", app=True) == tr("error.store_corrupt.app", "id")
    assert "khbs verify" in user_message(StoreDamaged(), "id")  # the command line's
    for code in ("not_enrolled", "certificate"):
        shown = user_message(SyncError(code), "id", app=True)
        assert shown == tr(f"sync.error.{code}.app", "id") and not CLI.search(shown)
