"""The README's command table lists every command and every option of the parser."""

from __future__ import annotations

import argparse
from pathlib import Path

from claimwire.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
GLOBAL = {"--config", "--quiet", "--help", "--version", "-h"}


def _commands(parser: argparse.ArgumentParser, prefix: str = ""):  # -> [(name, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                if nested:
                    yield from _commands(sub, f"{prefix}{name} ")
                else:
                    yield f"{prefix}{name}", sub


def test_every_command_and_option_is_in_the_readme_table():
    text = README.read_text()
    table = [line for line in text.splitlines() if line.startswith("| `claimwire ")]
    intro = text[text.index("Global options"):text.index("| command | what it does |")]
    assert all(option in intro for option in ("--config", "--quiet"))
    missing = []
    for name, sub in _commands(build_parser()):
        rows = [line for line in table if f"`claimwire {name}" in line]
        if not rows:
            missing.append(name)
            continue
        for action in sub._actions:
            for option in action.option_strings:
                if option not in GLOBAL and not any(option in row for row in rows):
                    missing.append(f"{name} {option}")
    assert missing == []
