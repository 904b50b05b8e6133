"""`auditor pack check` as a user runs it."""

from __future__ import annotations

from auditor.cli import main

from ..conftest import SHIPPED_PACKS, STANDARDS, TEST_PACKS


def test_shipped_packs_are_valid_and_coverage_is_listed(runner) -> None:
    packs = [str(p) for p in SHIPPED_PACKS]
    result = runner.invoke(main, ["pack", "check", *packs])
    assert result.exit_code == 0, result.output
    assert "coverage of service-quality-standard" in result.output
    assert "coverage of special-service-monitoring" in result.output
    assert "auditor's judgement" in result.output
    assert "RESP-PHONE-30S" in result.output
    assert f"{len(packs)} of {len(packs)} pack(s) valid" in result.output


def test_broken_pack_exits_2_with_one_line_and_no_traceback(runner) -> None:
    path = TEST_PACKS / "broken" / "unknown-field.yaml"
    result = runner.invoke(main, ["pack", "check", "--standards", str(STANDARDS), str(path)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert f"{path}:20:" in errors[0]
    assert "did you mean 'answered_at'?" in errors[0]
    assert "Traceback" not in result.output + result.stderr


def test_an_unknown_time_zone_is_one_line_with_the_closest_name_case_aside(
    runner, write_pack
) -> None:
    """``europe/lodnon``: the closest IANA name compared case aside is Europe/London (compared
    as written, Europe/Tallinn is)."""
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    path = write_pack(text.replace("timezone: Asia/Shanghai", "timezone: europe/lodnon"))
    result = runner.invoke(main, ["pack", "check", "--standards", str(STANDARDS), str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}:4:11: unknown time zone 'europe/lodnon'; did you mean 'Europe/London'?"
    ]


def test_missing_file_is_one_clear_line(runner, tmp_path) -> None:
    result = runner.invoke(main, ["pack", "check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_working_folder_removed_under_the_shell_is_one_clear_line(
    runner, tmp_path, monkeypatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    result = runner.invoke(main, ["pack", "check", str(SHIPPED_PACKS[0])])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: the working folder no longer exists; "
        "change to a folder that does (cd) and run the command again"
    ]


def test_every_broken_pack_exits_2(runner) -> None:
    for path in sorted((TEST_PACKS / "broken").glob("*.yaml")):
        result = runner.invoke(
            main, ["pack", "check", "-q", "--standards", str(STANDARDS), str(path)]
        )
        assert result.exit_code == 2, path.name
        assert result.exception is None or isinstance(result.exception, SystemExit), path.name


def test_a_valid_and_a_broken_pack_together_exit_2(runner) -> None:
    result = runner.invoke(
        main,
        [
            "pack",
            "check",
            "--standards",
            str(STANDARDS),
            str(TEST_PACKS / "valid-minimal.yaml"),
            str(TEST_PACKS / "broken" / "bad-yaml.yaml"),
        ],
    )
    assert result.exit_code == 2
    assert "1 of 2 pack(s) valid" in result.output


def test_version(runner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and "auditor" in result.output


def _checked_with(runner, write_pack, old: str, new: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The lines `pack check` prints for the minimal pack with ``old`` replaced by ``new``."""
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    path = write_pack(text.replace(old, new))
    result = runner.invoke(main, ["pack", "check", "--standards", str(STANDARDS), str(path)])
    assert result.exit_code == 2
    return [line.replace(str(path), "PACK") for line in result.stderr.splitlines()]


DURATION = "duration: {from: received_at, to: answered_at, max: 30s}"


def test_an_unknown_key_of_a_rule_without_a_measure_is_not_called_a_key_it_has(
    runner, write_pack
) -> None:
    """``average:`` for ``mean:``: no measure's name is close, and 'target' (the old
    suggestion) is a key the rule already has; the rule is told it has no measure."""
    assert _checked_with(runner, write_pack, DURATION, "average: {of: answered_at}") == [
        "error: PACK:19:5: unknown key 'average' in rule RESP-PHONE-30S; the rule has no "
        "measure: give one of availability, condition, control_chart, dispersion, duration, "
        "every, fresh, manual, matched, mean, nps, per_1000, percentile, repeat_contact, "
        "sequence, trend"
    ]  # in the order of their names, whichever measure module was imported first


def test_a_misspelt_measure_is_offered_the_measure(runner, write_pack) -> None:
    assert _checked_with(runner, write_pack, DURATION, "maen: {of: answered_at}") == [
        "error: PACK:19:5: unknown key 'maen' in rule RESP-PHONE-30S; did you mean 'mean'?"
    ]


def test_an_unknown_key_is_never_offered_a_key_the_rule_has(runner, write_pack) -> None:
    assert _checked_with(
        runner, write_pack, "    target: 90%\n", "    target: 90%\n    targte: 90%\n"
    ) == ["error: PACK:21:5: unknown key 'targte' in rule RESP-PHONE-30S"]
