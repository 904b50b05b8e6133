"""Live monitoring: durable_rules gives, key by key, the verdicts of the batch audit."""

from __future__ import annotations

import functools
import json
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auditor import load_pack
from auditor.backends.store import EvidenceStore
from auditor.evaluate.driver import Evaluation, backend_for
from auditor.ingest import ingest
from auditor.live import watch
from auditor.model import Pack
from auditor.periods import parse_period

from .conftest import RULES, STANDARDS, TEST_PACKS


@functools.cache
def the_pack() -> Pack:
    """The pack these tests use, loaded on first use (never at import)."""
    return load_pack(TEST_PACKS / "live.yaml", [STANDARDS])


SH = ZoneInfo("Asia/Shanghai")
PERIOD = parse_period("2026-02")
END = PERIOD.end(SH)
START = datetime(2026, 2, 1)


def text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


offsets = st.integers(0, 26 * 86400)
calls = st.lists(
    st.fixed_dictionaries(
        {
            "channel": st.sampled_from(["phone", "chat"]),
            "start": offsets,
            "wait": st.one_of(st.none(), st.integers(0, 6 * 3600), st.integers(0, 90)),
            "end_after": st.one_of(st.none(), st.integers(0, 20)),
            "agent": st.one_of(st.none(), st.sampled_from(["", "A1", "B2"])),
            "score": st.one_of(st.none(), st.integers(0, 5)),
            # first seen without its agent and score, then updated with them
            "draft": st.booleans(),
        }
    ),
    max_size=25,
)
cases = st.lists(
    st.lists(
        st.tuples(st.sampled_from(["opened", "answered", "closed"]), st.integers(0, 3 * 86400)),
        min_size=1,
        max_size=4,
    ),
    max_size=12,
)


def records(call_specs, case_specs) -> list[dict]:
    out = []
    for n, spec in enumerate(call_specs):
        received = START + timedelta(seconds=spec["start"])
        answered = None if spec["wait"] is None else received + timedelta(seconds=spec["wait"])
        ended = (
            None
            if spec["end_after"] is None
            else (answered or received) + timedelta(seconds=spec["end_after"])
        )
        out.append(
            {
                "kind": "calls",
                "call_id": f"C{n}",
                "channel": spec["channel"],
                "received_at": text(received),
                "answered_at": text(answered),
                "ended_at": text(ended),
                "agent": spec["agent"],
                "score": spec["score"],
            }
        )
    for n, events in enumerate(case_specs):
        base = START + timedelta(days=n)
        for step, offset in events:
            out.append(
                {
                    "kind": "steps",
                    "case_id": f"K{n}",
                    "step": step,
                    "at": text(base + timedelta(seconds=offset)),
                }
            )
    return out


def with_drafts(items: list[dict], call_specs, rng) -> list[dict]:
    """The stream: each call marked ``draft`` comes first as an earlier state of the
    record (no agent or score yet), somewhere before its final state."""
    out = list(items)
    for n, spec in enumerate(call_specs):
        if spec["draft"]:
            final = next(i for i, item in enumerate(out) if item.get("call_id") == f"C{n}")
            draft = {**out[final], "agent": None, "score": None}
            out.insert(rng.randint(0, final), draft)
    return out


def batch(folder, items) -> dict[str, dict[str, str]]:
    with (
        (folder / "calls.jsonl").open("w", encoding="utf-8") as calls_file,
        (folder / "steps.jsonl").open("w", encoding="utf-8") as steps_file,
    ):
        for item in items:
            target = calls_file if item["kind"] == "calls" else steps_file
            target.write(json.dumps({k: v for k, v in item.items() if k != "kind"}) + "\n")
    store = EvidenceStore(None)
    ingest(the_pack(), folder, store)
    engine = Evaluation(the_pack(), backend_for(store), PERIOD)
    return {rule.id: engine.record_outcomes(rule) for rule in the_pack().rules}


#: a case reopened: opened, answered and closed in time, then all three again two days later
REOPENED = [
    [("opened", 0), ("answered", 600), ("closed", 1200)],
    [("opened", 2 * 86400), ("answered", 2 * 86400 + 7200), ("closed", 2 * 86400 + 7300)],
]


@given(calls, cases, st.randoms(use_true_random=False))
@example([], [REOPENED[0] + REOPENED[1]], random.Random(3))
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_watch_agrees_with_the_batch_audit_key_by_key(
    tmp_path_factory, call_specs, case_specs, rng
) -> None:
    items = records(call_specs, case_specs)
    expected = batch(tmp_path_factory.mktemp("batch"), items)  # each record's final state
    rng.shuffle(items)  # events arrive in any order
    lines = [json.dumps(item) for item in with_drafts(items, call_specs, rng)]
    watcher = watch(the_pack(), lines, lambda alert: None, until=END)
    got = watcher.verdicts()
    for rule in the_pack().rules:
        assert got[rule.id] == expected[rule.id], rule.id
    # as `auditor watch` runs, keeping only what is open, a case with every step seen included
    forgetful = watch(the_pack(), lines, lambda alert: None, until=END, remember=False)
    assert forgetful.verdicts()["CASE-FLOW"] == expected["CASE-FLOW"]


def test_alerts_are_written_when_a_breach_becomes_certain() -> None:
    items = [
        {
            "kind": "calls",
            "call_id": "A",
            "channel": "phone",
            "received_at": "2026-02-02 10:00:00",
            "answered_at": "2026-02-02 10:00:45",
        },
        {"kind": "calls", "call_id": "B", "channel": "phone", "received_at": "2026-02-02 10:01:00"},
        {
            "kind": "calls",
            "call_id": "C",
            "channel": "phone",
            "received_at": "2026-02-02 10:05:00",
            "answered_at": "2026-02-02 10:05:10",
        },
    ]
    alerts: list[dict] = []
    watcher = watch(the_pack(), [json.dumps(i) for i in items], alerts.append)
    phone = [a for a in alerts if a["rule"] == "ANSWER-30S"]
    assert [a["key"] for a in phone] == ["A", "B"]
    assert phone[0]["by_seconds"] == 15
    # B was still open when C arrived (its latest time 10:05:10), long past 30 s: breached then.
    assert phone[1]["event_time"].startswith("2026-02-02T10:05:10")
    assert watcher.verdicts()["ANSWER-30S"] == {"A": "breach", "B": "breach", "C": "conform"}


def test_a_call_seen_ringing_and_then_answered_in_time_is_not_alerted() -> None:
    ringing = {
        "kind": "calls",
        "call_id": "B",
        "channel": "phone",
        "received_at": "2026-02-02 10:01:00",
    }
    answered = {**ringing, "answered_at": "2026-02-02 10:01:20"}
    later = {**ringing, "call_id": "C", "received_at": "2026-02-02 10:05:00"}
    alerts: list[dict] = []
    watcher = watch(the_pack(), [json.dumps(i) for i in (ringing, answered, later)], alerts.append)
    assert [a for a in alerts if a["rule"] == "ANSWER-30S"] == []
    assert watcher.counts.updates == 1 and watcher.counts.duplicates == 0
    assert watcher.verdicts()["ANSWER-30S"] == {"B": "conform", "C": "pending"}


def test_an_open_ticket_is_not_a_breach_and_its_closing_is_an_update() -> None:
    """CLOSURE-95 (status resolved or closed): a ticket that has just opened is not alerted;
    the same ticket closed later is judged (an update); an identical record again is a
    duplicate; a ticket still open when the watch ends is a breach then, as in the batch
    audit, and the alert names the condition."""
    quality = load_pack(RULES / "service-quality.yaml")

    def ticket(key: str, status: str, **more: str) -> str:
        item = {"kind": "tickets", "ticket_id": key, "site": "BJ", "category": "billing"}
        item.update(opened_at="2026-07-01 10:00:00", status=status, **more)
        return json.dumps(item)

    closed = ticket("T1", "closed", closed_at="2026-07-03 09:00:00")
    alerts: list[dict] = []
    before_the_end: list[list[dict]] = []

    def stream():
        yield ticket("T1", "open")
        yield ticket("T2", "open")
        before_the_end.append(list(alerts))
        yield closed
        yield closed
        before_the_end.append(list(alerts))

    watcher = watch(quality, stream(), alerts.append)
    assert before_the_end == [[], []]  # nothing is alerted while a ticket may still close
    assert watcher.counts.updates == 1 and watcher.counts.duplicates == 1
    assert watcher.verdicts()["CLOSURE-95"] == {"T1": "conform", "T2": "breach"}
    assert alerts == [
        {
            "rule": "CLOSURE-95",
            "clause": "3.3.3",
            "key": "T2",
            "breach": 'condition not met: status in ("resolved", "closed")',
            "by_seconds": None,
            "event_time": "2026-07-03T09:00:00+08:00",  # the end of the watch
        }
    ]


def test_a_duration_keeps_its_first_judgement_whatever_later_updates_say() -> None:
    """docs/watch.md: a duration's verdict is the key's first judgement, not the latest
    record's. L1 is alerted when its deadline passes (L2 moves the watermark on); an update
    showing it answered in 20 s does not withdraw the alert. D1, answered in 10 s, then
    sent again answered in 50 s, stays conform and is never alerted. The batch audit of
    the latest records would find L1 conform and D1 breached."""
    quality = load_pack(RULES / "service-quality.yaml")

    def call(key: str, received: str, answered: str | None = None) -> str:
        item = {"kind": "interactions", "interaction_id": key, "channel": "phone", "site": "BJ"}
        item.update(agent_id="BJ-A01", received_at=received)
        if answered is not None:
            item["answered_at"] = answered
        return json.dumps(item)

    lines = [
        call("L1", "2026-07-01 10:00:00"),
        call("L2", "2026-07-01 10:00:40", "2026-07-01 10:00:45"),
        call("L1", "2026-07-01 10:00:00", "2026-07-01 10:00:20"),  # answered in time after all
        call("D1", "2026-07-01 11:00", "2026-07-01 11:00:10"),
        call("D1", "2026-07-01 11:00:00", "2026-07-01 11:00:10"),  # a duplicate
        call("D1", "2026-07-01 11:00:00", "2026-07-01 11:00:50"),  # lengthened past 30 s
    ]
    alerts: list[dict] = []
    watcher = watch(
        quality, lines, alerts.append, until=datetime(2026, 7, 2, tzinfo=SH).timestamp()
    )
    phone = [(a["key"], a["breach"]) for a in alerts if a["rule"] == "RESP-PHONE-30S"]
    assert phone == [("L1", "no answered_at yet, 45 s after received_at; limit 30s")]
    assert watcher.counts.updates == 2 and watcher.counts.duplicates == 1
    assert watcher.verdicts()["RESP-PHONE-30S"] == {
        "L1": "breach",
        "L2": "conform",
        "D1": "conform",
    }


def test_a_duration_net_of_pauses_and_its_control_chart_are_not_watched() -> None:
    """TECH-INITIAL-4H subtracts pauses another kind brings, at any time: the watch leaves
    it, and a control chart of it, to the batch audit, saying why (once, from the CLI)."""
    import dataclasses

    from auditor.live import Watcher
    from auditor.measures.control_chart import ControlChartMeasure

    quality = load_pack(RULES / "service-quality.yaml")
    base = quality.rule("TECH-INITIAL-4H")
    assert base is not None
    chart = dataclasses.replace(
        base,
        id="TECH-CHART",
        measure=ControlChartMeasure(of=base.id, per="day", baseline=parse_period("2026-Q2")),
    )
    pack = dataclasses.replace(quality, rules=(*quality.rules, chart))
    watcher = Watcher(pack, lambda alert: None)
    assert set(watcher.not_live) == {"TECH-INITIAL-4H", "TECH-CHART"}
    assert watcher.not_live["TECH-CHART"].startswith(
        "its base rule TECH-INITIAL-4H is not watched: its durations are net of pauses read "
        "from ticket_status"
    )
    assert {"TECH-INITIAL-4H", "TECH-CHART"} <= set(watcher.skipped)
    assert {w.rule.id for w in watcher.rules}.isdisjoint({"TECH-INITIAL-4H", "TECH-CHART"})


def test_sequence_alerts_name_the_step() -> None:
    items = [
        {"kind": "steps", "case_id": "K", "step": "opened", "at": "2026-02-02 10:00:00"},
        {"kind": "steps", "case_id": "K", "step": "answered", "at": "2026-02-02 12:00:00"},
    ]
    alerts: list[dict] = []
    watch(the_pack(), [json.dumps(i) for i in items], alerts.append)
    assert alerts == [
        {
            "rule": "CASE-FLOW",
            "clause": "3.3.3",
            "key": "K",
            "breach": "answered: late",
            "by_seconds": 3600.0,
            "event_time": "2026-02-02T12:00:00+08:00",
        }
    ]


def test_a_sequence_keeps_the_earliest_event_of_each_step_of_a_case(tmp_path) -> None:
    """As `auditor watch` runs (keeping only what is open), a case whose every step has been
    seen is still a case: D, reopened and answered two days later, is judged on its first
    events (answered 20 min after opened: conform), not alerted as late; F's opening, sent
    after its other steps with an earlier time, replaces the one kept (answered 80 min
    after it, limit 1h: late by 1200 s)."""

    def event(case: str, step: str, at: str) -> dict:
        return {"kind": "steps", "case_id": case, "step": step, "at": f"2026-02-{at}"}

    items = [
        event("D", "opened", "02 10:00:00"),
        event("D", "answered", "02 10:20:00"),
        event("D", "closed", "02 11:00:00"),
        event("D", "opened", "04 10:00:00"),
        event("D", "answered", "04 12:00:00"),
        event("D", "closed", "05 11:00:00"),
        event("F", "opened", "05 12:00:00"),
        event("F", "answered", "05 13:20:00"),
        event("F", "closed", "05 13:40:00"),
        event("F", "opened", "05 12:30:00"),
        event("F", "opened", "05 12:00:00"),  # a duplicate
        event("F", "opened", "05 11:00:00"),
    ]
    alerts: list[dict] = []
    lines = [json.dumps(i) for i in items]
    watcher = watch(the_pack(), lines, alerts.append, until=END, remember=False)
    assert [(a["key"], a["breach"], a["by_seconds"]) for a in alerts] == [
        ("F", "answered: late", 1200.0)
    ]
    assert watcher.verdicts()["CASE-FLOW"] == {"D": "conform", "F": "breach"}
    assert batch(tmp_path, items)["CASE-FLOW"] == {"D": "conform", "F": "breach"}


def test_a_long_running_watch_forgets_the_cases_completed_longest_ago() -> None:
    """Keeping only what is open, a watch keeps completed cases up to its key memory."""
    from auditor.live import Watcher, read_lines

    watcher = Watcher(the_pack(), lambda alert: None, remember=False, key_memory=1)
    steps = ("opened", "answered", "closed")
    lines = [
        json.dumps(
            {"kind": "steps", "case_id": case, "step": step, "at": f"2026-02-0{day} 10:0{n}"}
        )
        for case, day in (("A", 2), ("B", 3), ("C", 3))
        for n, step in enumerate(steps if case != "C" else steps[:1])
    ]
    read_lines(lines, watcher)
    flow = next(w for w in watcher.rules if w.rule.id == "CASE-FLOW")
    assert sorted(flow.cases) == ["B", "C"]  # A completed first, forgotten; C is still open


def test_two_watches_with_different_packs_in_one_process() -> None:
    quality = load_pack(RULES / "service-quality.yaml")
    items = [
        {
            "kind": "interactions",
            "interaction_id": "I1",
            "channel": "phone",
            "site": "BJ",
            "received_at": "2026-07-01 10:00:00",
            "answered_at": "2026-07-01 10:01:00",
        },
        {
            "kind": "interactions",
            "interaction_id": "I2",
            "channel": "chat",
            "site": "BJ",
            "received_at": "2026-07-01 10:00:00",
            "answered_at": "2026-07-01 10:00:20",
            "agent_id": "A",
        },
    ]
    live = [
        {
            "kind": "calls",
            "call_id": "A",
            "channel": "phone",
            "received_at": "2026-02-02 10:00:00",
            "answered_at": "2026-02-02 10:00:45",
        },
    ]
    alone_q = watch(quality, [json.dumps(i) for i in items], lambda a: None).verdicts()
    alone_l = watch(the_pack(), [json.dumps(i) for i in live], lambda a: None).verdicts()
    again_q = watch(quality, [json.dumps(i) for i in items], lambda a: None).verdicts()
    again_l = watch(the_pack(), [json.dumps(i) for i in live], lambda a: None).verdicts()
    assert alone_q == again_q and alone_l == again_l
    assert alone_q["RESP-PHONE-30S"] == {"I1": "breach"}
    assert alone_q["RECORD-AGENT"] == {"I1": "breach", "I2": "conform"}


def test_bad_lines_are_counted_not_fatal() -> None:
    lines = [
        "not json",
        "[1]",
        json.dumps({"kind": "nope"}),
        json.dumps(
            {
                "kind": "calls",
                "call_id": "X",
                "channel": "fax",
                "received_at": "2026-02-02 10:00:00",
            }
        ),
    ]
    watcher = watch(the_pack(), lines, lambda a: None)
    assert watcher.counts.rejected == 4
    assert watcher.counts.events == 4


def test_a_whole_number_rejected_is_quoted_as_the_line_writes_it() -> None:
    """20260813 for a date/time is no Excel serial: the reason quotes it as written (it read
    '20260813.0', the number read through float); 100000.5 keeps its fraction."""
    lines = [
        json.dumps({"kind": "calls", "call_id": key, "channel": "phone", "received_at": value})
        for key, value in (("A", 20260813), ("B", 100000.5))
    ]
    watcher = watch(the_pack(), lines, lambda a: None)
    assert watcher.counts.reasons == {
        "calls.received_at: '20260813' is not a plausible Excel date serial (1954-2119)": 1,
        "calls.received_at: '100000.5' is not a plausible Excel date serial (1954-2119)": 1,
    }


def test_numeric_dates_are_read_in_the_order_the_stream_has_shown_and_others_rejected() -> None:
    """As the ingest settles a file's day/month order from its dates, the watch settles it
    from the stream's: a date no earlier one has ordered is rejected, never a crash."""

    def call(key: str, received: str, answered: str) -> str:
        return json.dumps(
            {
                "kind": "calls",
                "call_id": key,
                "channel": "phone",
                "received_at": received,
                "answered_at": answered,
            }
        )

    lines = [
        call("A", "01/02/2026 10:00", "01/02/2026 10:00:45"),  # 1 Feb or 2 Jan: cannot be told
        call("B", "13/02/2026 10:00", "13/02/2026 10:00:45"),  # only day-first
        call("C", "03/02/2026 10:00", "03/02/2026 10:00:40"),  # so 3 February
        call("D", "02/13/2026 10:00", "13/02/2026 10:00:50"),  # only month-first
    ]
    alerts: list[dict] = []
    watcher = watch(the_pack(), lines, alerts.append)
    phone = [
        (a["key"], a["by_seconds"], a["event_time"]) for a in alerts if a["rule"] == "ANSWER-30S"
    ]
    assert phone == [
        ("B", 15.0, "2026-02-13T10:00:45+08:00"),
        ("C", 10.0, "2026-02-03T10:00:40+08:00"),
    ]
    assert watcher.counts.events == 4 and watcher.counts.rejected == 2
    assert watcher.counts.reasons == {
        "calls.received_at: '01/02/2026 10:00' could be day-first or month-first, and no date "
        "of the field so far has a part over 12 to tell; write it as an ISO date (YYYY-MM-DD)": 1,
        "calls: column 'received_at' mixes day-first and month-first dates: '13/02/2026 10:00' "
        "(line 2) can only be day-first, '02/13/2026 10:00' (line 4) only month-first": 1,
    }


def test_identity_collisions_are_reposted_not_lost(monkeypatch) -> None:
    import durable_rules_engine

    from auditor.live import adapter

    calls_seen = {"n": 0}
    original = durable_rules_engine.assert_event

    def flaky(handle, body):
        calls_seen["n"] += 1
        if calls_seen["n"] == 1:
            return (adapter.LiveRuleset.OBSERVED, 0)  # the engine's "already seen"
        return original(handle, body)

    monkeypatch.setattr(durable_rules_engine, "assert_event", flaky)
    item = {
        "kind": "calls",
        "call_id": "A",
        "channel": "chat",
        "received_at": "2026-02-02 10:00:00",
        "answered_at": "2026-02-02 10:00:05",
        "agent": "Z",
        "score": 4,
    }
    watcher = watch(the_pack(), [json.dumps(item)], lambda a: None)
    assert watcher.counts.collisions == 1
    assert watcher.verdicts()["AGENT-KNOWN"] == {"A": "conform"}


def test_an_exception_in_an_action_is_raised_not_swallowed() -> None:
    from auditor.live.adapter import LiveRuleset, RulesEngineError

    def boom(message):
        raise ValueError("broken action")

    ruleset = LiveRuleset("auditor-test-boom", {"one": ({"v": 1}, boom), "two": ({"v": 2}, boom)})
    with pytest.raises(RulesEngineError, match="broken action"):
        ruleset.post({"v": 1})


def test_an_interrupt_in_an_action_stops_as_an_interrupt() -> None:
    """Ctrl-C or SIGTERM while an action writes an alert is a stop, not an engine failure."""
    from auditor.interrupts import Terminated
    from auditor.live.adapter import LiveRuleset

    def stopped(message):
        raise Terminated()

    ruleset = LiveRuleset(
        "auditor-test-stop", {"one": ({"v": 1}, stopped), "two": ({"v": 2}, print)}
    )
    with pytest.raises(Terminated):
        ruleset.post({"v": 1})
    seen: list[dict] = []
    ruleset.actions["one"] = seen.append
    ruleset.post({"v": 1})  # the engine goes on after it
    assert len(seen) == 1


def test_ctrl_c_while_a_line_is_judged_stops_the_watch_after_that_line(ctrl_c) -> None:
    """Ctrl-C landing while an alert was written lost it (counted, not in the file) and
    counted a line not fully judged: the stop now waits for the line to be judged."""
    import signal

    items = [
        {"kind": "calls", "call_id": "A", "channel": "phone",
         "received_at": "2026-02-02 10:00:00", "answered_at": "2026-02-02 10:00:45"},
        {"kind": "calls", "call_id": "B", "channel": "phone",
         "received_at": "2026-02-02 10:01:00", "answered_at": "2026-02-02 10:02:00"},
    ]  # fmt: skip
    written: list[dict] = []

    def interrupted_while_writing(alert: dict) -> None:
        if not written:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C as the first alert is being written
        written.append(alert)

    from auditor.live import Watcher, read_lines

    watcher = Watcher(the_pack(), interrupted_while_writing)
    with pytest.raises(KeyboardInterrupt):
        read_lines([json.dumps(i) for i in items], watcher)
    assert [(a["rule"], a["key"], a["by_seconds"]) for a in written] == [("ANSWER-30S", "A", 15.0)]
    counts = watcher.counts
    assert (counts.events, counts.last_line, counts.judged, counts.alerts) == (1, 1, 3, 1)


def test_the_stop_signals_handlers_are_swapped_once_for_a_watch_not_for_each_line(
    monkeypatch,
) -> None:
    """Four signal.signal calls per line were about 6 % of a watch's time."""
    import signal

    from auditor.live import Watcher, read_lines

    swaps: list[int] = []
    real = signal.signal
    monkeypatch.setattr(signal, "signal", lambda n, h: swaps.append(n) or real(n, h))
    lines = [json.dumps({"kind": "calls", "call_id": f"C{i}", "channel": "phone",
                         "received_at": "2026-02-02 10:00:00"}) for i in range(50)]  # fmt: skip
    watcher = Watcher(the_pack(), lambda alert: None)
    read_lines([*lines, None], watcher)
    assert watcher.counts.last_line == 50
    assert sorted(swaps) == sorted([signal.SIGINT, signal.SIGTERM] * 2)  # swapped, then back


def test_ctrl_c_while_the_watch_waits_for_a_line_stops_it_at_once(ctrl_c) -> None:
    """Between lines (waiting on a quiet feed) the stop is not held for a line to come."""
    import signal

    from auditor.live import Watcher, read_lines

    def quiet_feed():
        yield json.dumps({"kind": "calls", "call_id": "A", "channel": "phone",
                          "received_at": "2026-02-02 10:00:00"})  # fmt: skip
        signal.raise_signal(signal.SIGINT)  # Ctrl-C while no line has come
        raise AssertionError("the watch read on after Ctrl-C")

    watcher = Watcher(the_pack(), lambda alert: None)
    with pytest.raises(KeyboardInterrupt):
        read_lines(quiet_feed(), watcher)
    assert watcher.counts.last_line == 1


def test_an_existence_only_rule_is_refused() -> None:
    from auditor.live.adapter import LiveRuleset, RulesEngineError

    with pytest.raises(RulesEngineError, match="only existence"):
        LiveRuleset("auditor-test-exists", {"has": ({"$ex": {"v": 1}}, print)})


def test_a_rule_set_that_misses_a_message_is_an_error_not_silence() -> None:
    from auditor.live.adapter import LiveRuleset, RulesEngineError

    ruleset = LiveRuleset("auditor-test-gap", {"one": ({"v": 1}, print)})
    with pytest.raises(RulesEngineError, match="no rule"):
        ruleset.post({"v": 2})
