"""The officer's version of a listed household against the province's newer one: which answers
differ, and the record that results from choosing per answer (docs/sync.md, Verification).

Pure functions of two records, so they are tested without a store or a window. Members are
matched by NIK, else by position, so a corrected name stays one difference, not two members.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from app import questionnaire as q
from app.questionnaire_migration import aligned

MINE, THEIRS = "mine", "theirs"
# Not answers: set by the app or the workflow, never offered as a choice.
SKIPPED = {"schema_version", "id", "status", q.ACKNOWLEDGED, q.HISTORY, "paradata"}
_MISSING = None


@dataclass(frozen=True)
class Difference:
    """One answer that differs. `path` names it in the officer's record (members by their
    index there); a member only the province has is ("anggota", None) with `theirs_member`."""

    key: str  # stable id for the choice: "lokasi/alamat", "anggota/0:1/nama", "anggota/-:2"
    path: tuple
    mine: object
    theirs: object
    member: int | None = None  # 0-based index in the officer's record
    theirs_member: int | None = None  # 0-based index in the province's record

    @property
    def whole_member(self) -> bool:
        return len(self.path) == 2 and self.path[0] == q.MEMBERS


def diff(mine: dict, theirs: dict) -> list[Difference]:
    """Every answer that differs, in questionnaire order: the older record's answers as of the
    other's questionnaire version (a listed family sent on version 1, verified on version 2)."""
    mine = aligned(mine, theirs.get("schema_version"))
    theirs = aligned(theirs, mine.get("schema_version"))
    a, b = q.canonical(mine), q.canonical(theirs)
    return list(_diff_group(a, b, q.schema_for(a), ()))


def changed_by_province(
    differences: list[Difference], origin: dict | None, theirs: dict
) -> list[Difference]:
    """Of diff(mine, theirs), the answers the province changed since `origin` (its version the
    officer started from). The rest differ only because the officer answered them (the
    dwelling, a corrected name, ...): the officer's stand, with nothing to choose. Without an
    origin every difference is kept."""
    if origin is None:
        return list(differences)
    o, t = q.canonical(origin), q.canonical(theirs)
    o_rows, t_rows = _rows(o.get(q.MEMBERS)), _rows(t.get(q.MEMBERS))
    origin_of = {j: i for i, j in match_members(o_rows, t_rows) if i is not None and j is not None}
    listed_niks = {m.get(q.NIK) for m in o_rows if m.get(q.NIK)}
    out = []
    for d in differences:
        if d.path[0] != q.MEMBERS:
            keep = _at(o, d.path) != d.theirs
        elif d.whole_member and d.theirs_member is None:  # only the officer has this member
            keep = d.mine.get(q.NIK) in listed_niks if isinstance(d.mine, dict) else False
        else:  # a member's answer, or a member only the province has
            j = d.theirs_member
            k = origin_of.get(j) if j is not None else None
            if j is None or k is None:
                keep = True  # the province added this member
            elif d.whole_member:
                keep = o_rows[k] != t_rows[j]
            else:
                keep = _at(o_rows[k], d.path[2:]) != d.theirs
        if keep:
            out.append(d)
    return out


def _at(record: object, path: tuple) -> object:
    for part in path:
        if not isinstance(record, dict):
            return _MISSING
        record = record.get(part, _MISSING)
    return record


def _keys(a: dict, b: dict, spec: dict) -> list[str]:
    props = list(spec.get("properties", {}))
    extra = [k for k in [*a, *b] if k not in props]
    return [k for k in dict.fromkeys(props + extra) if k in a or k in b]


def _diff_group(a: dict, b: dict, spec: dict, prefix: tuple) -> Iterator[Difference]:
    for name in _keys(a, b, spec):
        if not prefix and name in SKIPPED:
            continue
        sub = spec.get("properties", {}).get(name, {})
        va, vb = a.get(name, _MISSING), b.get(name, _MISSING)
        if q.is_roster(sub):
            yield from _diff_members(_rows(va), _rows(vb), sub["items"], prefix + (name,))
        elif q.is_group(sub) and isinstance(va or {}, dict) and isinstance(vb or {}, dict):
            yield from _diff_group(va or {}, vb or {}, sub, prefix + (name,))
        elif va != vb:
            path = prefix + (name,)
            yield Difference("/".join(map(str, path)), path, va, vb)


def _rows(value: object) -> list[dict]:
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def match_members(mine: list[dict], theirs: list[dict]) -> list[tuple[int | None, int | None]]:
    """Pairs (index in mine, index in theirs): same NIK first, then the rest in the order they
    come; members left over are alone (None on the other side)."""
    by_nik = {m.get(q.NIK): j for j, m in enumerate(theirs) if m.get(q.NIK)}
    pairs: dict[int, int] = {}
    for i, m in enumerate(mine):
        j = by_nik.get(m.get(q.NIK)) if m.get(q.NIK) else None
        if j is not None and j not in pairs.values():
            pairs[i] = j
    left = [j for j in range(len(theirs)) if j not in pairs.values()]
    for i in range(len(mine)):
        if i not in pairs and left:
            pairs[i] = left.pop(0)
    taken = set(pairs.values())
    out: list[tuple[int | None, int | None]] = [(i, pairs.get(i)) for i in range(len(mine))]
    out += [(None, j) for j in range(len(theirs)) if j not in taken]
    return out


def _diff_members(
    mine: list[dict], theirs: list[dict], spec: dict, prefix: tuple
) -> Iterator[Difference]:
    for i, j in match_members(mine, theirs):
        tag = f"{'-' if i is None else i}:{'-' if j is None else j}"
        if i is None or j is None:  # one side only: a choice for the whole member
            path = prefix + (i,)
            yield Difference(
                f"{prefix[0]}/{tag}",
                path,
                mine[i] if i is not None else None,
                theirs[j] if j is not None else None,
                i,
                j,
            )
            continue
        for d in _diff_group(mine[i], theirs[j], spec, prefix + (i,)):
            key = f"{prefix[0]}/{tag}/" + "/".join(map(str, d.path[2:]))
            yield Difference(key, d.path, d.mine, d.theirs, i, j)


def merge(mine: dict, theirs: dict, choices: Mapping[str, str]) -> dict:
    """The officer's record with the province's answer wherever `choices[key]` is THEIRS
    (keys from diff(); anything not chosen keeps the officer's answer)."""
    out = copy.deepcopy(q.canonical(aligned(mine, theirs.get("schema_version"))))
    removed: list[int] = []
    added: list[object] = []  # members only the province has, as it sent them
    for d in diff(mine, theirs):
        if choices.get(d.key, MINE) != THEIRS:
            continue
        if d.whole_member:
            if d.member is None:
                added.append(copy.deepcopy(d.theirs))
            else:
                removed.append(d.member)
        else:
            _set(out, d.path, copy.deepcopy(d.theirs))
    rows = out.get(q.MEMBERS, [])
    for i in sorted(removed, reverse=True):  # from the end, so earlier indexes hold
        del rows[i]
    rows.extend(added)
    return q.canonical(out)


def _set(record: dict, path: tuple, value: object) -> None:
    node: Any = record  # a dict or a list of them, down the path
    for part in path[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            node = node[part]
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
