"""Scope (sync/server/scope.py): what a province user may see, as SQL conditions and in Python.
The SQL is run on SQLite and PostgreSQL against many codes, tricky prefixes among them, and
must answer exactly what the Python answers."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from sync.server.scope import BadScope, Scope

# Codes that look alike: a shorter code that is a string prefix but not a segment prefix,
# longer segments, missing dots, another province, a trailing dot, LIKE's own wildcards.
TRICKY = [
    "62",
    "6",
    "62.",
    "62.7",
    "62.71",
    "62.710",
    "62.711",
    "62.7.1",
    "62.71.",
    "62.71.0",
    "62.71.03",
    "62.71.030",
    "62.71.03.",
    "62.71.03.1001",
    "62.71.03.10011",
    "62.71.03.100",
    "62.71.031.1001",
    "62.71.13.1001",
    "62.71.03.1002",
    "62.71.01",
    "62.71.01.1001",
    "62.17.03.1001",
    "62.01",
    "62.01.01",
    "62.01.01.1011",
    "62.011",
    "6271",
    "6271.03",
    "627103",
    "63",
    "63.71",
    "63.71.03.1001",
    "162.71",
    "62.71.03.1001.5",
    "",
    " 62.71",
    "62.71 ",
    "62_71",
    "62%71",
    "62.71.%",
    "62.71._",
    "62.72.03.1001",
    "62.7%",
]

SCOPES = [
    Scope.province(),
    Scope.of("regency", ["62.71"]),
    Scope.of("regency", ["62.71", "62.01"]),
    Scope.of("supervisor", ["62.71.03"]),
    Scope.of("supervisor", ["62.71.03.1001", "62.01"]),
    Scope.of("supervisor", ["62.71.03.1001", "62.71.03.1002"]),
    Scope.of("regency", ["62.71"]).narrow("62.01"),  # nothing
]


def random_codes(n: int, seed: int = 62) -> list[str]:
    """Codes built from pieces that make near misses likely."""
    rng = random.Random(seed)
    pieces = ["62", "6", "2", "7", "71", "710", "01", "03", "0", "3", "1001", "1011", "100", ""]
    found = set()
    while len(found) < n:
        parts = [rng.choice(["62", "62", "63", "6"])]
        parts += [rng.choice(pieces) for _ in range(rng.randint(0, 4))]
        found.add(".".join(parts) if rng.random() < 0.9 else "".join(parts))
    return sorted(found)


CODES = sorted(set(TRICKY) | set(random_codes(400)))


@pytest.fixture
def probe(engine):
    """A table of codes in the test's database."""
    meta = MetaData()
    table = Table(
        "scope_probe",
        meta,
        Column("n", Integer, primary_key=True),
        Column("code", String(40), nullable=False),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"n": i, "code": c} for i, c in enumerate(CODES)])
    yield table
    meta.drop_all(engine)


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s.role}:{','.join(s.areas) or '-'}")
def test_sql_and_python_agree(engine, probe, scope):
    with engine.connect() as conn:
        inside = set(conn.scalars(select(probe.c.code).where(scope.where(probe.c.code))))
        overlapping = set(
            conn.scalars(select(probe.c.code).where(scope.where_overlaps(probe.c.code)))
        )
    assert inside == {c for c in CODES if scope.contains(c)}
    assert inside == {c for c in CODES if scope.covers(c)}
    assert overlapping == {c for c in CODES if scope.overlaps(c)}
    assert inside <= overlapping


def test_whole_segments_only():
    regency = Scope.of("regency", ["62.71"])
    assert regency.contains("62.71.03.1001") and regency.contains("62.71")
    for near in ("62.710", "62.711.03.1001", "62.7", "62.72.03.1001", "6271", "62", "62.01"):
        assert not regency.contains(near), near
    assert Scope.of("regency", ["62.01"]).contains("62.01.01.1011")
    assert not Scope.of("regency", ["62.01"]).contains("62.011")
    kecamatan = Scope.of("supervisor", ["62.71.03"])
    assert kecamatan.overlaps("62.71") and kecamatan.overlaps("62")  # an officer above it
    assert not kecamatan.overlaps("62.71.01") and not kecamatan.overlaps("62.7")
    assert not kecamatan.covers("62.71")
    assert Scope.province().contains("62.01.01.1011") and not Scope.province().contains("63.71")


def test_made_from_a_role_and_areas():
    assert Scope.of("province") == Scope.of("province", ["62"]) == Scope.province()
    assert Scope.province().is_province and not Scope.of("regency", ["62.71"]).is_province
    # Sorted, without areas inside another.
    scope = Scope.of("supervisor", ["62.71.03.1001", "62.71", "62.01.01", "62.71.03"])
    assert scope.areas == ("62.01.01", "62.71")
    assert scope.as_dict() == {"role": "supervisor", "areas": ["62.01.01", "62.71"]}
    bad = [
        ("province", ["62.71"]),
        ("regency", []),
        ("regency", ["62.71.03"]),
        ("regency", ["62"]),
        ("regency", ["63.71"]),
        ("supervisor", ["62"]),
        ("supervisor", ["6271"]),
        ("supervisor", ["62.71.3"]),
        ("admin", ["62.71"]),
        ("regency", ["62.71%"]),
        ("supervisor", ["62.71.03.1001.1"]),
    ]
    for role, areas in bad:
        with pytest.raises(BadScope) as refused:
            Scope.of(role, areas)
        assert refused.value.message("id") and refused.value.message("en")


def test_narrowed_to_one_area():
    two = Scope.of("regency", ["62.71", "62.01"])
    assert two.narrow("62.71").areas == ("62.71",)
    assert two.narrow("62.71.03").areas == ("62.71.03",)
    assert two.narrow("62.12").areas == ()
    assert not two.narrow("62.12").contains("62.12.01.2001")
    desa = Scope.of("supervisor", ["62.71.03.1001", "62.71.01"])
    assert desa.narrow("62.71").areas == ("62.71.01", "62.71.03.1001")
    assert Scope.province().narrow("62.71") == Scope("province", ("62.71",))
