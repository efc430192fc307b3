"""Nothing outside app/store reaches into the store: no `_` names of a store (its meta, cipher,
clock, record opening) and no SQL on its tables. They use the Store's public methods
(docs/architecture.md, "The store's public API"); tests may still look inside for white-box
checks, so only app/ and sync/ are walked.

What counts as a store: a name `store` or `Store`, or any `<something>.store` (self.store,
state.store, client.store). Through it, any attribute with a single leading underscore is
refused, and so are the names Store documents as being for app/store modules only (INTERNAL);
`store.db` may only be used as `store.db.atomic()` (a transaction around public calls):
`store.db.execute`, `store.db.conn`, `store.db["table"]` or handing `store.db` on are refused.
Importing a `_` name from app.store is refused too.

What it cannot see: a store under another name (`s = self.store; s._meta(...)`), or code
opening the SQLite file itself.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

from app.errors import RecordDamaged
from app.store import Store
from app.store.outbox import apply_results, needs_attention
from app.store.rows import OpenedHousehold
from tests.conftest import FAST_KDF, PASSPHRASE

ROOT = Path(__file__).resolve().parents[1]
WALKED = ("app", "sync")
INSIDE = ROOT / "app" / "store"
DB_ALLOWED = {"atomic"}
# Store's interface for app/store modules (its class docstring): outbox.py and assigned.py.
INTERNAL = {
    "audit",
    "changing_row",
    "seal_record",
    "open_record",
    "seal_blob",
    "open_blob",
    "set_card_number",
    "add_province_duplicate",
}


def _is_store(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ("store", "Store")
    return isinstance(node, ast.Attribute) and node.attr == "store"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def violations(source: str, filename: str = "<source>") -> list[str]:
    """Each place the source reaches into a store, as "file:line: what"."""
    tree = ast.parse(source, filename)
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_store(node.value):
            where = (node.lineno, f"{filename}:{node.lineno}: {ast.unparse(node)}")
            if _private(node.attr) or node.attr in INTERNAL:
                found.append(where)
            elif node.attr == "db":
                parent = parents.get(node)
                if not (isinstance(parent, ast.Attribute) and parent.attr in DB_ALLOWED):
                    used = parent if parent is not None else node
                    found.append((node.lineno, f"{filename}:{node.lineno}: {ast.unparse(used)}"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app.store"):
            for alias in node.names:
                if _private(alias.name):
                    what = f"import {alias.name} from {node.module}"
                    found.append((node.lineno, f"{filename}:{node.lineno}: {what}"))
    return [text for _, text in sorted(found)]


def _outside_files() -> list[Path]:
    files = []
    for top in WALKED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if INSIDE not in path.parents:
                files.append(path)
    return files


def test_nothing_outside_app_store_reaches_into_the_store():
    files = _outside_files()
    names = {p.relative_to(ROOT).as_posix() for p in files}
    # The callers this boundary is about are walked (and app/store itself is not).
    assert {"app/export/laptop.py", "sync/client.py", "app/gui/session.py"} <= names
    assert not any(n.startswith("app/store/") for n in names)
    found = []
    for path in files:
        found += violations(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert not found, "the store's insides used outside app/store:\n" + "\n".join(found)


def test_the_check_sees_each_way_in():
    """The walker itself: each pattern the boundary forbids is found, the public API is not."""
    bad = {
        "self.store._meta('last_sync')": 1,
        "store._set_meta_in(store.db, 'k', 'v')": 2,
        "state.store._cipher.open(b'')": 1,
        "record = store._open_record(hid, 1, blob)": 1,
        "Store._dumps({})": 1,
        "rows = store.db.conn.execute('SELECT 1')": 1,
        "row = self.store.db.execute('SELECT revision FROM outbox').fetchone()": 1,
        "t = store.db['households']": 1,
        "helper(client.store.db)": 1,
        "from app.store.store import RELEASED, _dumps": 1,
        "store.audit.append(now, 'x', 'household.edit')": 1,
        "with self.store.changing_row('households', hid):\n    pass": 1,
    }
    for source, count in bad.items():
        assert len(violations(source)) == count, source
    good = (
        "store.get_meta('last_sync')\n"
        "with store.db.atomic():\n    store.set_meta('k', 'v')\n"
        "self.store.now()\n"
        "for hid, found in store.open_households(status='final'):\n    pass\n"
        "store.__class__\n"
        "other._private\n"
    )
    assert violations(good) == []


# -- the public API the callers moved to --------------------------------------------------------


def _rec(i: int, status: str = "final", desa: str = "62.71.03.1001") -> dict:
    return {
        "schema_version": 1,
        "id": f"00000000-0000-4000-8000-{i:012d}",
        "status": status,
        "no_kk": f"62710301011{i:05d}",
        "anggota": [],
        "lokasi": {"kode_desa": desa},
    }


def test_meta_in_its_own_transaction_or_the_callers(store, data_dir):
    store.set_meta("last_sync", "2026-11-29T08:00:00Z")
    assert store.get_meta("last_sync") == "2026-11-29T08:00:00Z"
    assert store.get_meta("never_set") is None
    try:
        with store.db.atomic():  # the caller's transaction: kept or dropped with it
            store.set_meta_many({"pull_cursor": "7", "escrow_sent": "x"})
            assert store.get_meta("pull_cursor") == "7"
            raise RuntimeError("the caller fails after it")
    except RuntimeError:
        pass
    assert store.get_meta("pull_cursor") is None and store.get_meta("escrow_sent") is None
    store.set_meta_many({"pull_cursor": "8", "escrow_sent": "y"})
    store.close()
    with Store.open(data_dir, PASSPHRASE, write=False) as again:
        assert again.get_meta("pull_cursor") == "8" and again.get_meta("escrow_sent") == "y"
        assert again.get_meta("last_sync") == "2026-11-29T08:00:00Z"


def test_now_is_the_stores_clock(data_dir):
    moment = datetime(2026, 11, 29, 1, 2, 3, tzinfo=UTC)
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF, clock=lambda: moment) as s:
        assert s.now() == "2026-11-29T01:02:03.000000Z"
        s.save(_rec(1))
        assert s.audit.entries()[-1].at == s.now()


def test_queued_revision_follows_the_outbox(store):
    final, draft = _rec(1), _rec(2, status="draft")
    store.save(final)
    store.save(draft)
    assert store.queued_revision(final["id"]) == 1
    store.save(final)
    assert store.queued_revision(final["id"]) == 2
    assert store.queued_revision(draft["id"]) is None
    assert store.queued_revision("no-such-household") is None
    assert store.queued_revision(None) is None


def test_open_households_filters_opens_and_reports_damage(store):
    inside = _rec(1, desa="62.71.03.1001")
    sibling = _rec(2, desa="62.71.031.1001")  # "62.71.03" is a prefix of its text, not its area
    other = _rec(3, status="draft", desa="62.03.01.1006")
    damaged = _rec(4, desa="62.71.03.1002")
    for r in (inside, sibling, other, damaged):
        store.save(r)
    with store.db.atomic():
        assert store.set_card_number(inside["id"], "KHBS-0001")
    store.db.execute("UPDATE households SET record = zeroblob(40) WHERE id = ?", (damaged["id"],))

    def opened(**filters):
        return [
            (hid, found if isinstance(found, RecordDamaged) else found.record)
            for hid, found in store.open_households(**filters)
        ]

    everything = opened()
    assert [hid for hid, _ in everything] == sorted(
        r["id"] for r in (inside, sibling, other, damaged)
    )
    assert isinstance(dict(everything)[damaged["id"]], RecordDamaged)
    assert opened(status="draft") == [(other["id"], other)]
    assert [hid for hid, _ in opened(desa="62.71.03")] == [inside["id"], damaged["id"]]
    assert [hid for hid, _ in opened(desa="62.71.0_")] == []  # no LIKE wildcards
    assert [hid for hid, _ in opened(desa="62.71.03.1001", status="final")] == [inside["id"]]
    ((hid, found),) = store.open_households(desa="62.71.03.1001")
    assert isinstance(found, OpenedHousehold)
    assert (found.id, found.revision, found.record, found.status, found.kode_desa) == (
        inside["id"],
        1,
        inside,
        "final",
        "62.71.03.1001",
    )
    assert (found.sync_state, found.sync_reason, found.card_number) == (
        "pending",
        None,
        "KHBS-0001",
    )


def test_needs_attention_lists_what_the_province_sent_back(store):
    ok, rejected, conflict, draft = _rec(1), _rec(2), _rec(3), _rec(4, status="draft")
    for r in (ok, rejected, conflict, draft):
        store.save(r)
    apply_results(
        store,
        [
            {"id": ok["id"], "revision": 1, "outcome": "accepted"},
            {"id": rejected["id"], "revision": 1, "outcome": "rejected", "reason": "outside_area"},
            {"id": conflict["id"], "revision": 1, "outcome": "conflict"},
        ],
    )
    assert sorted(needs_attention(store)) == sorted(
        [(rejected["id"], "outside_area"), (conflict["id"], "conflict")]
    )
