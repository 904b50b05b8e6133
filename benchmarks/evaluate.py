"""Evaluation benchmark: the service-quality pack over 1,000,000 records.

Target (issue 4): evaluation (not ingest) at most 5 s. Printed beside the same
rules written by hand in plain SQL on the same store, as a ratio, and the two
are checked to give the same pooled counts.

    .venv/bin/python benchmarks/evaluate.py [--records N]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _generated import generated_file  # noqa: E402

from auditor.backends.store import EvidenceStore  # noqa: E402
from auditor.business_time import BusinessClock  # noqa: E402
from auditor.evaluate import evaluate  # noqa: E402
from auditor.pack import load_pack  # noqa: E402
from auditor.periods import parse_period  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 7, 1, tzinfo=ZONE).timestamp()
SPAN = 92 * 86400


def fill(store: EvidenceStore, pack, records: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    kinds = pack.evidence
    for kind in kinds.values():
        store.ensure_kind(kind)
    calls, tickets, surveys = (
        int(records * 0.8),
        int(records * 0.1),
        records - int(records * 0.8) - int(records * 0.1),
    )
    with store.transaction():
        source = generated_file(store, "bench", "interactions", calls)
        rows = []
        for n in range(calls):
            received = START + rng.random() * SPAN
            wait = rng.expovariate(1 / 12)
            answered = received + wait if wait < 200 else None
            ended = (answered or received + 200) + rng.random() * 600
            rows.append(
                (
                    f"I{n:08d}",
                    "phone" if rng.random() < 0.7 else "chat",
                    rng.choice("ABC"),
                    f"A{n % 90}" if rng.random() > 0.003 else None,
                    received,
                    answered,
                    ended,
                    source,
                    n + 2,
                )
            )
        store.insert_records(kinds["interactions"], list(kinds["interactions"].fields), rows)
        source = generated_file(store, "bench-t", "tickets", tickets)
        rows = []
        for n in range(tickets):
            opened = START + rng.random() * SPAN
            first = opened + rng.expovariate(1 / 7200)
            rows.append(
                (
                    f"T{n:07d}",
                    rng.choice(["technical", "billing", "general", None]),
                    rng.choice("ABC"),
                    opened,
                    first,
                    first + 3600,
                    rng.choice(["closed"] * 19 + ["open"]),
                    "phone",
                    opened + 3 * 86400,
                    "P2",
                    source,
                    n + 2,
                )
            )
        store.insert_records(kinds["tickets"], list(kinds["tickets"].fields), rows)
        source = generated_file(store, "bench-s", "surveys", surveys)
        rows = [
            (
                f"S{n:07d}",
                rng.choice("ABC"),
                "phone",
                START + rng.random() * SPAN,
                rng.choice([3, 4, 4, 5, 5]),
                rng.randrange(11),
                source,
                n + 2,
            )
            for n in range(surveys)
        ]
        store.insert_records(kinds["surveys"], list(kinds["surveys"].fields), rows)


HAND = {
    "RESP-PHONE-30S": """
        SELECT SUM(CASE WHEN e <= 30 THEN 1 ELSE 0 END), SUM(CASE WHEN e > 30 THEN 1 ELSE 0 END) FROM (
          SELECT COALESCE(CASE WHEN answered_at <= :end THEN answered_at END, :end) - received_at AS e,
                 CASE WHEN answered_at <= :end THEN 1 ELSE 0 END AS done
          FROM interactions WHERE channel = 'phone' AND received_at >= :start AND received_at < :end
            AND NOT (answered_at IS NULL AND ended_at - received_at < 5))
        WHERE done = 1 OR e > 30""",
    "RESP-CHAT-1MIN": """
        SELECT SUM(CASE WHEN e <= 60 THEN 1 ELSE 0 END), SUM(CASE WHEN e > 60 THEN 1 ELSE 0 END) FROM (
          SELECT COALESCE(CASE WHEN answered_at <= :end THEN answered_at END, :end) - received_at AS e,
                 CASE WHEN answered_at <= :end THEN 1 ELSE 0 END AS done
          FROM interactions WHERE channel = 'chat' AND received_at >= :start AND received_at < :end)
        WHERE done = 1 OR e > 60""",
    "RECORD-AGENT": """
        SELECT SUM(agent_id IS NOT NULL), SUM(agent_id IS NULL) FROM interactions
        WHERE answered_at IS NOT NULL AND received_at >= :start AND received_at < :end""",
    "CLASSIFIED": """
        SELECT SUM(category IS NOT NULL), SUM(category IS NULL) FROM tickets
        WHERE opened_at >= :start AND opened_at < :end""",
    "CLOSURE-95": """
        SELECT SUM(status IN ('resolved', 'closed')), SUM(status NOT IN ('resolved', 'closed')) FROM tickets
        WHERE opened_at >= :start AND opened_at < :end""",
    "CSAT-Q-4.2": """
        SELECT COUNT(csat), AVG(csat) FROM surveys WHERE csat IS NOT NULL AND answered_at >= :start AND answered_at < :end""",
}


#: The same rules as the engine answers them: counts per site and month (the engine's cells)
#: and the failing records' keys, values and places in key order (its listings).
MONTH = "strftime('%Y-%m', {t} + 28800, 'unixepoch')"
#: the two answer-time rules: channel, limit in seconds, the exclusion of short abandoned calls
ANSWERED_RULES = (
    ("phone", 30, " AND NOT (answered_at IS NULL AND ended_at - received_at < 5)"),
    ("chat", 60, ""),
)
LIKE_FOR_LIKE = (
    [
        f"""SELECT site, {MONTH.format(t="received_at")}, e <= {limit}, COUNT(*) FROM (
          SELECT site, received_at,
                 COALESCE(CASE WHEN answered_at <= :end THEN answered_at END, :end) - received_at AS e
          FROM interactions WHERE channel = '{channel}' AND received_at >= :start AND received_at < :end{extra})
        GROUP BY 1, 2, 3"""
        for channel, limit, extra in ANSWERED_RULES
    ]
    + [
        f"""SELECT interaction_id, e, _source, _line FROM (
          SELECT interaction_id, _source, _line,
                 COALESCE(CASE WHEN answered_at <= :end THEN answered_at END, :end) - received_at AS e
          FROM interactions WHERE channel = '{channel}' AND received_at >= :start AND received_at < :end{extra})
        WHERE e > {limit} ORDER BY interaction_id"""
        for channel, limit, extra in ANSWERED_RULES
    ]
    + [
        f"""SELECT {MONTH.format(t="received_at")}, agent_id IS NOT NULL, COUNT(*) FROM interactions
        WHERE answered_at IS NOT NULL AND received_at >= :start AND received_at < :end GROUP BY 1, 2""",
        """SELECT interaction_id, _source, _line FROM interactions WHERE answered_at IS NOT NULL
        AND agent_id IS NULL AND received_at >= :start AND received_at < :end ORDER BY 1""",
        """SELECT category IS NOT NULL, COUNT(*) FROM tickets
        WHERE opened_at >= :start AND opened_at < :end GROUP BY 1""",
        """SELECT site, status IN ('resolved', 'closed'), COUNT(*) FROM tickets
        WHERE opened_at >= :start AND opened_at < :end GROUP BY 1, 2""",
        """SELECT ticket_id, _source, _line FROM tickets WHERE status NOT IN ('resolved', 'closed')
        AND opened_at >= :start AND opened_at < :end ORDER BY 1""",
        """SELECT COUNT(csat), AVG(csat) FROM surveys
        WHERE csat IS NOT NULL AND answered_at >= :start AND answered_at < :end""",
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    pack = load_pack(ROOT / "rules" / "service-quality.yaml")
    period = parse_period("2026-Q3")
    with tempfile.TemporaryDirectory() as tmp:
        store = EvidenceStore(Path(tmp) / "audit.db")
        t0 = time.perf_counter()
        fill(store, pack, args.records)
        print(f"store filled with {args.records:,} records in {time.perf_counter() - t0:.1f} s")
        started = time.perf_counter()
        results = evaluate(pack, store, period)
        engine_s = time.perf_counter() - started
        print(
            f"engine: {len(results)} rules (with groups and periods) in {engine_s:.2f} s (target <= 5 s)"
        )

        params = {"start": period.start(ZONE), "end": period.end(ZONE)}
        started = time.perf_counter()
        hand = {rule: store.db.execute(sql, params).fetchone() for rule, sql in HAND.items()}
        pooled_s = time.perf_counter() - started
        clock = BusinessClock(pack.calendars["office"], ZONE, date(2026, 6, 1), date(2026, 12, 31))
        store.db.execute('CREATE TEMP TABLE hand_cal (start REAL, "end" REAL, before REAL)')
        store.db.conn.executemany("INSERT INTO hand_cal VALUES (?, ?, ?)", clock.rows())
        store.db.execute("CREATE INDEX temp.hand_cal_start ON hand_cal (start)")
        cum = 'COALESCE((SELECT c.before + MIN({t}, c."end") - c.start FROM hand_cal c WHERE c.start <= {t} ORDER BY c.start DESC LIMIT 1), 0)'
        tech = store.db.execute(
            f"SELECT SUM(b <= 14400), SUM(b > 14400) FROM (SELECT {cum.format(t='first_solution_at')} - {cum.format(t='opened_at')} AS b "
            "FROM tickets WHERE category = 'technical' AND opened_at >= :start AND opened_at < :end AND first_solution_at < :end)",
            params,
        ).fetchone()
        hand_s = time.perf_counter() - started
        print(
            f"hand-written SQL for the same pooled figures: {hand_s:.2f} s; engine / hand = {engine_s / hand_s:.1f}x"
        )
        print(
            "  (the engine also counts every group and period, lists failing keys and exclusions)"
        )
        started = time.perf_counter()
        for sql in LIKE_FOR_LIKE:
            store.db.execute(sql, params).fetchall()
        like_s = time.perf_counter() - started + (hand_s - pooled_s)  # + the 4-hour rule
        print(
            f"hand-written SQL for the same cells (site x month) and failing lists: {like_s:.2f} s; "
            f"engine / hand = {engine_s / like_s:.1f}x (one thread; the engine uses two)"
        )

        by_rule = {r.rule: r.findings[0] for r in results}
        for rule, row in hand.items():
            f = by_rule[rule]
            if rule == "CSAT-Q-4.2":
                same = f.counts.n == row[0] and abs(f.value - row[1]) < 1e-9
            else:
                same = (f.counts.conforming, f.counts.breached) == (row[0], row[1])
            print(f"  {rule:<16} engine n={f.counts.n:>9,}  hand agrees: {same}")
        f = by_rule["TECH-INITIAL-4H"]
        print(
            f"  TECH-INITIAL-4H  engine n={f.counts.n:>9,}  hand (no pauses) conforming={tech[0]:,} breached={tech[1]:,}"
        )
        store.close()


if __name__ == "__main__":
    main()
