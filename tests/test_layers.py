"""The server's layers (docs/architecture.md, "Sync"): the province server imports nothing of the
laptop's store or GUI (what both ends share lives in sync/protocol.py and the shared domain
modules), and HTTP routes leave SQL to the repository modules."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Table

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "sync" / "server"
API = SERVER / "api"
LAPTOP_ONLY = ("app.store", "app.gui")

# Files under sync/server/api allowed to hold SQL, each with its reason. Empty: keep it so.
SQL_EXCEPTIONS: dict[str, str] = {}

SQL_KEYWORD = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|WITH)\s")
SQL_CALLS = {"execute", "exec_driver_sql", "scalar", "scalars"}  # running a statement
# Connection and Engine are the types routes pass to the repository; sqlalchemy.exc is errors.
SQLALCHEMY_ALLOWED = {"Connection", "Engine"}


def server_files() -> list[Path]:
    """Every Python file of the server (Alembic's revisions and env.py included), and the wire
    layer the server shares with the laptop."""
    return sorted(SERVER.rglob("*.py")) + [ROOT / "sync" / "protocol.py"]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of each import in the file, at any depth (functions included);
    `from app import store` counts as app.store."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return out


def laptop_only(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in LAPTOP_ONLY)


def test_the_server_imports_nothing_of_the_laptop_store_or_gui():
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in server_files()
        for line, module in imported_modules(path)
        if laptop_only(module)
    ]
    assert found == []


def test_importing_the_whole_server_loads_no_laptop_module():
    """What the modules import in turn counts too (a shared module that pulled in the store
    would bring the laptop back). Alembic's env.py and revisions run only inside Alembic."""
    names = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in sorted(SERVER.rglob("*.py"))
        if "migrations" not in p.relative_to(SERVER).parts[:-1] and p.name != "env.py"
    ]
    names = [n.removesuffix(".__init__") for n in names]
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = json.loads(proc.stdout)
    assert "sync.server.api.pull" in loaded and "sync.server.ingest" in loaded
    assert [m for m in loaded if laptop_only(m)] == []


def sql_in(path: Path) -> list[str]:
    """SQL a file writes or runs: SQLAlchemy's statement builders, tables, statements executed,
    or a raw SQL string."""
    from sync.server import db

    tables = {name for name in vars(db) if isinstance(getattr(db, name), Table)}
    tree = ast.parse(path.read_text("utf-8"), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            if node.module != "sqlalchemy.exc":
                out += [
                    f"{node.lineno}: imports {a.name} from {node.module}"
                    for a in node.names
                    if a.name not in SQLALCHEMY_ALLOWED
                ]
        elif isinstance(node, ast.Import):
            out += [
                f"{node.lineno}: imports {a.name}"
                for a in node.names
                if a.name.startswith("sqlalchemy")
            ]
        if isinstance(node, ast.ImportFrom) and node.module == "sync.server.db":
            out += [
                f"{node.lineno}: imports table {a.name}" for a in node.names if a.name in tables
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
        ):
            out.append(f"{node.lineno}: calls .{node.func.attr}()")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL_KEYWORD.match(node.value)
        ):
            out.append(f"{node.lineno}: SQL string {node.value[:30]!r}")
    return out


@pytest.mark.parametrize("path", sorted(API.glob("*.py")), ids=lambda p: p.name)
def test_routes_leave_sql_to_the_repository(path):
    if path.name in SQL_EXCEPTIONS:
        pytest.skip(SQL_EXCEPTIONS[path.name])
    assert sql_in(path) == []


def test_the_sql_check_sees_sql(tmp_path):
    """The check above, on a route written the old way (so it cannot pass by seeing nothing)."""
    route = tmp_path / "old_route.py"
    route.write_text(
        "from sqlalchemy import select, text\n"
        "from sync.server.db import device_box_keys, utc_now\n"
        "def f(conn):\n"
        "    conn.execute(select(device_box_keys))\n"
        "    conn.execute(text('SELECT 1'))\n",
        "utf-8",
    )
    found = sorted(line.split(": ", 1)[1] for line in sql_in(route))
    assert found == [
        "SQL string 'SELECT 1'",
        "calls .execute()",
        "calls .execute()",
        "imports select from sqlalchemy",
        "imports table device_box_keys",
        "imports text from sqlalchemy",
    ]
