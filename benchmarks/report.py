"""Report benchmark: render the demo report (HTML and PDF), then a 200-finding report.

Targets (issue 5): demo at most 15 s; 200 findings at most 60 s.

    .venv/bin/python benchmarks/report.py
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.audit import run_audit  # noqa: E402
from auditor.report import render_reports  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        result = run_audit(
            ROOT / "rules" / "service-quality.yaml",
            ROOT / "evidence" / "demo" / "service-quality",
            out / "demo",
            "2026-Q3",
        )
        document = result.document
        findings = sum(len(r["findings"]) for r in document["rules"])
        started = time.perf_counter()
        render_reports(document, out / "demo", ("html", "pdf"), "zh")
        demo_s = time.perf_counter() - started
        pages = (out / "demo" / "report.pdf").stat().st_size
        print(
            f"demo report: {len(document['rules'])} rules, {findings} findings, HTML + PDF in {demo_s:.1f} s (target <= 15 s), PDF {pages / 1e6:.2f} MB"
        )

        # A larger report: the rules repeated (with new ids) until there are 200 findings,
        # every copy a nonconformity so that each gets its own gap section and charts.
        big = copy.deepcopy(document)
        template = [r for r in document["rules"] if len(r["findings"]) > 1]
        big["rules"] = []
        count = 0
        copy_number = 0
        while count < 200:
            for rule in template:
                clone = copy.deepcopy(rule)
                clone["rule"] = f"{rule['rule']}-{copy_number}"
                clone["verdict"], clone["verdict_severity"] = "nonconform", "minor"
                for finding in clone["findings"]:
                    finding["id"] = finding["id"].replace(rule["rule"], clone["rule"], 1)
                big["rules"].append(clone)
                count += len(clone["findings"])
                if count >= 200:
                    break
            copy_number += 1
        started = time.perf_counter()
        render_reports(big, out / "big", ("html", "pdf"), "en")
        big_s = time.perf_counter() - started
        print(
            f"large report: {len(big['rules'])} rules, {count} findings, HTML + PDF in {big_s:.1f} s (target <= 60 s)"
        )


if __name__ == "__main__":
    main()
