"""The officer's app bundle as built by `make dist` (packaging/khbs.spec), copied to a clean
folder and run there with no Python on the PATH and no PYTHONPATH: init, demo-data, status,
and the GUI starting offscreen to its unlock screen with its translations. `make dist-test`;
deselected from the default run (marker `bundle`): the build takes minutes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILT = ROOT / "build" / "dist" / "khbs"
EXE = ".exe" if sys.platform == "win32" else ""

pytestmark = pytest.mark.bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    if not (BUILT / f"khbs{EXE}").exists():
        pytest.fail(f"no bundle at {BUILT}: run `make dist` first", pytrace=False)
    clean = tmp_path_factory.mktemp("clean") / "KHBS Enroll"
    shutil.copytree(BUILT, clean, symlinks=True)
    return clean


def run(bundle: Path, program: str, *args: str, home: Path, **env: str):
    """The bundled program with an environment that has no Python in it."""
    clean_env = {
        "PATH": "/usr/bin:/bin" if os.name != "nt" else os.environ["SystemRoot"],
        "HOME": str(home),
        "KHBS_DATA_DIR": str(home / "data"),
        "KHBS_PASSPHRASE": "sungai-kahayan-2026",
        "KHBS_LANG": "id",
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "C.UTF-8",
        **env,
    }
    return subprocess.run(
        [str(bundle / f"{program}{EXE}"), *args],
        cwd=home,
        env=clean_env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def test_the_bundle_runs_from_a_clean_folder(bundle, tmp_path):
    assert not (bundle / "_internal" / "sync" / "server").exists()  # no province server inside
    for args in (("init",), ("demo-data", "--households", "5", "--seed", "1")):
        done = run(bundle, "khbs", *args, home=tmp_path)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
    status = run(bundle, "khbs", "status", "--json", home=tmp_path)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["households"] == 5
    refused = run(bundle, "khbs", "import", "tidak-ada.jsonl", home=tmp_path)
    assert refused.returncode != 0 and refused.stderr.startswith("khbs: ")  # messages inside

    gui = run(bundle, "khbs", "gui", home=tmp_path, KHBS_GUI_SMOKE="1")
    assert gui.returncode == 0, gui.stderr
    assert json.loads(gui.stdout.strip().splitlines()[-1]) == {
        "screen": "UnlockPage",
        "translations": True,
    }
