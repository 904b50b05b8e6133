"""Calendar look-up benchmark: open seconds of a business calendar up to each of N moments.

The engine's look-up (:meth:`auditor.business_time.CalendarTable.cumulative_sql`,
two correlated subqueries on the day-bucketed table, rendered for each engine)
beside, in the same run on the same moments, hand-written DuckDB SQL that finds
each moment's stretch with an ``ASOF JOIN`` (DuckDB only; not portable SQL),
and beside the stretch look-up by range alone (every stretch starting at or
before the moment and within ``reach`` of it: the engine's look-up before day
buckets). All three are checked to give the same total.

    .venv/bin/python benchmarks/calendar_lookup.py [--moments 250000] [--runs 3]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sqlite3
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.backends.statement import Statement  # noqa: E402
from auditor.business_time import BusinessClock, CalendarTable  # noqa: E402
from auditor.pack import load_pack  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")


def by_range(table: CalendarTable, rows: list[tuple[float, float, float]], moment: str) -> str:
    """The look-up by range alone, on the table of stretches (name ``table.name``)."""
    starts = sorted(row[0] for row in rows)
    reach = max(b - a for a, b in itertools.pairwise(starts)) + 1
    low = f"MIN({moment}, {starts[-1]}) - {reach}"
    where = f"c.start <= {moment} AND c.start > {low}"
    offset = f"(SELECT MIN(c.before - c.start) FROM {table.name} AS c WHERE {where})"
    closed = f'(SELECT MAX(c.before + (c."end" - c.start)) FROM {table.name} AS c WHERE {where})'
    return f"COALESCE(MIN({moment} + {offset}, {closed}), 0)"


def timed(run, runs: int) -> tuple[float, float]:
    times, total = [], None
    for _ in range(runs):
        started = time.perf_counter()
        total = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), float(total or 0)


def main() -> None:
    import duckdb

    parser = argparse.ArgumentParser()
    parser.add_argument("--moments", type=int, default=250_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    pack = load_pack(ROOT / "rules" / "service-quality.yaml")
    clock = BusinessClock(pack.calendars["office"], ZONE, date(2025, 6, 1), date(2026, 12, 31))
    rows = clock.rows()
    table = CalendarTable.of("cal", "cal_days", rows)
    rng = random.Random(1)
    start, span = clock.begin + 86400 * 300, 92 * 86400
    moments = [(start + rng.random() * span,) for _ in range(args.moments)]

    duck = duckdb.connect()
    duck.execute("SET enable_progress_bar = false")
    sqlite = sqlite3.connect(":memory:")
    for con in (duck, sqlite):
        con.execute('CREATE TABLE cal (start DOUBLE PRIMARY KEY, "end" DOUBLE, before DOUBLE)')
        con.executemany("INSERT INTO cal VALUES (?, ?, ?)", rows)
        con.execute(
            'CREATE TABLE cal_days (bucket DOUBLE, start DOUBLE, "end" DOUBLE, before DOUBLE, '
            "PRIMARY KEY (bucket, start))"
        )
        con.executemany("INSERT INTO cal_days VALUES (?, ?, ?, ?)", table.bucket_rows(rows))
        con.execute("CREATE TABLE m (t DOUBLE)")
        con.executemany("INSERT INTO m VALUES (?)", moments)

    def total_of(expression: str) -> Statement:
        return Statement(f"SELECT SUM({expression}) FROM m")

    engine = total_of(table.cumulative_sql("m.t"))
    ranged = total_of(by_range(table, rows, "m.t"))
    asof = (
        'SELECT SUM(c.before + LEAST(m.t - c.start, c."end" - c.start)) '
        "FROM m ASOF JOIN cal AS c ON m.t >= c.start"
    )
    figures = {
        "duckdb, engine (day buckets)": timed(
            lambda: duck.execute(engine.render("duckdb")).fetchone()[0], args.runs
        ),
        "duckdb, by range alone": timed(
            lambda: duck.execute(ranged.render("duckdb")).fetchone()[0], args.runs
        ),
        "duckdb, hand-written ASOF JOIN (reference)": timed(
            lambda: duck.execute(asof).fetchone()[0], args.runs
        ),
        "sqlite, engine (day buckets)": timed(
            lambda: sqlite.execute(engine.render("sqlite")).fetchone()[0], args.runs
        ),
        "sqlite, by range alone": timed(
            lambda: sqlite.execute(ranged.render("sqlite")).fetchone()[0], args.runs
        ),
    }
    reference = figures["duckdb, hand-written ASOF JOIN (reference)"]
    print(f"{args.moments:,} moments, calendar of {len(rows)} stretches, medians of {args.runs}")
    for name, (seconds, total) in figures.items():
        agrees = abs(total - reference[1]) <= 1e-6 * abs(reference[1])
        print(
            f"  {name:<44} {seconds:7.3f} s  {seconds / reference[0]:6.1f}x the reference"
            f"  same total: {agrees}"
        )


if __name__ == "__main__":
    main()
