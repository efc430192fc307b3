"""The checks `make lint` runs (docs/architecture.md, "Checks") fail when a rule is broken, with
the project's configuration: each is run on a small bad example and on its good twin, so a check
that sees nothing, or a configuration that went missing, fails here too."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's tools: the `test` extra installs them


def run(tool: str, *args: str, cwd: Path = ROOT, stdin: str | None = None):
    path = BIN / tool
    if not path.exists():
        pytest.fail(f"{tool} is missing: install the test extra (make test does)")
    return subprocess.run(
        [str(path), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ruff(*args: str, source: str):
    # Checked as if it were a file of the app, so its rules and per-file settings apply.
    return run("ruff", *args, "--stdin-filename", "app/lint_example.py", "-", stdin=source)


LONG = "values = (" + ", ".join(["1234567"] * 10) + ")"  # 99 characters: one line in 100
# columns; ruff's default (88) would wrap it
TOO_LONG = "# " + "z" * 99  # 101 characters, and nothing a formatter can wrap


def test_ruff_check_finds_what_the_project_selected():
    good = f"import os\n\nprint(os.sep)\n{LONG}\n"
    assert ruff("check", source=good).returncode == 0
    found = ruff(
        "check",
        "--output-format",
        "concise",
        source=(
            "import os\n"  # unused: F401
            "import sys\n\n"
            "pairs = list(zip(sys.argv, sys.argv))\n"  # no strict=: B905 (bugbear)
            f"{TOO_LONG}\n"  # E501 at line-length 100
        ),
    )
    assert found.returncode == 1, found.stdout + found.stderr
    codes = {line.split(" ")[1] for line in found.stdout.splitlines() if line.startswith("app/")}
    assert codes == {"F401", "B905", "E501"}


def test_ruff_format_check_fails_on_unformatted_code():
    assert ruff("format", "--check", source=f"{LONG}\n").returncode == 0  # 100 columns
    found = ruff("format", "--check", source="x = {  'a':1 }\n")
    assert found.returncode == 1, found.stdout + found.stderr
    assert ruff("format", source="x = {  'a':1 }\n").stdout == 'x = {"a": 1}\n'  # the fix


def test_mypy_with_the_project_config_finds_a_type_error(tmp_path):
    """One file, with pyproject.toml's settings (check_untyped_defs: the body of a function
    without annotations is checked too) and the project's own types (tr returns str)."""
    good = tmp_path / "good.py"
    good.write_text(
        "from app.i18n import tr\n\n\ndef untyped():\n"
        "    text: str = tr('cli.sync_done')\n    return text\n"
    )
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from app.i18n import tr\n\n\ndef untyped():\n"
        "    count: int = tr('cli.sync_done')\n    return count\n"
    )
    ok = run("mypy", "--config-file", str(ROOT / "pyproject.toml"), str(good))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    found = run("mypy", "--config-file", str(ROOT / "pyproject.toml"), str(bad))
    assert found.returncode == 1, found.stdout + found.stderr
    assert (
        'bad.py:5: error: Incompatible types in assignment (expression has type "str", '
        'variable has type "int")  [assignment]' in found.stdout
    )


# (file in a copy of the tree, import added, the contract it breaks: pyproject.toml)
BAD_IMPORTS = [
    ("app/store/meta.py", "from app import households", "Laptop layers"),
    ("app/rules.py", "from app.gui import session", "Laptop layers"),
    ("sync/server/repo.py", "from app.store import Store", "The server imports nothing"),
    ("app/gui/views/unlock.py", "from app.gui.worker import StoreWorker", "GUI views and the form"),
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """The packages and the contracts, copied: the checks below break the copy, never the tree."""
    copy = tmp_path_factory.mktemp("tree")
    for package in ("app", "sync"):
        shutil.copytree(
            ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", copy)
    return copy


def lint_imports(tree: Path):
    # The copy first on the path, so its packages are analysed and not the installed ones.
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_its_import_contracts(tree):
    kept = lint_imports(tree)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "3 kept, 0 broken" in kept.stdout


@pytest.mark.parametrize(
    ("path", "line", "contract"), BAD_IMPORTS, ids=[p for p, _, _ in BAD_IMPORTS]
)
def test_lint_imports_finds_a_forbidden_import(tree, path, line, contract):
    module = tree / path
    before = module.read_text("utf-8")
    module.write_text(
        before + f"\n\ndef _late():\n    {line}  # inside a function counts too\n", "utf-8"
    )
    try:
        found = lint_imports(tree)
    finally:
        module.write_text(before, "utf-8")
    assert found.returncode == 1, found.stdout + found.stderr
    # Other contracts may break with it: the server imports the rules, the form too.
    broken = [row for row in found.stdout.splitlines() if " BROKEN" in row]
    assert any(row.startswith(contract) for row in broken), found.stdout
