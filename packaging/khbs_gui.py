"""Entry point of the bundle's `khbs-gui` (no console window on Windows): `khbs gui`."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main(["gui", *sys.argv[1:]]))
