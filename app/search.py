"""Search-as-you-type over the unlocked household list, in memory only.

Names cannot go in a plaintext index, so the index is built from the decrypted summaries at
unlock and lives only in RAM. One flat lowercase string per household keeps a query over
20,000 households (about 70,000 members) to a few milliseconds.
"""

from __future__ import annotations

import unicodedata

from app.store import HouseholdRow

SEP = "\x1f"


def normalise(text: str) -> str:
    """Lowercase, accents removed, runs of spaces folded: 'Élisabet  NAHAN' -> 'elisabet nahan'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def haystack(summary: dict) -> str:
    parts = [summary.get("kk", "")]
    for name, nik in summary.get("anggota", []):
        parts += [normalise(name), nik]
    return SEP + SEP.join(parts) + SEP


class SearchIndex:
    def __init__(self, rows: list[HouseholdRow] | None = None):
        self._ids: list[str] = []
        self._text: list[str] = []
        self._pos: dict[str, int] = {}
        for row in rows or []:
            self.put(row)

    def put(self, row: HouseholdRow) -> None:
        """Add a household or refresh it after a save."""
        text = haystack(row.summary)
        if row.id in self._pos:
            self._text[self._pos[row.id]] = text
            return
        self._pos[row.id] = len(self._ids)
        self._ids.append(row.id)
        self._text.append(text)

    def search(self, query: str) -> list[str]:
        """Ids of households where every word of the query occurs in a name, NIK or KK."""
        words = normalise(query).split()
        if not words:
            return list(self._ids)
        return [
            hid
            for hid, text in zip(self._ids, self._text)
            if all(w in text for w in words)
        ]
