"""A real file system that runs out of space: a small tmpfs mounted for one test.

Mounting needs root (or CAP_SYS_ADMIN) on Linux. Where that is impossible the test is skipped
with the reason, except in CI (CI=true), where a skipped disk-full test would hide a regression:
there it fails instead.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import in_ci

SIZE = "8m"


def _cannot(reason: str) -> None:
    text = f"no small disk to fill: {reason} (mounting a tmpfs needs Linux and root)"
    if in_ci():
        pytest.fail(text + "; CI=true, so this is a failure, not a skip")
    pytest.skip(text)


class SmallDisk:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler.bin"

    @classmethod
    def mount(cls, where: Path, size: str = SIZE) -> SmallDisk:
        if not sys.platform.startswith("linux") or shutil.which("mount") is None:
            _cannot(f"platform {sys.platform}")
        where.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            _cannot(proc.stderr.strip() or f"mount exited {proc.returncode}")
        return cls(where)

    def fill(self) -> None:
        """Write until the file system says ENOSPC."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        block = b"\0" * 65536
        try:
            while True:
                try:
                    os.write(fd, block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    if len(block) == 1:
                        break
                    block = block[: len(block) // 2]  # the last few bytes too
        finally:
            os.close(fd)
        assert shutil.disk_usage(self.path).free == 0

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        proc = subprocess.run(["umount", str(self.path)], capture_output=True, check=False)
        if proc.returncode != 0:  # a file still open (a failed test): detach it anyway
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)
