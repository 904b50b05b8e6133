"""Engines benchmark: the service-quality pack evaluated on each engine over the same store.

For each engine the wall time of a whole evaluation (for DuckDB: the Arrow
copy of the store into DuckDB, then every rule), beside the reference measured
in the same run: the pooled figures of six rules written by hand in DuckDB SQL
over the same data. The engines are checked to agree with each other, and the
hand-written figures with the engine's pooled counts. Medians of --runs runs,
interleaved.

    .venv/bin/python benchmarks/engines.py [--records N] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from evaluate import HAND, fill  # noqa: E402

from auditor.backends.engines import open_backend  # noqa: E402
from auditor.backends.store import EvidenceStore  # noqa: E402
from auditor.evaluate import evaluate  # noqa: E402
from auditor.pack import load_pack  # noqa: E402
from auditor.periods import parse_period  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
ENGINES = ("sqlite", "duckdb")


def pooled(results) -> dict[str, tuple]:
    return {r.rule: (r.findings[0].counts.n, r.findings[0].value) for r in results}


def timed(callable_):
    started = time.perf_counter()
    out = callable_()
    return time.perf_counter() - started, out


def run_all(duck, statements: dict[str, str], params: dict) -> dict[str, tuple]:
    return {rule: duck.con.execute(sql, params).fetchone() for rule, sql in statements.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    pack = load_pack(ROOT / "rules" / "service-quality.yaml")
    period = parse_period("2026-Q3")
    params = {"start": period.start(ZONE), "end": period.end(ZONE)}
    with tempfile.TemporaryDirectory() as tmp:
        store = EvidenceStore(Path(tmp) / "audit.db")
        fill(store, pack, args.records)
        print(f"{args.records:,} records ({args.runs} runs, medians)")
        times: dict[str, list[float]] = {e: [] for e in (*ENGINES, "duckdb hand SQL")}
        figures = {}
        for _ in range(args.runs):
            for engine in ENGINES:
                seconds, results = timed(
                    lambda e=engine: evaluate(pack, open_backend(store, e), period)
                )
                times[engine].append(seconds)
                figures[engine] = pooled(results)
            duck = open_backend(store, "duckdb")
            hand_sql = {
                rule: sql.replace(":start", "$start").replace(":end", "$end")
                for rule, sql in HAND.items()
            }
            seconds, hand = timed(lambda d=duck, h=hand_sql: run_all(d, h, params))
            times["duckdb hand SQL"].append(seconds)
        assert figures["duckdb"] == figures["sqlite"], "the engines disagree"
        for rule, row in hand.items():
            n, value = figures["sqlite"][rule]
            if rule == "CSAT-Q-4.2":
                assert row[0] == n and abs(row[1] - value) < 1e-9, (rule, row, n, value)
            else:
                assert row[0] + row[1] == n and abs(row[0] / n - value) < 1e-9, (
                    rule,
                    row,
                    n,
                    value,
                )
        reference = statistics.median(times["duckdb hand SQL"])
        print(f"{'engine':<18}{'median s':>10}{'x hand SQL':>12}")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:<18}{median:>10.2f}{median / reference:>12.1f}")
        print("engines agree on every rule's pooled count and value; hand SQL agrees on six rules")


if __name__ == "__main__":
    main()
