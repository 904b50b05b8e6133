"""fresh at each record's time, repeat_contact, matched and availability, against hand-worked values.

Every expected figure is worked out by hand in the comments, or by an independent
computation (the csv module, or plain Python over the same hand-made records).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.backends.engines import open_backend
from auditor.backends.store import EvidenceStore
from auditor.evaluate.driver import Evaluation, backend_for
from auditor.ingest import ingest
from auditor.pack import load_pack
from auditor.periods import parse_period

from .conftest import STANDARDS, TEST_PACKS, needs_spark

PACK = TEST_PACKS / "record-measures.yaml"
ZONE = ZoneInfo("Asia/Shanghai")
MARCH = parse_period("2026-03")

INTERACTIONS = "interaction_id,customer_id,category,channel,agent_id,received_at\n"
TRAINING = "agent_id,completed_on\n"
INVITATIONS = "invitation_id,interaction_id,channel,sent_at\n"
RESPONSES = "response_id,invitation_id,status,answered_at\n"
OUTAGES = "outage_id,channel,started_at,ended_at\n"


def the_pack():
    return load_pack(PACK, [STANDARDS])


def run(folder: Path, files: dict[str, str], store=None, engine: str = "sqlite") -> dict:
    """Write the files, ingest them into the store (a fresh one when None) and evaluate March 2026."""
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    own = store is None
    store = EvidenceStore(None) if own else store
    try:
        ingest(the_pack(), folder, store)
        backend = backend_for(store) if engine == "sqlite" else open_backend(store, engine)
        evaluation = Evaluation(the_pack(), backend, MARCH)
        results = {r.rule: r for r in evaluation.run()}
        outcomes = {rule.id: evaluation.record_outcomes(rule) for rule in the_pack().rules}
    finally:
        if own:
            store.close()
    return {"results": results, "outcomes": outcomes}


# ------------------------------------------------------------ fresh, at each record's time

CALLS = INTERACTIONS + (
    # G1 trained on 2026-03-15: a call before it breaches, one after conforms
    "K1,,,phone,G1,2026-03-10 10:00:00\n"
    "K2,,,phone,G1,2026-03-20 10:00:00\n"
    # G2 trained on 2025-03-12, so valid (365 d) up to 2026-03-12 00:00: 03-05 yes, 03-20 no
    "K3,,,phone,G2,2026-03-05 10:00:00\n"
    "K4,,,phone,G2,2026-03-20 10:00:00\n"
    # G3 never trained
    "K5,,,web,G3,2026-03-06 10:00:00\n"
)
TRAINED = TRAINING + "G1,2026-03-15\nG2,2025-03-12\n"


def test_fresh_at_each_records_time(tmp_path: Path, store) -> None:
    got = run(tmp_path, {"interactions": CALLS, "training": TRAINED}, store)
    assert got["outcomes"]["TRAINED-AT-CALL"] == {
        "K1": "breach",
        "K2": "conform",
        "K3": "conform",
        "K4": "breach",
        "K5": "breach",
    }
    pooled = got["results"]["TRAINED-AT-CALL"].findings[0]
    assert (pooled.counts.n, pooled.counts.conforming) == (5, 2)
    assert pooled.failing == ["K1", "K4", "K5"]
    assert pooled.failing_notes[0]["problem"] == "no matching record within the window"


def test_fresh_without_at_record_still_judges_at_the_period_end(tmp_path: Path, store) -> None:
    # window [2025-04-01, 2026-04-01): G1's training counts for every call, G2's for none
    got = run(tmp_path, {"interactions": CALLS, "training": TRAINED}, store)
    assert got["outcomes"]["TRAINED-AT-END"] == {
        "K1": "conform",
        "K2": "conform",
        "K3": "breach",
        "K4": "breach",
        "K5": "breach",
    }


def test_fresh_at_record_on_the_training_day_and_at_the_edge_of_the_window(
    tmp_path: Path, store
) -> None:
    calls = INTERACTIONS + (
        "E1,,,phone,G1,2026-03-15 00:00:00\n"  # the training day's midnight: counts
        "E2,,,phone,G1,2026-03-14 23:59:59\n"  # a second before: no
        "E3,,,phone,G2,2026-03-12 00:00:00\n"  # exactly 365 d after 2025-03-12: still counts
        "E4,,,phone,G2,2026-03-12 00:00:01\n"  # a second later: no
    )
    got = run(tmp_path, {"interactions": calls, "training": TRAINED}, store)
    assert got["outcomes"]["TRAINED-AT-CALL"] == {
        "E1": "conform",
        "E2": "breach",
        "E3": "conform",
        "E4": "breach",
    }


# ------------------------------------------------------------ repeat_contact

CONTACTS = INTERACTIONS + (
    "A1,C1,billing,phone,,2026-03-02 10:00:00\n"  # A2 3 d later, same matter: breach
    "A2,C1,billing,phone,,2026-03-05 10:00:00\n"  # next billing contact 15 d later: conform
    "A3,C1,billing,phone,,2026-03-20 10:00:00\n"  # A4 (tech) 1 d later: a repeat only by customer
    "A4,C1,tech,web,,2026-03-21 10:00:00\n"  # nothing after, window ends 03-28: conform
    "B1,C2,billing,phone,,2026-03-28 10:00:00\n"  # window runs past the period end: pending
    "B2,C2,billing,phone,,2026-04-02 10:00:00\n"  # after the period: not read
    "B3,C3,billing,phone,,2026-03-10 10:00:00\n"  # B4 at the same moment, greater key: breach
    "B4,C3,billing,phone,,2026-03-10 10:00:00\n"  # B3 is not later (smaller key): conform
    "B5,C4,billing,phone,,2026-03-01 09:00:00\n"  # B6 exactly 7 d later: breach
    "B6,C4,billing,phone,,2026-03-08 09:00:00\n"  # conform
    "N1,,billing,phone,,2026-03-03 09:00:00\n"  # no customer: excluded
    "N2,C5,,phone,,2026-03-03 09:00:00\n"  # no matter: excluded by matter, judged by customer
)


def test_repeat_contact_by_customer_and_matter(tmp_path: Path, store) -> None:
    got = run(tmp_path, {"interactions": CONTACTS}, store)
    assert got["outcomes"]["FCR-MATTER"] == {
        "A1": "breach",
        "A2": "conform",
        "A3": "conform",
        "A4": "conform",
        "B1": "pending",
        "B3": "breach",
        "B4": "conform",
        "B5": "breach",
        "B6": "conform",
        "N1": "excluded",
        "N2": "excluded",
    }
    pooled = got["results"]["FCR-MATTER"].findings[0]
    assert (pooled.counts.n, pooled.counts.conforming, pooled.counts.pending) == (8, 5, 1)
    assert pooled.excluded_by_reason == {"no customer id": 1, "no matter": 1}
    assert pooled.verdict == "nonconform"  # 5 / 8 = 62.5 % < 75 %
    # the failing records name their first repeat and the gap in seconds
    notes = dict(zip(pooled.failing, pooled.failing_notes, strict=True))
    gaps = dict(zip(pooled.failing, pooled.failing_values, strict=True))
    assert {k: notes[k]["step"] for k in ("A1", "B3", "B5")} == {"A1": "A2", "B3": "B4", "B5": "B6"}
    assert {k: notes[k]["problem"] for k in ("A1", "B3", "B5")} == {
        "A1": "repeat contact",
        "B3": "repeat contact",
        "B5": "repeat contact",
    }
    assert {k: gaps[k] for k in ("A1", "B3", "B5")} == {"A1": 3 * 86400, "B3": 0, "B5": 7 * 86400}
    # a repeat's key is not a step: no tally of breaches by step (one entry per repeat otherwise)
    assert "breaches_by_step" not in pooled.details


def test_repeat_contact_by_customer_alone(tmp_path: Path, store) -> None:
    got = run(tmp_path, {"interactions": CONTACTS}, store)
    outcomes = got["outcomes"]["FCR-CUSTOMER"]
    assert outcomes["A3"] == "breach"  # A4 a day later, another matter
    assert outcomes["N2"] == "conform"  # judged without a matter
    pooled = got["results"]["FCR-CUSTOMER"].findings[0]
    # conform: A2, A4, B4, B6, N2; breach: A1, A3, B3, B5; pending B1; excluded N1
    assert (pooled.counts.n, pooled.counts.conforming) == (9, 5)


#: three files of interactions: with every column, without category, without customer_id
CONTACTS_BY_FILE = {
    "interactions-all": INTERACTIONS
    + (
        "A1,C1,billing,phone,,2026-03-02 10:00:00\n"  # A2 3 d later: breach
        "A2,C1,billing,phone,,2026-03-05 10:00:00\n"  # nothing after: conform
        "A3,C2,billing,phone,,2026-03-10 10:00:00\n"  # B1 a day later, of unknown matter
        "A4,C3,billing,phone,,2026-03-12 10:00:00\n"  # B2 13 d later: conform
        "A5,C4,tech,phone,,2026-03-28 10:00:00\n"  # D1 2 h later, of unknown customer
        "A6,C6,billing,phone,,2026-03-14 10:00:00\n"  # A7 a day later (B3 2 h later): breach
        "A7,C6,billing,phone,,2026-03-15 10:00:00\n"  # B3 is before it: conform
    ),
    "interactions-no-matter": "interaction_id,customer_id,channel,agent_id,received_at\n"
    "B1,C2,phone,,2026-03-11 10:00:00\n"
    "B2,C3,phone,,2026-03-25 10:00:00\n"
    "B3,C6,phone,,2026-03-14 12:00:00\n",
    "interactions-no-customer": "interaction_id,category,channel,agent_id,received_at\n"
    "D1,tech,phone,,2026-03-28 12:00:00\n",
}


def test_a_contact_a_record_of_a_file_without_a_column_could_repeat_is_excluded(
    tmp_path: Path, store
) -> None:
    """A record of a file without the customer or matter column is excluded, and so is a
    contact it could be the repeat of (of the same customer, or matter, as far as its file
    tells, within the window), with the same reason: whether it was resolved is unknown. A
    contact with a known repeat is breached all the same."""
    got = run(tmp_path, CONTACTS_BY_FILE, store)
    by_matter = got["results"]["FCR-MATTER"].findings[0]
    # A3 (B1 of unknown matter) and A5 (D1 of unknown customer) excluded, B1-B3 and D1 too
    assert got["outcomes"]["FCR-MATTER"] == {
        **dict.fromkeys(["A1", "A6"], "breach"),
        **dict.fromkeys(["A2", "A4", "A7"], "conform"),
        **dict.fromkeys(["A3", "A5", "B1", "B2", "B3", "D1"], "excluded"),
    }
    assert (by_matter.counts.n, by_matter.counts.conforming, by_matter.counts.pending) == (5, 3, 0)
    assert by_matter.excluded_by_reason == {
        "no column for category in its file": 4,
        "no column for customer_id in its file": 2,
    }
    # by customer alone, the file without category tells all: B1 conform, B3 breached by A7,
    # A3 by B1, A6 by B3; D1 could repeat A5 and B2 (window to 1 Apr 10:00), else pending
    by_customer = got["results"]["FCR-CUSTOMER"].findings[0]
    assert got["outcomes"]["FCR-CUSTOMER"] == {
        **dict.fromkeys(["A1", "A3", "A6", "B3"], "breach"),
        **dict.fromkeys(["A2", "A4", "A7", "B1"], "conform"),
        **dict.fromkeys(["A5", "B2", "D1"], "excluded"),
    }
    assert (by_customer.counts.n, by_customer.counts.pending) == (8, 0)
    assert by_customer.excluded_by_reason == {"no column for customer_id in its file": 3}


def expected_outcomes(rows: list[Contact], matter: bool) -> dict:
    """The outcomes worked out in plain Python from the definition in docs/rule-language.md:
    the rule reads contacts with no agent (``where: agent_id is null``), and only such a
    contact can be a repeat."""
    start = datetime(2026, 3, 1, tzinfo=ZONE)
    end = datetime(2026, 4, 1, tzinfo=ZONE)
    within = timedelta(days=7)
    found = {}
    for key, customer, topic, agent, at in rows:
        if agent is not None or not start <= at < end:
            continue
        if customer is None or (matter and topic is None):
            found[key] = "excluded"
            continue
        repeats = [
            other
            for other, c2, t2, a2, at2 in rows
            if a2 is None
            and c2 == customer
            and (t2 == topic or not matter)
            and (at2, other) > (at, key)
            and at2 <= at + within
            and at2 < end
        ]
        if repeats:
            found[key] = "breach"
        elif at + within >= end:
            found[key] = "pending"
        else:
            found[key] = "conform"
    return found


#: key, customer, matter, agent, received at
Contact = tuple[str, str | None, str | None, str | None, datetime]

CONTACT_ROWS = st.lists(
    st.tuples(
        st.sampled_from([None, "C1", "C2", "C3"]),
        st.sampled_from([None, "billing", "tech", "tech"]),
        st.sampled_from([None, None, None, "G1"]),  # a contact with an agent is not read
        st.integers(min_value=-5 * 24, max_value=36 * 24),  # hours from 2026-03-01 00:00
    ),
    max_size=30,
)


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
@settings(max_examples=40, deadline=None)
@given(drawn=CONTACT_ROWS)
def test_repeat_contact_matches_a_plain_python_computation(
    tmp_path_factory, engine: str, drawn
) -> None:
    """Ties on the moment (broken by key), contacts outside the rule's ``where`` (neither
    judged nor repeats), no customer, no matter, windows past the period end."""
    folder = tmp_path_factory.mktemp("fcr")
    base = datetime(2026, 3, 1, tzinfo=ZONE)
    rows: list[Contact] = [
        (f"I{i:03d}", customer, topic, agent, base + timedelta(hours=hours // 3 * 3))
        for i, (customer, topic, agent, hours) in enumerate(drawn)
    ]
    text = INTERACTIONS + "".join(
        f"{key},{customer or ''},{topic or ''},phone,{agent or ''},{at:%Y-%m-%d %H:%M:%S}\n"
        for key, customer, topic, agent, at in rows
    )
    got = run(folder, {"interactions": text}, engine=engine)
    assert got["outcomes"]["FCR-MATTER"] == expected_outcomes(rows, matter=True)
    assert got["outcomes"]["FCR-CUSTOMER"] == expected_outcomes(rows, matter=False)


TRAINING_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["G1", "G2", "G3"]),
        # mostly in March or 365 days before it, where the window's edges fall in March
        st.one_of(st.integers(-2, 31), st.integers(-367, -333), st.integers(-400, 31)),
    ),
    min_size=1,  # without any, the rule is not evaluable (no evidence of kind training)
    max_size=8,
)  # agent, completion day (days from 2026-03-01)


@st.composite
def calls_around(draw: st.DrawFn, trained: list[tuple[str, int]]) -> list[tuple]:
    """Calls (agent, day from 2026-03-01, second of the day), many of them on a completion
    day or 365 days after one: the window's two edges."""
    days = st.integers(min_value=-2, max_value=32)
    edges = st.sampled_from(trained).flatmap(
        lambda t: st.sampled_from([t[1], t[1] + 364, t[1] + 365, t[1] + 366])
    )
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from([None, "G1", "G2", "G3", "G4"]),
                st.one_of(days, edges),
                st.sampled_from([0, 1, 10 * 3600, 86399]),
            ),
            max_size=20,
        )
    )


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
@settings(max_examples=40, deadline=None)
@given(data=st.data(), trained=TRAINING_ROWS)
def test_fresh_at_each_records_time_matches_plain_python(
    tmp_path_factory, engine: str, data, trained
) -> None:
    """A call conforms when its agent completed training at most 365 days before the call
    (the completion day's midnight counts, the call's own moment too), worked out in plain
    Python; calls on the window's edges and several trainings per agent included."""
    calls = data.draw(calls_around(trained))
    folder = tmp_path_factory.mktemp("fresh")
    base = datetime(2026, 3, 1, tzinfo=ZONE)
    completions = {(agent, base + timedelta(days=day)) for agent, day in trained}
    rows = [
        (f"K{i:02d}", agent, base + timedelta(days=day, seconds=second))
        for i, (agent, day, second) in enumerate(calls)
    ]
    got = run(
        folder,
        {
            "interactions": INTERACTIONS
            + "".join(f"{k},,,phone,{a or ''},{at:%Y-%m-%d %H:%M:%S}\n" for k, a, at in rows),
            "training": TRAINING
            + "".join(f"{agent},{day:%Y-%m-%d}\n" for agent, day in sorted(completions)),
        },
        engine=engine,
    )
    end = datetime(2026, 4, 1, tzinfo=ZONE)
    expected = {
        key: "conform"
        if any(a == agent and at - timedelta(days=365) <= day <= at for a, day in completions)
        else "breach"
        for key, agent, at in rows
        if agent is not None and base <= at < end
    }
    assert got["outcomes"]["TRAINED-AT-CALL"] == expected


# ------------------------------------------------------------ matched

SENT = INVITATIONS + (
    "I1,K1,phone,2026-03-02 10:00:00\n"
    "I2,K2,phone,2026-03-03 10:00:00\n"
    "I3,K3,web,2026-03-04 10:00:00\n"
    "I4,,phone,2026-03-05 10:00:00\n"
    "I5,K9,web,2026-03-06 10:00:00\n"
)
ANSWERED = RESPONSES + (
    "R1,I1,complete,2026-03-02 12:00:00\n"
    "R2,I2,partial,2026-03-03 12:00:00\n"  # partial: not a response under the rule's where
    "R3,I3,complete,2026-03-04 12:00:00\n"
    "R4,I3,complete,2026-03-05 12:00:00\n"  # a second response to I3 counts once
    "R5,I8,complete,2026-03-05 12:00:00\n"  # to no invitation in scope
    "R6,,complete,2026-03-05 12:00:00\n"
)
HANDLED = INTERACTIONS + (
    "K1,,,phone,G1,2026-03-02 09:00:00\n"
    "K2,,,phone,G1,2026-03-03 09:00:00\n"
    "K3,,,web,G1,2026-03-04 09:00:00\n"
    "K4,,,web,G1,2026-03-05 09:00:00\n"
    "K5,,,phone,G1,2026-03-06 09:00:00\n"
)


def _independent_shares() -> tuple[dict, dict]:
    """Response rate and coverage, pooled and per channel, with the csv module over the same records."""
    import csv
    import io

    def rows(text: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(text)))

    def shares(records: list[dict[str, str]], hit: set[str], field: str) -> dict[str, float]:
        cells: dict[str, list[bool]] = {"": []}
        for record in records:
            yes = record[field] in hit
            cells[""].append(yes)
            cells.setdefault(record["channel"], []).append(yes)
        return {cell: sum(v) / len(v) for cell, v in cells.items()}

    complete = {r["invitation_id"] for r in rows(ANSWERED) if r["status"] == "complete"}
    invited = {r["interaction_id"] for r in rows(SENT) if r["interaction_id"]}
    complete.discard("")
    return (
        shares(rows(SENT), complete, "invitation_id"),
        shares(rows(HANDLED), invited, "interaction_id"),
    )


def test_matched_response_rate_and_coverage_per_channel(tmp_path: Path, store) -> None:
    got = run(
        tmp_path,
        {"invitations": SENT, "survey_responses": ANSWERED, "interactions": HANDLED},
        store,
    )
    rates, cover = _independent_shares()
    for rule, expected in (("SURVEY-RESPONSE", rates), ("SURVEY-COVERAGE", cover)):
        values = {f.group.get("channel", ""): f.value for f in got["results"][rule].findings}
        assert values == pytest.approx(expected), rule
    # by hand: I1 and I3 answered in full: 2 / 5; phone 1 / 3 (I1), web 1 / 2 (I3)
    assert rates == pytest.approx({"": 2 / 5, "phone": 1 / 3, "web": 1 / 2})
    # K1, K2, K3 invited: 3 / 5; phone 2 / 3, web 1 / 2
    assert cover == pytest.approx({"": 3 / 5, "phone": 2 / 3, "web": 1 / 2})
    pooled = got["results"]["SURVEY-RESPONSE"].findings[0]
    assert pooled.failing == ["I2", "I4", "I5"]
    assert pooled.failing_notes[0]["problem"] == "no matching record"


# ------------------------------------------------------------ availability

DOWN = OUTAGES + (
    "P1,phone,2026-03-03 17:00:00,2026-03-03 19:00:00\n"  # 2 h, of which 17:00-18:00 open
    "P2,phone,2026-03-10 10:00:00,2026-03-10 12:00:00\n"  # P2 and P3 overlap:
    "P3,phone,2026-03-10 11:00:00,2026-03-10 13:30:00\n"  # 10:00-13:30 once, 3.5 h
    "W1,web,2026-03-16 10:00:00,2026-03-16 11:00:00\n"  # on the calendar's holiday: 0
    "W2,web,2026-03-31 17:00:00,\n"  # still open: runs to the period end, 17:00-18:00 open
    "W3,web,2026-02-27 17:00:00,2026-03-02 10:00:00\n"  # from February: Mon 2 March 09:00-10:00
    "W4,web,2026-03-10 12:00:00,2026-03-10 14:00:00\n"  # 2 h for web; overlaps P3 in the pooled
    "W5,web,2026-04-01 09:00:00,2026-04-01 10:00:00\n"  # after the period: not read
    "W6,web,2026-03-20 15:00:00,2026-03-20 14:00:00\n"  # ends before it starts: excluded
)
#: March 2026, Mon-Fri 09:00-18:00: 22 weekdays, less the holiday on Monday 16 March, x 9 h
OPEN_MARCH = 21 * 9 * 3600


def _brute_force(calendar: bool) -> dict[str, float]:
    """Availability by counting every minute of March: open minutes and minutes under an outage."""
    import csv
    import io

    start, end = datetime(2026, 3, 1, tzinfo=ZONE), datetime(2026, 4, 1, tzinfo=ZONE)
    spans: dict[str, list[tuple[datetime, datetime]]] = {"": []}
    for row in csv.DictReader(io.StringIO(DOWN)):
        a = datetime.fromisoformat(row["started_at"]).replace(tzinfo=ZONE)
        b = datetime.fromisoformat(row["ended_at"]).replace(tzinfo=ZONE) if row["ended_at"] else end
        if b < a:
            continue
        spans[""].append((a, b))
        spans.setdefault(row["channel"], []).append((a, b))
    opened, down = 0, dict.fromkeys(spans, 0)
    minute = start
    while minute < end:
        is_open = not calendar or (
            minute.weekday() < 5 and minute.day != 16 and 9 <= minute.hour < 18
        )
        if is_open:
            opened += 1
            for cell, intervals in spans.items():
                down[cell] += any(a <= minute < b for a, b in intervals)
        minute += timedelta(minutes=1)
    return {cell: 1 - n / opened for cell, n in down.items()}


def test_availability_by_hand_and_by_counting_minutes(tmp_path: Path, store) -> None:
    got = run(tmp_path, {"outages": DOWN}, store)
    result = got["results"]["AVAILABILITY"]
    values = {f.group.get("channel", ""): f.value for f in result.findings}
    by_hand = {
        "": 1 - (3600 + 4 * 3600 + 3600 + 3600) / OPEN_MARCH,  # 10:00-14:00 on the 10th merged
        "phone": 1 - (3600 + 3.5 * 3600) / OPEN_MARCH,
        "web": 1 - (3600 + 3600 + 2 * 3600) / OPEN_MARCH,
    }
    assert values == pytest.approx(by_hand, abs=1e-12)
    assert values == pytest.approx(_brute_force(calendar=True), abs=1e-12)
    pooled = result.findings[0]
    assert pooled.details["open_seconds"] == OPEN_MARCH
    assert pooled.details["down_seconds"] == 7 * 3600
    assert pooled.counts.n == 7 and pooled.excluded_by_reason == {
        "ends before it starts (data error)": 1
    }
    assert pooled.verdict == "nonconform"  # 1 - 25200 / 680400 = 96.3 %
    # the outages that took open time, each with its own open seconds before merging
    listed = dict(zip(pooled.failing, pooled.failing_values, strict=True))
    assert listed == {
        "P1": 3600,
        "P2": 7200,
        "P3": 9000,
        "W2": 3600,
        "W3": 3600,
        "W4": 7200,
    }


def test_availability_in_wall_time(tmp_path: Path, store) -> None:
    got = run(tmp_path, {"outages": DOWN}, store)
    pooled = got["results"]["AVAILABILITY-WALL"].findings[0]
    # 2 h + 4 h + 1 h + 7 h (to midnight) + 34 h (from 1 March 00:00) of 31 days
    assert pooled.value == pytest.approx(1 - 48 * 3600 / (31 * 86400), abs=1e-12)
    assert pooled.value == pytest.approx(_brute_force(calendar=False)[""], abs=1e-12)


def test_availability_with_no_outage_in_overlap_is_whole(tmp_path: Path, store) -> None:
    down = OUTAGES + "X1,phone,2026-03-07 10:00:00,2026-03-07 12:00:00\n"  # a Saturday
    got = run(tmp_path, {"outages": down}, store)
    pooled = got["results"]["AVAILABILITY"].findings[0]
    assert pooled.value == 1.0 and pooled.verdict == "conform"


# ------------------------------------------------------------ report wording


def test_the_report_words_outage_time_repeats_and_unmatched_records(tmp_path: Path) -> None:
    from auditor.audit import run_audit
    from auditor.findings import sentences
    from auditor.findings.contract import FindingsDocument
    from auditor.i18n import Words

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    files = {"outages": DOWN, "interactions": CONTACTS, "invitations": SENT}
    files["survey_responses"] = ANSWERED
    for name, text in files.items():
        (evidence / f"{name}.csv").write_text(text, encoding="utf-8")
    run_audit(PACK, evidence, tmp_path / "out", "2026-03")
    document = FindingsDocument.load(tmp_path / "out" / "findings.json")
    rules = {rule.rule: rule for rule in document.rules}
    said = {}
    for lang in ("en", "zh"):
        words = Words.of(document, lang)
        outage = rules["AVAILABILITY"]
        said[lang, "availability"] = sentences.sentence(outage.findings[0], outage, words)
        fcr = rules["FCR-MATTER"]
        pooled = fcr.findings[0]
        at = pooled.failing.index("A1")
        note, gap = pooled.failing_notes[at], pooled.failing_values[at]
        said[lang, "repeat"] = sentences.measured(gap, note, fcr, words)
        survey = rules["SURVEY-RESPONSE"]
        cell = survey.findings[1]
        said[lang, "unmatched"] = sentences.measured(None, cell.failing_notes[0], survey, words)
    said = {k: v.replace("\xa0", " ") for k, v in said.items()}  # no-break spaces read as spaces
    # 25,200 s = 7 business hours down of 21 days x 9 h = 189 business hours open
    assert said["en", "availability"].startswith("96.3 % (7 business hours of 189")
    assert said["en", "availability"].count("(calendar office)") == 1  # named once, not twice
    assert (
        "of 189 business hours (calendar office) open time under outage"
        in said["en", "availability"]
    )
    assert "营业时间 189 个工作小时" in said["zh", "availability"]
    assert "中停机 7 个工作小时" in said["zh", "availability"]
    assert said["en", "repeat"] == "contacted again 3 d later (A2)"
    assert said["zh", "repeat"] == "3 天 后再次联系(A2)"
    assert said["en", "unmatched"] == "no matching record"
    assert said["zh", "unmatched"] == "无相应记录"


# ------------------------------------------------------------ explain


def test_explain_shows_the_window_at_the_records_time_and_the_repeats(tmp_path: Path) -> None:
    from auditor.audit import run_audit
    from auditor.certify.explain import explain_in_audit

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    calls = CALLS + "".join(line + "\n" for line in CONTACTS.splitlines()[1:])
    (evidence / "interactions.csv").write_text(calls, encoding="utf-8")
    (evidence / "training.csv").write_text(TRAINED, encoding="utf-8")
    run_audit(PACK, evidence, tmp_path / "out", "2026-03")
    store = tmp_path / "out" / "evidence.db"
    trained = "\n".join(explain_in_audit(store, "TRAINED-AT-CALL", "K1").lines)
    # 365 d before the call at 2026-03-10 10:00; G1's training on 03-15 is after it
    assert (
        "2025-03-10 10:00+08:00 to 2026-03-10 10:00+08:00 (within 365d of the record's received_at)"
        in trained
    )
    assert "completed_on 2026-03-15 00:00+08:00: outside the window" in trained
    assert trained.rstrip().endswith("outcome: breach")
    repeats = "\n".join(explain_in_audit(store, "FCR-MATTER", "A1").lines)
    assert "A2: received_at 2026-03-05 10:00:00+08:00, +259200 s: a repeat" in repeats
    assert "A3: received_at 2026-03-20 10:00:00+08:00, +1555200 s: too late" in repeats
    pending = "\n".join(explain_in_audit(store, "FCR-CUSTOMER", "B1").lines)
    assert "B2: received_at 2026-04-02 10:00:00+08:00, +432000 s: after the period end" in pending
    assert pending.rstrip().endswith("outcome: pending")


# ------------------------------------------------------------ edge cases of the look-ups

MATCH_TYPES_PACK = """\
pack: match-types
version: 1.0.0
standard: service-quality-standard
timezone: Asia/Shanghai
evidence:
  interactions:
    key: interaction_id
    time: received_at
    fields:
      interaction_id: integer
      received_at: timestamp
  invitations:
    key: invitation_id
    time: sent_at
    fields:
      invitation_id: string
      interaction_id: string?
      sent_at: timestamp
rules:
  - id: COVER
    clause: "3.3.3"
    title: {zh: 规则, en: Rule}
    evidence: invitations
    matched: {evidence: interactions, match: {interaction_id: interaction_id}}
    target: 50%
    severity: minor
    min_records: 1
    capa: {action: {zh: 改, en: Fix}, owner: lead}
  - id: FRESH
    clause: "3.3.3"
    title: {zh: 规则, en: Rule}
    evidence: invitations
    fresh: {evidence: interactions, match: {interaction_id: interaction_id}, at: received_at, within: 30d}
    target: 50%
    severity: minor
    min_records: 1
    capa: {action: {zh: 改, en: Fix}, owner: lead}
  - id: FRESH-AT
    clause: "3.3.3"
    title: {zh: 规则, en: Rule}
    evidence: invitations
    fresh: {evidence: interactions, match: {interaction_id: interaction_id}, at: received_at, within: 1d, at_record: sent_at}
    target: 50%
    severity: minor
    min_records: 1
    capa: {action: {zh: 改, en: Fix}, owner: lead}
"""

COLLIDING_KEYS_PACK = """\
pack: colliding-keys
version: 1.0.0
standard: service-quality-standard
timezone: Asia/Shanghai
evidence:
  interactions:
    key: [site, seq]
    time: received_at
    fields:
      site: string
      seq: string
      customer_id: string?
      received_at: timestamp
rules:
  - id: FCR
    clause: "3.3.3"
    title: {zh: 规则, en: Rule}
    evidence: interactions
    repeat_contact: {customer: customer_id, at: received_at, within: 7d}
    target: 75%
    severity: minor
    min_records: 1
    capa: {action: {zh: 改, en: Fix}, owner: lead}
"""


def outcomes_of(
    folder: Path, pack_text: str, files: dict[str, str], engine: str, reasons: bool = False
) -> dict:
    """Each rule's record outcomes for March 2026 (with ``reasons``, an excluded record's as
    ``excluded:<why>``), with a pack of the test's own (and, under ``"counts"``, each rule's
    pooled conforming and breached counts)."""
    (folder / "pack.yaml").write_text(pack_text, encoding="utf-8")
    evidence = folder / "evidence"
    evidence.mkdir()
    for name, text in files.items():
        (evidence / f"{name}.csv").write_text(text, encoding="utf-8")
    pack = load_pack(folder / "pack.yaml", [STANDARDS])
    store = EvidenceStore(None)
    try:
        ingest(pack, evidence, store)
        backend = backend_for(store) if engine == "sqlite" else open_backend(store, engine)
        evaluation = Evaluation(pack, backend, MARCH)
        got: dict = {rule.id: evaluation.record_outcomes(rule, reasons) for rule in pack.rules}
        pooled = {r.rule: r.findings[0].counts for r in evaluation.run()}
        got["counts"] = {rule: (c.conforming, c.breached) for rule, c in pooled.items()}
        return got
    finally:
        store.close()


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_matching_text_to_numbers_compares_as_equality_does(tmp_path: Path, engine: str) -> None:
    """Invitations name interactions by a text id, interactions hold it as a number: '07'
    equals 7 as the engine's '=' compares a text with a number (DuckDB refused the same
    comparison written as IN over the other kind's values)."""
    got = outcomes_of(
        tmp_path,
        MATCH_TYPES_PACK,
        {
            "interactions": "interaction_id,received_at\n5,2026-03-02 10:00:00\n"
            "7,2026-03-03 10:00:00\n",
            "invitations": "invitation_id,interaction_id,sent_at\nI1,5,2026-03-02 11:00:00\n"
            "I2,9,2026-03-02 11:00:00\nI3,07,2026-03-03 11:00:00\n",
        },
        engine,
    )
    expected = {"I1": "conform", "I2": "breach", "I3": "conform"}
    assert got.pop("counts") == {"COVER": (2, 1), "FRESH": (2, 1), "FRESH-AT": (2, 1)}
    assert got == {"COVER": expected, "FRESH": expected, "FRESH-AT": expected}


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_contacts_whose_moment_and_key_text_are_the_same_are_not_each_others_repeat(
    tmp_path: Path, engine: str
) -> None:
    """Keys (x|y, z) and (x, y|z) read the same as text (x|y|z): with the same moment, neither
    is later than the other, so neither is a repeat; a third contact a day later is."""
    got = outcomes_of(
        tmp_path,
        COLLIDING_KEYS_PACK,
        {
            "interactions": "site,seq,customer_id,received_at\n"
            "x|y,z,C1,2026-03-02 10:00:00\nx,y|z,C1,2026-03-02 10:00:00\n"
            "a,b,C2,2026-03-02 10:00:00\nb,c,C2,2026-03-10 10:00:00\n"
            "c,d,C2,2026-03-11 10:00:00\n",
        },
        engine,
    )
    assert got["counts"]["FCR"] == (4, 1)  # the two x|y|z records both conform
    assert got["FCR"] == {
        "x|y|z": "conform",  # both records: one outcome per key text
        "a|b": "conform",  # the next contact 8 days later
        "b|c": "breach",  # c|d a day later
        "c|d": "conform",
    }


# ------------------------------------------------------------ repeats from files without a column

LACKING_PACK = """\
pack: lacking-columns
version: 1.0.0
standard: service-quality-standard
timezone: Asia/Shanghai
evidence:
  interactions:
    key: [interaction_id]
    time: logged_at
    fields:
      interaction_id: string
      customer_id: string?
      category: string?
      agent_id: string?
      logged_at: timestamp
      contacted_at: timestamp?
rules:
  - id: FCR-MATTER
    clause: "3.3.3"
    title: {zh: 规则, en: Rule}
    evidence: interactions
    where: agent_id is null
    repeat_contact: {customer: customer_id, matter: category, at: contacted_at, within: 7d}
    target: 75%
    severity: minor
    min_records: 1
    capa: {action: {zh: 改, en: Fix}, owner: lead}
  - id: FCR-CUSTOMER
    clause: "3.3.3"
    title: {zh: 规则, en: Rule}
    evidence: interactions
    where: agent_id is null
    repeat_contact: {customer: customer_id, at: contacted_at, within: 7d}
    target: 75%
    severity: minor
    min_records: 1
    capa: {action: {zh: 改, en: Fix}, owner: lead}
"""

#: each file of interactions and the field it has no column for (None: it has every column)
LACKS = {
    "all": None,
    "no-matter": "category",
    "no-customer": "customer_id",
    "no-at": "contacted_at",
}

#: key, file, customer, matter, agent, contacted at (None in the file without it)
Stored = tuple[str, str, str | None, str | None, str | None, datetime | None]


def could_repeat(other: Stored, contact: Stored, shared: list[int], has_at: bool) -> bool:
    """Whether ``other`` can be the repeat of ``contact``: it meets the rule's where, has the
    contact's values in the ``shared`` positions (customer 2, matter 3) and, when ``has_at``,
    is later (a later key at the same moment) within 7 days and before the period end."""
    end = datetime(2026, 4, 1, tzinfo=ZONE)
    if other[4] is not None or any(other[i] != contact[i] for i in shared):
        return False
    if not has_at:
        return True
    at, repeat = contact[5], other[5]
    assert at is not None
    if repeat is None:
        return False
    later = (repeat, other[0]) > (at, contact[0])
    return later and repeat <= at + timedelta(days=7) and repeat < end


def expected_with_files(rows: list[Stored], matter: bool) -> dict[str, str]:
    """Each contact's outcome, with the reason of an exclusion, worked out by the definition
    in docs/rule-language.md: a record of a file without a column the rule reads is excluded
    and no known repeat; a contact it could repeat (as far as its file tells) and with no
    known repeat is excluded with the first such file's reason."""
    read = (
        ["category", "contacted_at", "customer_id"] if matter else ["contacted_at", "customer_id"]
    )
    positions = {"customer_id": 2, "category": 3} if matter else {"customer_id": 2}

    def unread(file: str) -> str | None:
        return LACKS[file] if LACKS[file] in read else None

    start, end = datetime(2026, 3, 1, tzinfo=ZONE), datetime(2026, 4, 1, tzinfo=ZONE)
    found = {}
    for contact in rows:
        key, file, _, _, agent, at = contact
        if agent is not None or at is None or not start <= at < end:
            continue
        if unread(file):
            found[key] = f"excluded:no column for {unread(file)} in its file"
        elif contact[2] is None:
            found[key] = "excluded:no customer id"
        elif matter and contact[3] is None:
            found[key] = "excluded:no matter"
        elif any(could_repeat(o, contact, list(positions.values()), True) for o in rows):
            found[key] = "breach"
        elif maybe := [
            f"excluded:no column for {unread(o[1])} in its file"
            for o in rows
            if unread(o[1])
            and could_repeat(
                o,
                contact,
                [i for name, i in positions.items() if name != LACKS[o[1]]],
                LACKS[o[1]] != "contacted_at",
            )
        ]:
            found[key] = min(maybe)
        elif at + timedelta(days=7) >= end:
            found[key] = "pending"
        else:
            found[key] = "conform"
    return found


STORED_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["all", "all", "all", *LACKS]),
        st.sampled_from([None, "C1", "C2", "C2"]),
        st.sampled_from([None, "billing", "tech", "tech"]),
        st.sampled_from([None, None, None, "G1"]),  # a contact with an agent is not read
        # half days from 2026-03-01 00:00, often exactly 7 days apart or at the period end (62)
        st.one_of(st.sampled_from([-2, 0, 1, 14, 15, 28, 48, 50, 62, 64]), st.integers(-10, 72)),
    ),
    min_size=4,
    max_size=24,
)


def files_of(rows: list[Stored]) -> dict[str, str]:
    """The csv text of each file holding some of ``rows``, without the column it lacks."""
    columns = ["interaction_id", "customer_id", "category", "agent_id", "logged_at", "contacted_at"]
    texts: dict[str, str] = {}
    for key, file, customer, topic, agent, at in rows:
        logged = at or datetime(2026, 3, 1, tzinfo=ZONE)
        row = dict(zip(columns, [key, customer, topic, agent, logged, at], strict=True))
        kept = [c for c in columns if c != LACKS[file]]
        shown = [
            v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v or ""
            for v in (row[c] for c in kept)
        ]
        texts.setdefault(f"interactions-{file}", ",".join(kept) + "\n")
        texts[f"interactions-{file}"] += ",".join(shown) + "\n"
    return texts


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
@settings(max_examples=60, deadline=None)
@given(drawn=STORED_ROWS)
def test_contacts_a_record_of_a_file_without_a_column_could_repeat_match_plain_python(
    tmp_path_factory: pytest.TempPathFactory, engine: str, drawn: list[tuple]
) -> None:
    """Files without the customer, the matter or ``at`` column beside one with all of them:
    each contact's outcome and reason (the first file's in reason order when records of
    several could repeat it) as the definition gives them, record by record: the matter a
    file without the customer has, a later key at the same moment, the where, the period
    end, and any contact of the customer (and matter) for a file without ``at``."""
    base = datetime(2026, 3, 1, tzinfo=ZONE)
    rows: list[Stored] = [
        (
            f"I{i:03d}",
            file,
            None if file == "no-customer" else customer,
            None if file == "no-matter" else topic,
            agent,
            None if file == "no-at" else base + timedelta(hours=12 * halves),
        )
        for i, (file, customer, topic, agent, halves) in enumerate(drawn)
    ]
    got = outcomes_of(
        tmp_path_factory.mktemp("lacking"), LACKING_PACK, files_of(rows), engine, True
    )
    assert got["FCR-MATTER"] == expected_with_files(rows, matter=True)
    assert got["FCR-CUSTOMER"] == expected_with_files(rows, matter=False)


def half_days(n: float) -> datetime:
    return datetime(2026, 3, 1, tzinfo=ZONE) + timedelta(hours=12 * n)


#: contacts of each file, and what could repeat them, for every engine
STORED_BY_FILE: list[Stored] = [
    ("A1", "all", "C1", "tech", None, half_days(0)),  # M1 exactly 7 d later, matter unknown
    ("M1", "no-matter", "C1", None, None, half_days(14)),
    ("A2", "all", "C2", "tech", None, half_days(4)),  # U1 at the same moment, a later key
    ("U1", "no-customer", None, "tech", None, half_days(4)),
    ("U2", "no-customer", None, "billing", "G1", half_days(5)),  # an agent's: no repeat
    ("A3", "all", "C2", "billing", None, half_days(4)),  # U2 is no repeat: conform
    ("B1", "all", "C2", "billing", None, half_days(50)),  # U3 at the period end: pending
    ("U3", "no-customer", None, "billing", None, half_days(62)),
    ("A4", "all", "C3", "tech", None, half_days(20)),  # T1 (no time) of C3, tech
    ("T1", "no-at", "C3", "tech", None, None),
    ("A5", "all", "C3", "billing", None, half_days(20)),  # T1 only by customer
    # by customer alone, M1's file has every column: it repeats A1, A3 A2 and A5 A4
]


@pytest.mark.parametrize("engine", ["sqlite", "duckdb", pytest.param("spark", marks=needs_spark)])
def test_contacts_files_without_a_column_could_repeat_are_alike_on_every_engine(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    """The look-ups of the repeats a file without a column could hold name each of them
    once in the statement (Spark refused a second ``WITH`` of the same name)."""
    if engine == "spark":
        request.getfixturevalue("spark")  # the session's one Spark session
    got = outcomes_of(tmp_path, LACKING_PACK, files_of(STORED_BY_FILE), engine, True)
    unknown = "excluded:no column for {} in its file"
    assert (
        got["FCR-MATTER"]
        == expected_with_files(STORED_BY_FILE, matter=True)
        == {
            **dict.fromkeys(["A1", "M1"], unknown.format("category")),
            "A2": unknown.format("customer_id"),
            "U1": unknown.format("customer_id"),
            "A3": "conform",
            "B1": "pending",
            "A4": unknown.format("contacted_at"),
            "A5": "conform",
        }
    )
    assert (
        got["FCR-CUSTOMER"]
        == expected_with_files(STORED_BY_FILE, matter=False)
        == {
            **dict.fromkeys(["A1", "A2", "A4"], "breach"),  # by M1, A3, A5 (same moment)
            **dict.fromkeys(["A3", "U1"], unknown.format("customer_id")),
            "M1": "conform",
            "B1": "pending",
            "A5": unknown.format("contacted_at"),
        }
    )
