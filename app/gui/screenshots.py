"""`make screenshots`: every page and dialog at 1366x705 (app/gui/tour.py) as PNG files, each
checked for text without room (app/gui/fit.py).

    QT_QPA_PLATFORM=offscreen python -m app.gui.screenshots docs/screenshots [--lang id en]

Indonesian saves every stop as <stop>.png; English the main ones as <stop>-en.png. Uses a
throwaway store in a temporary folder with training households; nothing real. Exits 1 when a
text does not fit, after writing every file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

ENGLISH_STOPS = {
    "first-run",
    "households",
    "form-identity",
    "form-aset",
    "member",
    "settings",
    "form-returned",
    "form-evidence",
    "signature",
    "photo-picker",
    "camera",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.gui.screenshots")
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", nargs="+", default=["id", "en"], choices=("id", "en"))
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from app.gui import fit
    from app.gui.tour import tour

    QApplication.instance() or QApplication(sys.argv[:1])
    args.out.mkdir(parents=True, exist_ok=True)
    cut = 0
    for lang in args.lang:
        with tempfile.TemporaryDirectory(prefix="khbs-shots-") as tmp:
            for name, widget in tour(Path(tmp), lang):
                for line in fit.problems(widget):
                    print(f"{lang} {name}: {line}", file=sys.stderr)
                    cut += 1
                if lang == "id":
                    widget.grab().save(str(args.out / f"{name}.png"))
                elif name in ENGLISH_STOPS:
                    widget.grab().save(str(args.out / f"{name}-en.png"))
    print(f"screenshots written to {args.out}" + (f"; {cut} texts cut" if cut else ""))
    return 1 if cut else 0


if __name__ == "__main__":
    sys.exit(main())
