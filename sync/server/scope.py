"""What part of Central Kalimantan a province user may see and change: a Scope.

A scope is a role and the area codes it covers (Kemendagri dotted codes: regency "62.71",
kecamatan "62.71.03", desa "62.71.03.1001"). The province role covers all of Kalteng (62). A
scope is enforced in the query that reads the rows, never by filtering rows after fetching them:

    Scope.province()                   everything in Kalteng
    Scope.of("regency", ["62.71"])     one or more regencies (kabupaten/kota)
    Scope.of("supervisor", [...])      regencies, kecamatan or desa
    scope.where(column)                SQL: the column's area code lies inside the scope
    scope.where_overlaps(column)       SQL: ... inside it, or contains part of it (an officer's
                                       area "62.71" overlaps a kecamatan scope "62.71.03")
    scope.contains(code) / covers(area)   the same as where() in Python
    scope.overlaps(area)               the same as where_overlaps() in Python
    scope.narrow(area)                 the part of the scope inside one area (may be empty)
    scope.areas                        the codes, sorted, none inside another

Codes match on whole segments: "62.7" does not contain "62.71", and "62.71" does not contain
"62.710" (SQL: `col = area OR col LIKE area || '.%'`; codes hold only digits and dots, so LIKE
has nothing to escape).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import false, or_
from sqlalchemy.sql.elements import ColumnElement

from app.regions import PROVINCE
from sync.server import ServerError

ROLES = ("province", "regency", "supervisor")
# Province, regency, kecamatan, desa, all inside Kalteng.
CODE_RE = re.compile(r"62(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")


class BadScope(ServerError):
    """A role or area list no scope can be made of (a console user's stored data is wrong)."""

    key = "server.scope_bad"


def _inside(code: str, area: str) -> bool:
    return code == area or code.startswith(area + ".")


def _depth(code: str) -> int:
    return code.count(".")  # 0 province, 1 regency, 2 kecamatan, 3 desa


def _ancestors(code: str) -> list[str]:
    """The areas that contain `code`, without itself: "62.71.03" -> ["62", "62.71"]."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@dataclass(frozen=True)
class Scope:
    role: str
    areas: tuple[str, ...]  # sorted, none inside another; empty: matches nothing

    @classmethod
    def province(cls) -> Scope:
        return cls("province", (PROVINCE,))

    @classmethod
    def of(cls, role: str, areas: Iterable[str] = ()) -> Scope:
        """A scope from a user's role and area codes; BadScope when they do not fit. The
        province role takes no areas (or just "62"); a regency user's areas are regencies; a
        supervisor's are regencies, kecamatan or desa."""
        codes = sorted({str(a).strip() for a in areas})
        if role not in ROLES:
            raise BadScope(role=str(role)[:20], areas=",".join(codes)[:80])
        if role == "province":
            if codes not in ([], [PROVINCE]):
                raise BadScope(role=role, areas=",".join(codes)[:80])
            return cls.province()
        lowest = 1 if role == "regency" else 3
        if not codes or any(
            not CODE_RE.fullmatch(c) or not 1 <= _depth(c) <= lowest for c in codes
        ):
            raise BadScope(role=role, areas=",".join(codes)[:80])
        return cls(role, _minimal(codes))

    @property
    def is_province(self) -> bool:
        return self.areas == (PROVINCE,)

    # -- in Python ------------------------------------------------------------------------------

    def contains(self, code: str) -> bool:
        """A desa code (or any area code) lies inside the scope."""
        return isinstance(code, str) and any(_inside(code, a) for a in self.areas)

    def covers(self, area: str) -> bool:
        """A whole area lies inside the scope (every desa of it is in the scope)."""
        return self.contains(area)

    def overlaps(self, area: str) -> bool:
        """The area and the scope share a desa: it lies inside, or contains a scope area."""
        return isinstance(area, str) and any(
            _inside(area, a) or _inside(a, area) for a in self.areas
        )

    def narrow(self, area: str) -> Scope:
        """The part of this scope inside `area`: a regency filter within a user's scope. Areas
        that do not meet give a scope that matches nothing."""
        if self.covers(area):
            return Scope(self.role, (area,))
        return Scope(self.role, tuple(a for a in self.areas if _inside(a, area)))

    # -- in SQL ---------------------------------------------------------------------------------

    def where(self, column) -> ColumnElement[bool]:
        """The column (an area code, usually a desa) lies inside the scope."""
        if not self.areas:
            return false()
        return or_(*(or_(column == a, column.like(a + ".%")) for a in self.areas))

    def where_overlaps(self, column) -> ColumnElement[bool]:
        """The column's area lies inside the scope or contains a scope area (an officer's area
        that covers part of the scope)."""
        above = sorted({up for a in self.areas for up in _ancestors(a)})
        if not above:
            return self.where(column)
        return or_(self.where(column), column.in_(above))

    def as_dict(self) -> dict:
        return {"role": self.role, "areas": list(self.areas)}


def _minimal(codes: list[str]) -> tuple[str, ...]:
    """Sorted codes without those inside another ("62.71.03" goes when "62.71" is there)."""
    return tuple(c for c in codes if not any(c != a and _inside(c, a) for a in codes))
