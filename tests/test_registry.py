"""Every registered measure round-trips a tiny pack through batch and live; exclusions hold on every one.

Each rule of tests/packs/registry.yaml excludes site X. The batch engine must
leave site X's records out of n and count them as excluded; where the measure
declares a live rule, the live monitor must give every key the outcome the
batch engine gives it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.backends.store import EvidenceStore
from auditor.evaluate.driver import Evaluation, backend_for
from auditor.findings import VERDICTS
from auditor.ingest import ingest
from auditor.live import watch
from auditor.measures import RecordMeasure, RecordSql, measures, register
from auditor.model import Pack
from auditor.pack import load_pack
from auditor.periods import parse_period

from .conftest import STANDARDS, TEST_PACKS

PERIOD = parse_period("2026-02")


@functools.cache
def registry_pack() -> Pack:
    return load_pack(TEST_PACKS / "registry.yaml", [STANDARDS])


SITES = ["A", "B", "X"]


def calls_text(rows: list[tuple[str, str, int, int | None, int | None]]) -> str:
    lines = ["call_id,site,agent,received_at,answered_at,score"]
    for key, site, minute, wait, score in rows:
        received = f"2026-02-{2 + minute // 1440:02d} {minute // 60 % 24:02d}:{minute % 60:02d}:00"
        answered = "" if wait is None else _later(received, wait)
        lines.append(
            f"{key},{site},AG{minute % 3},{received},{answered},{'' if score is None else score}"
        )
    return "\n".join(lines) + "\n"


def _later(text: str, seconds: int) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(text) + timedelta(seconds=seconds)).isoformat(sep=" ")


def events_text(cases: list[tuple[str, str, list[int | None]]]) -> str:
    lines = ["case_id,step,at,site"]
    for key, site, offsets in cases:
        for step, offset in zip(("received", "answered", "closed"), offsets, strict=True):
            if offset is not None:
                lines.append(f"{key},{step},{_later('2026-02-10 09:00:00', offset)},{site}")
    return "\n".join(lines) + "\n"


def write_evidence(folder: Path, calls: str, events: str) -> None:
    (folder / "calls.csv").write_text(calls, encoding="utf-8")
    (folder / "events.csv").write_text(events, encoding="utf-8")
    (folder / "training.csv").write_text(
        "agent,trained_at\nAG0,2025-06-01 10:00:00\nAG1,2024-01-01 10:00:00\n", encoding="utf-8"
    )
    (folder / "checklist.csv").write_text(
        "item,site,result\nBADGE,A,yes\nBADGE,B,no\nBADGE,X,no\nOTHER,A,no\n", encoding="utf-8"
    )


call_rows = st.lists(
    st.tuples(
        st.sampled_from(SITES),
        st.integers(0, 20_000),
        st.one_of(st.none(), st.integers(0, 120)),
        st.one_of(st.none(), st.integers(0, 10)),
    ),
    min_size=1,
    max_size=25,
)
case_rows = st.lists(
    st.tuples(
        st.sampled_from(SITES),
        st.lists(st.one_of(st.none(), st.integers(0, 200_000)), min_size=3, max_size=3),
    ),
    min_size=1,
    max_size=12,
)


def batch(folder: Path) -> tuple[Evaluation, EvidenceStore]:
    store = EvidenceStore(None)
    ingest(registry_pack(), folder, store)
    return Evaluation(registry_pack(), backend_for(store), PERIOD), store


def live_lines(calls: list, cases: list) -> list[str]:
    import json

    lines = []
    for key, site, minute, wait, score in calls:
        received = f"2026-02-{2 + minute // 1440:02d} {minute // 60 % 24:02d}:{minute % 60:02d}:00"
        record = {"kind": "calls", "call_id": key, "site": site, "agent": f"AG{minute % 3}"}
        record["received_at"] = received
        record["answered_at"] = None if wait is None else _later(received, wait)
        record["score"] = score
        lines.append(json.dumps(record))
    for key, site, offsets in cases:
        for step, offset in zip(("received", "answered", "closed"), offsets, strict=True):
            if offset is not None:
                at = _later("2026-02-10 09:00:00", offset)
                lines.append(
                    json.dumps(
                        {"kind": "events", "case_id": key, "step": step, "at": at, "site": site}
                    )
                )
    return lines


def test_the_registry_holds_every_built_in_measure() -> None:
    names = set(measures())
    assert {
        "duration",
        "condition",
        "fresh",
        "manual",
        "mean",
        "percentile",
        "nps",
        "per_1000",
        "sequence",
    } <= names
    assert {
        rule.measure.name for rule in registry_pack().rules
    } == names  # the pack covers every one


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(call_rows, case_rows)
def test_batch_and_live_agree_and_exclusions_hold_on_every_measure(
    tmp_path_factory, calls, cases
) -> None:
    folder = tmp_path_factory.mktemp("registry")
    calls = [(f"C{i}", *row) for i, row in enumerate(calls)]
    cases = [(f"K{i}", *row) for i, row in enumerate(cases)]
    write_evidence(folder, calls_text(calls), events_text(cases))
    pack = registry_pack()
    evaluation, store = batch(folder)
    try:
        results = {r.rule: r for r in evaluation.run()}
        x_calls = {key for key, site, *_ in calls if site == "X"}
        for rule in pack.rules:
            pooled = results[rule.id].findings[0]
            if rule.measure.series:  # a figure over another rule's results: no records of its own
                assert pooled.verdict in VERDICTS, rule.id
                continue
            if pooled.not_evaluable and pooled.not_evaluable["code"] == "field-empty":
                continue  # a field empty in every record: nothing is counted
            if rule.measure.series:  # worked out from its base rule's results, exclusions and all
                base = results[rule.measure.base_rule_id()].findings[0]
                assert pooled.counts.n in (0, base.counts.n), rule.id
                continue
            if rule.evidence == "calls":
                assert pooled.excluded_by_reason.get("excluded site", 0) == len(x_calls), rule.id
            if rule.measure.per_record:
                outcomes = evaluation.record_outcomes(rule)
                excluded = {k for k, o in outcomes.items() if o == "excluded"}
                if rule.evidence == "calls":
                    assert x_calls <= excluded, rule.id
                assert pooled.counts.n == sum(
                    1 for o in outcomes.values() if o in ("conform", "breach")
                )
            else:
                assert pooled.counts.n + pooled.counts.excluded == len(calls), rule.id
                assert (pooled.value is not None) == (pooled.counts.n > 0), rule.id
                for finding in results[rule.id].findings[1:]:  # every group's cell is judged too
                    assert (finding.value is not None) == (finding.counts.n > 0), finding.id
        watcher = watch(
            pack,
            live_lines(calls, cases),
            lambda alert: None,
            until=PERIOD.end(evaluation.env.window.zone),
        )
        live = watcher.verdicts()
        for rule in pack.rules:
            if rule.measure.live_rule is None:
                assert rule.id in watcher.skipped
                continue
            assert live[rule.id] == evaluation.record_outcomes(rule), rule.id
    finally:
        store.close()


def test_a_plug_in_measure_comes_in_through_the_same_door(write_pack) -> None:
    from auditor.measures import _REGISTRY

    @register
    @dataclass(frozen=True)
    class EveryRecord(RecordMeasure):
        """A made-up plug-in: every record conforms."""

        name: ClassVar[str] = "every_record"

        @classmethod
        def read(cls, raw, key, ctx):  # type: ignore[override]
            return cls()

        def record_sql(self, scope, sql):  # type: ignore[override]
            return RecordSql("'conform'")

    try:
        text = (TEST_PACKS / "registry.yaml").read_text(encoding="utf-8")
        text = text.replace("condition: answered_at is not null", "every_record: {}")
        pack = load_pack(write_pack(text), [STANDARDS])
        assert next(r for r in pack.rules if r.id == "CONDITION").measure.name == "every_record"
        with pytest.raises(ValueError, match="registered twice"):
            register(type("Other", (RecordMeasure,), {"name": "every_record"}))
    finally:
        _REGISTRY.pop("every_record", None)
