"""Every engine gives the same findings: the shipped packs on their demo evidence, and generated evidence.

The statements are composed once (SQLite's dialect) and rendered for each
engine by sqlglot; these tests hold the engines to identical counts, values
(to 1e-9), intervals, verdicts and failing keys.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import load_pack
from auditor.backends.engines import engines, open_backend
from auditor.backends.store import EvidenceStore
from auditor.errors import EngineError
from auditor.evaluate import evaluate
from auditor.evaluate.driver import Evaluation
from auditor.ingest import ingest
from auditor.periods import parse_period

from .conftest import ROOT, SHIPPED_PACKS, STANDARDS, TEST_PACKS, needs_spark
from .test_sequence import HEADER, RESOLVED_NEVER_OCCURS, SPELT_OTHERWISE, text_steps_pack

#: every engine but the reference; spark (a JVM, slower per statement) has its own generated cases
OTHER_ENGINES = [
    pytest.param(e, marks=needs_spark) if e == "spark" else e for e in engines() if e != "sqlite"
]
LOCAL_ENGINES = [e for e in engines() if e not in ("sqlite", "spark")]


def figures(results: list[Any]) -> list[tuple[Any, ...]]:
    """Everything a certifier reads off a finding, per finding, in order."""
    out = []
    for result in results:
        out.append((result.rule, result.verdict, result.verdict_severity))
        for f in result.findings:
            out.append(
                (
                    f.id,
                    f.verdict,
                    f.severity,
                    f.counts.n,
                    f.counts.conforming,
                    f.counts.breached,
                    f.counts.pending,
                    f.counts.excluded,
                    sorted(f.failing),
                    dict(f.excluded_by_reason),
                )
            )
    return out


def numbers(results: list[Any]) -> list[float | None]:
    out: list[float | None] = []
    for result in results:
        for f in result.findings:
            out.append(f.value)
            out.extend(f.interval or (None, None))
    return out


def same_numbers(a: list[float | None], b: list[float | None]) -> bool:
    return len(a) == len(b) and all(
        (x is None and y is None)
        or (x is not None and y is not None and math.isclose(x, y, rel_tol=0, abs_tol=1e-9))
        for x, y in zip(a, b, strict=True)
    )


@pytest.fixture(scope="module")
def demo_stores() -> dict[str, EvidenceStore]:
    stores = {}
    for path in SHIPPED_PACKS:
        store = EvidenceStore(None)
        ingest(load_pack(path), ROOT / "evidence" / "demo" / path.stem, store)
        stores[path.stem] = store
    return stores


@pytest.mark.parametrize("engine", OTHER_ENGINES)
@pytest.mark.parametrize("pack_path", SHIPPED_PACKS, ids=lambda p: p.stem)
def test_the_demo_audits_agree_on_every_engine(
    pack_path: Path, engine: str, demo_stores, request: pytest.FixtureRequest
) -> None:
    if engine == "spark":
        request.getfixturevalue("spark")  # the session's one Spark session
    pack = load_pack(pack_path)
    store = demo_stores[pack_path.stem]
    period = parse_period("2026-Q3")
    reference = evaluate(pack, store, period)
    other = evaluate(pack, open_backend(store, engine), period)
    assert figures(other) == figures(reference)
    assert same_numbers(numbers(other), numbers(reference))
    assert sum(len(r.findings) for r in reference) > 20  # the comparison covers real work


STAMP = st.datetimes(min_value=datetime(2026, 1, 26), max_value=datetime(2026, 3, 3)).map(
    lambda d: d.replace(microsecond=0)
)


@st.composite
def tickets(draw: st.DrawFn) -> tuple[str, str]:
    rows, pauses = [], []
    for n in range(draw(st.integers(1, 25))):
        opened = draw(STAMP)
        wait = draw(st.one_of(st.none(), st.integers(0, 5 * 86400)))
        solved = None if wait is None else opened + timedelta(seconds=wait)
        site = draw(st.sampled_from(["BJ", "SH"]))
        status = "closed" if solved is not None and draw(st.booleans()) else "open"
        rows.append(
            f"T{n},{site},{opened:%Y-%m-%d %H:%M:%S},{'' if solved is None else f'{solved:%Y-%m-%d %H:%M:%S}'},{status}"
        )
        if draw(st.booleans()):
            start = opened + timedelta(seconds=draw(st.integers(0, 86400)))
            length = draw(st.one_of(st.none(), st.integers(0, 86400)))
            end = None if length is None else start + timedelta(seconds=length)
            reason = draw(st.sampled_from(["customer", "vendor"]))
            pauses.append(
                f"T{n},{start:%Y-%m-%d %H:%M:%S},{'' if end is None else f'{end:%Y-%m-%d %H:%M:%S}'},{reason}"
            )
    return "\n".join(rows) + "\n", "\n".join(pauses) + "\n"


@pytest.mark.parametrize("engine", LOCAL_ENGINES)
@settings(max_examples=40)
@given(evidence=tickets())
def test_generated_durations_pauses_and_conditions_agree(
    tmp_path_factory, engine: str, evidence
) -> None:
    """Wall-clock and business-hour durations with pauses, grouped and pooled, across a holiday."""
    engines_agree_on(tmp_path_factory, engine, evidence)


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_a_period_ending_on_31_december_agrees_on_every_engine(
    tmp_path_factory, engine: str, cn_data_to_2026, request: pytest.FixtureRequest
) -> None:
    """Business time counted to the end of the last year with holiday data, on every engine."""
    if engine == "spark":
        request.getfixturevalue("spark")  # the session's one Spark session
    rows = (
        "A,BJ,2026-12-30 16:00:00,2026-12-31 11:00:00,closed\n"
        "B,BJ,2026-12-31 10:00:00,,open\n"
        "C,SH,2026-12-31 15:00:00,2027-01-04 10:00:00,closed\n"
        "D,SH,2026-12-24 17:30:00,2026-12-28 09:30:00,closed\n"
    )
    pauses = "A,2026-12-31 09:00:00,2026-12-31 10:00:00,customer\nB,2026-12-31 17:00:00,,customer\n"
    engines_agree_on(tmp_path_factory, engine, (rows, pauses), "2026-H2")


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_a_sequence_step_that_never_occurs_is_noted_alike_on_every_engine(
    tmp_path: Path, write_pack: Any, engine: str, request: pytest.FixtureRequest
) -> None:
    """The check for a step no record holds is a query of each engine's own."""
    if engine == "spark":
        request.getfixturevalue("spark")  # the session's one Spark session
    pack = text_steps_pack(write_pack)
    (tmp_path / "complaint_events.csv").write_text(HEADER + SPELT_OTHERWISE, encoding="utf-8")
    store = EvidenceStore(None)
    try:
        ingest(pack, tmp_path, store)
        evaluation = Evaluation(pack, open_backend(store, engine), parse_period("2026-02"))
        # HANDLING alone: the business-time rule takes Spark minutes and checks nothing more
        handling = evaluation.evaluate(pack.rules[0])
    finally:
        store.close()
    assert handling.rule == "HANDLING"
    assert handling.findings[0].details["notes"] == [RESOLVED_NEVER_OCCURS]


def engines_agree_on(
    tmp_path_factory: Any, engine: str, evidence: tuple[str, str], period_text: str = "2026-02"
) -> None:
    """The test pack's rules on generated tickets and pauses: ``engine`` gives SQLite's findings."""
    folder = tmp_path_factory.mktemp("engines")
    rows, pauses = evidence
    (folder / "tickets.csv").write_text(
        "ticket_id,site,opened_at,solved_at,status\n" + rows, encoding="utf-8"
    )
    (folder / "pauses.csv").write_text(
        "ticket_id,started_at,ended_at,reason\n" + pauses, encoding="utf-8"
    )
    pack = load_pack(TEST_PACKS / "engine.yaml", [STANDARDS])
    store = EvidenceStore(None)
    try:
        ingest(pack, folder, store)
        period = parse_period(period_text)
        reference = evaluate(pack, store, period)
        other = evaluate(pack, open_backend(store, engine), period)
    finally:
        store.close()
    assert figures(other) == figures(reference)
    assert same_numbers(numbers(other), numbers(reference))


DAILY_PACK = """\
pack: daily-test
version: 1.0.0
standard: service-quality-standard
timezone: Asia/Shanghai
evidence:
  tickets:
    key: ticket_id
    time: opened_at
    fields:
      ticket_id: string
      site: string
      opened_at: timestamp
      status: {type: enum, values: [open, closed]}
rules:
  - id: DAILY
    clause: "3.3.3"
    title: {zh: 每日关闭, en: Closed by day}
    evidence: tickets
    condition: status == "closed"
    target: 50%
    severity: minor
    min_records: 1
    group_by: [site]
    period: day
    capa: {action: {zh: 改, en: Fix}, owner: lead}
"""


@pytest.mark.parametrize("engine", LOCAL_ENGINES)
def test_days_of_a_long_period_are_labelled_as_on_sqlite(tmp_path, engine: str) -> None:
    """A period of more days than a CASE lists: each record's day is looked up in a table."""
    days_agree_on(tmp_path, engine)


def days_agree_on(folder: Path, engine: str) -> None:
    """Records on days of a 90-day period, by day and site: ``engine`` puts each on its own
    local day (worked out by hand), and gives SQLite's findings."""
    (folder / "pack.yaml").write_text(DAILY_PACK, encoding="utf-8")
    (folder / "evidence").mkdir()
    (folder / "evidence" / "tickets.csv").write_text(
        "ticket_id,site,opened_at,status\n"
        "A,BJ,2026-01-05 09:00:00,closed\n"
        "B,BJ,2026-01-05 23:59:59,open\n"
        "C,SH,2026-02-14 00:00:00,closed\n"
        "D,SH,2026-03-01 00:10:00,open\n"
        "E,BJ,2026-03-31 23:30:00,closed\n",
        encoding="utf-8",
    )
    pack = load_pack(folder / "pack.yaml", [STANDARDS])
    store = EvidenceStore(None)
    try:
        ingest(pack, folder / "evidence", store)
        period = parse_period("2026-01-01..2026-03-31")  # 90 days: more than a CASE lists
        reference = evaluate(pack, store, period)
        other = evaluate(pack, open_backend(store, engine), period)
    finally:
        store.close()
    cells = {
        f.id: (f.counts.n, f.counts.conforming, sorted(f.failing))
        for f in other[0].findings
        if f.counts.n
    }
    assert cells == {
        "DAILY": (5, 3, ["B", "D"]),
        "DAILY@site=BJ@2026-01-05": (2, 1, ["B"]),
        "DAILY@site=SH@2026-02-14": (1, 1, []),
        "DAILY@site=SH@2026-03-01": (1, 0, ["D"]),
        "DAILY@site=BJ@2026-03-31": (1, 1, []),
    }
    assert figures(other) == figures(reference)


def test_an_unknown_engine_names_the_closest() -> None:
    with pytest.raises(EngineError, match=r"unknown engine 'duckbd'.*did you mean 'duckdb'"):
        open_backend(EvidenceStore(None), "duckbd")
