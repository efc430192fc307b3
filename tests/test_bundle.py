"""The officer's app bundle (packaging/khbs.spec) built with PyInstaller from this source tree,
moved to a clean folder and run there with no Python on the PATH and no PYTHONPATH: init,
demo-data, status, an error message, and the GUI starting offscreen to its unlock screen with its
translations (issue 17).

In the default run (`make test`, marker `bundle`) the test builds the bundle itself, with
PyInstaller's work, cache and output in its temporary folder: nothing in the clone or the home
folder, and a build that fails is a failed test. It is scheduled first (tests/conftest.py), so
one worker builds while the other runs the rest. `make dist-test` tests the folder `make dist`
built instead (KHBS_BUNDLE names it). Without PyInstaller (the `dist` extra) it skips, except
in CI (CI=true), where it fails."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import compiled_translations, in_ci

ROOT = Path(__file__).resolve().parents[1]
EXE = ".exe" if sys.platform == "win32" else ""

pytestmark = pytest.mark.bundle


def build(work: Path) -> Path:
    """`make dist`'s PyInstaller run, everything it writes under `work`: the built folder."""
    if importlib.util.find_spec("PyInstaller") is None:
        message = "PyInstaller is not installed (the `dist` extra: pip install -e '.[test,dist]')"
        if in_ci():
            pytest.fail(message + "; CI is set, so this fails instead of skipping", pytrace=False)
        pytest.skip(message)
    compiled_translations()  # the .qm files go into the bundle
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    command += ["--distpath", str(work / "dist"), "--workpath", str(work / "build")]
    done = subprocess.run(
        [*command, str(ROOT / "packaging" / "khbs.spec")],
        cwd=ROOT,
        env={**os.environ, "PYINSTALLER_CONFIG_DIR": str(work / "cache")},
        capture_output=True,
        text=True,
        timeout=900,
    )
    built = work / "dist" / "khbs"
    if done.returncode != 0 or not (built / f"khbs{EXE}").exists():
        tail = "\n".join(done.stderr.splitlines()[-30:])
        pytest.fail(f"PyInstaller failed ({done.returncode}):\n{tail}", pytrace=False)
    return built


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """The bundle in a clean folder whose name has a space, as on Windows; removed afterwards
    (a few hundred MB)."""
    work = tmp_path_factory.mktemp("bundle")
    clean = work / "clean" / "KHBS Enroll"
    clean.parent.mkdir()
    given = os.environ.get("KHBS_BUNDLE")
    if given:
        if not (Path(given) / f"khbs{EXE}").exists():
            pytest.fail(f"no bundle at {given}: run `make dist` first", pytrace=False)
        shutil.copytree(given, clean, symlinks=True)
    else:
        shutil.move(build(work), clean)
    yield clean
    shutil.rmtree(work, ignore_errors=True)


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
