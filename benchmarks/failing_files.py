"""Failing-records files benchmark: N failing records written to failing-records.csv and
failing-records.parquet.

The writer (:func:`auditor.failing.write_failing_records`: typed Arrow row
groups, Parquet by pyarrow, the CSV formatted by DuckDB) beside, in the same run
on the same records, Python's ``csv`` module writing the same rows (each cell
through ``neutralise``, numbers as floats) as the reference; the two CSV files
are checked to be the same bytes. Also printed: the CPU seconds of the process
(every thread, DuckDB's included).

    .venv/bin/python benchmarks/failing_files.py [--records 1900000] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor import failing  # noqa: E402
from auditor.findings import Finding, RuleResult  # noqa: E402


def results(records: int, findings: int = 40, seed: int = 1) -> list[RuleResult]:
    """``records`` failing records over ``findings`` findings, shaped like an audit's."""
    rng = random.Random(seed)
    made = []
    per = records // findings
    for index in range(findings):
        count = per if index < findings - 1 else records - per * (findings - 1)
        site, month = "ABC"[index % 3], f"2026-{7 + index % 3:02d}"
        finding = Finding(
            id=f"RULE-{index % 7}@site={site}/{month}", rule=f"RULE-{index % 7}", clause="4.2",
            measure="duration", group={"site": site}, period=month, pooled=False,
            failing=[f"I{index:02d}{n:07d}" for n in range(count)],
            failing_values=[round(rng.expovariate(1 / 60), 3) for _ in range(count)],
            failing_notes=[
                {"problem": "late", "step": "", "over_seconds": round(rng.random() * 90, 3)}
                if rng.random() < 0.8 else None
                for _ in range(count)
            ],
            failing_sources=[{"file": "interactions.csv", "line": n + 2} for n in range(count)],
        )  # fmt: skip
        made.append(
            RuleResult(
                rule=finding.rule,
                clause="4.2",
                title_en="t",
                title_zh="t",
                measure="duration",
                severity="major",
                verdict="nonconforming",
                verdict_severity="major",
                judge="all",
                findings=[finding],
                capa={},
                failing_unit="seconds",
            )
        )
    return made


def python_csv(found: list[RuleResult], path: Path) -> None:
    """The reference: Python's csv module, one neutralise() per cell."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("\ufeff")
        writer = csv.writer(handle)
        writer.writerow(failing.COLUMNS)
        for result in found:
            for finding in result.findings:
                group = ", ".join(f"{k}={v}" for k, v in finding.group.items())
                for key, value, note, source in zip(
                    finding.failing, finding.failing_values, finding.failing_notes,
                    finding.failing_sources, strict=True,
                ):  # fmt: skip
                    note, source = note or {}, source or {}
                    over = note.get("over_seconds")
                    cells = [
                        result.rule, finding.id, key, group, finding.period,
                        None if value is None else float(value), result.failing_unit or "",
                        note.get("problem") or "", note.get("step") or "",
                        None if over is None else float(over), source.get("file") or "",
                        source.get("line"),
                    ]  # fmt: skip
                    writer.writerow([failing.neutralise(cell) for cell in cells])


def timed(run, runs: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of this process over ``runs`` runs."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_900_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    found = results(args.records)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        failing.write_failing_records(found[:1], folder)  # libraries loaded before timing
        writer = timed(lambda: failing.write_failing_records(found, folder), args.runs)
        reference = timed(lambda: python_csv(found, folder / "reference.csv"), args.runs)
        same = (folder / failing.FILE_NAME).read_bytes() == (folder / "reference.csv").read_bytes()
    print(f"{args.records:,} failing records, medians of {args.runs} runs")
    print(f"  writer (CSV and Parquet)        {writer[0]:6.2f} s wall  {writer[1]:6.2f} s CPU")
    print(
        f"  Python csv module, CSV only     {reference[0]:6.2f} s wall  {reference[1]:6.2f} s CPU"
    )
    print(f"  writer / reference: {writer[0] / reference[0]:.2f}x wall; CSV the same bytes: {same}")


if __name__ == "__main__":
    main()
