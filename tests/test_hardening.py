"""Hostile input gets one clear line, never an internal error: mappings, outputs, periods."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import AuditorError, PackErrors
from auditor.mapping import load_mapping
from auditor.periods import parse_period

from .conftest import ROOT, RULES

PACK = str(RULES / "service-quality.yaml")
DEMO = str(ROOT / "evidence" / "demo" / "service-quality")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("timezone: Mars/Olympus", "2:11: unknown time zone 'Mars/Olympus'"),
        ("reader: {encoding: klingon}", "2:9: unknown encoding 'klingon'"),
        ("reader: {delimiter: ';;'}", "2:9: the delimiter must be one character, not ';;'"),
        ("reader: {delimiter: [x]}", "2:9: the delimiter must be one character, not a list"),
        (
            "reader: {header_row: true}",
            "2:9: header_row must be a row number (1 or more), not true",
        ),
        ("timezone: [x]", "2:11: unknown time zone a list"),
    ],
)
def test_a_mapping_the_readers_cannot_use_is_one_located_line(tmp_path, line, expected) -> None:
    path = tmp_path / "training.mapping.yaml"
    path.write_text(f"kind: training\n{line}\ncolumns:\n  agent_id: agent_id\n", encoding="utf-8")
    with pytest.raises(PackErrors) as caught:
        load_mapping(path)
    assert f"{path}:{expected}" in str(caught.value)


@pytest.mark.parametrize(
    ("zone", "closest"), [("Europe/Lodnon", "Europe/London"), ("asia/shanghai", "Asia/Shanghai")]
)
def test_a_mapping_s_unknown_time_zone_names_the_closest(tmp_path, zone, closest) -> None:
    path = tmp_path / "calls.mapping.yaml"
    path.write_text(f"kind: calls\ntimezone: {zone}\ncolumns:\n  call_id: id\n", encoding="utf-8")
    with pytest.raises(PackErrors) as caught:
        load_mapping(path)
    assert [str(error) for error in caught.value.errors] == [
        f"{path}:2:11: unknown time zone '{zone}'; did you mean '{closest}'?; write an IANA name "
        "such as Asia/Shanghai or America/New_York"
    ]


def test_out_under_a_regular_file_is_one_line(runner, tmp_path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("", encoding="utf-8")
    result = runner.invoke(
        main, ["audit", PACK, DEMO, "--out", str(blocker / "out"), "--format", "json"]
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: {blocker / 'out'}: cannot write outputs here: Not a directory; "
        "give --out a folder you can write to"
    )


@pytest.mark.parametrize("text", ["9999", "9999-Q4", "2026-01-01..9999-12-31"])
def test_a_period_beyond_the_year_9998_is_refused(text) -> None:
    with pytest.raises(AuditorError, match=r"beyond the year 9998"):
        parse_period(text)


def test_the_first_years_are_still_periods() -> None:
    assert parse_period("0001").first.year == 1 and Path(DEMO).exists()


FORMS = "write 2026-Q3, 2026-07, 2026, 2026-H2 or 2026-07-01..2026-09-30"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2016-13", ": month 13 does not exist (a year has 12)"),
        ("2016-00", ": month 00 does not exist (a year has 12)"),
        ("2016-Q5", ": quarter 5 does not exist (a year has 4)"),
        ("2016-H3", ": half 3 does not exist (a year has 2)"),
        ("0000", ": year 0000 does not exist (years start at 0001)"),
        ("2016-02-30..2016-03-31", ": 2016-02-30 does not exist (2016-02 has 29 days)"),
        ("2016-01-01..2016-13-01", ": month 13 does not exist (a year has 12)"),
        ("2016-09-30..2016-07-01", ": it ends before it starts (2016-07-01 is before 2016-09-30)"),
        ("2016Q1", "; did you mean '2016-Q1'?"),
        ("2016h2", "; did you mean '2016-H2'?"),
        ("soon", ""),
    ],
)
def test_every_malformed_period_is_not_an_audit_period_with_the_forms(text, reason) -> None:
    """A period in a form with no such month, quarter or day says why and lists the forms
    (it said 'not a valid date range: month must be in 1..12'); one written without its
    hyphen (2016Q1, not among the forms) is refused with the form meant."""
    with pytest.raises(AuditorError) as caught:
        parse_period(text)
    assert str(caught.value) == f"'{text}' is not an audit period{reason}; {FORMS}"


def test_a_period_of_the_year_9999_reaches_beyond_9998_not_a_date_range() -> None:
    with pytest.raises(AuditorError) as caught:
        parse_period("9999-Q4")
    assert str(caught.value) == (
        "period '9999-Q4' reaches beyond the year 9998; give the period the evidence covers, "
        "e.g. 2026-Q3"
    )


def test_an_unquoted_null_among_missing_markers_is_refused(tmp_path) -> None:
    path = tmp_path / "training.mapping.yaml"
    path.write_text(
        "kind: training\nmissing: [NULL]\ncolumns:\n  agent_id: agent_id\n", encoding="utf-8"
    )
    with pytest.raises(PackErrors, match=r"2:10: missing must be a list of texts \(quote them"):
        load_mapping(path)


def test_chart_labels_show_data_as_written() -> None:
    """A site named like matplotlib mathematics, or with a control character, is drawn as text."""
    from auditor.charts import _short, pareto_svg

    assert _short("$x^2$") == r"\$x^2\$"  # matplotlib draws an escaped $ as the character
    assert _short("a\x07b") == "a b"
    assert "\x07" not in pareto_svg([("a\x07b", 2)], "t", "y")


def _audit(runner, out: Path, *extra: str):
    return runner.invoke(
        main, ["audit", PACK, DEMO, "--period", "2026-Q3", "--out", str(out), "--fail-on", "never",
               *extra],
    )  # fmt: skip


def test_a_failed_audit_leaves_the_earlier_outputs_as_they_were(runner, tmp_path) -> None:
    out = tmp_path / "out"
    assert _audit(runner, out, "--format", "json,html").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    failed = _audit(runner, out, "--format", "json,html", "--max-quarantine", "0")
    assert failed.exit_code == 2  # the demo's deliberately bad rows break a 0 % ceiling
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_a_new_audit_leaves_no_report_of_an_earlier_run_beside_its_findings(
    runner, tmp_path
) -> None:
    out = tmp_path / "out"
    assert _audit(runner, out, "--format", "json,html").exit_code == 0
    assert (out / "report.html").exists()
    again = _audit(runner, out, "--format", "json")
    assert again.exit_code == 0, again.output
    assert not (out / "report.html").exists()
    assert f"wrote {out / 'findings.json'}" in again.output  # the final place, not the staging one


def test_outputs_inside_the_evidence_folder_are_refused(runner, tmp_path) -> None:
    import shutil

    evidence = tmp_path / "evidence"
    shutil.copytree(DEMO, evidence)
    result = runner.invoke(main, ["audit", PACK, str(evidence), "--out", str(evidence / "out")])
    assert result.exit_code == 2
    assert "the output folder is inside the evidence folder" in result.output
    assert not (evidence / "out").exists()


def test_a_file_size_limit_during_an_audit_is_one_line_and_leaves_nothing_half_written(
    tmp_path,
) -> None:
    import resource
    import subprocess
    import sys

    def small_files() -> None:  # as a full disk would: writes beyond 200 kB fail
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", PACK, DEMO, "--out", str(out),
         "--period", "2026-Q3", "--fail-on", "never"],
        capture_output=True, text=True, preexec_fn=small_files, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "internal error" not in done.stderr
    assert "free some space or raise the limit" in done.stderr
    assert not out.exists()  # made for the run and removed: no findings without a report
