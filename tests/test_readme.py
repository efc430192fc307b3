"""The README's command lines are kept honest: every `khbs` / `khbs-server` command shown in a
code block exists, with the options it is shown with."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from app import cli
from sync import server_cli

README = Path(__file__).parents[1] / "README.md"
PROGRAMS = {"khbs": cli.build_parser, "khbs-server": server_cli.build_parser}


def command_lines() -> list[tuple[str, list[str]]]:
    blocks = re.findall(r"```[a-z]*\n(.*?)```", README.read_text("utf-8"), re.S)
    found = []
    for block in blocks:
        for line in block.splitlines():
            words = line.split()
            if words and words[0].rsplit("/", 1)[-1] in PROGRAMS:
                found.append((words[0].rsplit("/", 1)[-1], words[1:]))
    return found


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings}


def test_the_readme_shows_commands():
    assert len(command_lines()) > 20


@pytest.mark.parametrize(
    "program, words", command_lines(), ids=lambda x: " ".join(x) if isinstance(x, list) else x
)
def test_every_command_and_option_in_the_readme_exists(program, words):
    parser = PROGRAMS[program]()
    allowed = _options(parser)
    for word in words:
        if word.startswith(("--", "[--")):
            flag = word.strip("[]").split("=", 1)[0]
            assert flag in allowed, f"{program} {' '.join(words)}: no option {flag}"
        elif _subparsers(parser) and re.fullmatch(r"[a-z][a-z-]*", word):
            assert word in _subparsers(parser), f"{program} {' '.join(words)}: no command {word}"
            parser = _subparsers(parser)[word]
            allowed |= _options(parser)
        # anything else: an argument, a placeholder or the line's description
