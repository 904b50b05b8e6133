"""docs/cli.md stays in step with the commands' --help.

Regenerate the reference after changing a command:
    .venv/bin/python -m tests.cli.test_cli_docs
"""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from auditor.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"

INTRO = """# Command-line reference

`auditor` is a thin layer over the library: each command reads its options,
makes one library call and turns errors into one line on stderr.

Exit codes: **0** success (for an audit: no finding at or above `--fail-on`,
which is `major` unless given, so minor nonconformities still exit 0); **1**
findings at or above `--fail-on` (audits; a rule that could not be evaluated counts as major unless
`--allow-not-evaluable` is given) or quarantined rows under `--strict` (ingest);
**2** usage or input error, with one line per problem (`file:line:column: what
is wrong; what to do`): an unreadable file, a file with more rows quarantined
than `--max-quarantine`, a period that holds no evidence; **3** an internal
error (a bug): one line, with the traceback saved to a file to report; **130**
interrupted (Ctrl-C) and **143** stopped by SIGTERM: one line, and nothing
half-written is kept (the earlier outputs stay as they were); **141** the program
reading the output closed it (`auditor capa list | head -3`): the output stops
there, with no line. No command prints a traceback.

This page is generated from `--help` and checked by the test suite.
"""


def commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            found.extend(commands(command, [*prefix, name]))
        else:
            found.append([*prefix, name])
    return found


def help_text(path: list[str]) -> str:
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="auditor", terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output.rstrip() + "\n"


def render() -> str:
    parts = [INTRO]
    for path in commands(main, []):
        title = " ".join(["auditor", *path])
        parts.append(f"\n## `{title}`\n\n```\n{help_text(path)}```\n")
    return "".join(parts)


def test_cli_reference_matches_help() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/cli.md is out of date: run .venv/bin/python -m tests.cli.test_cli_docs"
    )


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
