"""Ingest benchmark: 1,000,000 call records from CSV into a fresh store.

Targets (issue 3): at most 10 s wall and 500 MB peak memory on a 2-core machine.
The file is generated first (not timed); the ingest runs in a child process so
that its own peak resident memory can be read.

    .venv/bin/python benchmarks/ingest.py [--records N]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generate(path: Path, records: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 7, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "interaction_id",
                "channel",
                "site",
                "agent_id",
                "received_at",
                "answered_at",
                "ended_at",
            ]
        )
        for n in range(records):
            received = start + timedelta(seconds=rng.randrange(92 * 86400))
            wait = rng.expovariate(1 / 14)
            answered = received + timedelta(seconds=wait)
            ended = answered + timedelta(seconds=rng.randrange(30, 900))
            writer.writerow(
                [
                    f"I{n:08d}",
                    "phone" if rng.random() < 0.7 else "chat",
                    rng.choice(("BJ", "SH", "GZ")),
                    f"A{rng.randrange(60):03d}",
                    received.strftime("%Y-%m-%d %H:%M:%S"),
                    answered.strftime("%Y-%m-%d %H:%M:%S") if wait < 100 else "",
                    ended.strftime("%Y-%m-%d %H:%M:%S"),
                ]
            )


CHILD = """
import sys, time
from pathlib import Path
from auditor.pack import load_pack
from auditor.backends.store import EvidenceStore
from auditor.ingest import ingest
pack = load_pack(Path(sys.argv[1]) / "rules" / "service-quality.yaml")
store = EvidenceStore(sys.argv[3])
started = time.perf_counter()
report = ingest(pack, sys.argv[2], store)
elapsed = time.perf_counter() - started
store.close()
f = report.files[0]
print(f"{elapsed:.3f} {f.rows_read} {f.stored} {f.quarantined}")
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "evidence"
        folder.mkdir()
        data = folder / "interactions.csv"
        t0 = time.perf_counter()
        generate(data, args.records)
        print(
            f"generated {args.records:,} records ({data.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s"
        )
        wall0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT), str(folder), str(Path(tmp) / "audit.db")],
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - wall0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        ingest_s, read, stored, quarantined = out.stdout.split()
        print(f"rows read {int(read):,}, stored {int(stored):,}, quarantined {int(quarantined):,}")
        print(
            f"ingest: {float(ingest_s):.2f} s ({int(read) / float(ingest_s):,.0f} rows/s); process wall {wall:.2f} s (target <= 10 s)"
        )
        print(f"peak memory of the ingest process: {peak_mb:.0f} MB (target <= 500 MB)")


if __name__ == "__main__":
    main()
