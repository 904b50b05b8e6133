"""An option's value given wrong names the closest one the option takes."""

from __future__ import annotations

from auditor.cli import main

from ..conftest import ROOT, RULES


def test_a_format_given_wrong_names_the_closest(runner, tmp_path) -> None:
    evidence = ROOT / "evidence" / "demo" / "service-quality"
    cases = {
        ("diff", "old", "new", "--format", "jsn"): "error: Invalid value for '--format': 'jsn' "
        "is not one of 'table', 'json'; did you mean 'json'? (see 'auditor diff --help')",
        ("capa", "list", "--format", "JSON"): "error: Invalid value for '--format': 'JSON' is "
        "not one of 'table', 'csv', 'json'; did you mean 'json'? (see 'auditor capa list --help')",
        ("audit", str(RULES / "service-quality.yaml"), str(evidence), "--out", str(tmp_path),
         "--format", "json,jsn"): "error: Invalid value for --format: unknown format 'jsn' "
        "(formats: json, html, pdf, csv, xlsx, junit, oscal); did you mean 'json'? "
        "(see 'auditor audit --help')",
        ("diff", "old", "new", "--format", "zzz"): "error: Invalid value for '--format': 'zzz' "
        "is not one of 'table', 'json'. (see 'auditor diff --help')",  # nothing close
    }  # fmt: skip
    for args, line in cases.items():
        result = runner.invoke(main, list(args), prog_name="auditor")
        assert (result.exit_code, result.output) == (2, line + "\n"), args
    assert not any(tmp_path.iterdir())  # refused before the audit ran
