"""`auditor pack test` as a pack author runs it: exit 0, 1 on a failing case, 2 on a bad test file."""

from __future__ import annotations

from auditor.cli import main

from ..conftest import SHIPPED_PACKS
from ..test_packtest import CASES, PACK


def _write(tmp_path, cases: str) -> str:
    (tmp_path / "demo.yaml").write_text(PACK, encoding="utf-8")
    (tmp_path / "demo.tests.yaml").write_text(cases, encoding="utf-8")
    return str(tmp_path / "demo.yaml")


def test_shipped_packs_pass_their_tests(runner) -> None:
    result = runner.invoke(main, ["pack", "test", "--quiet", *map(str, SHIPPED_PACKS)])
    assert result.exit_code == 0, result.output
    assert "service-quality: 18 of 18 case(s) passed; 14 of 14 rules tested" in result.output


def test_a_failing_case_prints_rule_case_expected_and_got_and_exits_1(runner, tmp_path) -> None:
    pack = _write(tmp_path, CASES.replace("value: 0.5", "value: 0.75"))
    result = runner.invoke(main, ["pack", "test", pack])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert "FAIL  demo ANSWER-30S: 29 s in time, 31 s late" in lines
    assert "        value: expected 0.75, got 0.5" in lines
    assert "ok    demo MEAN-WAIT: the mean of 10 and 40 is 25" in lines


def test_a_malformed_test_file_is_one_located_line_and_exit_2(runner, tmp_path) -> None:
    pack = _write(tmp_path, CASES.replace("expect: {value: 25.0, n: 2}", "expect: {valu: 25.0}"))
    result = runner.invoke(main, ["pack", "test", pack])
    assert result.exit_code == 2
    assert (
        "demo.tests.yaml:22:14: unknown expectation 'valu'; did you mean 'value'?" in result.output
    )


def test_pack_check_reads_a_test_file_without_running_it(runner) -> None:
    tests = [str(p.with_name(p.stem + ".tests.yaml")) for p in SHIPPED_PACKS]
    result = runner.invoke(main, ["pack", "check", *map(str, SHIPPED_PACKS), *tests])
    assert result.exit_code == 0, result.output
    assert f"{len(tests)} of {len(tests)} test file(s) valid" in result.output
