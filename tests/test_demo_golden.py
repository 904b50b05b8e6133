"""The demo audits' figures stay what they were when first checked by hand.

``tests/golden/demo-<pack>.json`` holds, for every finding of each demo audit,
its verdict, severity, counts, value, interval, failing count, shortfall, unit
and exclusions. Wording may change; these may not, unless a change is meant
(then regenerate the golden file and say why in CHANGELOG.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.audit import run_audit

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
FIELDS = (
    "verdict",
    "severity",
    "counts",
    "value",
    "interval",
    "failing_count",
    "shortfall",
    "unit",
    "excluded_by_reason",
)


def figures(document: dict) -> dict:
    return {
        rule["rule"]: {
            "verdict": rule["verdict"],
            "verdict_severity": rule["verdict_severity"],
            "findings": {f["id"]: {k: f[k] for k in FIELDS} for f in rule["findings"]},
        }
        for rule in document["rules"]
    }


@pytest.mark.parametrize("pack", ["service-quality", "special-service-monitoring"])
def test_demo_figures_match_the_golden_copy(pack: str, tmp_path: Path) -> None:
    result = run_audit(
        ROOT / "rules" / f"{pack}.yaml", ROOT / "evidence" / "demo" / pack, tmp_path, "2026-Q3"
    )
    golden = json.loads((GOLDEN / f"demo-{pack}.json").read_text(encoding="utf-8"))
    got = json.loads(json.dumps(figures(result.document)))
    assert got.keys() == golden.keys()
    for rule, expected in golden.items():
        assert got[rule] == expected, rule
