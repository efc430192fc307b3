"""Every `khbs-server ...` command that docs/operations.md and the files in deploy/ quote parses
with the real command line (sync/server_cli.py build_parser): the procedure an operator follows
at 2 a.m. must not fail on a renamed option."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from sync.server_cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    ROOT / "docs" / "operations.md",
    ROOT / "deploy" / "khbs-server.service",
    ROOT / "deploy" / "Dockerfile",
    ROOT / "deploy" / "compose.yaml",
    ROOT / "deploy" / "khbs-backup.sh",
]


def quoted_commands(text: str, markdown: bool = True) -> list[str]:
    """The text from `khbs-server` on: in Markdown, of each line of a code block and of each
    inline code span; in a deploy file, of each line."""
    if markdown:
        blocks = re.findall(r"```\n(.*?)```", text, flags=re.DOTALL)
        outside = re.sub(r"```\n.*?```", "", text, flags=re.DOTALL)
        lines = [line for block in blocks for line in block.splitlines()]
        lines += [span.replace("\n", " ") for span in re.findall(r"`([^`]+)`", outside)]
    else:
        lines = text.splitlines()
    found = []
    for line in lines:
        at = re.search(r"(?:^|[\s/\"'\[])khbs-server(\s.*)?$", line)
        if at and at.group(1) and at.group(1).strip():
            found.append("khbs-server" + at.group(1))
    return found


def argv_of(command: str) -> list[str]:
    command = re.sub(r"\s+#.*$", "", command)  # a trailing comment
    command = re.sub(r"\$\{?(\w+)(?::-[^}]*)?\}?", "2", command)  # ${KHBS_WORKERS} and the like
    words = shlex.split(command.replace('",', " ").replace('"]', " "))
    return words[1:]


def test_the_extraction_finds_the_commands():
    text = "x\n```\nsudo /opt/khbs/venv/bin/khbs-server init\n```\n`khbs-server stats --json`."
    assert quoted_commands(text) == ["khbs-server init", "khbs-server stats --json"]
    assert quoted_commands("the `khbs-server` command") == []


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_quoted_command_parses(source):
    markdown = source.suffix == ".md"
    commands = quoted_commands(source.read_text(encoding="utf-8"), markdown)
    assert commands, source  # each source quotes at least one
    if markdown:
        assert len(commands) >= 20, commands
    parser = build_parser()
    for command in commands:
        argv = argv_of(command)
        try:
            args = parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"{source.name}: does not parse: {command}")
        assert callable(args.func), command
