"""Engines benchmark: a large contact centre's quarter audited end to end on each engine.

One seeded generator writes interactions (``--records``), tickets and surveys
(a tenth as many each) as plain CSV, the way a contact-centre system exports
them. Then, for each engine, in separate processes (so that each one's peak
resident memory is its own):

- ingest: ``auditor evidence ingest`` into a fresh store (wall, peak RSS; for
  DuckDB ``--engine duckdb``, so that the store keeps its records in DuckDB as
  an audit on DuckDB does);
- evaluation: every rule of the service-quality pack over that store with the
  engine (wall; DuckDB evaluates the records where they are);
- total: ``auditor audit --format json`` from the CSV files (wall, peak RSS);

and, as the reference measured in the same run, hand-written DuckDB SQL that
reads the same CSV files and computes the same pooled figures (six rules). The
engine's pooled figures are checked against the hand-written ones, and the
engines against each other. Medians of ``--runs`` interleaved runs.
``--engines sqlite,duckdb,spark`` adds Spark (pyspark and Java installed; its
evaluation includes starting the JVM and exporting the store as Parquet, and
its peak memory is the Python process's only, the JVM's is not counted).

    .venv/bin/python benchmarks/engines.py [--records 1000000] [--runs 3] [--engines sqlite,duckdb]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "rules" / "service-quality.yaml"
PERIOD = "2026-Q3"
#: 2026-Q3 in Asia/Shanghai local time, the pack's zone (no DST), as naive timestamps
START, END = "2026-07-01 00:00:00", "2026-10-01 00:00:00"


# ------------------------------------------------------------ the evidence


def generate(folder: Path, records: int, seed: int = 1) -> dict[str, int]:
    """interactions.csv, tickets.csv and surveys.csv for 2026-Q3 (and a few days either side)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(seed)
    base = np.datetime64("2026-06-28T00:00:00", "s")
    span = 100 * 86400

    def stamp(seconds, mask=None):
        values = pa.array(base + seconds.astype("timedelta64[s]"), type=pa.timestamp("s"))
        text = pc.strftime(values, format="%Y-%m-%d %H:%M:%S")
        if mask is not None:
            text = pc.if_else(pa.array(mask), text, "")
        return text

    def ids(prefix, n):
        return pc.binary_join_element_wise(prefix, pc.cast(pa.array(np.arange(n)), pa.string()), "")

    def pick(options, n, weights):
        return pa.array(np.array(options)[rng.choice(len(options), n, p=weights)])

    def write(name, columns):
        table = pa.table(columns)
        options = pcsv.WriteOptions(quoting_style="none")
        pcsv.write_csv(table, folder / name, write_options=options)

    n = records
    received = rng.integers(0, span, n)
    wait = rng.exponential(14, n).astype(np.int64)
    answered = wait < 200
    talk = rng.integers(30, 900, n)
    write(
        "interactions.csv",
        {
            "interaction_id": ids("I", n),
            "channel": pick(["phone", "chat", "email"], n, [0.7, 0.25, 0.05]),
            "site": pick(["BJ", "SH", "GZ", "CD"], n, [0.3, 0.3, 0.2, 0.2]),
            "agent_id": pc.if_else(
                pa.array(answered & (rng.random(n) > 0.01)),
                ids("A", 600).take(pa.array(rng.integers(0, 600, n))),
                "",
            ),
            "received_at": stamp(received),
            "answered_at": stamp(received + wait, answered),
            "ended_at": stamp(received + np.where(answered, wait, 3) + talk),
        },
    )
    t = records // 10
    opened = rng.integers(0, span, t)
    first = opened + rng.exponential(3 * 3600, t).astype(np.int64)
    closed = first + rng.exponential(2 * 86400, t).astype(np.int64)
    has_category = rng.random(t) > 0.02
    write(
        "tickets.csv",
        {
            "ticket_id": ids("T", t),
            "category": pc.if_else(
                pa.array(has_category),
                pick(["technical", "billing", "account", "general"], t, [0.4, 0.3, 0.2, 0.1]),
                "",
            ),
            "site": pick(["BJ", "SH", "GZ", "CD"], t, [0.3, 0.3, 0.2, 0.2]),
            "opened_at": stamp(opened),
            "first_solution_at": stamp(first, rng.random(t) > 0.05),
            "closed_at": stamp(closed, rng.random(t) > 0.1),
            "status": pick(
                ["open", "waiting_customer", "resolved", "closed"], t, [0.02, 0.01, 0.37, 0.6]
            ),
        },
    )
    s = records // 10
    write(
        "surveys.csv",
        {
            "survey_id": ids("S", s),
            "site": pick(["BJ", "SH", "GZ", "CD"], s, [0.3, 0.3, 0.2, 0.2]),
            "channel": pick(["phone", "chat", "email"], s, [0.7, 0.25, 0.05]),
            "answered_at": stamp(rng.integers(0, span, s)),
            "csat": pc.if_else(
                pa.array(rng.random(s) > 0.1),
                pc.cast(
                    pa.array(rng.choice(5, s, p=[0.03, 0.04, 0.1, 0.33, 0.5]) + 1), pa.string()
                ),
                "",
            ),
            "nps_score": pc.cast(pa.array(rng.integers(0, 11, s)), pa.string()),
        },
    )
    return {"interactions": n, "tickets": t, "surveys": s}


# ------------------------------------------------------------ the reference

HAND = {
    # answered within 30 s, of phone calls in the period (abandoned within 5 s left out)
    "RESP-PHONE-30S": """
        SELECT count(*) FILTER (WHERE answered_at IS NOT NULL AND answered_at < e AND answered_at - received_at <= INTERVAL 30 SECOND),
               count(*) FILTER (WHERE NOT (answered_at IS NOT NULL AND answered_at < e AND answered_at - received_at <= INTERVAL 30 SECOND)
                                AND (answered_at < e OR e - received_at > INTERVAL 30 SECOND))
        FROM (SELECT *, TIMESTAMP '{END}' AS e FROM read_csv('{DIR}/interactions.csv', types={{'agent_id': 'VARCHAR'}}))
        WHERE channel = 'phone' AND received_at >= TIMESTAMP '{START}' AND received_at < e
          AND NOT (answered_at IS NULL AND ended_at - received_at < INTERVAL 5 SECOND)""",
    "RESP-CHAT-1MIN": """
        SELECT count(*) FILTER (WHERE answered_at IS NOT NULL AND answered_at < e AND answered_at - received_at <= INTERVAL 60 SECOND),
               count(*) FILTER (WHERE NOT (answered_at IS NOT NULL AND answered_at < e AND answered_at - received_at <= INTERVAL 60 SECOND)
                                AND (answered_at < e OR e - received_at > INTERVAL 60 SECOND))
        FROM (SELECT *, TIMESTAMP '{END}' AS e FROM read_csv('{DIR}/interactions.csv', types={{'agent_id': 'VARCHAR'}}))
        WHERE channel = 'chat' AND received_at >= TIMESTAMP '{START}' AND received_at < e""",
    "RECORD-AGENT": """
        SELECT count(agent_id), count(*) - count(agent_id)
        FROM read_csv('{DIR}/interactions.csv', types={{'agent_id': 'VARCHAR'}})
        WHERE answered_at IS NOT NULL AND received_at >= TIMESTAMP '{START}' AND received_at < TIMESTAMP '{END}'""",
    "CLASSIFIED": """
        SELECT count(category), count(*) - count(category) FROM read_csv('{DIR}/tickets.csv')
        WHERE opened_at >= TIMESTAMP '{START}' AND opened_at < TIMESTAMP '{END}'""",
    "CLOSURE-95": """
        SELECT count(*) FILTER (WHERE status IN ('resolved', 'closed')),
               count(*) FILTER (WHERE status NOT IN ('resolved', 'closed'))
        FROM read_csv('{DIR}/tickets.csv')
        WHERE opened_at >= TIMESTAMP '{START}' AND opened_at < TIMESTAMP '{END}'""",
    "CSAT-Q-4.2": """
        SELECT count(csat), avg(csat) FROM read_csv('{DIR}/surveys.csv')
        WHERE csat IS NOT NULL AND answered_at >= TIMESTAMP '{START}' AND answered_at < TIMESTAMP '{END}'""",
}


def hand_sql(folder: Path) -> tuple[float, dict[str, tuple]]:
    """The reference: pooled figures straight from the CSV files, in DuckDB (all cores)."""
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    figures = {
        rule: con.execute(sql.format(DIR=folder, START=START, END=END)).fetchone()
        for rule, sql in HAND.items()
    }
    return time.perf_counter() - started, figures


# ------------------------------------------------------------ the engines


def run(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one child process, measured by the kernel."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    assert child.stdout is not None and child.stderr is not None
    out, err = child.stdout.read().decode(), child.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(command[2:])} failed ({code}): {err.strip()}")
    return wall, usage.ru_maxrss / 1024, out


EVALUATE = """
import json, sys, time
from pathlib import Path
from auditor.backends.engines import open_backend
from auditor.backends.store import EvidenceStore
from auditor.evaluate import evaluate
from auditor.pack import load_pack
from auditor.periods import parse_period
pack = load_pack(Path(sys.argv[1]))
store = EvidenceStore(sys.argv[2])
started = time.perf_counter()
results = evaluate(pack, open_backend(store, sys.argv[3]), parse_period(sys.argv[4]))
seconds = time.perf_counter() - started
pooled = {}
for r in results:
    if r.findings and r.findings[0].counts is not None:
        c = r.findings[0].counts
        pooled[r.rule] = [c.n, getattr(c, "conforming", None), getattr(c, "breached", None), r.findings[0].value]
print(json.dumps({"seconds": seconds, "pooled": pooled}))
"""


def one_engine(engine: str, folder: Path, work: Path) -> dict:
    python = sys.executable
    store = work / f"{engine}.db"
    store.unlink(missing_ok=True)
    store.with_name(store.name + ".duckdb").unlink(missing_ok=True)
    # a store for DuckDB keeps its records in DuckDB (the audit's does too); Spark reads
    # the default store's tables exported as Parquet
    ingest_s, ingest_mb, _ = run(
        [python, "-m", "auditor", "evidence", "ingest", str(folder), "--pack", str(PACK),
         "--store", str(store), *(["--engine", "duckdb"] if engine == "duckdb" else [])]
    )  # fmt: skip
    _, _, out = run([python, "-c", EVALUATE, str(PACK), str(store), engine, PERIOD])
    evaluated = json.loads(out)
    out_dir = work / f"out-{engine}"
    total_s, total_mb, _ = run(
        [python, "-m", "auditor", "audit", str(PACK), str(folder), "--period", PERIOD,
         "--out", str(out_dir), "--format", "json", "--engine", engine, "--fail-on", "never",
         "--max-quarantine", "100%"]
    )  # fmt: skip
    size = (out_dir / "findings.json").stat().st_size
    store.unlink(missing_ok=True)
    return {
        "ingest": ingest_s,
        "ingest_mb": ingest_mb,
        "evaluation": evaluated["seconds"],
        "total": total_s,
        "total_mb": total_mb,
        "findings_mb": size / 1e6,
        "pooled": evaluated["pooled"],
    }


def check(pooled: dict, hand: dict) -> None:
    for rule, row in hand.items():
        n, conforming, breached, value = pooled[rule]
        if rule == "CSAT-Q-4.2":
            assert row[0] == n and abs(row[1] - value) < 1e-9, (rule, row, pooled[rule])
        else:
            assert (row[0], row[1]) == (conforming, breached), (rule, row, pooled[rule])


def in_child(function: Any, *args: Any) -> Any:
    """``function(*args)`` in a forked child process. Linux starts the peak memory of each
    program this process runs at this process's own peak (it counts the memory it shares at
    the moment the program starts), so the work that takes memory here (making the files,
    the hand-written SQL) is done in children, and this process stays small."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(function, *args).result()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engines", default="sqlite,duckdb")
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this folder")
    args = parser.parse_args()
    engines = args.engines.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = args.keep or work / "evidence"
        if not (folder / "interactions.csv").exists():
            folder.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            counts = in_child(generate, folder, args.records)
            print(f"generated {counts} in {time.perf_counter() - started:.1f} s", flush=True)
        mb = sum(f.stat().st_size for f in folder.glob("*.csv")) / 1e6
        print(f"{args.records:,} interactions + tickets + surveys, {mb:.0f} MB of CSV; "
              f"{args.runs} runs, medians; {os.cpu_count()} cores")  # fmt: skip
        runs: dict[str, list[dict]] = {e: [] for e in engines}
        hand_times: list[float] = []
        for _ in range(args.runs):
            seconds, hand = in_child(hand_sql, folder)
            hand_times.append(seconds)
            for engine in engines:
                result = one_engine(engine, folder, work)
                check(result["pooled"], hand)
                runs[engine].append(result)
                print(
                    f"  {engine}: {json.dumps({k: round(v, 2) for k, v in result.items() if k != 'pooled'})}",
                    flush=True,
                )
        first = runs[engines[0]][0]["pooled"]
        for engine in engines:
            assert runs[engine][0]["pooled"] == first, f"{engine} disagrees with {engines[0]}"
        reference = statistics.median(hand_times)
        print(f"\nhand-written DuckDB SQL on the CSV files (reference): {reference:.2f} s")
        head = f"{'engine':<8}{'ingest s':>10}{'ingest MB':>11}{'eval s':>9}{'total s':>9}{'total MB':>10}{'total/ref':>11}{'findings MB':>13}"
        print(head)
        for engine in engines:
            med = {
                k: statistics.median(r[k] for r in runs[engine])
                for k in runs[engine][0]
                if k != "pooled"
            }
            print(
                f"{engine:<8}{med['ingest']:>10.2f}{med['ingest_mb']:>11.0f}{med['evaluation']:>9.2f}"
                f"{med['total']:>9.2f}{med['total_mb']:>10.0f}{med['total'] / reference:>10.1f}x{med['findings_mb']:>13.2f}"
            )
        print(
            "every engine's pooled figures equal the hand-written SQL's on six rules, and each other's"
        )


if __name__ == "__main__":
    main()
