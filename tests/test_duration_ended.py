"""The duration measure's ``ended``: a record that ended without reaching its end (a call hung
up before it was answered) is breached, with the time up to when it ended as its value,
on every engine; each figure worked out by hand.

Period 2026-02: it ends at 2026-03-01 00:00 (Asia/Shanghai). The office calendar is
Mon-Fri 09:00-18:00 with China's holidays: 15-23 Feb 2026 closed (Spring Festival), Sat 14
and Sat 28 Feb make-up working days.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from auditor import load_pack
from auditor.backends.engines import open_backend
from auditor.backends.store import EvidenceStore
from auditor.certify.explain import explain_record
from auditor.errors import PackErrors
from auditor.evaluate import evaluate
from auditor.evaluate.driver import Evaluation, backend_for
from auditor.ingest import ingest
from auditor.model import Pack
from auditor.periods import parse_period

from .conftest import STANDARDS, TEST_PACKS, needs_spark

PERIOD = "2026-02"
ENDED = {"problem": "ended without reaching", "step": "answered_at", "over_seconds": None}
OPEN = {"problem": "open at period end", "step": "answered_at", "over_seconds": None}

CONTACTS = (
    "contact_id,channel,received_at,answered_at,ended_at\n"
    # phone, wall time, 30 s
    "A,phone,2026-02-02 10:00:00,2026-02-02 10:00:20,2026-02-02 10:05:00\n"  # answered in 20 s: conform
    "B,phone,2026-02-02 10:00:00,2026-02-02 10:00:45,2026-02-02 10:06:00\n"  # answered in 45 s: breach
    "C,phone,2026-02-02 10:00:00,,2026-02-02 10:00:20\n"  # hung up after 20 s unanswered: breach, 20 s
    "D,phone,2026-02-02 10:00:00,,2026-02-02 10:01:30\n"  # hung up after 90 s unanswered: breach, 90 s
    "E,phone,2026-02-28 23:59:50,,\n"  # neither, 10 s by the period end: pending
    "F,phone,2026-02-27 09:00:00,,\n"  # neither, 15 + 24 = 39 h by the period end: breach, open
    "G,phone,2026-02-28 23:59:40,,2026-03-01 00:00:30\n"  # ended after the period end: open, 20 s: pending
    "H,phone,2026-02-28 23:00:00,,2026-03-01 00:10:00\n"  # ended after the period end: open, 1 h: breach
    "I,phone,2026-02-28 23:59:50,,2026-02-28 23:59:58\n"  # hung up after 8 s, 2 s before the end: breach
    "K,phone,2026-02-02 10:00:00,,2026-02-02 09:59:00\n"  # ended before it was received: data error
    # email, business time of the office calendar net of holds, 1 h
    # Mon 17:30 to Tue 09:45: 30 + 45 min = 4,500 s, less holds 09:30-09:40 and 09:42-09:45
    # (the hold to 10:30 clipped at the end) = 780 s: 3,720 s, ended unanswered: breach
    "P,email,2026-02-02 17:30:00,,2026-02-03 09:45:00\n"
    "Q,email,2026-02-02 17:50:00,2026-02-03 09:20:00,2026-02-03 09:50:00\n"  # 10 + 20 min: conform
    "S,email,2026-02-27 17:00:00,,\n"  # open: Fri 1 h + Sat 28 (make-up) 9 h = 36,000 s: breach
    "T,email,2026-02-27 17:30:00,,2026-03-02 09:00:00\n"  # ended after the end: open, 0.5 + 9 h: breach
    "U,email,2026-02-28 17:30:00,,2026-02-28 17:50:00\n"  # ended unanswered, 20 min on a make-up day
    # Fri 13 17:30 to Tue 24 09:30: 0.5 h + Sat 14 (make-up) 9 h + 0.5 h = 36,000 s (holiday skipped)
    "V,email,2026-02-13 17:30:00,,2026-02-24 09:30:00\n"
    # answered an hour before it was received, both in closed hours (0 business seconds
    # between them): a data error all the same
    "W,email,2026-02-02 20:00:00,2026-02-02 19:00:00,2026-02-02 19:05:00\n"
    # Wed 10:00 to 12:00, less holds 10:30-11:00 and 10:45-11:15 overlapping: 10:30-11:15 once,
    # 45 min: 7,200 - 2,700 = 4,500 s, a breach (holds counted twice would leave 3,600 s: conform)
    "X,email,2026-02-04 10:00:00,2026-02-04 12:00:00,2026-02-04 12:05:00\n"
    # Thu 10:00 to 12:00, held from 10:30 with no end given: the hold lasts until the answer,
    # 1.5 h: 7,200 - 5,400 = 1,800 s, conform
    "Y,email,2026-02-05 10:00:00,2026-02-05 12:00:00,2026-02-05 12:05:00\n"
    # Fri 10:00 to 11:00, 3,600 s, with a hold that ends (10:20) before it starts (10:50): a
    # data error, the record excluded (subtracted, the hold had added 30 min: a breach)
    "Z,email,2026-02-06 10:00:00,2026-02-06 11:00:00,2026-02-06 11:05:00\n"
    # Fri 14:00 to 14:30, 1,800 s; its backward hold (16:00 to 15:00) is after it: conform
    "R,email,2026-02-06 14:00:00,2026-02-06 14:30:00,2026-02-06 14:35:00\n"
)
HOLDS = (
    "contact_id,started_at,ended_at,reason\n"
    "P,2026-02-03 09:30:00,2026-02-03 09:40:00,hold\n"
    "P,2026-02-03 09:42:00,2026-02-03 10:30:00,hold\n"
    "V,2026-02-24 09:00:00,2026-02-24 09:10:00,transfer\n"  # not a hold: not subtracted
    "X,2026-02-04 10:30:00,2026-02-04 11:00:00,hold\n"
    "X,2026-02-04 10:45:00,2026-02-04 11:15:00,hold\n"
    "X,2026-02-04 10:50:00,2026-02-04 11:10:00,hold\n"  # inside the two above: nothing more
    "Y,2026-02-05 10:30:00,,hold\n"  # no end given: until the record ends
    "Z,2026-02-06 10:50:00,2026-02-06 10:20:00,hold\n"  # ends before it starts
    "R,2026-02-06 16:00:00,2026-02-06 15:00:00,hold\n"  # the same, outside R's span
)

#: rule -> record -> (outcome, value in the rule's failing unit); excluded records are not listed
BY_HAND: dict[str, dict[str, tuple[str, float]]] = {
    "PHONE-30S": {
        "A": ("conform", 20),
        "B": ("breach", 45),
        "C": ("breach", 20),
        "D": ("breach", 90),
        "E": ("pending", 10),
        "F": ("breach", 39 * 3600),
        "G": ("pending", 20),
        "H": ("breach", 3600),
        "I": ("breach", 8),
    },
    # without ``ended``, an unanswered call is open up to the period end, whenever it ended
    "PHONE-30S-NO-ENDED": {
        "A": ("conform", 20),
        "B": ("breach", 45),
        "C": ("breach", 638 * 3600),  # 2 Feb 10:00 to 1 Mar 00:00
        "D": ("breach", 638 * 3600),
        "E": ("pending", 10),
        "F": ("breach", 39 * 3600),
        "G": ("pending", 20),
        "H": ("breach", 3600),
        "I": ("pending", 10),
        "K": ("breach", 638 * 3600),
    },
    "EMAIL-1H": {
        "P": ("breach", 3720),
        "Q": ("conform", 1800),
        "S": ("breach", 36000),
        "T": ("breach", 34200),
        "U": ("breach", 1200),
        "V": ("breach", 36000),
        "X": ("breach", 4500),
        "Y": ("conform", 1800),
        "R": ("conform", 1800),
    },
}
NOTES = {
    "PHONE-30S": {"B": None, "C": ENDED, "D": ENDED, "F": OPEN, "H": OPEN, "I": ENDED},
    "PHONE-30S-NO-ENDED": {"B": None, "C": OPEN, "D": OPEN, "F": OPEN, "H": OPEN, "K": OPEN},
    "EMAIL-1H": {"P": ENDED, "S": OPEN, "T": OPEN, "U": ENDED, "V": ENDED, "X": None},
}


@functools.cache
def the_pack() -> Pack:
    return load_pack(TEST_PACKS / "ended.yaml", [STANDARDS])


def write_evidence(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    (folder / "holds.csv").write_text(HOLDS, encoding="utf-8")
    return folder


def check_by_hand(backend: Any) -> None:
    """Each record's outcome and value, and each finding's counts, failing list and notes."""
    period = parse_period(PERIOD)
    pack = the_pack()
    evaluation = Evaluation(pack, backend_for(backend), period)
    for rule_id, expected in BY_HAND.items():
        details = evaluation.record_details(pack.rule(rule_id))
        got = {
            key: (d["outcome"], pytest.approx(d["value"], abs=1e-6))
            for key, d in details.items()
            if not d["outcome"].startswith("excluded")
        }
        assert got == expected, rule_id
    results = {r.rule: r for r in evaluate(pack, backend, period)}
    for rule_id, notes in NOTES.items():
        pooled = results[rule_id].findings[0]
        assert pooled.failing == sorted(notes), rule_id
        assert list(pooled.failing_notes) == [notes[k] for k in pooled.failing], rule_id
        values = [BY_HAND[rule_id][k][1] for k in pooled.failing]
        assert list(pooled.failing_values) == pytest.approx(values), rule_id
    phone = results["PHONE-30S"].findings[0]
    assert (phone.counts.conforming, phone.counts.breached, phone.counts.pending) == (1, 6, 2)
    assert phone.counts.excluded == 1
    assert phone.excluded_by_reason == {"ends before it starts (data error)": 1}
    email = results["EMAIL-1H"].findings[0]
    assert (email.counts.conforming, email.counts.breached, email.counts.pending) == (3, 6, 0)
    assert email.excluded_by_reason == {
        "ends before it starts (data error)": 1,
        "a pause of it ends before it starts (data error)": 1,
    }


def test_ended_records_are_breached_with_the_time_to_their_end(store, tmp_path) -> None:
    """On SQLite and DuckDB (the ``store`` fixture runs each)."""
    ingest(the_pack(), write_evidence(tmp_path / "evidence"), store)
    check_by_hand(store)


@needs_spark
def test_ended_records_on_spark(spark, tmp_path) -> None:
    store = EvidenceStore(None)
    try:
        ingest(the_pack(), write_evidence(tmp_path / "evidence"), store)
        check_by_hand(open_backend(store, "spark"))
    finally:
        store.close()


# ------------------------------------------------------------ explain


def explained(tmp_path: Path, rule_id: str, key: str, reasons: bool = False) -> str:
    pack = the_pack()
    store = EvidenceStore(tmp_path / "evidence.db")
    ingest(pack, write_evidence(tmp_path / "evidence"), store)
    period = parse_period(PERIOD)
    try:
        evaluation = Evaluation(pack, backend_for(store), period)
        outcome = evaluation.record_outcomes(pack.rule(rule_id), reasons=reasons)[key]
        return "\n".join(explain_record(pack, rule_id, key, store, period, outcome).lines)
    finally:
        store.close()


def test_explain_subtracts_overlapping_pauses_once(tmp_path) -> None:
    text = explained(tmp_path, "EMAIL-1H", "X")
    assert "  pause 2026-02-04 10:30+08:00 to 2026-02-04 11:00+08:00 subtracted: 1800 s" in text
    assert (
        "  pause 2026-02-04 10:45+08:00 to 2026-02-04 11:15+08:00 (from 2026-02-04 11:00+08:00, "
        "after the pauses above) subtracted: 900 s" in text
    )
    assert (
        "  pause 2026-02-04 10:50+08:00 to 2026-02-04 11:10+08:00 within the pauses above: "
        "nothing more" in text
    )
    assert "duration = 7,200 s - 2,700 s = 4,500 s (1.25 h); limit 1h" in text


def test_explain_says_a_pause_without_an_end_lasts_until_the_record_ends(tmp_path) -> None:
    text = explained(tmp_path, "EMAIL-1H", "Y")
    assert (
        "  pause 2026-02-05 10:30+08:00 to 2026-02-05 12:00+08:00 (no end given: until the "
        "record ends) subtracted: 1.5 h" in text
    )
    assert text.endswith("\nduration = 7,200 s - 5,400 s = 1,800 s; limit 1h\noutcome: conform")


def test_explain_excludes_a_record_ending_before_it_starts_in_closed_hours(tmp_path) -> None:
    text = explained(tmp_path, "EMAIL-1H", "W", reasons=True)
    assert text.endswith(
        "\nanswered_at 2026-02-02 19:00:00+08:00 is before received_at 2026-02-02 20:00:00+08:00: "
        "the record ends before it starts, a data error; not measured"
        "\noutcome: excluded: ends before it starts (data error)"
    )


def test_explain_excludes_a_record_with_a_pause_ending_before_it_starts(tmp_path) -> None:
    text = explained(tmp_path, "EMAIL-1H", "Z", reasons=True)
    assert text.endswith(
        "\n  pause 2026-02-06 10:50+08:00 to 2026-02-06 10:20+08:00 ends before it starts: a "
        "data error; the record is not measured"
        "\noutcome: excluded: a pause of it ends before it starts (data error)"
    )


def test_explain_counts_an_ended_call_up_to_when_it_ended(tmp_path) -> None:
    text = explained(tmp_path, "PHONE-30S", "D")
    assert "answered_at not reached: the record ended (ended_at 2026-02-02 10:01:30+08:00)" in text
    assert "wall time: ended_at - received_at = 90 s" in text
    assert "duration = 90 s - 0 s = 90 s, without reaching answered_at; limit 30s" in text
    assert "counted up to 2026-03-01" not in text
    assert text.endswith("outcome: breach")


def test_explain_counts_an_ended_email_in_business_time_net_of_holds(tmp_path) -> None:
    text = explained(tmp_path, "EMAIL-1H", "P")
    assert "2026-02-02 Mon: 17:30-18:00 counted, 1800 s" in text
    assert "2026-02-03 Tue: 09:00-09:45 counted, 2700 s" in text
    assert "subtracted: 180 s" in text  # the hold to 10:30, clipped at 09:45
    # 4,500 s - 780 s = 3,720 s
    assert (
        "duration = 4,500 s - 780 s = 3,720 s (1.033 h), without reaching answered_at; limit 1h"
        in text
    )


def test_explain_of_a_call_ended_after_the_period_end_counts_to_the_period_end(tmp_path) -> None:
    text = explained(tmp_path, "PHONE-30S", "H")
    assert "answered_at not by the period end: counted up to 2026-03-01 00:00:00+08:00" in text
    assert "duration = 3,600 s - 0 s = 3,600 s (1 h); limit 30s" in text


# ------------------------------------------------------------ the words


def test_the_note_is_worded_in_both_languages(tmp_path) -> None:
    from auditor.audit import run_audit
    from auditor.failing import COLUMNS
    from auditor.findings import sentences
    from auditor.findings.contract import FindingsDocument
    from auditor.i18n import Words

    out = tmp_path / "out"
    run_audit(TEST_PACKS / "ended.yaml", write_evidence(tmp_path / "evidence"), out, PERIOD)
    document = FindingsDocument.load(out / "findings.json")
    rules = {rule.rule: rule for rule in document.rules}
    said = {}
    for lang in ("en", "zh"):
        words = Words.of(document, lang)
        for rule_id, key in (("PHONE-30S", "D"), ("PHONE-30S", "F"), ("EMAIL-1H", "P")):
            rule = rules[rule_id]
            pooled = rule.findings[0]
            at = pooled.failing.index(key)
            note, value = pooled.failing_notes[at], pooled.failing_values[at]
            said[lang, key] = sentences.measured(value, note, rule, words).replace("\xa0", " ")
    assert said["en", "D"] == "ended after 90 s without reaching answered_at"
    assert said["zh", "D"] == "未到达 answered_at 即已结束(历时 90 秒)"
    # F, neither answered nor ended by the period end: the end it had not reached is named (the
    # record may have closed otherwise: "not closed" was untrue of it)
    assert said["en", "F"].startswith("answered_at not reached by the period end (open ")
    assert said["zh", "F"].startswith("期末前未到 answered_at(至期末已 ")
    assert said["en", "P"] == (  # 3,720 s
        "ended after 1.0 business hours (calendar office) without reaching answered_at"
    )
    assert said["zh", "P"].startswith("未到达 answered_at 即已结束(历时 1.0 个工作小时")
    lines = (out / "failing-records.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == ",".join(COLUMNS)
    row = next(line for line in lines if line.startswith("PHONE-30S,PHONE-30S,D,"))
    assert ",90.0,seconds,ended without reaching,answered_at,," in row


# ------------------------------------------------------------ the pack check


PACK_HEAD = (TEST_PACKS / "ended.yaml").read_text(encoding="utf-8").split("rules:")[0]


def rule_with(duration: str) -> str:
    return PACK_HEAD + (
        "rules:\n"
        "  - id: R1\n"
        '    clause: "3.1.2"\n'
        "    title: {zh: 规则, en: A rule}\n"
        "    evidence: contacts\n"
        f"    duration: {duration}\n"
        "    severity: minor\n"
        "    capa: {action: {zh: 改, en: Fix}, owner: lead}\n"
    )


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        (
            "{from: received_at, to: answered_at, max: 30s, ended: end_at}",
            "unknown field 'end_at' in rule R1; did you mean 'ended_at'?",
        ),
        (
            "{from: received_at, to: answered_at, max: 30s, ended: channel}",
            "field 'channel' is a enum; 'ended' needs timestamp or date",
        ),
        (
            "{from: received_at, to: answered_at, max: 30s, ended: answered_at}",
            "'ended' names 'answered_at', the field 'to' reads",
        ),
        (
            "{from: received_at, to: answered_at, max: 30s, ends: ended_at}",
            "unknown key 'ends' in duration measure in rule R1; did you mean 'ended'?",
        ),
    ],
)
def test_a_wrong_ended_is_one_located_line(write_pack, duration: str, message: str) -> None:
    path = write_pack(rule_with(duration))
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    text = str(caught.value)
    assert message in text, text
    assert len(caught.value.errors) == 1, text


def test_ended_must_be_of_the_type_of_to(write_pack) -> None:
    text = rule_with("{from: received_at, to: answered_at, max: 30s, ended: ended_on}")
    text = text.replace(
        "      ended_at: timestamp?\n", "      ended_at: timestamp?\n      ended_on: date?\n", 1
    )
    with pytest.raises(PackErrors) as caught:
        load_pack(write_pack(text), [STANDARDS])
    assert "field 'ended_on' is a date; 'ended' needs a timestamp, as 'to' (answered_at) is" in str(
        caught.value
    )


# ------------------------------------------------------------ watch


def test_watch_gives_the_batch_verdicts_and_alerts_an_ended_call_when_it_arrives(tmp_path) -> None:
    import csv
    import json

    from auditor.live import watch

    store = EvidenceStore(None)
    try:
        ingest(the_pack(), write_evidence(tmp_path / "evidence"), store)
        evaluation = Evaluation(the_pack(), backend_for(store), parse_period(PERIOD))
        expected = {r.id: evaluation.record_outcomes(r) for r in the_pack().rules}
    finally:
        store.close()
    lines = [
        json.dumps({"kind": "contacts", **{k: v for k, v in row.items() if v}})
        for row in csv.DictReader(CONTACTS.splitlines())
    ]
    alerts: list[dict[str, Any]] = []
    end = parse_period(PERIOD).end(ZoneInfo(the_pack().timezone))
    got = watch(the_pack(), lines, alerts.append, until=end).verdicts()
    for rule_id in ("PHONE-30S", "PHONE-30S-NO-ENDED"):
        batch = {
            k: "excluded" if v.startswith("excluded") else v for k, v in expected[rule_id].items()
        }
        assert got[rule_id] == batch, rule_id
    said = {a["key"]: a for a in alerts if a["rule"] == "PHONE-30S"}
    assert said["D"]["breach"] == "ended_at 90 s after received_at without answered_at, limit 30s"
    assert said["D"]["by_seconds"] == 60.0
    assert said["C"]["by_seconds"] is None  # 20 s: never answered, but not over the limit
