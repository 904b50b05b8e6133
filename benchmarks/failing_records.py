"""Failing-records benchmark: writing failing-records.csv and .parquet for many failing records.

An audit of a large contact centre lists millions of failing records (about
1.9M at 10M interactions). One seeded generator makes ``--records`` of them, as
the evaluation hands them over (a key, a value, a note and a source per record,
split over findings by site and month), then writes the two files with
:func:`auditor.failing.write_failing_records`. The reference, measured in the
same run: the same rows, already made as tuples and as an Arrow table, written
by a bare ``csv.writer`` and ``pyarrow.parquet.write_table``, which is the
least any writer of these two files must spend. Medians of ``--runs`` runs.

    .venv/bin/python benchmarks/failing_records.py [--records 200000] [--runs 5]
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

from auditor.failing import COLUMNS, write_failing_records  # noqa: E402
from auditor.findings import Finding, RuleResult  # noqa: E402

SITES = ("BJ", "SH", "GZ", "CD")
MONTHS = ("2026-07", "2026-08", "2026-09")


def results(records: int, seed: int = 1) -> list[RuleResult]:
    """One rule's failing records, split over site x month findings (as the driver makes them)."""
    rng = random.Random(seed)
    cells = {(site, month): [] for site in SITES for month in MONTHS}
    for n in range(records):
        cells[rng.choice(SITES), rng.choice(MONTHS)].append(n)
    findings = [Finding("F-0", "R", "1", "share", {}, "2026-Q3", True)]
    for index, ((site, month), numbers) in enumerate(cells.items(), 1):
        over = [float(rng.randint(1, 600)) for _ in numbers]
        findings.append(
            Finding(
                f"F-{index}",
                "R",
                "1",
                "share",
                {"site": site},
                month,
                False,
                failing=[f"I{n}" for n in numbers],
                failing_values=[30.0 + o for o in over],
                failing_notes=[
                    {"problem": "late", "step": "answered", "over_seconds": o} for o in over
                ],
                failing_sources=[
                    {"file": "/data/interactions.csv", "line": n + 2} for n in numbers
                ],
            )
        )
    return [
        RuleResult(
            "R",
            "1",
            "answered in time",
            "按时应答",
            "share",
            "major",
            "nonconforming",
            "major",
            "all",
            findings,
            {},
            failing_unit="seconds",
        )
    ]


def reference(rows: list[tuple], folder: Path) -> float:
    """A bare csv.writer and a bare Parquet write of the same rows, made beforehand."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(COLUMNS)})
    started = time.perf_counter()
    with (folder / "plain.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    pq.write_table(table, folder / "plain.parquet")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    made = results(args.records)
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        write_failing_records(made, folder)  # once, to read the rows back for the reference
        with (folder / "failing-records.csv").open(encoding="utf-8-sig", newline="") as handle:
            rows = [tuple(row) for row in csv.reader(handle)][1:]
        assert len(rows) == args.records, (len(rows), args.records)
        ours, plain = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            write_failing_records(made, folder)
            ours.append(time.perf_counter() - started)
            plain.append(reference(rows, folder))
    mine, base = statistics.median(ours), statistics.median(plain)
    print(f"{args.records:,} failing records, medians of {args.runs} runs")
    print(f"write_failing_records (CSV + Parquet + SHA-256): {mine:.3f} s")
    print(f"reference (bare csv.writer + Parquet of ready rows): {base:.3f} s")
    print(f"ratio: {mine / base:.2f}x")


if __name__ == "__main__":
    main()
