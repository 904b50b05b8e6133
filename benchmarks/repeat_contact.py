"""repeat_contact benchmark: first-contact resolution over a month of contacts, per engine.

Contacts (``--contacts``, spread over 2026-02-25..2026-04-06, a quarter of that
many customers, four matters, one in twenty contacts handled by an agent and
so outside the rule's ``where``) go straight into a store (not timed). Then,
for each engine, the rule FCR-MATTER (or ``--rule FCR-CUSTOMER``) of
``tests/packs/record-measures.yaml`` is evaluated alone (the DuckDB copy of the store is not timed), and beside it,
as the reference measured in the same run, plain Python works out the same
counts from the store's rows: the next possible repeat of each contact is the next
row of its customer and matter (customer alone) among the contacts that can be repeats. The
counts are checked against the reference. Medians of ``--runs`` runs.

With ``--lacking N``, N more contacts come from a second file that had no column for
the customer: each is excluded, and so is a contact with no known repeat that one of
them could repeat (same matter, or any, in its window), which the reference finds by a binary
search in each matter's such records.

    .venv/bin/python benchmarks/repeat_contact.py [--contacts 1000000] [--lacking 0] [--rule FCR-MATTER] [--runs 3] [--engines sqlite,duckdb]
"""

from __future__ import annotations

import argparse
import bisect
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _generated import generated_file  # noqa: E402

from auditor.backends.engines import open_backend  # noqa: E402
from auditor.backends.store import EvidenceStore  # noqa: E402
from auditor.evaluate.driver import Evaluation  # noqa: E402
from auditor.pack import load_pack  # noqa: E402
from auditor.periods import parse_period  # noqa: E402

PACK = ROOT / "tests" / "packs" / "record-measures.yaml"
RULES = ("FCR-MATTER", "FCR-CUSTOMER")
ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 1, tzinfo=ZONE).timestamp()
END = datetime(2026, 4, 1, tzinfo=ZONE).timestamp()
WITHIN = 7 * 86400


def fill(store: EvidenceStore, pack, contacts: int, lacking: int = 0, seed: int = 1) -> None:
    """The contacts in one file with every column, and ``lacking`` more (keys L...) in a file
    with no customer_id column."""
    rng = random.Random(seed)
    kind = pack.evidence["interactions"]
    store.ensure_kind(kind)
    first = datetime(2026, 2, 25, tzinfo=ZONE).timestamp()
    customers = max(1, contacts // 4)
    values = {
        "interaction_id": lambda n: f"I{n:08d}",
        "customer_id": lambda n: None if rng.random() < 0.01 else f"C{rng.randrange(customers)}",
        "category": lambda n: (
            None if rng.random() < 0.01 else rng.choice(["billing", "tech", "account", "other"])
        ),
        "channel": lambda n: "phone",
        "agent_id": lambda n: "G1" if rng.random() < 0.05 else None,
        "received_at": lambda n: float(int(first + rng.random() * 40 * 86400)),
    }
    names = list(kind.fields)
    with store.transaction():
        source = generated_file(store, "bench", kind.name, contacts)
        rows = [
            (*(values[name](n) if name in values else None for name in names), source, n + 2)
            for n in range(contacts)
        ]
        store.insert_records(kind, names, rows)
        if lacking:
            read = [name for name in names if name != "customer_id"]
            source = generated_file(store, "bench-no-customer", kind.name, lacking, read)
            values["interaction_id"] = lambda n: f"L{n:08d}"
            values["customer_id"] = lambda n: None
            rows = [
                (*(values[name](n) if name in values else None for name in names), source, n + 2)
                for n in range(lacking)
            ]
            store.insert_records(kind, names, rows)


def reference(store_path: Path, rule: str) -> tuple[float, dict[str, int]]:
    """The rule's counts worked out in plain Python from the store's rows (reading them included)."""
    import sqlite3

    started = time.perf_counter()
    with sqlite3.connect(store_path) as connection:
        rows = connection.execute(
            "SELECT interaction_id, customer_id, category, received_at FROM interactions "
            "WHERE agent_id IS NULL"  # the rule's where
        ).fetchall()
    by_matter = rule == "FCR-MATTER"
    counts = dict.fromkeys(["conforming", "breached", "pending", "excluded"], 0)
    repeats = sorted(
        (customer, matter if by_matter else "", at, key)
        for key, customer, matter, at in rows
        if customer is not None and (matter is not None or not by_matter) and at < END
    )
    unknown: dict[str, list[tuple[float, str]]] = {}  # per matter, records of no customer column
    for key, _, matter, at in sorted(rows, key=lambda row: (row[3], row[0])):
        if key.startswith("L") and (matter is not None or not by_matter) and at < END:
            unknown.setdefault(matter if by_matter else "", []).append((at, key))
    for i, (customer, matter, at, key) in enumerate(repeats):
        if at < START:
            continue
        following = repeats[i + 1] if i + 1 < len(repeats) else None
        maybe = unknown.get(matter, [])
        after = bisect.bisect_right(maybe, (at, key))
        if (
            following is not None
            and following[:2] == (customer, matter)
            and following[2] <= at + WITHIN
        ):
            counts["breached"] += 1
        elif after < len(maybe) and maybe[after][0] <= at + WITHIN:
            counts["excluded"] += 1
        elif at + WITHIN >= END:
            counts["pending"] += 1
        else:
            counts["conforming"] += 1
    counts["excluded"] += sum(
        1 for _, c, m, at in rows if START <= at < END and (c is None or (m is None and by_matter))
    )
    return time.perf_counter() - started, counts


def evaluate_once(
    pack, store: EvidenceStore, engine: str, rule: str
) -> tuple[float, dict[str, int]]:
    evaluation = Evaluation(pack, open_backend(store, engine), parse_period("2026-03"))
    started = time.perf_counter()
    result = evaluation.evaluate(pack.rule(rule))
    seconds = time.perf_counter() - started
    c = result.findings[0].counts
    counts = {
        "conforming": c.conforming,
        "breached": c.breached,
        "pending": c.pending,
        "excluded": c.excluded,
    }
    return seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--lacking", type=int, default=0)
    parser.add_argument("--rule", choices=RULES, default=RULES[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engines", default="sqlite,duckdb")
    args = parser.parse_args()
    pack = load_pack(PACK, [ROOT / "standards"])
    engines = args.engines.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.db"
        store = EvidenceStore(path)
        fill(store, pack, args.contacts, args.lacking)
        times: dict[str, list[float]] = {name: [] for name in ["python", *engines]}
        expected: dict[str, int] = {}
        for _ in range(args.runs):
            seconds, expected = reference(path, args.rule)
            times["python"].append(seconds)
            for engine in engines:
                seconds, counts = evaluate_once(pack, store, engine, args.rule)
                assert counts == expected, (engine, counts, expected)
                times[engine].append(seconds)
        store.close()
    ref = statistics.median(times["python"])
    lacking = f" + {args.lacking:,} without customer_id" if args.lacking else ""
    print(f"{args.contacts:,} contacts{lacking}; {args.rule}: {expected}")
    print(f"{'':8} {'median s':>9} {'runs':>24} {'/ python':>9}")
    for name, runs in times.items():
        median = statistics.median(runs)
        shown = " ".join(f"{r:.2f}" for r in runs)
        print(f"{name:8} {median:9.2f} {shown:>24} {median / ref:8.1f}x")


if __name__ == "__main__":
    main()
