"""App preferences, kept beside the store in plain JSON: nothing personal lives here."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

FILENAME = "settings.json"


@dataclass
class Settings:
    lang: str = "id"
    idle_lock_minutes: int = 10
    sync_minutes: float = 5  # automatic sync check while unlocked and enrolled

    @classmethod
    def load(cls, data_dir: Path) -> Settings:
        """Missing or unreadable settings fall back to the defaults (nothing here is vital)."""
        try:
            raw = json.loads((Path(data_dir) / FILENAME).read_text("utf-8"))
            return cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__})
        except (OSError, ValueError, TypeError):
            return cls()

    def save(self, data_dir: Path) -> None:
        """Written to a temporary file and renamed, so a crash never leaves half a file.
        Called from the store worker (disk I/O stays off the GUI thread)."""
        Path(data_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = Path(data_dir) / (FILENAME + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), "utf-8")
        os.replace(tmp, Path(data_dir) / FILENAME)
