"""`khbs-server`: the province's command line. Its commands arrive with the sync issue (#4);
until then it only says so, rather than pretending to work."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="khbs-server",
        description="KHBS Enroll provincial server (init, officers, enrollment codes, serve).",
    )
    parser.parse_args(argv)
    print("khbs-server: belum tersedia di versi ini / not available in this version yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
