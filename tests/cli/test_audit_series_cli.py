"""The console table of an audit with a trend rule: the slope says per what."""

from __future__ import annotations

from auditor.cli import main

from ..series_pack import PACK, rule
from ..test_measure_trend import months


def test_the_console_gives_a_trend_per_period(runner, write_pack, tmp_path) -> None:
    body = "    evidence: calls\n    trend: {of: ANSWERED, per: month, periods: 4}\n"
    path = write_pack(PACK + rule("TREND", body + "    target: no-decline\n"))
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "calls.csv").write_text(months([19, 17, 16, 13])["calls.csv"], encoding="utf-8")
    (folder / "reviews.csv").write_text("review_id,kind,held_on\n", encoding="utf-8")
    result = runner.invoke(
        main, ["audit", str(path), str(folder), "--period", "2026-07", "--out", str(tmp_path / "out"),
               "--format", "json", "--fail-on", "never"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("TREND"))
    assert "-9.50 pp per month" in line
