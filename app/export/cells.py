"""The cell text of one answer (docs/export.md), and the guard against formula cells.

Each question gets its own cell function, built once per export with its codes and labels
looked up in advance: an export of 20,000 households runs these a few million times, so the
common case is a dict lookup. Answers of an unexpected type (an old draft, a hand-made import)
take the general path, `general()`, and come out as text. The functions of the commonest cases
say so (`table`, `fast`): layout.py then does that case inline, without the call, and calls the
function for anything else.
"""

from __future__ import annotations

from collections.abc import Callable

from app import questionnaire as q

MULTI_SEP = " "
LABEL_SEP = " | "
YES_NO = {True: {"id": "Ya", "en": "Yes"}, False: {"id": "Tidak", "en": "No"}}

# A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
RISKY_FIRST = frozenset("=+-@\t\r'")  # a cell starting otherwise is never changed

Cells = tuple[str, ...]
CellFn = Callable[[object], Cells]


def neutralise(text: str) -> str:
    """A leading apostrophe keeps a spreadsheet from running the cell as a formula. Text that
    already starts with apostrophes before such a character gets one more, so reading back
    (restore) is exact."""
    if text and text[0] in RISKY_FIRST and text.lstrip("'").startswith(FORMULA_START):
        return "'" + text
    return text


def restore(text: str) -> str:
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text


def mask(value: str) -> str:
    """NIK/KK masked for reports: the 6-digit region (province, regency, kecamatan) and the last
    4 digits stay, the birth date and sequence in between do not."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """A phone number masked for reports (x-sensitive "contact"): the operator prefix (4
    characters) and the last 2 digits stay, enough to tell numbers apart, not to call one."""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def number_text(value: object, excel: bool) -> str:
    text = repr(value) if isinstance(value, float) else str(value)
    return text.replace(".", ",") if excel else text


def labelled(kind: str) -> bool:
    return kind in ("code", "yesno", "multi")


def general(kind: str, spec: dict, value: object, *, lang: str, excel: bool, masked: bool) -> Cells:
    """Cells of any answer, of any type; the fast functions below agree with it."""
    if q.is_empty(value):
        return ("", "") if labelled(kind) else ("",)
    if kind == "code":  # True in a coded question is code 1, as the lookup table has it
        code = str(int(value)) if isinstance(value, bool) else str(value)
        return neutralise(code), neutralise(q.option_label(spec, value, lang))
    if kind == "yesno":
        return "1" if value else "0", YES_NO[bool(value)].get(lang, "")
    if kind in ("multi", "list"):
        values = value if isinstance(value, list) else [value]
        codes = neutralise(MULTI_SEP.join(str(v) for v in values))
        if kind == "list":
            return (codes,)
        return codes, neutralise(LABEL_SEP.join(q.option_label(spec, v, lang) for v in values))
    if (
        kind in ("number", "integer")
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    ):
        return (number_text(value, excel),)  # numbers are not formulas: -2.2 stays a number
    if masked:  # whatever its type: a NIK typed as a number must not slip through
        hide = mask_phone if spec.get("x-sensitive") == "contact" else mask
        return (neutralise(hide(str(value))),)
    return (neutralise(str(value)),)


# Answers of these types can be looked up in a table (a list cannot, and a float is no code).
SCALAR = frozenset({int, str, bool})


def lookup_table(kind: str, spec: dict, lang: str) -> dict[object, Cells] | None:
    """The cells of every possible answer of a coded or yes/no question, computed once."""
    if kind == "code":
        return {
            o["value"]: (neutralise(str(o["value"])), neutralise(q.text_of(o, "label", lang)))
            for o in q.options(spec)
        }
    if kind == "yesno":
        return {b: ("1" if b else "0", YES_NO[b].get(lang, "")) for b in (True, False)}
    return None


def cell_function(kind: str, spec: dict, *, lang: str, excel: bool, masked: bool) -> CellFn:
    """The cells of one question's answer, specialised for its kind and options."""

    def slow(value: object) -> Cells:
        return general(kind, spec, value, lang=lang, excel=excel, masked=masked)

    blank = ("", "") if labelled(kind) else ("",)
    labels = {o["value"]: q.text_of(o, "label", lang) for o in q.options(spec)}
    table = lookup_table(kind, spec, lang)

    if table is not None:

        def coded(value: object) -> Cells:
            found = table.get(value) if type(value) in SCALAR else None
            return found or slow(value)

        coded.table = table  # type: ignore[attr-defined]  # for layout's compiled rows
        return coded
    if kind in ("number", "integer"):

        def number(value: object) -> Cells:
            t = type(value)
            if t is int:
                return (str(value),)
            if t is float:
                return (repr(value).replace(".", ",") if excel else repr(value),)
            return slow(value)

        number.fast = "int"  # type: ignore[attr-defined]
        return number
    if kind == "multi":

        def multi(value: object) -> Cells:
            if (
                type(value) is not list
                or not value
                or not all(type(v) is int and v in labels for v in value)
            ):
                return slow(value)
            return (
                neutralise(MULTI_SEP.join(map(str, value))),
                neutralise(LABEL_SEP.join([labels[v] for v in value])),
            )

        return multi
    if masked:
        return slow

    def text(value: object) -> Cells:
        return (
            (neutralise(value),)
            if type(value) is str and value
            else (blank if value is None else slow(value))
        )

    text.fast = "text"  # type: ignore[attr-defined]
    return text
