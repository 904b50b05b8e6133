"""Live-monitoring benchmark: events through `watch` with the service-quality pack.

Targets (issue 6): at least 20,000 events/s; alert latency (event read to alert
written) as median and 99th percentile; peak memory under 1 GB while
2,000,000 events pass. Events are generated on the fly (not held in memory);
the watch runs in a child process so that its own peak memory is read.

    .venv/bin/python benchmarks/watch.py [--events N]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generate(path: Path, events: int) -> None:
    rng = random.Random(1)
    moment = datetime(2026, 7, 1)
    fmt = "%Y-%m-%d %H:%M:%S"
    with path.open("w", encoding="utf-8") as out:
        for n in range(events):
            moment += timedelta(seconds=rng.expovariate(1 / 2.0))
            if rng.random() < 0.9:
                wait = rng.expovariate(1 / 14)
                answered = moment + timedelta(seconds=wait) if wait < 150 else None
                item = {
                    "kind": "interactions", "interaction_id": f"I{n:08d}",
                    "channel": "phone" if rng.random() < 0.7 else "chat", "site": "BJ",
                    "agent_id": "A1" if rng.random() > 0.003 else None, "received_at": moment.strftime(fmt),
                    "answered_at": answered.strftime(fmt) if answered else None,
                    "ended_at": (moment + timedelta(seconds=300)).strftime(fmt),
                }  # fmt: skip
            else:
                solved = moment + timedelta(hours=rng.expovariate(1 / 2))
                item = {
                    "kind": "tickets", "ticket_id": f"T{n:08d}", "category": "technical", "site": "SH",
                    "opened_at": moment.strftime(fmt), "first_solution_at": solved.strftime(fmt), "status": "closed",
                }  # fmt: skip
            out.write(json.dumps(item) + "\n")


CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from auditor.pack import load_pack
from auditor.live import Watcher, read_lines

pack = load_pack(sys.argv[1] + "/rules/service-quality.yaml")
latencies = []
read_at = [0.0]

def sink(alert):
    latencies.append(time.perf_counter() - read_at[0])

def lines(path):
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            read_at[0] = time.perf_counter()
            yield line

watcher = Watcher(pack, sink, remember=False)
began = time.perf_counter()
read_lines(lines(sys.argv[2]), watcher)
watcher.finish()
events = watcher.counts.events
elapsed = time.perf_counter() - began
latencies.sort()
print(json.dumps({"events": events, "seconds": elapsed, "alerts": len(latencies),
                  "median_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
                  "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else None,
                  "collisions": watcher.counts.collisions}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        generate(path, args.events)
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT), str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
    result = json.loads(out.stdout)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rate = result["events"] / result["seconds"]
    print(
        f"{result['events']:,} events in {result['seconds']:.1f} s: {rate:,.0f} events/s (target >= 20,000); process wall {wall:.1f} s"
    )
    print(
        f"{result['alerts']:,} alerts; latency from event read to alert written: median {result['median_ms']:.3f} ms, 99th percentile {result['p99_ms']:.3f} ms"
    )
    print(
        f"peak memory of the watch process: {peak:.0f} MB (target < 1,024 MB); identity collisions re-posted: {result['collisions']}"
    )


if __name__ == "__main__":
    main()
