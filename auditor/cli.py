"""The ``auditor`` command line: a thin layer over the library.

Each command reads its options, makes one library call and turns the
library's errors into one clear line on stderr with exit code 2.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import AuditorError
from .packcheck import PackReport, check_packs

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def reports_errors(func: F) -> F:
    """Print :class:`AuditorError` as one line per problem and exit 2; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AuditorError as exc:
            for line in str(exc).splitlines():
                click.echo(f"error: {line}", err=True)
            sys.exit(EXIT_INPUT)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def main() -> None:
    """Service-quality compliance and certification auditor.

    Rule packs (YAML) encode the measurable requirements of service standards;
    the auditor checks evidence against them and reports the gaps.
    """


@main.group()
def pack() -> None:
    """Check rule packs."""


@pack.command("check")
@click.argument("packs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--standards",
    "standards_dirs",
    multiple=True,
    type=click.Path(file_okay=False, exists=True),
    help="Folder of standard files (repeatable). Default: standards/ beside the pack's folder.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems and the final line.")
@reports_errors
def pack_check(packs: tuple[str, ...], standards_dirs: tuple[str, ...], quiet: bool) -> None:
    """Check PACKS and show their rules and clause coverage.

    Exits 0 when every pack is valid, 2 (with one line per problem) when not.
    """
    dirs = [Path(d) for d in standards_dirs] or None
    reports = check_packs(list(packs), dirs)
    failed = 0
    for report in reports:
        if report.errors:
            failed += 1
            for line in report.errors:
                click.echo(f"error: {line}", err=True)
            continue
        if not quiet:
            click.echo(_describe(report))
    click.echo(f"{len(reports) - failed} of {len(reports)} pack(s) valid")
    sys.exit(EXIT_INPUT if failed else EXIT_OK)


def _describe(report: PackReport) -> str:
    pack = report.pack
    assert pack is not None
    coverage = pack.coverage()
    std = pack.standard
    lines = [
        f"{pack.id} {pack.version} ({report.path}) implements {std.id} {std.version}",
        f"  {std.title.en} / {std.title.zh}",
        f"  rules: {len(pack.rules)}",
    ]
    for rule in pack.rules:
        lines.append(
            f"    {rule.id:<20} {rule.clause:<8} {rule.measure.name:<10} "
            f"{rule.severity:<5} target {rule.target}  {rule.title.en}"
        )
    total = len(std.clauses)
    lines.append(
        f"  coverage of {std.id}: {len(coverage.covered)} of {total} clauses have a rule; "
        f"{len(coverage.left_to_auditor)} left to the auditor's judgement; "
        f"{len(coverage.measurable_without_rule)} measurable without a rule"
    )
    lines.append(f"    with a rule:         {', '.join(coverage.covered) or '-'}")
    lines.append(f"    auditor's judgement: {', '.join(coverage.left_to_auditor) or '-'}")
    lines.append(f"    measurable, no rule: {', '.join(coverage.measurable_without_rule) or '-'}")
    return "\n".join(lines)
