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
