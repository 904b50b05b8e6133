"""Pack tests: cases are read against the pack, run through the real ingest and engine, and compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import PackErrors
from auditor.packtest import PackTestError, pack_paths, run_pack_tests

from .conftest import SHIPPED_PACKS

PACK = """
pack: demo
version: 1.0.0
title: {zh: 演示, en: Demo}
standard: service-quality-standard
timezone: Asia/Shanghai
evidence:
  calls:
    title: {zh: 来电, en: Calls}
    key: call_id
    time: received_at
    fields:
      call_id: {type: string}
      received_at: {type: timestamp}
      answered_at: {type: timestamp, optional: true}
      wait: {type: integer, optional: true}
rules:
  - id: ANSWER-30S
    clause: "3.1.2"
    title: {zh: 30秒接通, en: Answered within 30 s}
    evidence: calls
    duration: {from: received_at, to: answered_at, max: 30s}
    target: 90%
    severity: minor
    capa: {action: {zh: 排班, en: Staffing}, owner: {zh: 经理, en: manager}}
  - id: MEAN-WAIT
    clause: "3.1.2"
    title: {zh: 平均等待, en: Mean wait}
    evidence: calls
    where: wait is not null
    mean: {of: wait}
    target: "<= 20"
    severity: minor
    capa: {action: {zh: 排班, en: Staffing}, owner: {zh: 经理, en: manager}}
"""

CASES = """
period: 2026-07
cases:
  - name: 29 s in time, 31 s late
    rule: ANSWER-30S
    records:
      calls:
        - {call_id: A, received_at: "2026-07-01 10:00:00", answered_at: "2026-07-01 10:00:29"}
        - {call_id: B, received_at: "2026-07-01 10:00:00", answered_at: "2026-07-01 10:00:31"}
    expect:
      outcomes: {A: conform, B: breach}
      value: 0.5
      n: 2
      verdict: nonconform
  - name: the mean of 10 and 40 is 25
    rule: MEAN-WAIT
    records:
      calls:
        - {call_id: A, received_at: "2026-07-01 10:00:00", wait: 10}
        - {call_id: B, received_at: "2026-07-01 10:00:00", wait: 40}
        - {call_id: C, received_at: "2026-07-01 10:00:00"}
    expect: {value: 25.0, n: 2}
"""


@pytest.fixture
def pack_with_tests(write_pack, tmp_path: Path):
    def write(cases: str) -> Path:
        pack = write_pack(PACK, "demo.yaml")
        (pack.parent / "demo.tests.yaml").write_text(cases, encoding="utf-8")
        return pack

    return write


def test_cases_that_hold_pass_and_every_rule_is_tested(pack_with_tests) -> None:
    report = run_pack_tests(pack_with_tests(CASES))
    assert [r.failures for r in report.results] == [[], []]
    assert report.untested == [] and report.ok


def test_a_wrong_expectation_fails_with_expected_and_got(pack_with_tests) -> None:
    wrong = CASES.replace("outcomes: {A: conform, B: breach}", "outcomes: {A: breach, B: breach}")
    wrong = wrong.replace("{value: 25.0, n: 2}", "{value: 24.0, n: 3}")
    report = run_pack_tests(pack_with_tests(wrong))
    assert report.results[0].failures == ["record A: expected breach, got conform"]
    assert report.results[1].failures == ["value: expected 24.0, got 25.0", "n: expected 3, got 2"]
    assert not report.ok


def test_a_rule_without_a_case_is_named(pack_with_tests) -> None:
    only_one = CASES.split("  - name: the mean")[0]
    report = run_pack_tests(pack_with_tests(only_one))
    assert report.untested == ["MEAN-WAIT"] and not report.ok


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("rule: ANSWER-30S", "rule:"), "demo.tests.yaml:5:10: missing 'rule'"),
        (
            ("rule: ANSWER-30S", "rule: [ANSWER-30S]"),
            "demo.tests.yaml:5:11: 'rule' takes one value, not a list; write one text, without [ ]",
        ),
        (
            ("rule: ANSWER-30S", "rule: ANSWER-30"),
            "demo.tests.yaml:5:11: unknown rule 'ANSWER-30' of pack demo; did you mean 'ANSWER-30S'?",
        ),
        (
            (
                '      calls:\n        - {call_id: A, received_at: "2026-07-01 10:00:00", answered',
                '      call:\n        - {call_id: A, received_at: "2026-07-01 10:00:00", answered',
            ),
            "demo.tests.yaml:7:7: unknown evidence kind 'call'; did you mean 'calls'?",
        ),
        (
            ('answered_at: "2026-07-01 10:00:29"', 'answerd_at: "2026-07-01 10:00:29"'),
            "unknown field of calls 'answerd_at'; did you mean 'answered_at'?",
        ),
        (("verdict: nonconform", "verdict: failed"), "unknown verdict 'failed'"),
        (("period: 2026-07", "period: 2026-13"), "demo.tests.yaml:2:9:"),
        (
            ("{A: conform, B: breach}", "{A: conform, B: braech}"),
            "demo.tests.yaml:11:33: outcome of record B is one of conform, breach, pending, "
            "excluded, not braech; did you mean 'breach'?",
        ),
        (
            ("{A: conform, B: breach}", "{A: pass, B: breach}"),
            "demo.tests.yaml:11:21: outcome of record A is one of conform, breach, pending, "
            "excluded, not pass; did you mean 'conform'?",
        ),
        (
            ("{A: conform, B: breach}", "{A: conform, C: breach}"),
            "demo.tests.yaml:11:30: unknown record 'C'",
        ),
    ],
)
def test_a_malformed_case_is_a_located_error(pack_with_tests, change, expected) -> None:
    with pytest.raises(PackErrors) as caught:
        run_pack_tests(pack_with_tests(CASES.replace(*change, 1)))
    assert expected in str(caught.value)


def _errors_of(pack_with_tests, change: tuple[str, str]) -> list[str]:
    """Each error the test cases give with ``change`` made, after the file's name."""
    with pytest.raises(PackErrors) as caught:
        run_pack_tests(pack_with_tests(CASES.replace(*change, 1)))
    return [str(e).split("demo.tests.yaml:", 1)[1] for e in caught.value.errors]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("nonconform", "breach"),
        ("nonconformity", "breach"),
        ("fail", "breach"),
        ("failed", "breach"),
        ("pass", "conform"),
        ("passed", "conform"),
    ],
)
def test_an_outcome_written_as_a_verdict_or_test_word_suggests_the_outcome_meant(
    pack_with_tests, written: str, meant: str
) -> None:
    """'nonconform' was answered with "did you mean 'conform'", the opposite of what it means."""
    change = ("{A: conform, B: breach}", f"{{A: conform, B: {written}}}")
    assert _errors_of(pack_with_tests, change) == [
        f"11:33: outcome of record B is one of conform, breach, pending, excluded, "
        f"not {written}; did you mean '{meant}'?"
    ]


@pytest.mark.parametrize(("empty", "column"), [("{}", 17), ("", 16)])
def test_empty_outcomes_are_refused_as_an_empty_expect_is(
    pack_with_tests, empty: str, column: int
) -> None:
    """outcomes: {} checked nothing and the case counted as passed."""
    change = ("outcomes: {A: conform, B: breach}", f"outcomes: {empty}")
    assert _errors_of(pack_with_tests, change) == [
        f"11:{column}: outcomes is empty; map record keys to one of conform, breach, pending, excluded"
    ]


def test_a_misspelt_evidence_kind_is_reported_alone_not_with_every_outcome(
    pack_with_tests,
) -> None:
    """With calls: written call:, each outcome key was also reported as an unknown record."""
    change = ("      calls:\n        - {call_id: A", "      call:\n        - {call_id: A")
    assert _errors_of(pack_with_tests, change) == [
        "7:7: unknown evidence kind 'call'; did you mean 'calls'?"
    ]


def test_a_record_the_ingest_would_quarantine_makes_the_case_itself_wrong(pack_with_tests) -> None:
    bad = CASES.replace("wait: 40}", "wait: forty}")
    with pytest.raises(
        PackTestError,
        match=r"case 'the mean of 10 and 40 is 25': record 2 of calls \(wait\) is not valid evidence",
    ):
        run_pack_tests(pack_with_tests(bad))


def test_no_test_file_says_where_it_is_looked_for(write_pack) -> None:
    with pytest.raises(PackTestError, match=r"demo\.tests\.yaml: no test file for pack demo"):
        run_pack_tests(write_pack(PACK, "demo.yaml"))


def test_a_test_file_given_stands_for_its_pack_once() -> None:
    assert pack_paths(["rules/a.yaml", "rules/a.tests.yaml", "rules/b.tests.yaml"]) == [
        Path("rules/a.yaml"),
        Path("rules/b.yaml"),
    ]


@pytest.mark.parametrize("pack", SHIPPED_PACKS, ids=lambda p: p.stem)
def test_every_shipped_pack_has_a_passing_case_for_every_rule(pack: Path) -> None:
    report = run_pack_tests(pack)
    failures = {r.case.name: r.failures for r in report.results if r.failures}
    assert failures == {}
    assert report.untested == []


SITE_KEYED = PACK.replace("    key: call_id\n", "    key: [site, call_id]\n").replace(
    "      call_id: {type: string}\n", "      call_id: {type: string}\n      site: {type: string}\n"
)


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ("{x|A: conform, x|B: breach}", None),
        ("{x: conform, x|B: breach}", "demo.tests.yaml:11:18: unknown record 'x'"),
        (
            "{x|A: conform, x|Z: breach}",
            "demo.tests.yaml:11:32: unknown record 'x|Z'; did you mean 'x|B'?",
        ),
    ],
    ids=["whole keys", "first field only", "unknown second field"],
)
def test_an_outcome_names_a_record_by_its_whole_key(
    write_pack, outcomes: str, expected: str | None
) -> None:
    """Of a key of several fields, only the first was checked: an outcome 'x' or 'x|Z' was
    taken for a record of site x, and the case then failed with a record it never had."""
    pack = write_pack(SITE_KEYED, "demo.yaml")
    cases = CASES.replace("{call_id: A,", "{site: x, call_id: A,").replace(
        "{call_id: B,", "{site: x, call_id: B,"
    )
    cases = cases.replace("{A: conform, B: breach}", outcomes).split("  - name: the mean")[0]
    (pack.parent / "demo.tests.yaml").write_text(cases, encoding="utf-8")
    if expected is None:
        assert run_pack_tests(pack).results[0].failures == []
        return
    with pytest.raises(PackErrors) as caught:
        run_pack_tests(pack)
    assert [str(e) for e in caught.value.errors] == [f"{pack.parent / expected}"]
