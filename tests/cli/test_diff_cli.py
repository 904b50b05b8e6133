"""`auditor diff` as a user runs it: the table, --format json, --fail-on-new, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main

from ..conftest import ROOT, RULES

DEMO = ROOT / "evidence" / "demo" / "service-quality"


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The service-quality demo audited for July and for August 2026: each audit's folder."""
    from auditor.audit import run_audit

    folders = {}
    for period in ("2026-07", "2026-08"):
        out = tmp_path_factory.mktemp(f"diff-cli-{period}")
        run_audit(RULES / "service-quality.yaml", DEMO, out, period)
        folders[period] = out
    return folders


def diff(runner, old: Path, new: Path, *extra: str):
    return runner.invoke(main, ["diff", str(old), str(new), *extra])


def test_the_table_and_the_counts(runner, months) -> None:
    result = diff(runner, months["2026-07"], months["2026-08"] / "findings.json")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("service-quality 1.0.0 2026-07 → service-quality 1.0.0 2026-08")
    assert lines[1].split() == ["rule", "group", "before", "after", "change"]
    sh = next(line for line in lines if line.startswith("RESP-PHONE-30S") and "site=SH" in line)
    assert sh.split() == [
        *("RESP-PHONE-30S", "site=SH", "conform", "96.0", "%"),
        *("nonconform", "(major)", "56.2", "%", "new"),
    ]
    csat = next(line for line in lines if line.startswith("CSAT-Q-4.2"))
    assert csat.split()[-1] == "resolved" and "4.18" in csat and "4.33" in csat
    assert lines[-1] == "new 1, resolved 2, recurring 1, worsened 0"
    assert "\u00a0" not in result.output


def test_format_json_is_the_machine_readable_diff(runner, months) -> None:
    result = diff(runner, months["2026-07"], months["2026-08"], "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == sorted(data)
    assert data["counts"] == {"new": 1, "recurring": 1, "resolved": 2, "worsened": 0}
    assert (data["old"]["period"], data["new"]["period"]) == ("2026-07", "2026-08")
    assert data["same_pack"] is True and data["notes"] == []
    new = [(r["rule"], r["group"]) for r in data["rows"] if r["change"] == "new"]
    assert new == [("RESP-PHONE-30S", {"site": "SH"})]  # the pooled figure: for reference
    again = diff(runner, months["2026-07"], months["2026-08"], "--format", "json")
    assert again.output == result.output


def test_fail_on_new(runner, months) -> None:
    july, august = months["2026-07"], months["2026-08"]
    assert diff(runner, july, august, "--fail-on-new").exit_code == 1  # a new nonconformity
    assert diff(runner, july, august).exit_code == 0  # a report, not a gate
    same = diff(runner, august, august, "--fail-on-new")
    assert same.exit_code == 0, same.output  # recurring only
    assert same.output.splitlines()[-1] == "new 0, resolved 0, recurring 2, worsened 0"


@pytest.mark.parametrize("case", ["missing", "no-findings", "other-schema", "not-json"])
def test_bad_input_is_one_line(runner, months, tmp_path, case) -> None:
    old = tmp_path / "findings.json"
    expected = {
        "missing": "findings.json: file not found",
        "no-findings": "no findings.json in this folder",
        "other-schema": "findings.json of schema '1.0'; this auditor reads schema 1.1",
        "not-json": "not a findings.json",
    }[case]
    if case == "no-findings":
        old = tmp_path
    elif case == "other-schema":
        data = json.loads((months["2026-07"] / "findings.json").read_text(encoding="utf-8"))
        data["schema_version"] = "1.0"
        old.write_text(json.dumps(data), encoding="utf-8")
    elif case == "not-json":
        old.write_text("rule,verdict\n", encoding="utf-8")
    result = diff(runner, old, months["2026-08"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_week_the_two_audits_cut_otherwise_is_two_rows(runner, write_pack, tmp_path) -> None:
    """Week 31 of 2026 is 27-31 July in a July audit, 1-2 August in an August one (their
    findings.json `days`): not paired, each named with its days."""
    from ..test_diff import weekly_audits

    july, august = weekly_audits(
        write_pack, tmp_path, ["2026-07-28", "2026-08-05"], ("2026-07", "2026-08")
    )
    result = diff(runner, tmp_path / "2026-07", tmp_path / "2026-08", "--format", "json")
    assert result.exit_code == 0, result.output
    week = [r for r in json.loads(result.output)["rows"] if "W31" in (r["new"] or r["old"])["id"]]
    assert [(r["match"], r["change"]) for r in week] == [
        (None, "only in new"),
        (None, "only in old"),
    ]
    assert [(r["new"] or r["old"])["days"] for r in week] == [
        {"first": "2026-08-01", "last": "2026-08-02", "clipped": True},
        {"first": "2026-07-27", "last": "2026-07-31", "clipped": True},
    ]
    for document, row in ((august, week[0]["new"]), (july, week[1]["old"])):
        cells = next(r for r in document.rules if r.rule == "WEEKLY").findings
        held = next(f for f in cells if f.id == "WEEKLY@2026-W31").days
        assert held is not None and held.model_dump() == row["days"]
    table = diff(runner, tmp_path / "2026-07", tmp_path / "2026-08").output.splitlines()
    assert [line.split()[1:4] for line in table if "@2026-W31" in line] == [
        ["all@2026-W31", "(1–2", "Aug)"],
        ["all@2026-W31", "(27–31", "Jul)"],
    ]


BY_SITE = """\
  - id: BY-SITE
    clause: "3.1.2"
    title: {zh: 各站点接通, en: Calls answered at each site}
    evidence: calls
    condition: answered
    target: 96%
    severity: minor
    min_records: 1
    group_by: [site]
    judge: each-group
    capa: {action: {zh: 增加坐席, en: Add agents}, owner: manager}
"""


def site_calls(month: str, answered: dict[str, tuple[int, int]]) -> str:
    """calls.csv of ``month``: per site, (answered, calls)."""
    from ..series_pack import calls

    rows = []
    for site, (yes, total) in answered.items():
        for n in range(total):
            rows.append((f"{site}{n}", site, f"{month}-10T09:00:00", n < yes, None))
    return calls(rows)


def test_the_counts_are_the_nonconformities_of_the_capa_plans(runner, write_pack, tmp_path) -> None:
    """A rule judged at each site: its pooled finding, below target in both audits, is for
    reference only, as in the CAPA plan; new + recurring + worsened is the new plan's count.
    Site A falls from 191 of 200 (95.50 %) to 21 of 22 (95.45 %): two decimals tell them apart."""
    from ..series_pack import PACK

    pack = write_pack(PACK + BY_SITE)
    months = {"2026-07": {"A": (191, 200), "B": (20, 20)}, "2026-08": {"A": (21, 22), "B": (9, 10)}}
    plans = {}
    for month, answered in months.items():
        evidence = tmp_path / f"evidence-{month}"
        evidence.mkdir()
        (evidence / "calls.csv").write_text(site_calls(month, answered), encoding="utf-8")
        out = tmp_path / month
        audited = runner.invoke(
            main, ["audit", str(pack), str(evidence), "--period", month, "--out", str(out)]
        )
        assert audited.exit_code in (0, 1), audited.output
        plan = (out / "capa.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
        plans[month] = [line.split(",")[1] for line in plan]
    # pooled 211/220 = 95.9 % and 30/32 = 93.8 %, below 96 %: the plans list the sites only
    assert plans == {"2026-07": ["BY-SITE@site=A"], "2026-08": ["BY-SITE@site=A", "BY-SITE@site=B"]}
    result = diff(runner, tmp_path / "2026-07", tmp_path / "2026-08")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "new 1, resolved 0, recurring 0, worsened 1"
    counts = json.loads(
        diff(runner, tmp_path / "2026-07", tmp_path / "2026-08", "--format", "json").output
    )["counts"]
    assert counts["new"] + counts["recurring"] + counts["worsened"] == len(plans["2026-08"])
    rows = {line.split()[1]: line.split()[2:] for line in lines if line.startswith("BY-SITE")}
    assert rows["all"] == [
        *("nonconform", "(minor)", "95.9", "%"),
        *("nonconform", "(minor)", "93.8", "%"),
        "value",
        "changed",
    ]
    assert rows["site=A"] == [
        *("nonconform", "(minor)", "95.50", "%", "nonconform", "(minor)", "95.45", "%"),
        *("worsened", "(further", "from", "target)"),
    ]


def test_fail_on_new_passes_a_group_failing_again_in_other_months(
    runner, write_pack, tmp_path
) -> None:
    """A rule judged at each site per month: site A fails in August, then in December
    (70 %, 7 of 10 calls answered, both times), site B in July, then in November (90 %): two
    recurring nonconformities, nothing new, so --fail-on-new passes; with site C failing for
    the first time in the next quarter (80 % in January), it fails."""
    from ..test_diff import site_months

    site_months(
        write_pack,
        tmp_path,
        {
            "2026-Q3": {"A": (10, 7, 10), "B": (9, 10, 10), "C": (10, 10, 10)},
            "2026-Q4": {"A": (10, 10, 7), "B": (10, 9, 10), "C": (10, 10, 10)},
            "2027-Q1": {"A": (10, 10, 7), "B": (10, 9, 10), "C": (8, 10, 10)},
        },
    )
    q3, q4, q1 = (tmp_path / quarter for quarter in ("2026-Q3", "2026-Q4", "2027-Q1"))
    again = diff(runner, q3, q4, "--fail-on-new")
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1] == "new 0, resolved 0, recurring 2, worsened 0"
    assert "site=A@2026-08 → 2026-12" in again.output
    first_time = diff(runner, q4, q1, "--fail-on-new")
    assert first_time.exit_code == 1, first_time.output
    assert first_time.output.splitlines()[-1] == "new 1, resolved 0, recurring 2, worsened 0"
