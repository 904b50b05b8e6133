"""Two processes updating one CAPA item at once: exactly one wins, the other gets a clean conflict.

Real processes (forked), not threads, each with its own connection to the one
register file; repeated 50 times.
"""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path

from auditor.findings.contract import FindingsDocument
from auditor.register import Register


def _update(path: str, item_id: str, who: str, start, results) -> None:
    register = Register(path)
    start.wait()
    try:
        register.update(
            item_id, who, {"correction": f"by {who}"}, version=1, today=date(2026, 10, 10)
        )
        results.put((who, "won"))
    except Exception as exc:  # the conflict, as the CLI would print it
        results.put((who, f"{type(exc).__name__}: {exc}"))
    finally:
        register.close()


def test_two_writers_one_winner_fifty_times(tmp_path: Path, monthly_audits) -> None:
    context = multiprocessing.get_context("fork")
    document, sha, findings = monthly_audits["2026-07"]
    assert isinstance(document, FindingsDocument)
    for run in range(50):
        path = str(tmp_path / f"register-{run}.db")
        register = Register(path)
        register.record_audit(document, sha, str(findings), date(2026, 10, 10))
        item_id = register.store.items()[0]["id"]
        register.close()
        start, results = context.Event(), context.Queue()
        workers = [
            context.Process(target=_update, args=(path, item_id, who, start, results))
            for who in ("ann", "bob")
        ]
        for worker in workers:
            worker.start()
        start.set()
        for worker in workers:
            worker.join(30)
            assert worker.exitcode == 0
        outcomes = dict(results.get(timeout=5) for _ in workers)
        winners = [who for who, outcome in outcomes.items() if outcome == "won"]
        assert len(winners) == 1, outcomes
        loser = "bob" if winners == ["ann"] else "ann"
        assert outcomes[loser] == (
            f"Conflict: {item_id} changed since you read it (version 1 -> 2); "
            "run capa show and try again"
        )
        register = Register(path)
        history = register.store.history(item_id)
        assert [(row["who"], row["field"], row["new"]) for row in history[1:]] == [
            (winners[0], "correction", f"by {winners[0]}")
        ]
        assert register.store.item(item_id)["correction"] == f"by {winners[0]}"
        assert register.check() == []
        register.close()
