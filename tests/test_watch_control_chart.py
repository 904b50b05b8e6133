"""control_chart live: a replayed stream gets the warning on the day the batch finding names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from auditor.backends.store import EvidenceStore
from auditor.cli import main
from auditor.ingest import ingest
from auditor.live import watch

from .conftest import TEST_PACKS
from .test_control_chart import (
    AUDIT,
    Plan,
    audit_of,
    chart,
    control_pack,
    drift_from,
    score_dip,
    stream,
    sudden_drop,
)

SH_END = AUDIT.end(ZoneInfo("Asia/Shanghai"))


def warnings_of(items: list[dict[str, Any]], rule: str) -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = []
    watch(control_pack(), [json.dumps(i) for i in items], alerts.append, until=SH_END)
    return [a for a in alerts if a["rule"] == rule]


def batch_signals(items: list[dict[str, Any]], rule: str, folder: Path) -> list[dict[str, Any]]:
    return chart(audit_of(items, folder)[rule])["signals"]


def live_signals(warnings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"rule": w["signal_rule"], "day": w["day"], "since": w["since"], "days": w["days"]}
        for w in warnings
    ]


CASES: dict[str, tuple[str, Plan]] = {
    "rule 3, slow drift": ("ANSWER-CHART", drift_from(11, 85)),
    "rule 1, sudden drop": ("ANSWER-CHART", sudden_drop),
    "rule 2, two low score days": ("SCORE-CHART", score_dip),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_watch_warns_on_the_day_the_batch_audit_names(case: str, tmp_path: Path) -> None:
    rule, plan = CASES[case]
    items = stream(plan)
    expected = batch_signals(items, rule, tmp_path)
    warnings = warnings_of(items, rule)
    assert expected, "the series is built to signal"
    assert live_signals(warnings) == expected


def test_the_warning_comes_when_its_day_closes_before_the_rule_is_breached() -> None:
    items = stream(drift_from(11, 85))
    alerts: list[dict[str, Any]] = []
    watcher = watch(control_pack(), [json.dumps(i) for i in items], alerts.append, until=SH_END)
    (warning,) = [a for a in alerts if a["rule"] == "ANSWER-CHART"]
    assert warning["warning"].startswith("drifting since 2026-07-11: rule 3")
    # July 18's point closes at midnight, when the first call of July 19 moves the watermark on
    assert warning["event_time"] == "2026-07-19T00:00:00+08:00"
    assert (warning["value"], warning["centre"]) == pytest.approx((0.85, 0.9))
    assert warning["limits"] == pytest.approx([0.81, 0.99])
    # only the warnings come from the chart: the base rule's breaches are its own alerts
    breaches = [a for a in alerts if a["rule"] == "ANSWER-30S"]
    assert len(breaches) == 30 * 10 + 10 * 10 + 21 * 15
    assert watcher.verdicts()["ANSWER-CHART"] == {}


def test_a_steady_stream_gives_no_warning() -> None:
    assert warnings_of(stream(drift_from(40, 90)), "ANSWER-CHART") == []


def test_without_baseline_records_there_is_no_chart() -> None:
    items = [i for i in stream(drift_from(11, 80)) if i["received_at"] >= "2026-07"]
    assert warnings_of(items, "ANSWER-CHART") == []


def test_limits_from_the_store_give_the_same_warning(tmp_path: Path) -> None:
    """The baseline's records in an evidence store, the audit period's in the stream."""
    items = stream(drift_from(11, 85))
    expected = batch_signals(items, "ANSWER-CHART", tmp_path / "batch")
    june = [i for i in items if i["received_at"] < "2026-07"]
    folder = tmp_path / "june"
    folder.mkdir()
    with (folder / "interactions.jsonl").open("w", encoding="utf-8") as out:
        for item in june:
            out.write(json.dumps({k: v for k, v in item.items() if k != "kind"}) + "\n")
    store = EvidenceStore(None)
    ingest(control_pack(), folder, store)
    alerts: list[dict[str, Any]] = []
    july = [json.dumps(i) for i in items if i["received_at"] >= "2026-07"]
    watch(control_pack(), july, alerts.append, until=SH_END, store=store)
    store.close()
    warnings = [a for a in alerts if a["rule"] == "ANSWER-CHART"]
    assert live_signals(warnings) == expected
    assert warnings[0]["centre"] == pytest.approx(0.9)


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_watch_takes_the_baseline_from_a_store_on_the_command_line(
    tmp_path: Path, runner, engine: str
) -> None:
    """From either kind of store (a store for DuckDB keeps its records in DuckDB)."""
    items = stream(drift_from(11, 85))
    folder = tmp_path / "june"
    folder.mkdir()
    with (folder / "interactions.jsonl").open("w", encoding="utf-8") as out:
        for item in items:
            if item["received_at"] < "2026-07":
                out.write(json.dumps({k: v for k, v in item.items() if k != "kind"}) + "\n")
    db = tmp_path / "evidence.db"
    store = EvidenceStore(db, engine=engine)
    ingest(control_pack(), folder, store)
    store.close()
    july = tmp_path / "july.jsonl"
    july.write_text(
        "".join(json.dumps(i) + "\n" for i in items if i["received_at"] >= "2026-07"),
        encoding="utf-8",
    )
    pack = str(TEST_PACKS / "control.yaml")
    result = runner.invoke(
        main, ["watch", pack, "--input", str(july), "--store", str(db), "--until", "2026-08-01"]
    )
    warnings = [json.loads(line) for line in result.output.splitlines() if '"warning"' in line]
    assert [(w["since"], w["day"]) for w in warnings] == [("2026-07-11", "2026-07-18")]
