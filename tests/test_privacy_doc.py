"""docs/privacy.md maps each UU PDP duty to a test: every test it names exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_named_in_docs_privacy_exists():
    named = set(re.findall(r"`(test_\w+)`", (ROOT / "docs" / "privacy.md").read_text("utf-8")))
    assert named
    defined = {
        m
        for path in (ROOT / "tests").rglob("test_*.py")
        for m in re.findall(r"^def (test_\w+)\(", path.read_text("utf-8"), re.M)
    }
    assert named <= defined, sorted(named - defined)
