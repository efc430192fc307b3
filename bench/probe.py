"""Timed start-of-process probes for bench/__main__.py: prints seconds taken."""

import json
import sys
import time
from pathlib import Path


def main() -> None:
    kind, path, passphrase = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    if kind == "unlock":
        from app.store import Store

        t = time.perf_counter()
        store = Store.open(path, passphrase)
        rows = store.rows()
        elapsed = time.perf_counter() - t
        assert rows
    else:
        import sqlite_utils

        t = time.perf_counter()
        db = sqlite_utils.Database(path)
        rows = [json.loads(r["summary"]) for r in db["rows"].rows]
        elapsed = time.perf_counter() - t
        assert rows
    print(f"{elapsed:.6f}")


if __name__ == "__main__":
    main()
