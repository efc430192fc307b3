"""Search-as-you-type over the unlocked household list, in memory only.

Names cannot go in a plaintext index, so the index is built from the decrypted summaries at
unlock and lives only in RAM. One flat lowercase string per household keeps a query over
20,000 households (about 70,000 members) to a few milliseconds.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from app.questionnaire import SUMMARY_SEP as SEP

if TYPE_CHECKING:
    from app.store import HouseholdRow


def normalise(text: str) -> str:
    """Lowercase, accents removed, runs of spaces folded: 'Élisabet  NAHAN' -> 'elisabet nahan'."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def haystack(row: HouseholdRow) -> str:
    """The summary with names normalised; the separator keeps words from running together."""
    parts = row.summary.split(SEP)
    return SEP + SEP.join(normalise(p) for p in parts) + SEP


class SearchIndex:
    def __init__(self, rows: list[HouseholdRow] | None = None):
        self._ids: list[str] = []
        self._text: list[str] = []
        self._pos: dict[str, int] = {}
        for row in rows or []:
            self.put(row)

    def put(self, row: HouseholdRow) -> None:
        """Add a household or refresh it after a save."""
        text = haystack(row)
        if row.id in self._pos:
            self._text[self._pos[row.id]] = text
            return
        self._pos[row.id] = len(self._ids)
        self._ids.append(row.id)
        self._text.append(text)

    def search(self, query: str) -> list[str]:
        """Ids of households where every word of the query occurs in a name, NIK or KK."""
        words = sorted(normalise(query).split(), key=len, reverse=True)
        if not words:
            return list(self._ids)
        # The longest word first narrows fastest; each pass is one C-level scan per household.
        first = words[0]
        hits = [i for i, text in enumerate(self._text) if first in text]
        for word in words[1:]:
            hits = [i for i in hits if word in self._text[i]]
        return [self._ids[i] for i in hits]


def member_found(row: HouseholdRow, query: str) -> str | None:
    """The member whose name or NIK a search matched, when the KK number and the head's name
    do not match it themselves: the list shows that member beside the head ("Agus (anggota)"),
    so a hit in another family's name explains itself. None for a match on the head."""
    words = normalise(query).split()
    if not words:
        return None
    head = normalise(f"{row.kk} {row.head}")
    if all(w in head for w in words):
        return None
    others = [(name, nik) for name, nik in row.members if normalise(name) != normalise(row.head)]
    for name, nik in others:
        text = normalise(f"{name} {nik}")
        if all(w in text for w in words):
            return name
    for name, nik in others:
        text = normalise(f"{name} {nik}")
        if any(w in text for w in words):
            return name
    return None
