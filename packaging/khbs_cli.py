"""Entry point of the bundle's `khbs` (console): the field CLI, and `khbs gui`."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
