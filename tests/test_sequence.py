"""Sequence rules against cases worked out by hand."""

from __future__ import annotations

import functools
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from auditor import PackErrors, load_pack
from auditor.backends.store import EvidenceStore
from auditor.evaluate import evaluate
from auditor.ingest import ingest
from auditor.model import Pack
from auditor.periods import parse_period

from .conftest import STANDARDS, TEST_PACKS, needs_spark


@functools.cache
def the_pack() -> Pack:
    """The pack these tests use, loaded on first use (never at import)."""
    return load_pack(TEST_PACKS / "sequence.yaml", [STANDARDS])


HEADER = "complaint_id,event,at,site\n"


def run(folder: Path, events: str, period: str = "2026-02") -> tuple[dict, EvidenceStore]:
    (folder / "complaint_events.csv").write_text(HEADER + events, encoding="utf-8")
    store = EvidenceStore(None)
    report = ingest(the_pack(), folder, store)
    results = {r.rule: r for r in evaluate(the_pack(), store, parse_period(period))}
    return results, store, report


def outcome(result, key: str) -> str:
    pooled = result.findings[0]
    return "breach" if key in pooled.failing else "not failing"


def test_hand_computed_cases(tmp_path) -> None:
    events = (
        # A: all in time (ack 2 h, resolved 2 d): met
        "A,received,2026-02-02 10:00:00,BJ\nA,acknowledged,2026-02-02 12:00:00,BJ\nA,resolved,2026-02-04 10:00:00,BJ\n"
        # B: acknowledged 30 h after: late by 6 h
        "B,received,2026-02-02 10:00:00,BJ\nB,acknowledged,2026-02-03 16:00:00,BJ\nB,resolved,2026-02-04 10:00:00,BJ\n"
        # C: out of order: acknowledged before received
        "C,received,2026-02-05 10:00:00,SH\nC,acknowledged,2026-02-05 09:00:00,SH\nC,resolved,2026-02-06 10:00:00,SH\n"
        # D: missing middle step (no acknowledgement), resolved in time: missing at acknowledged, by 28 d - 24 h at period end
        "D,received,2026-02-01 00:00:00,SH\nD,resolved,2026-02-03 00:00:00,SH\n"
        # E: a duplicate acknowledgement: the first one counts (1 h), met
        "E,received,2026-02-10 10:00:00,SH\nE,acknowledged,2026-02-10 11:00:00,SH\nE,acknowledged,2026-02-12 11:00:00,SH\nE,resolved,2026-02-11 10:00:00,SH\n"
        # F: two records with identical content: the second is quarantined as a duplicate
        "F,received,2026-02-10 10:00:00,SH\nF,received,2026-02-10 10:00:00,SH\nF,acknowledged,2026-02-10 10:30:00,SH\nF,resolved,2026-02-10 12:00:00,SH\n"
        # G: still open at period end, ack in time, resolution not yet due: pending
        "G,received,2026-02-27 10:00:00,BJ\nG,acknowledged,2026-02-27 11:00:00,BJ\n"
        # H: received only, 2 days before the end: acknowledgement already overdue: missing, breached
        "H,received,2026-02-26 00:00:00,BJ\n"
    )
    results, store, report = run(tmp_path, events)
    assert report.quarantined == 1
    assert "duplicate key" in store.quarantine()[0]["reason"]
    f = results["HANDLING"].findings[0]
    assert (f.counts.conforming, f.counts.breached, f.counts.pending) == (
        3,
        4,
        1,
    )  # A E F met; B C D H
    assert f.failing == ["B", "C", "D", "H"]
    values = dict(zip(f.failing, f.failing_values, strict=True))
    assert values["B"] == 6 * 3600
    assert values["C"] is None  # out of order has no overrun
    assert values["D"] == pytest.approx(
        (28 - 1) * 86400
    )  # open from 1 Feb 00:00 to 1 Mar 00:00, minus 24 h
    assert values["H"] == pytest.approx(3 * 86400 - 86400)
    assert f.details["breaches_by_step"] == {
        "acknowledged: late": 1,
        "acknowledged: missing": 2,
        "acknowledged: out of order": 1,
    }
    assert f.verdict == "nonconform" and f.value == pytest.approx(3 / 7)


def test_a_step_after_the_period_end_does_not_count_for_its_order(tmp_path) -> None:
    """I and J, received 28 Feb 20:00 and resolved 22:00, are acknowledged after the period
    end (I, 1 Mar 01:00) or never (J). By the period end neither is acknowledged, with 20 of
    its 24 hours left: both are pending. An event after the period end does not make I's
    resolution out of order, as it does not make an acknowledgement missing."""
    results, _, _ = run(
        tmp_path,
        "I,received,2026-02-28 20:00:00,BJ\nI,resolved,2026-02-28 22:00:00,BJ\n"
        "I,acknowledged,2026-03-01 01:00:00,BJ\n"
        "J,received,2026-02-28 20:00:00,BJ\nJ,resolved,2026-02-28 22:00:00,BJ\n",
    )
    f = results["HANDLING"].findings[0]
    assert (f.counts.conforming, f.counts.breached, f.counts.pending) == (0, 0, 2)
    assert f.failing == []


def test_groups_come_from_the_first_step(tmp_path) -> None:
    results, _, _ = run(
        tmp_path,
        "A,received,2026-02-02 10:00:00,BJ\nA,acknowledged,2026-02-02 11:00:00,SH\nA,resolved,2026-02-02 12:00:00,SH\n",
    )
    by_site = {f.group.get("site"): f for f in results["HANDLING"].findings[1:]}
    assert set(by_site) == {"BJ"}


def test_a_deadline_crossing_the_spring_festival_in_business_time(tmp_path) -> None:
    results, _, _ = run(
        tmp_path,
        # Received Fri 13 Feb 14:00: 4 h that day, Sat 14 Feb is a make-up working day (9 h):
        # acknowledged Tue 24 Feb 09:30 = 4 + 9 + 0.5 = 13.5 business hours: late by 5.5 h.
        "A,received,2026-02-13 14:00:00,BJ\nA,acknowledged,2026-02-24 09:30:00,BJ\n"
        # Received Fri 13 Feb 17:00, acknowledged Sat 14 Feb 15:00 = 1 + 6 = 7 h: in time.
        "B,received,2026-02-13 17:00:00,BJ\nB,acknowledged,2026-02-14 15:00:00,BJ\n",
    )
    f = results["HANDLING-BUSINESS"].findings[0]
    assert f.failing == ["A"]
    assert f.failing_values == [pytest.approx(5.5 * 3600)]
    assert f.counts.conforming == 1


def test_a_case_without_its_first_step_is_excluded(tmp_path) -> None:
    results, _, _ = run(
        tmp_path,
        "A,acknowledged,2026-02-02 10:00:00,BJ\nB,received,2026-02-02 10:00:00,BJ\nB,acknowledged,2026-02-02 11:00:00,BJ\nB,resolved,2026-02-02 12:00:00,BJ\n",
    )
    f = results["HANDLING"].findings[0]
    assert f.counts.excluded == 1 and f.excluded_by_reason == {"no received step": 1}


def test_sequence_steps_are_checked_when_the_pack_loads(write_pack) -> None:
    text = (
        (TEST_PACKS / "sequence.yaml")
        .read_text(encoding="utf-8")
        .replace("{name: acknowledged, within: 24h}", "{name: acknowledgd, within: 24h}", 1)
    )
    with pytest.raises(PackErrors, match="did you mean 'acknowledged'"):
        load_pack(write_pack(text), [STANDARDS])
    text = (
        (TEST_PACKS / "sequence.yaml")
        .read_text(encoding="utf-8")
        .replace("after: received}", "after: resolved}", 1)
    )
    with pytest.raises(PackErrors, match="not an earlier step"):
        load_pack(write_pack(text), [STANDARDS])


# ------------------------------------------------------------ a step that never occurs


def text_steps_pack_file(write_pack) -> Path:
    """The test pack with its step field plain text: any step name loads, misspelt or not."""
    enum = "event: {type: enum, values: [received, acknowledged, resolved, followed_up]}"
    text = (TEST_PACKS / "sequence.yaml").read_text(encoding="utf-8")
    assert enum in text
    return write_pack(text.replace(enum, "event: string"))


def text_steps_pack(write_pack) -> Pack:
    return load_pack(text_steps_pack_file(write_pack), [STANDARDS])


#: the evidence spells the last step 'resolve': the pack's 'resolved' never occurs
SPELT_OTHERWISE = (
    "A,received,2026-02-02 10:00:00,BJ\nA,acknowledged,2026-02-02 12:00:00,BJ\n"
    "A,resolve,2026-02-04 10:00:00,BJ\n"
)
#: difflib's ratios to 'resolved' (2 x letters matched in order / both lengths): 'resolve'
#: 2*7/15 = 0.93, 'received' 2*5/16 = 0.63 ('re' and 'ved'), 'acknowledged' 0.4, under the
#: 0.6 cut-off
RESOLVED_NEVER_OCCURS = (
    "step 'resolved' never occurs in complaint_events.event; closest: 'resolve', 'received'"
)


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_a_step_that_never_occurs_is_noted_and_the_rule_judged_as_written(
    tmp_path, write_pack, engine: str
) -> None:
    results = audit_on(tmp_path, SPELT_OTHERWISE, engine, pack=text_steps_pack(write_pack))
    pooled, bj = results["HANDLING"].findings
    assert pooled.details["notes"] == [RESOLVED_NEVER_OCCURS]
    assert bj.details["notes"] == [RESOLVED_NEVER_OCCURS]  # every finding of the rule says it
    # judged as written: 'resolved', due 5 d after 2 Feb 10:00, is missing at the period end
    # (1 Mar 00:00, Shanghai): 26 d 14 h after receipt, 21 d 14 h over
    assert pooled.failing == ["A"] and pooled.verdict == "nonconform"
    assert pooled.failing_values == [pytest.approx((21 * 24 + 14) * 3600)]
    # HANDLING-BUSINESS's steps, received and acknowledged, both occur: no note
    assert "notes" not in results["HANDLING-BUSINESS"].findings[0].details


# ------------------------------------------------------------ cases without their first step


def audit_on(
    folder: Path, events: str, engine: str, period: str = "2026-02", pack: Pack | None = None
) -> dict:
    """The pack's results on ``engine`` for ``events`` (SQLite's store, read by the engine)."""
    from auditor.backends.engines import open_backend

    pack = pack or the_pack()
    (folder / "complaint_events.csv").write_text(HEADER + events, encoding="utf-8")
    store = EvidenceStore(None)
    try:
        ingest(pack, folder, store)
        backend = store if engine == "sqlite" else open_backend(store, engine)
        return {r.rule: r for r in evaluate(pack, backend, parse_period(period))}
    finally:
        store.close()


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_a_case_without_its_first_step_is_placed_by_its_earliest_event(
    tmp_path, engine: str
) -> None:
    # February 2026 in Asia/Shanghai: from 02-01 00:00 to 03-01 00:00 local time.
    events = (
        # A: a whole case in February: met
        "A,received,2026-02-02 10:00:00,BJ\nA,acknowledged,2026-02-02 11:00:00,BJ\nA,resolved,2026-02-03 10:00:00,BJ\n"
        # X1: acknowledged only, in February: excluded
        "X1,acknowledged,2026-02-05 10:00:00,BJ\n"
        # X2: no received; acknowledged in January, resolved in February: started before, out of scope
        "X2,acknowledged,2026-01-20 10:00:00,SH\nX2,resolved,2026-02-03 10:00:00,SH\n"
        # X3: resolved only, after the period: out of scope
        "X3,resolved,2026-03-02 10:00:00,SH\n"
        # X4: first event at the very start of the period: excluded
        "X4,acknowledged,2026-02-01 00:00:00,SH\nX4,resolved,2026-03-05 00:00:00,SH\n"
        # X5: first event at the very end (the next period's first instant): out of scope
        "X5,resolved,2026-03-01 00:00:00,SH\n"
        # X6: all in January (the trial's Case 1091): out of scope
        "X6,acknowledged,2025-12-20 10:00:00,BJ\nX6,resolved,2026-01-02 10:00:00,BJ\n"
    )
    f = audit_on(tmp_path, events, engine)["HANDLING"].findings[0]
    assert (f.counts.n, f.counts.conforming, f.counts.pending) == (1, 1, 0)
    assert f.counts.excluded == 2  # X1, X4 (the whole file lacks received in 6 cases)
    assert f.excluded_by_reason == {"no received step": 2}


def generated_log(seed: int, cases: int = 80) -> tuple[str, list[tuple[str, str, datetime]]]:
    """An event log from mid-January to mid-March: cases with and without their first step."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 15)
    rows: list[tuple[str, str, datetime]] = []
    for n in range(cases):
        begun = start + timedelta(minutes=rng.randrange(60 * 24 * 59))
        steps = ["received", "acknowledged", "resolved"]
        if rng.random() < 0.4:
            steps = rng.sample(steps[1:], rng.randint(1, 2))  # no received
        at = begun
        for step in steps:
            rows.append((f"C{n}", step, at))
            at += timedelta(minutes=rng.randrange(1, 60 * 24 * 4))
    text = "".join(
        f"{k},{s},{t:%Y-%m-%d %H:%M:%S},{'BJ' if k[-1] in '02468' else 'SH'}\n" for k, s, t in rows
    )
    return text, rows


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_cases_without_their_first_step_count_in_their_period(
    tmp_path, engine: str, seed: int
) -> None:
    text, rows = generated_log(seed)
    low, high = datetime(2026, 2, 1), datetime(2026, 3, 1)  # February, local time
    first: dict[str, datetime] = {}
    earliest: dict[str, datetime] = {}
    for key, step, at in rows:
        earliest[key] = min(at, earliest.get(key, at))
        if step == "received":
            first[key] = min(at, first.get(key, at))
    started = {k for k, at in first.items() if low <= at < high}
    lacking = {k for k, at in earliest.items() if k not in first and low <= at < high}
    lacking_anywhere = {k for k in earliest if k not in first}
    assert lacking and lacking_anywhere - lacking  # the log has both kinds
    results = audit_on(tmp_path, text, engine)
    for rule in ("HANDLING", "HANDLING-BUSINESS"):
        f = results[rule].findings[0]
        assert f.counts.excluded == len(lacking), rule
        assert f.excluded_by_reason == {"no received step": len(lacking)}, rule
        assert f.counts.n + f.counts.pending == len(started), rule


def test_a_case_without_its_first_step_falls_in_the_sub_period_of_its_earliest_event(
    tmp_path, write_pack
) -> None:
    text = (TEST_PACKS / "sequence.yaml").read_text(encoding="utf-8")
    text = text.replace("    group_by: [site]\n", "    group_by: [site]\n    period: month\n", 1)
    pack = load_pack(write_pack(text), [STANDARDS])
    events = (
        "A,received,2026-02-02 10:00:00,BJ\n"
        "X1,acknowledged,2026-01-10 10:00:00,BJ\nX1,resolved,2026-02-10 10:00:00,BJ\n"
        "X2,acknowledged,2026-03-10 10:00:00,BJ\n"
        "X3,resolved,2026-03-20 10:00:00,BJ\n"
    )
    folder = tmp_path / "evidence"
    folder.mkdir()
    findings = audit_on(folder, events, "sqlite", "2026-Q1", pack)["HANDLING"].findings
    excluded = {f.period: f.counts.excluded for f in findings[1:] if f.counts.excluded}
    assert findings[0].counts.excluded == 3
    assert excluded == {"2026-01": 1, "2026-03": 2}


@pytest.mark.parametrize("engine", ["sqlite", "duckdb", pytest.param("spark", marks=needs_spark)])
def test_a_case_without_its_first_step_is_excluded_under_the_groups_of_its_earliest_event(
    tmp_path, write_pack, engine: str, request: pytest.FixtureRequest
) -> None:
    """X and Y have no received step: each is excluded under the site of its earliest event,
    SH (Y's two earliest events are at the same time: the first line, SH, counts), not in a
    group of no site, which no event has. B's groups are those of its first received event
    (SH), not of its repeat (BJ). So BJ holds A (met), SH holds B (met) and X and Y excluded."""
    if engine == "spark":
        request.getfixturevalue("spark")  # the session's one Spark session
    events = (
        "A,received,2026-02-02 10:00:00,BJ\nA,acknowledged,2026-02-02 11:00:00,BJ\n"
        "A,resolved,2026-02-03 10:00:00,BJ\n"
        "X,acknowledged,2026-02-05 10:00:00,SH\nX,resolved,2026-02-06 10:00:00,SH\n"
        "Y,resolved,2026-02-07 10:00:00,SH\nY,acknowledged,2026-02-07 10:00:00,BJ\n"
        "B,received,2026-02-09 10:00:00,SH\nB,received,2026-02-09 11:00:00,BJ\n"
        "B,acknowledged,2026-02-09 12:00:00,BJ\nB,resolved,2026-02-10 10:00:00,BJ\n"
    )
    text = (TEST_PACKS / "sequence.yaml").read_text(encoding="utf-8")
    pack = load_pack(write_pack(text.split("  - id: HANDLING-BUSINESS")[0]), [STANDARDS])
    folder = tmp_path / "evidence"
    folder.mkdir()
    (result,) = audit_on(folder, events, engine, pack=pack).values()  # HANDLING alone
    pooled, *groups = result.findings
    assert (pooled.counts.n, pooled.counts.conforming, pooled.counts.excluded) == (2, 2, 2)
    by_site = {
        f.group["site"]: (f.counts.n, f.counts.conforming, f.counts.excluded, f.excluded_by_reason)
        for f in groups
    }
    assert by_site == {"BJ": (1, 1, 0, {}), "SH": (1, 1, 2, {"no received step": 2})}


# ------------------------------------------------------------ a trend or a dispersion of a sequence

#: HANDLING's steps are written {name, within}: the rules that follow it read them again
FOLLOWERS = """\
  - id: HANDLING-TREND
    clause: "3.4.2"
    title: {zh: 趋势, en: Handling month by month}
    evidence: complaint_events
    trend: {of: HANDLING, per: month, periods: 3}
    target: no-decline
    severity: minor
    capa: {action: {zh: 改, en: Fix}, owner: lead}
  - id: HANDLING-SITES
    clause: "3.4.2"
    title: {zh: 站点差异, en: Handling compared across sites}
    evidence: complaint_events
    dispersion: {of: HANDLING, across: site}
    target: "<= 50"
    severity: minor
    capa: {action: {zh: 改, en: Fix}, owner: lead}
"""


def followed_pack_file(write_pack, change: tuple[str, str] = ("", "")) -> Path:
    text = (TEST_PACKS / "sequence.yaml").read_text(encoding="utf-8").replace(*change, 1)
    return write_pack(text + FOLLOWERS)


def test_a_trend_and_a_dispersion_of_a_sequence_load(write_pack) -> None:
    pack = load_pack(followed_pack_file(write_pack), [STANDARDS])
    assert [r.measure.name for r in pack.rules[-2:]] == ["trend", "dispersion"]


def test_a_misspelt_step_key_of_a_followed_sequence_is_reported_once(write_pack) -> None:
    misspelt = ("{name: acknowledged, within: 24h}", "{name: acknowledged, whithin: 24h}")
    with pytest.raises(PackErrors) as caught:
        load_pack(followed_pack_file(write_pack, misspelt), [STANDARDS])
    assert [e.message for e in caught.value.errors] == [
        "unknown key 'whithin' in sequence step in rule HANDLING"
    ]
    assert caught.value.errors[0].suggestion == "within"


#: January to March 2026, local time (Asia/Shanghai); each month judged at its own end
FOLLOWED_EVENTS = (
    # January: J1 met; J2 acknowledged after 48 h (late); J3 resolved on 2 Feb, within its
    # 5 d: pending at January's end, met by the quarter's end. January 1 of 2 = 50 %.
    "J1,received,2026-01-05 10:00:00,BJ\nJ1,acknowledged,2026-01-05 11:00:00,BJ\n"
    "J1,resolved,2026-01-06 10:00:00,BJ\n"
    "J2,received,2026-01-12 10:00:00,SH\nJ2,acknowledged,2026-01-14 10:00:00,SH\n"
    "J2,resolved,2026-01-14 12:00:00,SH\n"
    "J3,received,2026-01-30 10:00:00,BJ\nJ3,acknowledged,2026-01-30 11:00:00,BJ\n"
    "J3,resolved,2026-02-02 10:00:00,BJ\n"
    # February: F1, F2 met; F3 resolved after 7 d (late); F4 never acknowledged (missing).
    # February 2 of 4 = 50 %.
    "F1,received,2026-02-02 10:00:00,BJ\nF1,acknowledged,2026-02-02 11:00:00,BJ\n"
    "F1,resolved,2026-02-03 10:00:00,BJ\n"
    "F2,received,2026-02-09 10:00:00,BJ\nF2,acknowledged,2026-02-09 12:00:00,BJ\n"
    "F2,resolved,2026-02-10 10:00:00,BJ\n"
    "F3,received,2026-02-16 10:00:00,SH\nF3,acknowledged,2026-02-16 11:00:00,SH\n"
    "F3,resolved,2026-02-23 10:00:00,SH\n"
    "F4,received,2026-02-20 10:00:00,SH\n"
    # March: M1, M2, M3 met; M4 acknowledged before it was received (out of order); M5 still
    # to be resolved on 1 April (pending). March 3 of 4 = 75 %.
    "M1,received,2026-03-02 10:00:00,BJ\nM1,acknowledged,2026-03-02 11:00:00,BJ\n"
    "M1,resolved,2026-03-03 10:00:00,BJ\n"
    "M2,received,2026-03-09 10:00:00,BJ\nM2,acknowledged,2026-03-09 11:00:00,BJ\n"
    "M2,resolved,2026-03-10 10:00:00,BJ\n"
    "M3,received,2026-03-16 10:00:00,SH\nM3,acknowledged,2026-03-16 11:00:00,SH\n"
    "M3,resolved,2026-03-17 10:00:00,SH\n"
    "M4,received,2026-03-20 10:00:00,SH\nM4,acknowledged,2026-03-20 09:00:00,SH\n"
    "M4,resolved,2026-03-21 10:00:00,SH\n"
    "M5,received,2026-03-31 10:00:00,BJ\nM5,acknowledged,2026-03-31 11:00:00,BJ\n"
)


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_a_trend_and_a_dispersion_of_a_sequence_by_hand(tmp_path, write_pack, engine) -> None:
    pack = load_pack(followed_pack_file(write_pack), [STANDARDS])
    folder = tmp_path / "evidence"
    folder.mkdir()
    results = audit_on(folder, FOLLOWED_EVENTS, engine, "2026-Q1", pack)
    trend = results["HANDLING-TREND"].findings[0]
    months = [(p["period"], p["conforming"], p["n"]) for p in trend.details["trend"]["periods"]]
    assert months == [("2026-01", 1, 2), ("2026-02", 2, 4), ("2026-03", 3, 4)]
    # 50, 50, 75 % at x = 0, 1, 2: mean x 1; Sxy = -1·(50 - 58.33) + 1·(75 - 58.33) = 25,
    # Sxx = 2: slope 12.5 points a month
    assert trend.value == pytest.approx(12.5)
    # the quarter, judged at 1 April: BJ J1 J3 F1 F2 M1 M2 met, 6 of 6 (M5 pending);
    # SH M3 met, J2 F3 F4 M4 breached, 1 of 5; pooled 7 of 11. SH falls short by
    # 7/11 - 1/5 = 24/55 = 43.64 points, the largest shortfall: within the target <= 50
    sites = results["HANDLING-SITES"].findings[0]
    block = sites.details["dispersion"]
    assert (block["pooled"]["conforming"], block["pooled"]["n"]) == (7, 11)
    groups = {g["group"]: (g["conforming"], g["n"]) for g in block["groups"]}
    assert groups == {"BJ": (6, 6), "SH": (1, 5)}
    assert sites.value == pytest.approx(100 * 24 / 55)
    assert results["HANDLING-SITES"].verdict == "conform"


# ------------------------------------------------------------ files without a column


#: a kind whose case key, step and time are optional: a file may lack any of their columns
OPTIONAL_COLUMNS_PACK = """\
pack: sequence-columns-test
version: 1.0.0
standard: special-service-monitoring
timezone: Asia/Shanghai
evidence:
  complaint_events:
    key: event_id
    time: at
    fields:
      event_id: string
      complaint_id: string?
      event: {type: enum, values: [received, acknowledged, resolved], optional: true}
      at: timestamp?
rules:
  - id: HANDLING
    clause: "3.4.2"
    title: {zh: 投诉处理时限, en: Complaint handled in time}
    evidence: complaint_events
    sequence:
      key: complaint_id
      step: event
      at: at
      steps:
        - received
        - {name: acknowledged, within: 24h}
        - {name: resolved, within: 5d, after: received}
    severity: major
    min_records: 1
    capa: {action: {zh: 改, en: Fix}, owner: lead}
"""

#: one file of each layout: with every column, and without at, event or complaint_id
EVENTS_BY_FILE = {
    "complaint_events-all.csv": "event_id,complaint_id,event,at\n"
    # A: acknowledged in 2 h, resolved in 2 d: met
    "a1,A,received,2026-02-02 10:00:00\na2,A,acknowledged,2026-02-02 12:00:00\n"
    "a3,A,resolved,2026-02-04 10:00:00\n"
    # B: acknowledged 30 h after receipt: late, a breach
    "b1,B,received,2026-02-02 10:00:00\nb2,B,acknowledged,2026-02-03 16:00:00\n"
    "b3,B,resolved,2026-02-04 10:00:00\n"
    # C: received here, its other steps in the file without at
    "c1,C,received,2026-02-05 10:00:00\n"
    # F: met here, with one more event in the file without event
    "f1,F,received,2026-02-12 10:00:00\nf2,F,acknowledged,2026-02-12 11:00:00\n"
    "f3,F,resolved,2026-02-13 10:00:00\n",
    # C's acknowledgement and resolution at no known time (else: acknowledged missing, a breach)
    "complaint_events-no-time.csv": "event_id,complaint_id,event\n"
    "c2,C,acknowledged\nc3,C,resolved\n",
    # E: a case of events of no known step (else: excluded as having no received step)
    "complaint_events-no-step.csv": "event_id,complaint_id,at\n"
    "e1,E,2026-02-10 10:00:00\ne2,E,2026-02-10 11:00:00\nf4,F,2026-02-12 10:30:00\n",
    # G: events of no known case (else: one case of no key, met)
    "complaint_events-no-case.csv": "event_id,event,at\n"
    "g1,received,2026-02-15 10:00:00\ng2,acknowledged,2026-02-15 11:00:00\n"
    "g3,resolved,2026-02-16 10:00:00\n",
}


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_a_case_with_an_event_from_a_file_without_a_column_it_is_judged_by_is_excluded(
    tmp_path, write_pack, engine: str
) -> None:
    """A case any of whose events comes from a file without the column of its case key, step
    or time is excluded with the reason the rule's other records get: A met and B late are
    judged (1 of 2); C (its steps at no known time), E and F (an event of no known step) and
    G (events of no known case) are excluded, each with its file's missing column."""
    from auditor.backends.engines import open_backend

    pack = load_pack(write_pack(OPTIONAL_COLUMNS_PACK), [STANDARDS])
    folder = tmp_path / "evidence"
    folder.mkdir()
    for name, text in EVENTS_BY_FILE.items():
        (folder / name).write_text(text, encoding="utf-8")
    store = EvidenceStore(None)
    try:
        ingest(pack, folder, store)
        backend = store if engine == "sqlite" else open_backend(store, engine)
        (result,) = evaluate(pack, backend, parse_period("2026-02"))
    finally:
        store.close()
    f = result.findings[0]
    assert (f.counts.n, f.counts.conforming, f.counts.breached, f.counts.pending) == (2, 1, 1, 0)
    assert f.failing == ["B"]
    assert f.counts.excluded == 4
    assert f.excluded_by_reason == {
        "no column for at in its file": 1,
        "no column for complaint_id in its file": 1,
        "no column for event in its file": 2,
    }
