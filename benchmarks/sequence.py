"""Sequence benchmark: a batch audit of 1,000,000 complaint events with a three-step rule.

Target (issue 6): at most 10 s and under 1 GB. The events go straight into a
store (not timed); the evaluation is the audit's own.

    .venv/bin/python benchmarks/sequence.py [--events N]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _generated import generated_file  # noqa: E402

from auditor.backends.store import EvidenceStore  # noqa: E402
from auditor.evaluate import evaluate  # noqa: E402
from auditor.pack import load_pack  # noqa: E402
from auditor.periods import parse_period  # noqa: E402

PACK = ROOT / "tests" / "packs" / "sequence.yaml"


def fill(store: EvidenceStore, pack, events: int) -> int:
    rng = random.Random(1)
    kind = pack.evidence["complaint_events"]
    store.ensure_kind(kind)
    start = datetime(2026, 2, 1, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    rows = []
    with store.transaction():
        source = generated_file(store, "bench", kind.name, events)
        case = 0
        while len(rows) < events:
            received = start + rng.random() * 27 * 86400
            ack = received + rng.expovariate(1 / (8 * 3600))
            resolved = received + rng.expovariate(1 / (2 * 86400))
            for step, at in (("received", received), ("acknowledged", ack), ("resolved", resolved)):
                if rng.random() < 0.97:
                    rows.append(
                        (f"CP{case:07d}", step, at, rng.choice("ABC"), source, len(rows) + 2)
                    )
            case += 1
        store.insert_records(kind, list(kind.fields), rows[:events])
    return case


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    pack = load_pack(PACK, [ROOT / "standards"])
    with tempfile.TemporaryDirectory() as tmp:
        store = EvidenceStore(Path(tmp) / "audit.db")
        cases = fill(store, pack, args.events)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        results = evaluate(pack, store, parse_period("2026-02"))
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        handling = next(r for r in results if r.rule == "HANDLING").findings[0]
        c = handling.counts
        print(
            f"{args.events:,} events in {cases:,} cases; sequence rules evaluated in {elapsed:.2f} s (target <= 10 s)"
        )
        print(
            f"  HANDLING: {c.conforming:,} met, {c.breached:,} breached, {c.pending:,} pending, {c.excluded:,} excluded; {handling.details.get('breaches_by_step')}"
        )
        print(
            f"peak memory of the process: {peak:.0f} MB (target < 1,024 MB; {before:.0f} MB before the evaluation)"
        )
        store.close()


if __name__ == "__main__":
    main()
