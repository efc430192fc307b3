"""Keys to enrol the reference family (issue 12), counted by the script of
tests/test_gui_keys.py (tests/keyentry.py) in a fresh offscreen process: the real app on a
throwaway store, the family typed from Ctrl+N to Alt+F. A count, not a time.

    python -m bench --only keys        (or: python -m bench.keys --log, to see every key)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path


def count(log: bool = False) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.gui.app import install_translator
    from tests import keyentry
    from tests.conftest import FAST_KDF, PASSPHRASE

    app = QApplication.instance() or QApplication(sys.argv[:1])
    install_translator(app, "id")
    with tempfile.TemporaryDirectory(prefix="khbs-keys-") as tmp:
        data_dir = Path(tmp) / "data"
        keyentry.make_store(data_dir, PASSPHRASE, FAST_KDF)
        worker, _session, window = keyentry.open_app(data_dir, PASSPHRASE, keyentry.wait_until)
        try:
            rec = keyentry.family(date.today())
            kb = keyentry.Keyboard(keyentry.wait_until)
            keyentry.enroll(kb, window, rec)
            keyentry.wait_until(lambda: not worker.busy())
        finally:
            keyentry.close_app(worker, window)
        [saved] = keyentry.saved_records(data_dir, PASSPHRASE)
        saved.pop("paradata", None)  # kept by the editor, not typed
        assert saved == keyentry.expected(rec, saved["id"]), "the saved record is not the family"
    out = {
        "total": kb.total,
        "characters": kb.characters,
        "navigation": kb.navigation,
        "modifiers": kb.modifiers,
        "old": keyentry.OLD_KEYS,
        "cspro": keyentry.CSPRO_KEYS,
        "target": keyentry.TARGET,
    }
    if log:
        out["keys"] = " ".join(kb.log)
    return out


def run() -> None:
    """Counted in a child process (its own QApplication), printed here."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.keys"], check=True, capture_output=True, text=True
    )
    n = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"{'keys to enrol the reference family':<44} {n['total']:10d} key "
        f"({n['characters']} characters, {n['navigation']} navigation, {n['modifiers']} modifiers)"
    )
    print(
        f"{'  the old form (issue 12)':<44} {n['old']:10d} key   ratio {n['total'] / n['old']:5.2f}"
    )
    print(
        f"{'  CSPro data entry (issue 12, ~550-600)':<44} {n['cspro']:10d} key"
        f"   ratio {n['total'] / n['cspro']:5.2f}"
        f"   target <= {n['target']}"
    )


if __name__ == "__main__":
    result = count(log="--log" in sys.argv)
    if "keys" in result:
        print(result.pop("keys"), file=sys.stderr)
    print(json.dumps(result))
