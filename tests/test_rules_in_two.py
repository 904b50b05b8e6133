"""Rules over a SQLite store on disk are shared between two threads, each on its own connection:
the same results as one thread, in rule order, and the first error in rule order."""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from auditor.backends.sqlite import SqliteBackend
from auditor.backends.store import EvidenceStore
from auditor.errors import AuditorError
from auditor.evaluate import driver, evaluate
from auditor.periods import parse_period


@pytest.fixture
def demo_store(demo_audit: Any, tmp_path: Path) -> EvidenceStore:
    """A copy of the demo audit's store (the session's own stays as it is)."""
    copy = tmp_path / "evidence.db"
    shutil.copy(Path(demo_audit.out) / "evidence.db", copy)
    return EvidenceStore(copy)


def _plain(results: list[Any]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(result) for result in results]


def test_two_threads_give_what_one_gives(demo_store: EvidenceStore, pack: Any, monkeypatch) -> None:
    quarter = parse_period("2026-Q3")
    service = pack("service-quality")
    threads: set[str] = set()
    real = driver.Evaluation.evaluate

    def noted(self: Any, rule: Any) -> Any:
        threads.add(threading.current_thread().name)
        return real(self, rule)

    monkeypatch.setattr(driver.Evaluation, "evaluate", noted)
    both = evaluate(service, demo_store, quarter)
    assert any(name.startswith("auditor-rules") for name in threads), threads
    monkeypatch.setattr(SqliteBackend, "companion", lambda self: None)
    one = evaluate(service, demo_store, quarter)
    assert [r.rule for r in both] == [rule.id for rule in service.rules]
    assert _plain(both) == _plain(one)


def test_the_first_error_in_rule_order_is_raised(
    demo_store: EvidenceStore, pack: Any, monkeypatch
) -> None:
    service = pack("service-quality")
    second, third = service.rules[1].id, service.rules[2].id
    real = driver.Evaluation.evaluate

    def failing(self: Any, rule: Any) -> Any:
        if rule.id == second:  # fails later in time than the rule after it
            time.sleep(0.3)
            raise AuditorError(f"failed: {rule.id}")
        if rule.id == third:
            raise AuditorError(f"failed: {rule.id}")
        return real(self, rule)

    monkeypatch.setattr(driver.Evaluation, "evaluate", failing)
    with pytest.raises(AuditorError, match=f"failed: {second}$"):
        evaluate(service, demo_store, parse_period("2026-Q3"))


def test_no_second_connection_in_memory_or_with_writes_not_committed(
    demo_store: EvidenceStore,
) -> None:
    assert SqliteBackend(EvidenceStore(None)).companion() is None
    backend = SqliteBackend(demo_store)
    other = backend.companion()
    assert other is not None and other.db is not demo_store.db
    other.close()
    with demo_store.transaction():
        assert backend.companion() is None


@pytest.mark.parametrize("two", [True, False], ids=["two threads", "one thread"])
def test_results_are_handed_on_in_rule_order_as_they_are_ready(
    demo_store: EvidenceStore, pack: Any, monkeypatch, two: bool
) -> None:
    service = pack("service-quality")
    last = service.rules[-1].id
    real = driver.Evaluation.evaluate
    events: list[str] = []

    def slow_last(self: Any, rule: Any) -> Any:
        result = real(self, rule)
        if rule.id == last:  # every earlier rule is ready long before the last one
            time.sleep(1.0)
            events.append("last evaluated")
        return result

    monkeypatch.setattr(driver.Evaluation, "evaluate", slow_last)
    if not two:
        monkeypatch.setattr(SqliteBackend, "companion", lambda self: None)
    handed: list[tuple[str, str]] = []

    def receive(result: Any) -> None:
        handed.append((result.rule, threading.current_thread().name))
        events.append(result.rule)

    results = evaluate(service, demo_store, parse_period("2026-Q3"), on_result=receive)
    assert [rule for rule, _ in handed] == [rule.id for rule in service.rules]
    assert [r.rule for r in results] == [rule.id for rule in service.rules]
    assert {thread for _, thread in handed} == {threading.main_thread().name}
    # handed on while the last rule was still being evaluated, not all at the end
    assert events.index(service.rules[0].id) < events.index("last evaluated")
    assert events[-1] == last


def test_nothing_after_an_error_is_handed_on(
    demo_store: EvidenceStore, pack: Any, monkeypatch
) -> None:
    service = pack("service-quality")
    second = service.rules[1].id
    real = driver.Evaluation.evaluate

    def failing(self: Any, rule: Any) -> Any:
        if rule.id == second:
            raise AuditorError(f"failed: {rule.id}")
        return real(self, rule)

    monkeypatch.setattr(driver.Evaluation, "evaluate", failing)
    handed: list[str] = []
    with pytest.raises(AuditorError, match=f"failed: {second}$"):
        evaluate(
            service, demo_store, parse_period("2026-Q3"), on_result=lambda r: handed.append(r.rule)
        )
    assert handed == [service.rules[0].id]


def test_an_error_of_the_receiver_stops_the_evaluation(
    demo_store: EvidenceStore, pack: Any, monkeypatch
) -> None:
    service = pack("service-quality")
    real = driver.Evaluation.evaluate
    evaluated: list[str] = []
    interrupted: list[bool] = []

    def slow(self: Any, rule: Any) -> Any:
        time.sleep(0.05)
        evaluated.append(rule.id)
        return real(self, rule)

    def full_disk(result: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(driver.Evaluation, "evaluate", slow)
    monkeypatch.setattr(SqliteBackend, "interrupt", lambda self: interrupted.append(True))
    with pytest.raises(OSError, match="No space left"):
        evaluate(service, demo_store, parse_period("2026-Q3"), on_result=full_disk)
    assert interrupted  # the second connection was told to stop
    assert len(evaluated) < len(service.rules) // 2


def test_a_thread_stopped_by_something_else_than_an_error_does_not_leave_the_caller_waiting(
    demo_store: EvidenceStore, pack: Any, monkeypatch
) -> None:
    service = pack("service-quality")
    real = driver.Evaluation.evaluate

    def exits_on_the_helper(self: Any, rule: Any) -> Any:
        if threading.current_thread().name.startswith("auditor-rules"):
            raise SystemExit("stopped")
        time.sleep(0.05)  # the helper takes a rule before this thread has done them all
        return real(self, rule)

    monkeypatch.setattr(driver.Evaluation, "evaluate", exits_on_the_helper)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            evaluate(service, demo_store, parse_period("2026-Q3"), on_result=lambda r: None)
        except BaseException as exc:  # what the caller sees is the point
            outcome.append(exc)

    caller = threading.Thread(target=run, daemon=True)
    caller.start()
    caller.join(timeout=30)
    assert not caller.is_alive(), "the caller waited for a rule that was never evaluated"
    assert len(outcome) == 1 and isinstance(outcome[0], SystemExit)
