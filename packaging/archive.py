"""After PyInstaller: the bundle folder as one archive beside it, named for the version and
the platform (a .zip on Windows, a .tar.gz elsewhere), with its SHA-256. `make dist` runs it."""

from __future__ import annotations

import hashlib
import platform
import shutil
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(dist: Path = ROOT / "build" / "dist") -> Path:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    name = f"khbs-{version}-{system}-{platform.machine().lower()}"
    kind = "zip" if system == "windows" else "gztar"
    made = Path(shutil.make_archive(str(dist / name), kind, root_dir=dist, base_dir="khbs"))
    digest = hashlib.sha256(made.read_bytes()).hexdigest()
    (made.parent / (made.name + ".sha256")).write_text(f"{digest}  {made.name}\n")
    print(f"{made} ({made.stat().st_size // (1024 * 1024)} MiB) sha256 {digest}")
    return made


if __name__ == "__main__":
    main()
