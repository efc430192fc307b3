"""Fixed texts of the form, and keyboard mnemonics for labels.

Question texts come from the schema (x-label, x-help, both languages); only the few words the
form adds itself live here, translated with Qt's tooling like the rest of the app's chrome.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.gui.translate import QT_TRANSLATE_NOOP

# Source texts in English; Bahasa Indonesia (and English) come from resources/i18n/*.ts.
# QT_TRANSLATE_NOOP marks them for `make translations` (pyside6-lupdate).
_TEXTS: dict[str, str] = {
    "choose": QT_TRANSLATE_NOOP("Form", "— choose —"),
    "yes": QT_TRANSLATE_NOOP("Form", "Yes"),
    "no": QT_TRANSLATE_NOOP("Form", "No"),
    "error": QT_TRANSLATE_NOOP("Form", "Error:"),
    "warning": QT_TRANSLATE_NOOP("Form", "Warning:"),
    "identity": QT_TRANSLATE_NOOP("Form", "Identity"),
    "summary_ok": QT_TRANSLATE_NOOP("Form", "No errors or warnings."),
    "sections": QT_TRANSLATE_NOOP("Form", "Sections"),
    "issues": QT_TRANSLATE_NOOP("Form", "List of errors and warnings"),
    "add_member": QT_TRANSLATE_NOOP("Form", "&Add member"),
    "edit_member": QT_TRANSLATE_NOOP("Form", "&Edit"),
    "remove_member": QT_TRANSLATE_NOOP("Form", "&Remove"),
    "remove_title": QT_TRANSLATE_NOOP("Form", "Remove member"),
    "remove_ask": QT_TRANSLATE_NOOP("Form", "Remove member {n} ({name}) from the list?"),
    "member_title": QT_TRANSLATE_NOOP("Form", "Member {n}"),
    "members_table": QT_TRANSLATE_NOOP("Form", "Family member list"),
    "check_col": QT_TRANSLATE_NOOP("Form", "Check"),
    "ok": QT_TRANSLATE_NOOP("Form", "OK"),
    "cancel": QT_TRANSLATE_NOOP("Form", "Cancel"),
    "filled_both": QT_TRANSLATE_NOOP(
        "Form", "Date of birth and sex were filled in from the NIK. Check and correct if needed."
    ),
    "filled_birth": QT_TRANSLATE_NOOP(
        "Form", "Date of birth was filled in from the NIK. Check and correct if needed."
    ),
    "filled_sex": QT_TRANSLATE_NOOP(
        "Form", "Sex was filled in from the NIK. Check and correct if needed."
    ),
    "notice": QT_TRANSLATE_NOOP("Form", "Notice (read aloud in full)"),
    "notice_version": QT_TRANSLATE_NOOP("Form", "Notice version: {version}"),
    "date_hint": QT_TRANSLATE_NOOP("Form", "DD-MM-YYYY"),
    "codes_hint": QT_TRANSLATE_NOOP("Form", "Type the codes, e.g. 1 4"),
    "desa_hint": QT_TRANSLATE_NOOP("Form", "Type the village name or code"),
    "gps_part": QT_TRANSLATE_NOOP("Form", "{field}, {part}"),
    # Evidence (app/gui/form/attachment.py, app/gui/evidence.py)
    "photo_pick": QT_TRANSLATE_NOOP("Form", "Choose photo…"),
    "signature_draw": QT_TRANSLATE_NOOP("Form", "Sign…"),
    "photo_camera": QT_TRANSLATE_NOOP("Form", "Camera…"),
    "camera_take": QT_TRANSLATE_NOOP("Form", "Take the photo with this laptop's camera"),
    "camera_none": QT_TRANSLATE_NOOP("Form", "No camera found on this laptop"),
    "attachment_remove": QT_TRANSLATE_NOOP("Form", "Remove"),
    "attachment_none": QT_TRANSLATE_NOOP("Form", "None yet"),
    "attachment_busy": QT_TRANSLATE_NOOP("Form", "Preparing…"),
    "attachment_kept": QT_TRANSLATE_NOOP("Form", "Attached, {kb} KB, encrypted"),
    "attachment_kept_at": QT_TRANSLATE_NOOP("Form", "Attached, {kb} KB, encrypted; taken {when}"),
    "gps_from_photo": QT_TRANSLATE_NOOP("Form", "From dwelling photo"),
    "gps_from_device": QT_TRANSLATE_NOOP("Form", "From this laptop"),
    "gps_source": QT_TRANSLATE_NOOP("Form", "Source: {source}"),
    "gps_waiting": QT_TRANSLATE_NOOP("Form", "Waiting for a position…"),
}


def ui(key: str, lang: str | None = None, **params: object) -> str:
    """A fixed text of the form in the app's language (the installed Qt translator); `lang`
    is accepted for symmetry with the schema's labels and not needed here."""
    text = QCoreApplication.translate("Form", _TEXTS[key])
    return text.format(**params) if params else text


class Mnemonics:
    """Gives each label an Alt+letter, unique among the labels of one section where possible.
    Prefers the first letter of a word; labels left without a free letter get none."""

    def __init__(self, reserved: str = "") -> None:
        self.used: set[str] = {c.lower() for c in reserved}

    def __call__(self, text: str) -> str:
        escaped = text.replace("&", "&&")
        words = [
            i for i, c in enumerate(text) if c.isalnum() and (i == 0 or not text[i - 1].isalnum())
        ]
        others = [i for i, c in enumerate(text) if c.isalnum() and i not in words]
        for i in words + others:
            key = text[i].lower()
            if key.isascii() and key not in self.used:
                self.used.add(key)
                # Position in the escaped text: every "&" before i was doubled.
                j = i + text[:i].count("&")
                return escaped[:j] + "&" + escaped[j:]
        return escaped


def mnemonic(text: str) -> str | None:
    """The Alt+letter a widget text offers, lower case ("&Finalkan" -> "f"), or None."""
    bare = text.replace("&&", "")
    i = bare.find("&")
    return bare[i + 1].lower() if 0 <= i < len(bare) - 1 else None


def plain(text: str) -> str:
    """A label without its mnemonic marker (for accessible names and messages)."""
    return text.replace("&&", "\x00").replace("&", "").replace("\x00", "&")
