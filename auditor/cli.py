"""The ``auditor`` command line: a thin layer over the library.

Each command reads its options, makes one library call and turns the
library's errors into one clear line on stderr with exit code 2.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .errors import CONTROL_ESCAPES, AuditorError, Location, closest_name, did_you_mean

if TYPE_CHECKING:
    from collections.abc import Callable

    from .atomic import Replaced
    from .audit import AuditResult
    from .diff import PreviousAudit
    from .findings.contract import FindingsDocument, RuleEntry
    from .ingest import IngestReport
    from .mapping import Mapping
    from .packcheck import PackReport

# The library is imported inside each command, so that `auditor --help` starts quickly.


EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
RECOMMENDATION_WORDS = {
    "recommended": "certification recommended",
    "subject-to-plan": "certification recommended subject to an accepted corrective-action plan",
    "withheld": "no recommendation: some rules could not be evaluated (evidence missing)",
    "not-recommended": "certification not recommended (major nonconformity)",
}


#: an internal error (a bug); Ctrl-C and SIGTERM exit 130 and 143 (auditor.interrupts)
EXIT_INTERNAL = 3


#: what the operating system says when a file cannot grow (disk full, quota, size limit)
NO_ROOM_ERRNOS = frozenset({28, 27, 122})  # ENOSPC, EFBIG, EDQUOT


def _no_room(exc: BaseException) -> str | None:
    """One line for a write that failed for want of room, or None for anything else (a bug)."""
    from .backends.store import store_full

    if isinstance(exc, OSError) and exc.errno in NO_ROOM_ERRNOS:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"cannot write{where}: {exc.strerror}; free some space or raise the limit, then run again"
    if store_full(exc):
        return (
            f"cannot write the evidence store: {exc} (a full disk or a file-size limit?); "
            "free some space or raise the limit, then run again"
        )
    return None


#: the exit code when the program reading the output closed it (128 + SIGPIPE, as a
#: command the signal stops)
EXIT_READER_GONE = 141


def _reader_gone() -> int:
    """Point stdout at /dev/null, so that nothing written after the reader left (the
    interpreter's own flush at exit) fails again; the exit code for it."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_READER_GONE


def internal_error(exc: BaseException) -> int:
    """Save the traceback of a bug to a file, print one line about it, return exit code 3.

    After Ctrl-C or SIGTERM, an unexpected error is what a library made of the interrupt
    (raised inside it): the command was stopped, and says so (exit 130 or 143)."""
    import tempfile
    import traceback

    from .interrupts import taken_interrupt

    interrupt = taken_interrupt()
    if interrupt is not None:
        return _interrupted(interrupt)
    if os.environ.get("AUDITOR_DEBUG"):
        raise exc
    with tempfile.NamedTemporaryFile(
        "w", prefix="auditor-internal-error-", suffix=".txt", delete=False, encoding="utf-8"
    ) as handle:
        handle.write(f"auditor {__version__}: {' '.join(sys.argv)}\n")
        traceback.print_exception(exc, file=handle)
    click.echo(
        f"error: internal error ({type(exc).__name__}: {exc}); this is a bug in auditor, "
        f"please report it with the traceback saved in {handle.name}",
        err=True,
    )
    return EXIT_INTERNAL


def _interrupted(exc: KeyboardInterrupt) -> int:
    """One line for a command stopped by Ctrl-C or SIGTERM; its exit code (130 or 143)."""
    from .interrupts import exit_code, interrupted_line

    click.echo(interrupted_line(exc), err=True)
    return exit_code(exc)


class AuditorGroup(click.Group):
    """The one place where library errors become exits: one line each, never a traceback.

    An :class:`AuditorError` prints its line(s) and exits with its ``exit_code``
    (2 for input and usage errors); Ctrl-C exits 130 and SIGTERM 143, each with one
    line, the command's cleanup having run; anything else is a bug:
    one "internal error" line, the traceback saved to a file, exit 3.
    """

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """As click's, but a usage error is one line too (``error: ...; see 'auditor audit --help'``)."""
        from .interrupts import sigterm_interrupts

        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        try:
            with sigterm_interrupts():
                code = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        except KeyboardInterrupt as exc:  # before or after the command itself ran
            sys.exit(_interrupted(exc))
        except BrokenPipeError:  # the reader left while the help or a usage line was written
            sys.exit(_reader_gone())
        except click.exceptions.NoArgsIsHelpError as exc:  # a bare group: its help
            click.echo(exc.format_message(), err=True)
            sys.exit(EXIT_INPUT)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "auditor"
            click.echo(f"error: {exc.format_message()} (see '{where} --help')", err=True)
            sys.exit(EXIT_INPUT)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort as exc:  # click's own answer to Ctrl-C while it parses
            cause = exc.__cause__
            sys.exit(
                _interrupted(cause if isinstance(cause, KeyboardInterrupt) else KeyboardInterrupt())
            )
        sys.exit(code if isinstance(code, int) else EXIT_OK)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            os.getcwd()
        except FileNotFoundError:  # removed under the shell: relative paths mean nothing now
            click.echo(
                "error: the working folder no longer exists; "
                "change to a folder that does (cd) and run the command again",
                err=True,
            )
            ctx.exit(EXIT_INPUT)
        try:
            return super().invoke(ctx)
        except AuditorError as exc:
            for line in str(exc).splitlines():
                click.echo(f"error: {line}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            ctx.exit(_interrupted(exc))
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # the reader of the output left (| head): stop quietly
            ctx.exit(_reader_gone())
        except Exception as exc:
            full = _no_room(exc)
            if full is not None:
                click.echo(f"error: {full}", err=True)
                ctx.exit(EXIT_INPUT)
            ctx.exit(internal_error(exc))


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
def pack_check(packs: tuple[str, ...], standards_dirs: tuple[str, ...], quiet: bool) -> None:
    """Check PACKS and show their rules and clause coverage.

    Lists, per standard, every clause with the rules that check it, "auditor's
    judgement" or the pack's not_covered reason. A measurable clause with
    neither a rule nor a not_covered entry is a problem; a rule whose number
    differs from its clause's without an interpretation gets a warning.
    Exits 0 when every pack is valid, 2 (with one line per problem) when not.
    """
    from .packcheck import check_packs, is_tests_file

    dirs = [Path(d) for d in standards_dirs] or None
    reports = check_packs(list(packs), dirs)
    failed = warned = 0
    for report in reports:
        if (report.pack is not None or report.tests_of is not None) and not quiet:
            click.echo(_describe(report))
        for line in report.warnings:
            click.echo(f"warning: {line}", err=True)
        for line in report.errors:
            click.echo(f"error: {line}", err=True)
        failed += bool(report.errors)
        warned += len(report.warnings)
    tail = f", {warned} warning(s)" if warned else ""
    tests = [r for r in reports if is_tests_file(r.path)]
    failed_tests = sum(1 for r in tests if r.errors)
    packs_checked, packs_failed = len(reports) - len(tests), failed - failed_tests
    click.echo(f"{packs_checked - packs_failed} of {packs_checked} pack(s) valid{tail}")
    if tests:
        click.echo(f"{len(tests) - failed_tests} of {len(tests)} test file(s) valid")
    sys.exit(EXIT_INPUT if failed else EXIT_OK)


def _describe(report: PackReport) -> str:
    if report.tests_of is not None:
        tested, cases = report.tests_of
        return f"{report.path}: {cases} test case(s) of pack {tested.id} (run them with 'auditor pack test')"
    pack = report.pack
    assert pack is not None
    std = pack.standard
    lines = [
        f"{pack.id} {pack.version} ({report.path}) implements {std.id} {std.version}",
        f"  {std.title.en} / {std.title.zh}",
        f"  rules: {len(pack.rules)}",
    ]
    ids = max((len(r.id) for r in pack.rules), default=0)
    clauses = max((len(r.clause) for r in pack.rules), default=0)
    names = max((len(r.measure.name) for r in pack.rules), default=0)
    for rule in pack.rules:
        lines.append(
            f"    {rule.id:<{ids}}  {rule.clause:<{clauses}}  {rule.measure.name:<{names}}  "
            f"{rule.severity:<5}  target {rule.target}  {rule.title.en}"
        )
    return "\n".join([*lines, *_coverage_lines(pack)])


COVERAGE_WORDS = {
    "rules": "with a rule",
    "judgement": "auditor's judgement",
    "not-covered": "not covered",
    "uncovered": "measurable, no rule",
}


def _coverage_lines(pack: Any) -> list[str]:
    """Every clause of the pack's standard: its rules, the auditor's judgement, or why not."""
    coverage = pack.coverage()
    std = pack.standard
    counts = {status: len(coverage.with_status(status)) for status in COVERAGE_WORDS}
    lines = [
        f"  coverage of {std.id}: {counts['rules']} of {len(std.clauses)} clauses have a rule; "
        f"{counts['judgement']} left to the auditor's judgement; "
        f"{counts['not-covered']} not covered (with a reason); "
        f"{counts['uncovered']} measurable without a rule"
    ]
    for row in coverage.clauses:
        title = std.clauses[row.clause].title.en
        if row.status == "rules":
            shown = ", ".join(row.rules)
        elif row.status == "not-covered" and row.reason is not None:
            shown = f"not covered: {row.reason.en}"
        else:
            shown = COVERAGE_WORDS[row.status]
        lines.append(f"    {row.clause:<8} {row.assessment:<10} {shown}  ({title})")
    return lines


@pack.command("test")
@click.argument("packs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--tests",
    "tests_file",
    type=click.Path(dir_okay=False, exists=True),
    help="The test file (one pack only). Default: PACK.tests.yaml beside the pack.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only failures and the final line.")
def pack_test(packs: tuple[str, ...], tests_file: str | None, quiet: bool) -> None:
    """Run the test cases written beside PACKS (x.tests.yaml beside x.yaml).

    Each case gives a few records and the outcome, value or verdict a rule must
    give. Exits 0 when every case passes and every rule has a case, 1 when a
    case fails or a rule has none, 2 when a pack or a test file is not valid.
    """
    from .packtest import pack_paths, run_pack_tests

    paths = pack_paths(packs)
    if tests_file and len(paths) > 1:
        raise click.UsageError("--tests goes with one pack")
    failing = 0
    for path in paths:
        report = run_pack_tests(path, tests_file)
        for result in report.results:
            if result.passed:
                if not quiet:
                    click.echo(f"ok    {report.pack.id} {result.case.rule}: {result.case.name}")
                continue
            click.echo(f"FAIL  {report.pack.id} {result.case.rule}: {result.case.name}")
            for line in result.failures:
                click.echo(f"        {line}")
        if report.untested:
            click.echo(f"FAIL  {report.pack.id}: no case for rule(s) {', '.join(report.untested)}")
        passed = len(report.results) - len(report.failed)
        click.echo(
            f"{report.pack.id}: {passed} of {len(report.results)} case(s) passed; "
            f"{len(report.pack.rules) - len(report.untested)} of {len(report.pack.rules)} rules tested"
        )
        failing += 0 if report.ok else 1
    sys.exit(EXIT_FINDINGS if failing else EXIT_OK)


# ------------------------------------------------------------------ evidence


@main.group()
def evidence() -> None:
    """Ingest, validate and generate evidence."""


def _mapping_option(mapping: str | None, preset: str | None) -> Mapping | None:
    from .mapping import find_preset, load_mapping

    if mapping and preset:
        raise click.UsageError("give --mapping or --preset, not both")
    if preset:
        return load_mapping(find_preset(preset))
    return load_mapping(mapping) if mapping else None


def _progress(quiet: bool, source: str | None) -> Any:
    """The ingest's progress line on stderr (drawn only on a terminal, never with --quiet)."""
    from .ingest import evidence_files
    from .progress import IngestProgress

    files = len(evidence_files(Path(source))) if source is not None and not quiet else None
    return IngestProgress(enabled=not quiet, files=files)


#: quarantine reasons the ingest summary lists (the rest are counted on one line)
REASONS_SHOWN = 10


def _summary(report: IngestReport, store_path: str | None = None) -> str:
    from .formatting import text_table

    rows = [("file", "kind", "read", "stored", "quarantined", "status")]
    for f in report.files:
        rows.append(
            (
                f.path,
                f.kind or "-",
                f"{f.rows_read:,}",
                f"{f.stored:,}",
                f"{f.quarantined:,}",
                f.status_text(),
            )
        )
    rows.append(
        ("total", "", f"{report.rows_read:,}", f"{report.stored:,}", f"{report.quarantined:,}", "")
    )
    lines = text_table(rows, right=(2, 3, 4), total=True)
    balanced = report.rows_read == report.stored + report.quarantined
    lines.append(
        f"rows read {report.rows_read:,} = stored {report.stored:,} + quarantined {report.quarantined:,}"
        + ("" if balanced else "  (DOES NOT BALANCE)")
    )
    lines.extend(f"warning: {line}" for line in _file_warning_lines(report))
    lines.extend(f"note: {note}" for f in report.files for note in f.date_order_notes())
    lines.extend(_reason_lines(report, store_path))
    unread = report.not_evidence_note()
    if unread:
        lines.append(f"note: {unread}")
    return "\n".join(lines)


def _file_warning_lines(
    report: IngestReport,
    root: str | None = None,
    leave_out: Callable[[str], bool] = lambda warning: False,
) -> list[str]:
    """Each evidence file's warnings, ``FILE: WARNING`` (the file by its path in the evidence
    folder ``root``, else by its name), but those ``leave_out`` says are told otherwise."""
    from .paths import relative_path

    return [
        f"{relative_path(f.path, root) if root else Path(f.path).name}: {warning}"
        for f in report.files
        for warning in f.warnings
        if not leave_out(warning)
    ]


def _reason_lines(report: IngestReport, store_path: str | None) -> list[str]:
    """The most frequent quarantine reasons (a tie by the file and line each is first given
    for), each with that place and value and how many other files it was given for, and one
    line counting the others (where the store keeps them all)."""
    from .ingest import first_place

    reasons = report.reasons()
    if not reasons:
        return []
    first = report.first_places()
    files = report.reason_files()
    by_count = sorted(reasons.items(), key=lambda item: (-item[1], *first[item[0]][:2]))
    shown = by_count[:REASONS_SHOWN]  # the most frequent, a tie in the order they are first met
    lines = ["quarantine reasons:"]
    for reason, count in shown:
        path, line, value = first[reason]
        place = first_place(line, value, Path(path).name, len(files[reason]) - 1)
        lines.append(f"  {count:>8,}  {reason} ({place})")
    if len(reasons) > len(shown):
        import shlex

        from .export import file_stem

        kept = (
            "each one is in the store's _quarantine table; 'auditor evidence export --store "
            f"{shlex.quote(store_path)} --out DIR' writes it as {file_stem('_quarantine')}.parquet"
            if store_path
            else "ingest with --store to keep every row quarantined, with its reason"
        )
        rest = sum(reasons.values()) - sum(count for _, count in shown)
        lines.append(f"  {rest:>8,}  with {len(reasons) - len(shown):,} other reasons ({kept})")
    return lines


def _run_ingest(
    pack_path: str,
    source: str,
    store_path: str | None,
    mapping: str | None,
    preset: str | None,
    strict: bool,
    engine: str | None = None,
    quiet: bool = False,
) -> None:
    from .backends.engines import check_engine
    from .backends.store import EvidenceStore
    from .ingest import ingest, refuse_export
    from .pack import load_pack

    check_engine(engine or "sqlite")
    pack = load_pack(pack_path)
    chosen = _mapping_option(mapping, preset)
    refuse_export(Path(source))
    store = EvidenceStore(store_path, engine or "sqlite", engine_asked=engine is not None)
    progress = _progress(quiet, source)
    try:
        report = ingest(pack, source, store, chosen, progress)
    finally:
        progress.done()
        store.close()
    for failed in report.errors:
        click.echo(f"error: {failed.reason}", err=True)
    click.echo(_summary(report, store_path))
    if report.errors:
        sys.exit(EXIT_INPUT)
    if strict and report.in_quarantine:
        sys.exit(EXIT_FINDINGS)


_source_argument = click.argument("source", type=click.Path(exists=True))
_pack_option = click.option(
    "--pack",
    "pack_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Rule pack whose evidence kinds the files hold.",
)


class Choice(click.Choice):
    """A choice whose refusal names the closest one (``--format jsn``: json)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as exc:
            near = did_you_mean(closest_name(str(value), map(str, self.choices)))
            if not near:
                raise
            self.fail(exc.message.rstrip(".") + near, param, ctx)


_mapping_opt = click.option(
    "--mapping",
    type=click.Path(dir_okay=False, exists=True),
    help="Mapping file for every file in SOURCE (a FILE.mapping.yaml beside a file wins).",
)
_preset_opt = click.option(
    "--preset",
    help="Shipped import preset (auditor/presets/NAME.yaml, in a checkout also evidence/presets/), e.g. nyc-311.",
)
_lang_opt = click.option(
    "--lang", type=Choice(["zh", "en"]), help="Report language (default: the pack's)."
)
_strict_opt = click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when any row of the files is in quarantine (those of a file skipped as "
    "already ingested too).",
)
_quiet_opt = click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress line on stderr (it is drawn only when stderr is a terminal).",
)


def _engine_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An engine given: a blank name is refused (it would silently mean the default)."""
    if value is not None and not value.strip():
        raise click.BadParameter("give an engine's name, e.g. sqlite, duckdb or spark")
    return value


_engine_opt = click.option(
    "--engine",
    default=None,
    metavar="NAME",
    callback=_engine_name,
    help="SQL engine that evaluates the rules: sqlite (default), duckdb or spark "
    "(or a plug-in's). With duckdb the evidence store keeps its records in DuckDB (an "
    "audit's in evidence.db.duckdb beside evidence.db).",
)
_spark_master_opt = click.option(
    "--spark-master",
    metavar="URL",
    default=None,
    help="Spark master for --engine spark, e.g. spark://host:7077 (default: spark.master "
    "from Spark's configuration, else local[2]).",
)


def _engine_with(engine: str | None, spark_master: str | None) -> str | None:
    """The engine asked for; a Spark master given is handed to the spark engine."""
    if spark_master is None:
        return engine
    if engine not in (None, "spark"):
        raise click.UsageError("--spark-master goes with --engine spark")
    from .backends.engines import configure

    configure("spark", master=spark_master)
    return "spark"


#: options shared by the commands that read an audit folder
_audit_folder_opt = click.option(
    "--audit",
    "audit_dir",
    type=click.Path(exists=True, file_okay=False),
    help="The audit folder (its evidence.db and findings.json).",
)
_recorded_pack_opt = click.option(
    "--pack",
    "pack_path",
    type=click.Path(dir_okay=False, exists=True),
    help="The pack (default: as recorded).",
)


@evidence.command("ingest")
@_source_argument
@_pack_option
@click.option(
    "--store",
    "store_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="SQLite evidence store to write (created if missing).",
)
@_mapping_opt
@_preset_opt
@_strict_opt
@click.option(
    "--engine",
    default=None,
    metavar="NAME",
    callback=_engine_name,
    help="Engine the store is for: duckdb (a new store keeps its records in a DuckDB file "
    "beside it, STORE.duckdb, and DuckDB's CSV reader reads plain CSV files), or sqlite "
    "(default; Apache Arrow's reader; spark and a plug-in's engine read this store too). "
    "What is stored and quarantined is the same either way.",
)
@_quiet_opt
def evidence_ingest(
    source: str,
    pack_path: str,
    store_path: str,
    mapping: str | None,
    preset: str | None,
    strict: bool,
    engine: str | None,
    quiet: bool,
) -> None:
    """Read the evidence files in SOURCE (a folder or one file) into a store.

    Every row is stored or quarantined with its file, line, column and reason.
    A file already in the store (same path and SHA-256) is skipped. Exit 0 when
    every file was read, 1 with --strict when rows of the files are in
    quarantine (a skipped file's too), 2 when a file cannot be read at all. On a
    terminal, a line on stderr shows the file, rows read, rows per second and
    time left.
    """
    _run_ingest(pack_path, source, store_path, mapping, preset, strict, engine, quiet)


@evidence.command("validate")
@_source_argument
@_pack_option
@_mapping_opt
@_preset_opt
@_strict_opt
@_quiet_opt
def evidence_validate(
    source: str, pack_path: str, mapping: str | None, preset: str | None, strict: bool, quiet: bool
) -> None:
    """Check the evidence files in SOURCE as ingest would, writing nothing."""
    _run_ingest(pack_path, source, None, mapping, preset, strict, quiet=quiet)


@evidence.command("export")
@click.option(
    "--store",
    "store_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The evidence store to export (an audit's evidence.db, or one 'evidence ingest' wrote).",
)
@click.option(
    "--format",
    "fmt",
    type=Choice(["parquet"]),
    default="parquet",
    show_default=True,
    help="File format of the export.",
)
@click.option(
    "--out", required=True, type=click.Path(file_okay=False), help="Folder to write the files into."
)
def evidence_export(store_path: str, fmt: str, out: str) -> None:
    """Write every evidence kind (with _source and _line), the manifest and the quarantine as files.

    One Parquet file per table, so that any Parquet reader (DuckDB, Spark,
    pandas) has the same evidence, and 'auditor audit PACK DIR' audits the
    folder as it is on another machine, on any engine. A folder holding other
    Parquet files is refused. Prints each file with its rows and SHA-256.
    """
    from .export import export_store

    for exported in export_store(store_path, out, fmt):
        click.echo(f"{exported.rows:>10,}  {exported.path}  sha256 {exported.sha256}")


@evidence.command("synth")
@_pack_option
@click.option(
    "--seed", default=1, show_default=True, help="Random seed: the same seed gives the same files."
)
@click.option(
    "--records",
    default=3000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Number of interactions (other kinds scale with it).",
)
@click.option(
    "--out", required=True, type=click.Path(file_okay=False), help="Folder to write the files into."
)
@click.option("--no-bad-rows", is_flag=True, help="Leave out the deliberately broken rows.")
def evidence_synth(pack_path: str, seed: int, records: int, out: str, no_bad_rows: bool) -> None:
    """Write realistic, reproducible demo evidence for a pack (2026 Q3)."""
    from .pack import load_pack
    from .synth import SynthOptions, synthesise

    pack = load_pack(pack_path)
    written = synthesise(
        pack, out, SynthOptions(seed=seed, records=records, bad_rows=not no_bad_rows)
    )
    for name, count in written.items():
        click.echo(f"{count:>8,}  {Path(out) / name}")


# ------------------------------------------------------------------ audit


@main.command("audit")
@click.argument("paths", metavar="PACK... EVIDENCE_DIR", nargs=-1, required=True, type=click.Path())
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for findings.json, the store and the reports; an earlier audit's outputs "
    "there are replaced, those this audit does not write removed, folders of reports "
    "rendered from them named (said on the console).",
)
@click.option(
    "--period",
    help="Audit period: 2026-Q3, 2026-07, 2026, 2026-H2 or 2026-07-01..2026-09-30 (default: whole months spanning the evidence).",
)
@click.option(
    "--fail-on",
    type=Choice(["major", "minor", "observation", "never"]),
    default="major",
    show_default=True,
    help="Exit 1 when a rule's verdict is at or above this level (a rule not evaluable counts as major).",
)
@click.option(
    "--allow-not-evaluable",
    is_flag=True,
    help="Do not count rules that could not be evaluated against --fail-on.",
)
@click.option(
    "--max-quarantine",
    default="2%",
    show_default=True,
    help="Stop when a file has a larger share of its rows quarantined (100% accepts any).",
)
@_mapping_opt
@_preset_opt
@click.option(
    "--register",
    "register_path",
    envvar="AUDITOR_REGISTER",
    type=click.Path(dir_okay=False),
    help="Record the audit in this CAPA register: one item per nonconformity (or AUDITOR_REGISTER).",
)
@click.option(
    "--sign-key",
    type=click.Path(dir_okay=False, exists=True),
    help="Ed25519 private key (auditor keygen --out KEY): write findings.json.sig beside findings.json.",
)
@click.option(
    "--previous",
    type=click.Path(exists=True),
    help="An earlier audit (folder or findings.json): the report adds the status of its findings "
    "(default with --register: the register's latest audit of the same pack of an earlier period, "
    "one that ends before this audit's starts).",
)
@click.option("--auditor", "auditor_name", help="Name of the auditor, for the report.")
@click.option("--organisation", help="Audited organisation, for the report.")
@click.option(
    "--format",
    "formats",
    default="json,html,pdf,csv,xlsx",
    show_default=True,
    help="Outputs, comma-separated: json (findings.json), html, pdf (report), csv (capa.csv), xlsx (capa.xlsx), junit (junit.xml), oscal (assessment-results.json). failing-records.csv is always written.",
)
@_lang_opt
@_engine_opt
@_quiet_opt
@_spark_master_opt
def audit_command(
    paths: tuple[str, ...],
    out: str,
    period: str | None,
    fail_on: str,
    allow_not_evaluable: bool,
    max_quarantine: str,
    mapping: str | None,
    preset: str | None,
    register_path: str | None,
    sign_key: str | None,
    previous: str | None,
    auditor_name: str | None,
    organisation: str | None,
    formats: str,
    lang: str | None,
    engine: str | None,
    quiet: bool,
    spark_master: str | None,
) -> None:
    """Audit the evidence in EVIDENCE_DIR against PACK; write findings.json and the reports.

    Several packs (PACK PACK ... EVIDENCE_DIR) are audited over the one
    folder: each pack's audit goes to OUT/<pack-id>/ as if alone (its
    findings.json, failing records, registers), OUT/findings.json combines
    them (one entry per pack, the clause crosswalk, the worst recommendation)
    and the report has a section per standard. --fail-on applies to every pack.
    A file in EVIDENCE_DIR/<pack-id>/ is that pack's only; any other file goes
    to every pack whose kinds take it (by its name, else by its header).

    EVIDENCE_DIR may also be a folder 'auditor evidence export' wrote (on
    another machine, say): its records are read as they are, checked against
    its manifest and the pack's kinds, not ingested again, and findings.json
    records the SHA-256 of each of its Parquet files for 'verify'. With
    --engine spark they are read in place.

    Exit 0 when no rule is at or above --fail-on, 1 when one is (a rule that
    could not be evaluated counts as a major nonconformity unless
    --allow-not-evaluable is given), 2 on usage or input errors (one line
    each): a file that cannot be read, a file with more rows quarantined than
    --max-quarantine, a period that holds no evidence. On a terminal, a line
    on stderr shows the ingest's progress (file, rows, rows per second, time left).

    The summary shows each rule's verdict with the value, target and n of the
    finding that decided it, and how many of its records are left out of n:
    excluded (with a reason the report's exclusion ledger gives) or pending
    (still open at the period end). "decided by" is "all" for the pooled finding
    (every group, the whole period), else the group or sub-period (site=BJ) of a
    rule judged group by group. The report and findings.json give every finding.
    """
    from .atomic import Replaced, staged_outputs
    from .audit import outside_the_evidence, run_audit
    from .diff import load_previous
    from .register.register import register_waivers

    packs, evidence_dir = _audit_paths(paths)
    engine = _engine_with(engine, spark_master)
    wanted = _formats(formats)
    ceiling = _ceiling(max_quarantine)
    chosen = _mapping_option(mapping, preset)
    outside_the_evidence(Path(out), Path(evidence_dir))
    waivers = register_waivers(register_path) if register_path else []
    earlier_given = load_previous(previous, several=len(packs) > 1)
    if len(packs) > 1:
        given = AuditRun(
            out, period, chosen, auditor_name, organisation, ceiling, waivers, engine or "sqlite",
            _progress(quiet, None),
        )  # fmt: skip
        outputs = Outputs(wanted, lang, sign_key, register_path, earlier_given, fail_on)
        sys.exit(_audit_several(packs, evidence_dir, given, outputs, allow_not_evaluable))
    pack_path = packs[0]
    progress = _progress(quiet, evidence_dir)
    replaced = Replaced()
    with staged_outputs(Path(out), replaced) as staging:  # all of this run's outputs, or the last
        try:
            result = run_audit(
                pack_path, evidence_dir, staging, period, chosen, auditor_name, organisation,
                ceiling, waivers, today=_today(), engine=engine or "sqlite", progress=progress,
            )  # fmt: skip
        finally:
            progress.done()
        if sign_key:
            from .certify.signing import sign

            result.written.append(sign(result.out / "findings.json", Path(sign_key)))
        result.written.extend(_certifier_outputs(result, wanted, fail_on, allow_not_evaluable))
        reports = tuple(f for f in wanted if f not in ("json", "junit", "oscal"))
        if reports:
            from .report import render_reports  # not imported for findings.json alone

            earlier = _previous_of(earlier_given, register_path, result.findings)
            written = render_reports(
                result.findings, staging, reports, lang, None, organisation, auditor_name, earlier
            )
            result.written.extend(written)
    _moved(result, staging, Path(out))
    click.echo(_audit_summary(result))
    if register_path:
        click.echo(_record(register_path, result))
    for line in [
        *_warning_lines(result),
        *_evidence_warning_lines(result),
        *_previous_pack_lines(earlier_given, result.findings),
    ]:
        click.echo(f"warning: {line}", err=True)
    _replaced_notes(replaced)
    _font_warning(wanted)
    sys.exit(EXIT_FINDINGS if result.fails(fail_on, allow_not_evaluable) else EXIT_OK)


def _replaced_notes(replaced: Replaced) -> None:
    """A line naming the files with the names of outputs this audit does not write, which are
    gone (a report beside the findings of another run would not be its own; there may have
    been no earlier audit, only the user's file), and one per folder holding a report
    rendered from the earlier findings, which is left as it was."""
    if replaced.removed:
        click.echo(
            "note: removed files with the names of audit outputs that this audit does not write: "
            + ", ".join(replaced.removed),
            err=True,
        )
    for folder in replaced.reports_left:
        click.echo(
            f"note: {folder}/ holds a report not rendered from this audit's findings, left as "
            "it was: render it again from the new findings.json, or remove it",
            err=True,
        )


def _font_warning(formats: tuple[str, ...]) -> None:
    """One line when a PDF was written on a machine with no font that prints Chinese."""
    if "pdf" in formats:
        from .report.fonts import missing_font_warning

        line = missing_font_warning()
        if line:
            click.echo(f"warning: {line}", err=True)


def _moved(result: Any, staging: Path, target: Path) -> None:
    """An audit's result (or a pack's in a combined audit) as written once its files moved."""
    for audit in [result, *getattr(result, "audits", [])]:
        audit.out = target / audit.out.relative_to(staging)
        audit.written = [
            target / p.relative_to(staging) if p.is_relative_to(staging) else p
            for p in audit.written
        ]


def _audit_paths(paths: tuple[str, ...]) -> tuple[list[str], str]:
    """The packs and the evidence folder of ``audit PACK... EVIDENCE_DIR``."""
    if len(paths) < 2:
        raise click.UsageError("give one or more PACKs, then EVIDENCE_DIR")
    *packs, evidence_dir = paths
    if not Path(evidence_dir).exists():
        raise click.BadParameter(
            f"Path '{evidence_dir}' does not exist.", param_hint="'EVIDENCE_DIR'"
        )
    for pack_path in packs:
        if Path(pack_path).is_dir():
            raise click.BadParameter(f"'{pack_path}' is a folder, not a pack", param_hint="'PACK'")
    return packs, evidence_dir


@dataclass(frozen=True)
class AuditRun:
    """What an audit of several packs is given, as ``run_multi_audit`` takes it."""

    out: str
    period: str | None
    mapping: Mapping | None
    auditor: str | None
    organisation: str | None
    max_quarantine: float
    waivers: list[Any]
    engine: str = "sqlite"
    #: the ingest's progress line (None: none)
    progress: Any = None


@dataclass(frozen=True)
class Outputs:
    formats: tuple[str, ...]
    lang: str | None
    sign_key: str | None
    register: str | None
    #: what --previous gave, read (see :func:`auditor.diff.load_previous`)
    previous: PreviousAudit | None
    fail_on: str


def _audit_several(
    packs: list[str], evidence_dir: str, given: AuditRun, outputs: Outputs, allow_ne: bool
) -> int:
    """Audit several packs over one folder; the exit code (--fail-on over every pack)."""
    from .atomic import Replaced, staged_outputs

    replaced = Replaced()
    with staged_outputs(Path(given.out), replaced) as staging:  # all of this run's, or the last
        result = _several_written(
            packs, evidence_dir, replace(given, out=str(staging)), outputs, allow_ne
        )
    _moved(result, staging, Path(given.out))
    click.echo(_combined_summary(result))
    for audit in result.audits:
        if outputs.register:
            click.echo(_record(outputs.register, audit, audit.findings.manifest.pack.id))
        for line in [
            *_warning_lines(audit),
            *_evidence_warning_lines(audit),
            *_previous_pack_lines(outputs.previous, audit.findings),
        ]:
            click.echo(f"warning: {audit.findings.manifest.pack.id}: {line}", err=True)
    _replaced_notes(replaced)
    _font_warning(outputs.formats)
    return EXIT_FINDINGS if result.fails(outputs.fail_on, allow_ne) else EXIT_OK


def _several_written(
    packs: list[str], evidence_dir: str, given: AuditRun, outputs: Outputs, allow_ne: bool
) -> Any:
    """Every output of a combined audit written into ``given.out``; the result."""
    from .multi import run_multi_audit
    from .report import render_combined, render_reports

    try:
        result = run_multi_audit(
            list(packs), evidence_dir, given.out, given.period, given.mapping, given.auditor,
            given.organisation, given.max_quarantine, given.waivers, today=_today(),
            engine=given.engine, progress=given.progress,
        )  # fmt: skip
    finally:
        if given.progress is not None:
            given.progress.done()
    registers = tuple(f for f in outputs.formats if f in ("csv", "xlsx"))
    for audit in result.audits:
        audit.written.extend(_certifier_outputs(audit, outputs.formats, outputs.fail_on, allow_ne))
        audit.written.extend(
            render_reports(audit.findings, audit.out, registers, outputs.lang, None,
                           given.organisation, given.auditor)
        )  # fmt: skip
    if outputs.sign_key:
        from .certify.signing import sign

        result.written.append(sign(result.out / "findings.json", Path(outputs.sign_key)))
    pages = tuple(f for f in outputs.formats if f in ("html", "pdf"))
    if pages:
        earlier = {
            a.findings.manifest.pack.id: _previous_of(
                outputs.previous, outputs.register, a.findings
            )
            for a in result.audits
        }
        result.written.extend(
            render_combined(result.document, result.out, pages, outputs.lang, None,
                            given.organisation, given.auditor, earlier)
        )  # fmt: skip
    return result


def _previous_pack_lines(earlier: PreviousAudit | None, document: FindingsDocument) -> list[str]:
    """A line when --previous is an audit of another pack: the report would compare the
    audits of two standards (none for a combined audit's, read pack by pack)."""
    from .diff import audit_ref, packs_note

    if earlier is None or isinstance(earlier, dict):
        return []
    note = packs_note(audit_ref(earlier), audit_ref(document))
    return [f"--previous: {note}"] if note else []


def _previous_of(
    earlier: PreviousAudit | None, register_path: str | None, document: FindingsDocument
) -> FindingsDocument | None:
    """A pack's earlier audit: its folder's in an earlier combined audit, else the one
    --previous gave, else the register's latest of an earlier period."""
    from .diff import earlier_audit

    if isinstance(earlier, dict):
        return earlier.get(document.manifest.pack.id)
    return earlier_audit(document, earlier, register_path)


def _combined_summary(result: Any) -> str:
    """Each pack's summary, the crosswalk and the combined recommendation."""
    lines = []
    for audit in result.audits:
        lines.extend([_audit_summary(audit), ""])
    document = result.document
    for entry in document.crosswalk:
        served = "; ".join(
            f"{c.pack} {c.rule} (clause {c.clause}): {c.verdict}" for c in entry.clauses
        )
        lines.append(f"shared requirement ({entry.measure}, {entry.evidence}): {served}")
    for item in document.recommendation.packs:
        lines.append(
            f"  {item.pack}: {RECOMMENDATION_WORDS[item.decision]}{_waived_text(item.waived)}"
        )
    lines.append(
        "combined recommendation: " + RECOMMENDATION_WORDS[document.recommendation.decision]
    )
    lines.append(f"wrote {result.out / 'findings.json'}")
    lines.extend(f"wrote {path}" for path in result.written)
    return "\n".join(lines)


def _waived_text(waived: list[Any]) -> str:
    """``; waived: SCRIPTS (would be nonconform-minor, W-2)``: a pack's waived nonconformities
    beside its recommendation, which leaves them out ("" when none)."""
    if not waived:
        return ""
    return "; waived: " + ", ".join(
        f"{item.finding} (would be {item.waived.would_be.verdict}-{item.waived.would_be.severity}, "
        f"{item.waived.waiver})"
        for item in waived
    )


def _certifier_outputs(
    result: AuditResult, wanted: tuple[str, ...], fail_on: str, allow_not_evaluable: bool
) -> list[Path]:
    """junit.xml for a CI gate, assessment-results.json (OSCAL) for a GRC tool."""
    from .certify_outputs import write_assessment_results, write_junit

    written = []
    if "junit" in wanted:
        path = result.out / "junit.xml"
        write_junit(result.findings, path, fail_on, allow_not_evaluable=allow_not_evaluable)
        written.append(path)
    if "oscal" in wanted:
        path = result.out / "assessment-results.json"
        write_assessment_results(result.findings, path)
        written.append(path)
    return written


def _record(register_path: str, result: AuditResult, pack: str | None = None) -> str:
    """What recording the audit in the register did, in one line (naming ``pack``, one of a
    combined audit's)."""
    from .register.register import record_audit_file

    findings = result.out / "findings.json"
    register = f"register {register_path}" + (f" ({pack})" if pack else "")
    try:
        done = record_audit_file(register_path, str(findings), _today())
    except KeyboardInterrupt:  # the register's transaction is rolled back; the outputs stay
        click.echo(
            f"note: the register {register_path} was left as it was; the audit's outputs in "
            f"{result.out} are complete: run the same audit again with --register to record it",
            err=True,
        )
        raise
    if done.already:
        return f"{register}: this audit is already recorded; nothing new"
    line = (
        f"{register}: {_items_named(done.created, 'opened', done.recurring)}, "
        f"{_items_named(done.linked, 'linked', done.recurring)}"
    )
    return line + (f", {_items_waived(done.waived)}" if done.waived else "")


def _items_waived(waived: list[tuple[str, str]]) -> str:
    """``1 item waived (CAPA-2026-0001 under W-1)``: the items whose nonconformity the audit
    found waived, each with its waiver."""
    named = [f"{item} under {waiver}" for item, waiver in waived[:ITEMS_NAMED]]
    more = f" and {len(waived) - ITEMS_NAMED} more" if len(waived) > ITEMS_NAMED else ""
    noun = "item" if len(waived) == 1 else "items"
    return f"{len(waived)} {noun} waived ({', '.join(named)}{more})"


#: item ids the register line names before it counts the rest
ITEMS_NAMED = 8


def _items_named(ids: list[str], done: str, recurring: list[str]) -> str:
    """``2 items linked (CAPA-2026-0002 recurring, CAPA-2026-0003)``: each id with its own
    mark, so that a recurring one is never counted among the wrong items."""
    if not ids:
        return f"no item {done}"
    named = [f"{i} recurring" if i in recurring else i for i in ids[:ITEMS_NAMED]]
    more = f" and {len(ids) - ITEMS_NAMED} more" if len(ids) > ITEMS_NAMED else ""
    noun = "item" if len(ids) == 1 else "items"
    return f"{len(ids)} {noun} {done} ({', '.join(named)}{more})"


def _ceiling(text: str) -> float:
    from .units import parse_percent

    try:
        return float(parse_percent(text))
    except AuditorError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-quarantine") from None


def _evidence_gap_line(warning: dict[str, Any], period: str) -> str:
    from .findings.contract import Warning_
    from .findings.document import evidence_gap_line
    from .i18n import Words

    return evidence_gap_line(Words("en"), period, Warning_.model_validate(warning))


def _warning_lines(result: AuditResult) -> list[str]:
    from .findings.document import columns_not_recorded_line

    lines = []
    for warning in result.warnings:
        if warning["code"] == "optional-field-missing":
            lines.append(
                f"{warning['file']}: optional field '{warning['field']}' has no column; "
                "its records are left out of the rules that judge by it"
            )
        elif warning["code"] == "timezone-differs":
            lines.append(
                f"{warning['file']}: times are read in {warning['zone']}, but the pack judges "
                f"periods, business hours and deadlines in {result.findings.manifest.parameters.timezone}"
            )
        elif warning["code"] == "kind-empty-in-period":
            lines.append(f"no {warning['kind']} record in {result.period.label}")
        elif warning["code"] == "columns-not-recorded":
            lines.append(columns_not_recorded_line(warning["files"]))
        elif warning["code"] == "evidence-gap":
            lines.append(_evidence_gap_line(warning, result.period.label))
    lines.extend(result.notes)
    for rule in result.findings.rules:  # a rule's notes (a step that never occurs ...)
        notes = rule.findings[0].details.get("notes", [])
        lines.extend(f"{rule.rule} (clause {rule.clause}): {note}" for note in notes)
    lines.extend(_pending_lines(result.findings))
    decision = result.document["summary"]["recommendation"]
    for item in decision["not_evaluable"]:
        lines.append(f"{item['rule']} (clause {item['clause']}) not evaluable: {item['reason']}")
    return lines


def _evidence_warning_lines(result: AuditResult) -> list[str]:
    """The evidence files' warnings (a field two columns match), each file named relative to
    the evidence folder as the findings' warnings name it (in a combined audit two packs'
    folders may hold files of one name), but an optional field with no column: the
    findings' warnings tell it (above)."""
    from .convert import is_no_column_warning

    root = result.findings.manifest.parameters.evidence_root
    return _file_warning_lines(result.ingest, root, is_no_column_warning)


def _pending_lines(document: FindingsDocument) -> list[str]:
    """For the finding the summary shows of each rule, its reason that records still open
    at the period end are not in its rate (how many, the range the rate will lie in)."""
    from .evaluate.verdicts import PENDING_RANGE

    return [
        f"{rule.rule} (clause {rule.clause}{_cell_of(rule)}): {reason}"
        for rule in document.rules
        for reason in rule.deciding_finding().reasons
        if PENDING_RANGE.match(reason)
    ]


def _cell_of(rule: RuleEntry) -> str:
    """``, channel=phone``: the cell of the finding the summary shows, when not the pooled one."""
    shown = rule.deciding_finding()
    return "" if shown is rule.findings[0] else ", " + shown.id.split("@", 1)[1]


def _dated_outside(document: Any, period: str) -> str:
    """How many stored records of each dated kind have a time outside the period (a mistyped
    year says itself here) and how many have no time, so are in no period; nothing when none
    does. A record with no value in its kind's time field is neither when a rule places it by
    another field."""
    kinds = document.summary.kinds
    text = _records_of_kinds({k.kind: k.outside or 0 for k in kinds}, "dated outside " + period)
    return text + _records_of_kinds(
        {k.kind: k.untimed or 0 for k in kinds}, "without a time, in no period"
    )


def _records_of_kinds(counts: dict[str, int], what: str) -> str:
    """``; 3 stored records are WHAT (calls 3)``, of the kinds counting some; else nothing."""
    counted = {kind: n for kind, n in counts.items() if n}
    if not counted:
        return ""
    total = sum(counted.values())
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in counted.items())
    records = "record is" if total == 1 else "records are"
    return f"; {total:,} stored {records} {what} ({kinds})"


def _audit_summary(result: AuditResult) -> str:
    from .findings.nonconformities import waived_findings
    from .formatting import target_text, text_table, value_text

    document = result.findings
    rows = [
        ("rule", "clause", "verdict", "value", "target", "n", "excluded", "pending", "decided by")
    ]
    for rule in document.rules:
        shown = rule.deciding_finding()
        verdict = str(rule.verdict)
        if rule.verdict == "nonconform":
            verdict = f"nonconform ({rule.verdict_severity})"
        where = "all" if shown is rule.findings[0] else shown.id.split("@", 1)[1]
        label = rule.unit_label.en if rule.unit_label else None
        value = value_text(
            shown.value, shown.unit, shown.threshold, "en", rule.calendar, label=label
        )
        per = (shown.details.get("trend") or {}).get("per") if shown.value is not None else None
        if per:  # a trend's slope is a change per period
            value += f" per {per}"
        target = (
            target_text(shown.threshold, shown.unit, "en", rule.calendar, label=label)
            if shown.threshold
            else shown.target
        )
        counts = shown.counts
        rows.append(
            (
                rule.rule,
                rule.clause,
                verdict,
                value,
                target,
                f"{counts.n:,}",
                f"{counts.excluded:,}",
                f"{counts.pending:,}",
                where,
            )
        )
    lines = [
        f"audit of {document.manifest.pack.id} for {result.period.label}",
        *text_table(rows, right=(3, 5, 6, 7)),
    ]
    verdicts = document.summary.verdicts
    lines.append("verdicts: " + ", ".join(f"{k} {v}" for k, v in verdicts.items()))
    lines.append(
        f"recommendation: {RECOMMENDATION_WORDS[document.summary.recommendation.decision]}"
        + _waived_text(waived_findings(document))
    )
    exported = document.manifest.export
    lines.append(
        f"evidence: {result.ingest.rows_read:,} rows read = {result.ingest.stored:,} stored + "
        f"{result.ingest.quarantined:,} quarantined"
        + (
            ""
            if exported is None
            else f" (as the export's manifest records them, from its {len(exported)} Parquet "
            "files; not ingested again)"
        )
        + _dated_outside(document, result.period.label)
    )
    lines.extend(f"note: {note}" for f in result.ingest.files for note in f.date_order_notes())
    lines.extend(_reason_lines(result.ingest, str(result.out / "evidence.db")))
    lines.append(f"wrote {result.out / 'findings.json'}")
    failing = document.failing_records
    if failing:
        records = "failing record" if failing.rows == 1 else "failing records"
        typed = "" if failing.parquet is None else f" and {result.out / failing.parquet.path}"
        lines.append(f"wrote {result.out / failing.path}{typed} ({failing.rows:,} {records})")
    lines.extend(f"wrote {path}" for path in result.written)
    return "\n".join(lines)


AUDIT_FORMATS = ("json", "html", "pdf", "csv", "xlsx", "junit", "oscal")


def _formats(text: str, known: tuple[str, ...] = AUDIT_FORMATS) -> tuple[str, ...]:
    wanted = tuple(part.strip() for part in text.split(",") if part.strip())
    if not wanted:
        raise click.BadParameter(
            f"no format given (formats: {', '.join(known)})", param_hint="--format"
        )
    for name in wanted:
        if name not in known:
            raise click.BadParameter(
                f"unknown format '{name}' (formats: {', '.join(known)})"
                + did_you_mean(closest_name(name, known)),
                param_hint="--format",
            )
    return wanted


@main.command("diff")
@click.argument("old", metavar="OLD", type=click.Path())
@click.argument("new", metavar="NEW", type=click.Path())
@click.option(
    "--format",
    "output",
    type=Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for the terminal, or the machine-readable diff (JSON, stable key order).",
)
@click.option(
    "--fail-on-new",
    is_flag=True,
    help="Exit 1 when a nonconformity is new or worsened.",
)
def diff_command(old: str, new: str, output: str, fail_on_new: bool) -> None:
    """Compare two audits: which nonconformities are new, resolved, recurring or worsened.

    OLD and NEW are each a findings.json or an audit folder holding one. Findings
    are paired by rule, group and period, and each rule's and group's
    whole-period findings also with the period ignored, so audits of different
    periods compare (see docs/diff.md). Exit 0 (a report, not a gate) unless
    --fail-on-new is given and a nonconformity is new or worsened (exit 1); 2
    on bad input.
    """
    from .diff import diff_findings, diff_text, load_findings

    result = diff_findings(load_findings(old), load_findings(new))
    click.echo(result.to_json() if output == "json" else diff_text(result), nl=output != "json")
    sys.exit(EXIT_FINDINGS if fail_on_new and result.has_new else EXIT_OK)


# ------------------------------------------------------------------ capa

_register_opt = click.option(
    "--register",
    "register_path",
    envvar="AUDITOR_REGISTER",
    default="auditor-register.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="CAPA register file (or AUDITOR_REGISTER).",
)


def _a_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A person's name for the history: not blank (an empty name would be recorded as is)."""
    if value is not None and not value.strip():
        raise click.BadParameter("give a name, not a blank", ctx=ctx, param=param)
    return value.strip() if value is not None else None


_by_opt = click.option(
    "--by",
    "who",
    required=True,
    callback=_a_name,
    help="Who makes the change (recorded in the history).",
)


def _open_register(path: str) -> Any:
    """The register at ``path``; one that is not there is an error (a typo in --register must
    not read as an empty register, nor make one)."""
    from .register import Register

    if not Path(path).exists():
        raise AuditorError(
            "no CAPA register here",
            location=Location(path),
            hint="give --register (or AUDITOR_REGISTER) the file an audit was recorded in",
        )
    return Register(path)


def _today() -> Any:
    """Today's date, for the register's commands (one place: a test sets the calendar here)."""
    from datetime import date

    return date.today()


def _now() -> Any:
    """This moment (UTC), for what is overdue: a due day ends in the pack's zone, not this
    machine's (one place: a test sets the clock here)."""
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _day(text: str | None, option: str) -> Any:
    from datetime import date

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"'{text}' is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def _day_text(text: str | None, option: str) -> str | None:
    """A date as the register keeps it, YYYY-MM-DD, whichever ISO form was typed (20260731)."""
    day = _day(text, option)
    return None if day is None else day.isoformat()


@main.group()
def capa() -> None:
    """Work off nonconformities: the CAPA register across audits."""


@capa.command("list")
@click.option(
    "--status",
    type=Choice(["open", "planned", "accepted", "implemented", "verified-effective",
                 "verified-ineffective"]),
    help="Only items in this status.",
)  # fmt: skip
@click.option(
    "--overdue",
    is_flag=True,
    help="Only items not closed whose own due day, or an open action's, has ended in the "
    "pack's time zone (the due column says which); an item's own due day waits while a "
    "waiver is in force for it (the waived column).",
)
@click.option("--severity", type=Choice(["major", "minor"]), help="Only this severity.")
@click.option(
    "--group",
    help="Only items of this group, e.g. site=SH (one no item has is refused, with the closest).",
)
@click.option(
    "--rule", help="Only items of this rule (one no item has is refused, with the closest)."
)
@click.option(
    "--owner",
    help="Only items with an action this person or role owns, case aside: an action recorded "
    "with capa update --action --owner, not an owner the audit's CAPA plan suggests (one no "
    "action has is refused, with the closest).",
)
@click.option(
    "--format",
    "output",
    type=Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@_register_opt
def capa_list(
    status: str | None,
    overdue: bool,
    severity: str | None,
    group: str | None,
    rule: str | None,
    owner: str | None,
    output: str,
    register_path: str,
) -> None:
    """List the register's items, overdue first (in red on a terminal).

    An item is overdue when it is not closed and its own due day has ended in the pack's
    time zone, or the due day of one of its open actions has: the due column says which.
    An item whose nonconformity an audit recorded here found waived under a waiver of the
    register names that waiver while it is in force (the waived column, `waiver` in csv
    and json: W-1 until 2027-03-31); its own due day waits till the waiver ends or is
    revoked, its actions' due days do not.
    """
    from .register.views import as_records, list_table, nothing_listed, select_items

    register = _open_register(register_path)
    try:
        filters = {
            "status": status,
            "overdue": overdue,
            "severity": severity,
            "group": group,
            "rule": rule,
            "owner": owner,
        }
        items = select_items(register, _now(), filters)
        nothing = nothing_listed(register, filters) if not items else None
    finally:
        register.close()
    if output == "json":
        click.echo(json.dumps(as_records(items), ensure_ascii=False, indent=2, sort_keys=True))
    elif output == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(as_records([{}])[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(as_records(items))
        click.echo(buffer.getvalue(), nl=False)
    elif nothing is not None:  # one line saying so, not a header over no row
        click.echo(nothing)
    else:
        colour = sys.stdout.isatty()
        for line, late in list_table(items):
            click.echo(click.style(line, fg="red") if late and colour else line)


@capa.command("show")
@click.argument("item_id", metavar="ID")
@_register_opt
def capa_show(item_id: str, register_path: str) -> None:
    """Show one item: its fields, actions, linked findings across audits and every change."""
    from .register.views import item_text

    register = _open_register(register_path)
    try:
        click.echo(item_text(register, item_id))
    finally:
        register.close()


@capa.command("update")
@click.argument("item_id", metavar="ID")
@_by_opt
@click.option(
    "--status",
    help="Move to: planned, implemented, open (accepted is reached by capa accept only, "
    "verified-effective and verified-ineffective by capa verify only).",
)
@click.option(
    "--acknowledge",
    is_flag=True,
    help="The auditee acknowledges the nonconformity (by --by, today).",
)
@click.option("--correction", help="The immediate fix.")
@click.option(
    "--correction-date",
    help="When it was made (YYYY-MM-DD): not after today, nor before the audit period that "
    "found the nonconformity began.",
)
@click.option("--containment", help="What keeps the problem from spreading meanwhile.")
@click.option("--root-cause", help="Why the process let it happen.")
@click.option(
    "--why",
    "whys",
    multiple=True,
    help="One of the five whys (repeatable, in order); added after the item's whys.",
)
@click.option(
    "--action",
    "actions",
    multiple=True,
    help="A new corrective action (with --owner and --due); repeatable, each with its own "
    "--owner and --due, in order.",
)
@click.option("--owner", "owners", multiple=True, help="Owner of the new --action.")
@click.option(
    "--due",
    "dues",
    multiple=True,
    help="Due date of the new --action (YYYY-MM-DD, today or later).",
)
@click.option(
    "--done",
    type=int,
    multiple=True,
    help="Mark action number N done (today); repeatable; one done already is refused.",
)
@click.option(
    "--implemented-on",
    help="Implementation date, only with --status implemented (default today): not after "
    "today, nor before the item's last action was done; it does not change afterwards.",
)
@click.option(
    "--version",
    type=int,
    help="The version you read (capa show); a newer one is a conflict. Every update moves "
    "the version on, an action added or done included.",
)
@_register_opt
def capa_update(
    item_id: str,
    who: str,
    status: str | None,
    acknowledge: bool,
    correction: str | None,
    correction_date: str | None,
    containment: str | None,
    root_cause: str | None,
    whys: tuple[str, ...],
    actions: tuple[str, ...],
    owners: tuple[str, ...],
    dues: tuple[str, ...],
    done: tuple[int, ...],
    implemented_on: str | None,
    version: int | None,
    register_path: str,
) -> None:
    """Record a correction, root cause, actions or a status move; each change goes into the history.

    A closed item (verified-effective) takes no more changes.
    """
    from .register.lifecycle import new_actions

    today = _today()
    planned = new_actions(actions, owners, [_day(due, "--due") for due in dues])
    changes: dict[str, Any] = {k: v for k, v in {
        "correction": correction, "correction_date": _day_text(correction_date, "--correction-date"),
        "containment": containment, "root_cause": root_cause,
        "implemented_on": _day_text(implemented_on, "--implemented-on"),
    }.items() if v is not None}  # fmt: skip
    if acknowledge:
        changes["acknowledged"] = {"by": who, "on": today.isoformat()}
    if status is not None:
        changes["status"] = status
    register = _open_register(register_path)
    try:  # all of it in one transaction, or none of it
        item = register.change(item_id, who, changes, version, planned, done, today, whys)
    finally:
        register.close()
    if not item["changed"]:
        click.echo(f"{item['id']}: nothing changed ({item['status']}, version {item['version']})")
        return
    note = f"; {item['note']}" if item.get("note") else ""
    click.echo(f"{item['id']}: {item['status']} (version {item['version']}){note}")


@capa.command("accept")
@click.argument("item_id", metavar="ID")
@_by_opt
@click.option("--comment", default="", help="The certifier's comment on the plan.")
@_register_opt
def capa_accept(item_id: str, who: str, comment: str, register_path: str) -> None:
    """A certifier accepts the item's plan (planned -> accepted)."""
    register = _open_register(register_path)
    try:
        item = register.accept(item_id, who, _today(), comment)
    finally:
        register.close()
    click.echo(f"{item['id']}: accepted by {who}")


@capa.command("verify")
@click.argument("item_id", metavar="ID")
@click.option(
    "--evidence",
    "evidence_dir",
    required=True,
    type=click.Path(exists=True),
    help="Evidence after the fix.",
)
@click.option(
    "--pack", "pack_path", required=True, type=click.Path(dir_okay=False), help="The rule pack."
)
@_mapping_opt
@_preset_opt
@click.option(
    "--max-quarantine",
    default="2%",
    show_default=True,
    help="Stop when a file has a larger share of its rows quarantined (100% accepts any), "
    "as audit does.",
)
@_by_opt
@_register_opt
@_engine_opt
@_spark_master_opt
def capa_verify(
    item_id: str,
    evidence_dir: str,
    pack_path: str,
    mapping: str | None,
    preset: str | None,
    max_quarantine: str,
    who: str,
    register_path: str,
    engine: str | None,
    spark_master: str | None,
) -> None:
    """Re-run the item's rule for its group on evidence after the fix: close it or reopen it.

    The evidence is read as audit reads it: a file that cannot be read, or one with
    more rows quarantined than --max-quarantine, stops it (exit 2) and the item stays
    as it is.
    """
    from .backends.engines import check_engine
    from .register.verify import verify_item

    engine = _engine_with(engine, spark_master)
    check_engine(engine or "sqlite")  # a usage error before anything is opened
    ceiling = _ceiling(max_quarantine)
    chosen = _mapping_option(mapping, preset)
    register = _open_register(register_path)
    try:
        result = verify_item(
            register, item_id, pack_path, evidence_dir, who, _today(), chosen,
            engine or "sqlite", ceiling,
        )  # fmt: skip
    finally:
        register.close()
    figures = f": {result.figures}: {result.verdict}" if result.figures else ""
    click.echo(
        f"{result.item}: {result.outcome} over {result.period} ({result.finding.id}){figures}; "
        f"now {result.status}"
    )


@capa.command("check")
@_register_opt
def capa_check(register_path: str) -> None:
    """Check the history's hash chain and the tables against it: exit 1, one line per problem.

    Names every history row changed or cut outside the tool, and every waiver, item or
    action added, deleted or changed there, any of its fields (the field, the table's value
    and the history's). A register made by an earlier version, whose history does not hold
    every value an item or waiver was created with, gets one line naming those not checked.
    """
    register = _open_register(register_path)
    try:
        checked = register.integrity()
    finally:
        register.close()
    for line in checked.problems:
        click.echo(f"broken: {line}")
    unchecked = checked.unchecked_line()
    if unchecked:
        click.echo(unchecked)
    if checked.problems:
        click.echo(f"{len(checked.problems)} problem(s)")
    elif unchecked:
        click.echo("no problem found in what the history records; the values above are not checked")
    else:
        click.echo("history intact")
    sys.exit(EXIT_FINDINGS if checked.problems else EXIT_OK)


@capa.command("export")
@click.option("--format", "output", type=Choice(["csv", "xlsx", "oscal"]), required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@_register_opt
def capa_export(output: str, out: str, register_path: str) -> None:
    """Write the register: items as CSV; items, actions and history as XLSX; or an OSCAL POA&M (JSON)."""
    from .register.export import export_csv, export_xlsx
    from .register.oscal import export_oscal

    register = _open_register(register_path)
    try:
        if output == "csv":
            click.echo(f"wrote {out} ({export_csv(register, Path(out)):,} items)")
        elif output == "oscal":
            click.echo(f"wrote {out} ({export_oscal(register, Path(out)):,} poam-items)")
        else:
            counts = export_xlsx(register, Path(out))
            click.echo(f"wrote {out} (" + ", ".join(f"{n:,} {k}" for k, n in counts.items()) + ")")
    finally:
        register.close()


@main.group()
def waiver() -> None:
    """Governed deviations: a nonconformity accepted on purpose, for a while."""


@waiver.command("add")
@click.option("--rule", required=True, help="The rule the deviation is from.")
@click.option(
    "--group",
    "group_key",
    default="",
    help="Only this group, e.g. site=BJ (default: the whole rule).",
)
@click.option("--reason", required=True, help="Why the deviation is accepted.")
@click.option("--risk", type=Choice(["low", "medium", "high"]), required=True)
@click.option("--requested-by", required=True, callback=_a_name)
@click.option(
    "--approved-by", required=True, callback=_a_name, help="Someone other than the requester."
)
@click.option("--from", "valid_from", help="First day in force (YYYY-MM-DD, default today).")
@click.option(
    "--until", "valid_until", required=True, help="Last day in force (at most a year out)."
)
@_register_opt
def waiver_add(
    rule: str,
    group_key: str,
    reason: str,
    risk: str,
    requested_by: str,
    approved_by: str,
    valid_from: str | None,
    valid_until: str,
    register_path: str,
) -> None:
    """Record a waiver: the covered nonconformity is reported as waived while it is in force."""
    from .register.register import opened_or_made
    from .register.waivers import Waiver

    today = _today()
    waiver = Waiver("", rule, group_key, reason, risk, requested_by, approved_by,
                    _day(valid_from, "--from") or today, _day(valid_until, "--until"))  # fmt: skip
    with opened_or_made(register_path) as register:
        number = register.add_waiver(waiver, approved_by, today)
        unlike = register.unlike_items(rule, group_key)
    click.echo(f"{number}: {rule} {group_key or 'all'} waived until {valid_until}")
    if unlike:
        click.echo(f"warning: {unlike}; revoke it if that was a typo", err=True)


@waiver.command("list")
@_register_opt
def waiver_list(register_path: str) -> None:
    """Every waiver, with whether it is in force today."""
    register = _open_register(register_path)
    try:
        for w in register.waivers():
            state = (
                "in force"
                if w.in_force(_today())
                else ("revoked" if w.revoked_on else "not in force")
            )
            click.echo(f"{w.id}  {w.rule}  {w.group_key or 'all'}  {w.risk}  {w.valid_from}..{w.valid_until}"
                       f"  {state}  requested by {w.requested_by}, approved by {w.approved_by}: {w.reason}")  # fmt: skip
    finally:
        register.close()


@waiver.command("revoke")
@click.argument("waiver_id", metavar="ID")
@_by_opt
@_register_opt
def waiver_revoke(waiver_id: str, who: str, register_path: str) -> None:
    """End a waiver today: the next audit reports the nonconformity again."""
    register = _open_register(register_path)
    try:
        revoked = register.revoke_waiver(waiver_id, who, _today())
    finally:
        register.close()
    click.echo(f"{revoked}: revoked")


# ------------------------------------------------------------------ certifier


@main.command("verify")
@click.argument("audit_dir", metavar="AUDIT_DIR", type=click.Path(exists=True))
@click.option(
    "--evidence",
    "evidence_dir",
    type=click.Path(exists=True),
    help="Evidence folder (default: as recorded).",
)
@_recorded_pack_opt
@_mapping_opt
@_preset_opt
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False, exists=True),
    help="Check findings.json's signature too: a missing or non-matching one is a difference.",
)
@click.option(
    "--register",
    "register_path",
    type=click.Path(dir_okay=False),
    help="The CAPA register the audit read its waivers from: each waiver findings.json "
    "records must be in it as recorded and in force on the audit's day (default: the "
    "waivers are re-applied as recorded, unchecked).",
)
@click.option(
    "--engine",
    default=None,
    metavar="NAME",
    callback=_engine_name,
    help="Compute the findings again on this SQL engine (default: the one the audit used); "
    "the same findings from another engine are an independent check.",
)
@_spark_master_opt
def verify_command(
    audit_dir: str,
    evidence_dir: str | None,
    pack_path: str | None,
    mapping: str | None,
    preset: str | None,
    public_key: str | None,
    register_path: str | None,
    engine: str | None,
    spark_master: str | None,
) -> None:
    """Re-check an audit: every input's SHA-256, then every finding computed again.

    Exit 0 verified, 1 differences (each named; with --public-key a missing or
    non-matching signature is one), 2 input errors (an unreadable key among them).
    """
    from .certify.signing import SUFFIX, signature_problem
    from .certify.verify import UNSIGNED_NOTE, verify_audit

    given = Path(audit_dir)
    signed_badly = None
    if public_key:
        findings = given / "findings.json" if given.is_dir() else given
        signed_badly = signature_problem(findings, Path(public_key))
    chosen = _mapping_option(mapping, preset)
    engine = _engine_with(engine, spark_master)
    report = verify_audit(
        Path(audit_dir),
        Path(evidence_dir) if evidence_dir else None,
        Path(pack_path) if pack_path else None,
        chosen,
        engine,
        Path(register_path) if register_path else None,
    )
    differences = [f"findings.json: {signed_badly}"] if signed_badly else []
    for line in differences + list(report.differences):
        click.echo(f"differs: {line}")
    notes = list(report.notes)
    signature = (given if given.is_dir() else given.parent) / f"findings.json{SUFFIX}"
    if not public_key:
        notes.append(
            f"{signature.name} not checked: give --public-key to check the signature"
            if signature.is_file()
            else UNSIGNED_NOTE
        )
    for line in notes:
        click.echo(f"note: {line}")
    verified = report.verified and not signed_badly
    if verified:
        said = []
        if report.engine and report.engine != report.recorded_engine:
            said.append(f"the audit ran on {report.recorded_engine or 'sqlite'}")
        if public_key:
            said.append("signature valid")
        on = f" on {report.engine}" if report.engine else ""
        click.echo(
            f"verified: {report.findings} finding{'' if report.findings == 1 else 's'} "
            f"reproduced from {report.files} file{'' if report.files == 1 else 's'}{on}"
            + (f" ({'; '.join(said)})" if said else "")
        )
    sys.exit(EXIT_OK if verified else EXIT_FINDINGS)


def _not_blank(what: str) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """An option's check that refuses a blank value: ``give WHAT, not a blank``."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise click.BadParameter(f"give {what}, not a blank", ctx=ctx, param=param)
        return value

    return check


#: a file to write: not blank (an empty path is the working folder, ``.``)
_a_file_name = _not_blank("a file name")


@main.command("keygen")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    callback=_a_file_name,
    help="Private key file (the public key goes to OUT.pub).",
)
def keygen_command(out: str) -> None:
    """Make an Ed25519 key pair for signing audits."""
    from .certify.signing import keygen

    private, public = keygen(Path(out))
    click.echo(
        f"wrote {private} (private: keep it) and {public} (public: give it to the certifier)"
    )


@main.command("explain")
@click.argument("rule_id", metavar="RULE")
@click.option("--record", "key", required=True, help="The record's key, as the report lists it.")
@_audit_folder_opt
@click.option(
    "--store",
    "store_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Or the audit's evidence.db (its findings.json beside it).",
)
@_recorded_pack_opt
def explain_command(
    rule_id: str, key: str, audit_dir: str | None, store_path: str | None, pack_path: str | None
) -> None:
    """Show one record's computation step by step: source line, the finding it counts in,
    values, business time, outcome."""
    from .certify.explain import explain_in_audit

    if (audit_dir is None) == (store_path is None):
        raise click.UsageError("give the audit with --audit DIR or --store DIR/evidence.db")
    if audit_dir is not None:
        from .findings.combined import pack_folder_for_rule

        audit_dir = str(pack_folder_for_rule(Path(audit_dir), rule_id))
    store = Path(store_path) if store_path else Path(str(audit_dir)) / "evidence.db"
    explained = explain_in_audit(store, rule_id, key, Path(pack_path) if pack_path else None)
    click.echo("\n".join(explained.lines))
    for line in explained.warnings:
        click.echo(f"warning: {line}", err=True)


@main.command("sample")
@click.argument("rule_id", metavar="RULE", required=False)
@_audit_folder_opt
@click.option("--size", type=click.IntRange(min=1), help="Draw this many records (no plan).")
@click.option(
    "--plan",
    "plan_name",
    type=Choice(["iso2859-1"]),
    help="Size the sample by an ISO 2859-1 single sampling plan (normal inspection).",
)
@click.option(
    "--level",
    type=Choice(["I", "II", "III"]),
    default="II",
    show_default=True,
    help="General inspection level of the plan.",
)
@click.option("--aql", help="Acceptable quality limit in percent nonconforming (0.010 to 10).")
@click.option(
    "--stratify",
    help="Draw from each value of this field in proportion: a group_by field of the rule "
    "(e.g. site), engine_outcome or source_file.",
)
@click.option("--seed", type=int, help="Seed of the draw: the same seed gives the same sample.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default="sample.csv",
    show_default=True,
    help="The sample file; its plan goes in a .json file beside it.",
)
@_recorded_pack_opt
@click.option(
    "--judge",
    "judge_path",
    type=click.Path(dir_okay=False, exists=True),
    help="Judge the certifier's marks in a sample file instead of drawing one.",
)
def sample_command(
    rule_id: str | None,
    audit_dir: str | None,
    size: int | None,
    plan_name: str | None,
    level: str,
    aql: str | None,
    stratify: str | None,
    seed: int | None,
    out: str,
    pack_path: str | None,
    judge_path: str | None,
) -> None:
    """Draw a reproducible sample of RULE's judged records for a certifier, or judge their marks.

    \b
    auditor sample RULE --audit DIR --plan iso2859-1 --level II --aql 2.5 --seed 7
    auditor sample RULE --audit DIR --size 50 --stratify engine_outcome --seed 7
    auditor sample --judge sample.csv

    Judging exits 1 when the marks reject the lot, 0 when they accept it or
    cannot decide yet.
    """
    from .certify.sampling import judge, sample_audit

    if judge_path:
        judgement = judge(Path(judge_path))
        click.echo("\n".join(judgement.lines()))
        sys.exit(EXIT_FINDINGS if judgement.accept is False else EXIT_OK)
    if not rule_id or not audit_dir or seed is None:
        raise click.UsageError("drawing a sample needs RULE, --audit and --seed")
    if (size is None) == (plan_name is None):
        raise click.UsageError("give either --size N or --plan iso2859-1 with --aql")
    if bool(plan_name) != bool(aql):
        raise click.UsageError("--plan iso2859-1 and --aql go together")
    from .findings.combined import pack_folder_for_rule

    plan, rows, side, lot, warnings = sample_audit(
        pack_folder_for_rule(Path(audit_dir), rule_id),
        rule_id,
        Path(out),
        seed=seed,
        size=size,
        level=level if plan_name else None,
        aql=aql if plan_name else None,
        stratify=stratify,
        pack_path=Path(pack_path) if pack_path else None,
    )
    if plan is not None:
        click.echo(
            f"ISO 2859-1 level {plan.level}, AQL {plan.aql}, lot {lot}: code letter "
            f"{plan.code_letter}, n = {plan.sample_size}, Ac {plan.accept}, Re {plan.reject}"
        )
        if plan.note:
            click.echo(plan.note)
    click.echo(f"drew {len(rows)} of {lot} judged records (seed {seed})")
    click.echo(f"wrote {out}")
    click.echo(f"wrote {side}")
    click.echo(f"mark certifier_mark conform or nonconform, then: auditor sample --judge {out}")
    for line in warnings:
        click.echo(f"warning: {line}", err=True)


# ------------------------------------------------------------------ report


@main.group()
def report() -> None:
    """Render reports from findings.json."""


@report.command("render")
@click.argument("findings", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "formats",
    default="html,pdf",
    show_default=True,
    help="Outputs, comma-separated: html, pdf, csv, xlsx.",
)
@_lang_opt
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Folder to write into (default: beside findings.json).",
)
@click.option(
    "--date",
    "report_date",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Issue date (default: the audit's date).",
)
@click.option("--auditor", "auditor_name", help="Name of the auditor.")
@click.option("--organisation", help="Audited organisation.")
@click.option(
    "--register",
    "register_path",
    envvar="AUDITOR_REGISTER",
    type=click.Path(dir_okay=False, exists=True),
    help="CAPA register: the plan names each item's register id, severity and due date; "
    "the recommendation says how many minor items' plans are accepted; the report adds the "
    "status of the findings of the register's latest audit of the same pack of an earlier "
    "period, as audit's does.",
)
@click.option(
    "--previous",
    type=click.Path(exists=True),
    help="An earlier audit (folder or findings.json): the report adds the status of its findings "
    "(default with --register: the register's latest audit of the same pack of an earlier period).",
)
def report_render(
    findings: str,
    formats: str,
    lang: str | None,
    out: str | None,
    report_date: object,
    auditor_name: str | None,
    organisation: str | None,
    register_path: str | None,
    previous: str | None,
) -> None:
    """Render the report from FINDINGS without evaluating again.

    FINDINGS may be a combined audit's findings.json: the report then has a
    section per pack, and capa.csv / capa.xlsx go to each pack's folder; with
    --register, each pack's audit must be recorded there, as one pack's must.

    The section on the status of a previous audit's findings is rendered as
    audit renders it: from --previous, else from the register's latest audit
    of an earlier period; with neither, a note says it is left out.
    """
    from .diff import load_previous
    from .findings.combined import is_combined, read_json
    from .findings.contract import FindingsDocument
    from .report import render_reports

    wanted = tuple(f for f in _formats(formats, ("html", "pdf", "csv", "xlsx")) if f != "json")
    folder = out or str(Path(findings).parent)
    day = report_date.date() if report_date is not None else None  # type: ignore[attr-defined]
    combined = is_combined(read_json(findings))
    given = load_previous(previous, several=combined)
    if combined:
        for path in _render_combined(
            findings, folder, wanted, lang, day, organisation, auditor_name, register_path, given
        ):
            click.echo(f"wrote {path}")
        _render_notes(wanted, given is not None or register_path is not None, register_path, [])
        return
    document = FindingsDocument.load(findings)
    tracked = _tracked(register_path, document) if register_path else None
    earlier = _previous_of(given, register_path, document)
    written = render_reports(
        document, folder, wanted, lang, day, organisation, auditor_name,
        earlier, tracked, Path(findings).parent,
    )  # fmt: skip
    for path in written:
        click.echo(f"wrote {path}")
    found = earlier is not None or given is not None
    _render_notes(wanted, found, register_path, _previous_pack_lines(given, document))


def _render_notes(
    wanted: tuple[str, ...], found: bool, register_path: str | None, warnings: list[str]
) -> None:
    """The render's warnings, and a note when no earlier audit was found (findings.json does
    not record one; ``found``: --previous gave one, or the register held one): the report
    leaves out its section."""
    for line in warnings:
        click.echo(f"warning: {line}", err=True)
    if not found and any(f in wanted for f in ("html", "pdf")):
        where = (
            "the register holds no audit of this pack of an earlier period whose findings.json "
            "is where it recorded it; give --previous DIR|findings.json"
            if register_path
            else "give --previous DIR|findings.json, or --register for the register's latest "
            "audit of an earlier period"
        )
        click.echo(
            f"note: the report has no section on the status of a previous audit's findings; {where}"
        )
    _font_warning(wanted)


def _render_combined(
    findings: str, folder: str, wanted: tuple[str, ...], lang: str | None, day: Any,
    organisation: str | None, auditor_name: str | None, register_path: str | None = None,
    given: PreviousAudit | None = None,
) -> list[Path]:  # fmt: skip
    """A combined audit's report, and each pack's registers in its own folder (with a
    register, each pack's plan names the items its audit is tracked as there)."""
    from .findings.combined import CombinedDocument
    from .findings.contract import FindingsDocument
    from .report import render_combined, render_reports

    combined = CombinedDocument.load(findings)
    source = Path(findings).parent
    documents = {e.id: FindingsDocument.load(source / e.findings) for e in combined.packs}
    tracked = _tracked_packs(register_path, documents) if register_path else None
    written = []
    registers = tuple(f for f in wanted if f in ("csv", "xlsx"))
    for entry in combined.packs if registers else []:
        audit = source / Path(entry.findings).parent  # the pack's failing records are there
        target = Path(folder) / Path(entry.findings).parent
        written += render_reports(
            documents[entry.id], target, registers, lang, day, organisation, auditor_name,
            tracked=(tracked or {}).get(entry.id), audit_folder=audit,
        )  # fmt: skip
    pages = tuple(f for f in wanted if f in ("html", "pdf"))
    if pages:
        earlier = {pack: _previous_of(given, register_path, d) for pack, d in documents.items()}
        written += render_combined(
            combined, source, pages, lang, day, organisation, auditor_name, earlier,
            Path(folder), tracked, documents,
        )  # fmt: skip
    return written


def _tracked_packs(register_path: str, documents: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """By pack id, the register's item each nonconformity of the pack's audit is tracked as."""
    return {
        pack: _tracked(register_path, document, f"the audit of pack {pack}")
        for pack, document in documents.items()
    }


def _tracked(register_path: str, document: Any, named: str = "the audit") -> dict[str, Any]:
    """The register's item each nonconformity of the audit is tracked as (an audit not
    recorded there refused, by ``named``)."""
    register = _open_register(register_path)
    try:
        return register.tracked(document.fingerprint(), named)
    finally:
        register.close()


# ------------------------------------------------------------------ watch


@main.command("watch")
@click.argument("pack_path", metavar="PACK", type=click.Path(dir_okay=False))
@click.option(
    "--input",
    "source",
    default="-",
    show_default=True,
    type=click.File("r", encoding="utf-8", errors="surrogateescape"),
    help='JSON lines of evidence records, each with "kind"; - for standard input.',
)
@click.option(
    "--alerts",
    "alerts_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    metavar="FILENAME",
    default="-",
    show_default=True,
    callback=_a_file_name,
    help="Where alerts go, one JSON object a line (an existing file is appended to, never "
    "emptied); - for standard output.",
)
@click.option(
    "--clock",
    type=Choice(["event", "wall"]),
    default="event",
    show_default=True,
    help="Judge deadlines by the records' own times (a watermark) or by the wall clock, "
    "which moves on once a second while the input is quiet (and ends the watch at --until).",
)
@click.option(
    "--until",
    callback=_not_blank("a date or time"),
    help="End of the watch in the pack's time zone (ISO date or time): deadlines are judged as of then.",
)
@click.option(
    "--store",
    "store_path",
    type=click.Path(exists=True, dir_okay=False),
    help="An evidence.db holding the control charts' baseline periods (else the stream must carry them).",
)
def watch_command(
    pack_path: str,
    source: Any,
    alerts_path: str,
    clock: str,
    until: str | None,
    store_path: str | None,
) -> None:
    """Watch records as they arrive and write an alert the moment a rule is breached.

    durable_rules judges each record and each sequence step; a record still
    open, or a step still missing, is a breach once its deadline has passed.
    A later record of a key that differs from its last is an update, judged
    while the key's verdict can still change; a condition not met is a breach
    only if still not met when the watch ends. Each rejected line is told on
    stderr as it comes (FILE:LINE: rejected: REASON; - for standard input);
    counts go to stderr at the end of the input or on Ctrl-C. Exit 0 even when
    every line is rejected, as the ingest exits 0 with rows quarantined; 130
    when stopped by Ctrl-C (SIGINT), 143 by SIGTERM.
    """
    from .interrupts import exit_code
    from .live import Watcher, read_lines, refuse_not_json_lines, timed_lines
    from .pack import load_pack

    pack = load_pack(pack_path)
    if _input_name(source) != "-":
        refuse_not_json_lines(Path(_input_name(source)))
    alerts = _alerts_file(alerts_path)  # before any input is read: an alert is never lost to it

    def sink(alert: dict[str, Any]) -> None:
        alerts.write(json.dumps(alert, ensure_ascii=False) + "\n")
        alerts.flush()

    store = None
    if store_path is not None:
        from .backends.store import EvidenceStore

        store = EvidenceStore(store_path, read_only=True)
    try:
        if store is not None:
            store.check_kinds(pack.evidence.values())  # the baselines are read from them
        watcher = Watcher(
            pack,
            sink,
            clock,
            _moment(until, pack.timezone) if until else None,
            remember=False,
            store=store,
            on_reject=_rejected_line(source),
        )
    finally:  # the baselines are read: other commands may use the store while the stream runs
        if store is not None:
            store.close()
    for rule_id, why in watcher.not_live.items():  # said once, before any input is read
        click.echo(
            f"{rule_id} is not watched: {why}; the batch audit (auditor audit) judges it",
            err=True,
        )
    interrupted, code, reader_gone = False, EXIT_OK, False
    try:  # on the wall clock, time moves on (once a second) while no input comes
        read_lines(timed_lines(source) if clock == "wall" else source, watcher)
    except KeyboardInterrupt as exc:
        interrupted = True
        code = exit_code(exc)  # SIGTERM (the group makes it an interrupt too) or Ctrl-C
    except BrokenPipeError:  # the reader of the alerts left (| head -1): nothing more to write
        reader_gone = True
    finally:
        if not reader_gone:
            try:
                watcher.finish()
            except BrokenPipeError:
                reader_gone = True
        if alerts_path != "-":
            alerts.close()
        if not reader_gone:  # else the output stops there, with no line (docs/cli.md)
            _watch_counts(watcher, interrupted)
    sys.exit(_reader_gone() if reader_gone else code)


def _watch_counts(watcher: Any, interrupted: bool) -> None:
    """The end of a watch on standard error: its counts, its rejected lines' reasons, the
    rules it left to the batch audit."""
    c = watcher.counts
    click.echo(
        f"{'interrupted: ' if interrupted else ''}{c.events:,} records read, {c.judged:,} judgements, "
        f"{c.alerts:,} alerts, {c.updates:,} updates, {c.duplicates:,} duplicates, {c.rejected:,} rejected"
        + (f", {c.after_until:,} at or after --until, not judged" if c.after_until else "")
        + (f", {c.collisions:,} identity collisions re-posted" if c.collisions else ""),
        err=True,
    )
    reasons = sorted(c.reasons.items(), key=lambda kv: -kv[1])
    for reason, count in reasons[:5]:
        where = c.rejected_lines(reason)
        line = f"  {count:>8,} rejected: {where + ': ' if where else ''}{reason}"
        click.echo(line.translate(CONTROL_ESCAPES), err=True)
    if len(reasons) > 5:
        others = sum(count for _, count in reasons[5:])
        click.echo(
            f"  {others:>8,} rejected for {len(reasons) - 5:,} other "
            f"reason{'' if len(reasons) == 6 else 's'} (each line above)",
            err=True,
        )
    if watcher.skipped:
        click.echo(f"batch-only rules not watched: {', '.join(watcher.skipped)}", err=True)
    if interrupted:
        click.echo(
            f"stopped after line {c.last_line:,} of the input: to go on, watch its lines from "
            f"{c.last_line + 1:,} on with the same --alerts file (docs/watch.md)",
            err=True,
        )


def _input_name(source: Any) -> str:
    """The name of the file --input opened, ``-`` for standard input."""
    name = getattr(source, "name", "-")
    return "-" if name == "<stdin>" else str(name)


def _rejected_line(source: Any) -> Callable[[int | None, str], None]:
    """What tells a rejected line as it is rejected: ``FILE:LINE: rejected: REASON`` on
    standard error (``-`` for standard input)."""
    name = _input_name(source)

    def tell(line: int | None, reason: str) -> None:
        where = name if line is None else f"{name}:{line}"
        click.echo(f"{where}: rejected: {reason}".translate(CONTROL_ESCAPES), err=True)

    return tell


def _alerts_file(path: str) -> Any:
    """The alerts' destination, opened to append to (or standard output for ``-``); one line
    if it cannot be."""
    if path == "-":
        return sys.stdout
    try:
        stream = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed when the watch ends
        if stream.tell() and not _ends_a_line(Path(path)):
            stream.write("\n")  # a watch killed mid-line: its part stays a line of its own
        return stream
    except OSError as exc:
        raise AuditorError(f"cannot write the alerts file {path}: {exc.strerror or exc}") from None


def _ends_a_line(path: Path) -> bool:
    with path.open("rb") as stream:
        stream.seek(-1, os.SEEK_END)
        return stream.read(1) == b"\n"


def _moment(text: str, zone: str) -> float:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AuditorError(
            f"--until '{text}' is not an ISO date or time",
            hint="e.g. 2026-10-01 or 2026-09-30T18:00",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.timestamp()
