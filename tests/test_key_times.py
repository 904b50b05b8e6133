"""A record key with a timestamp part reaches people as an ISO local date and time with its UTC
offset, never as the epoch seconds the store holds: in findings.json, failing-records.csv, the
quarantine's duplicate-key value, watch alerts and explain; and reads back to the stored value.

The figures are worked out by hand: 2021-10-31 00:00 UTC is day 18,931 after 1970-01-01
(51 years, 13 of them leap years, then 303 days of 2021), 1,635,638,400 s. In Europe/Stockholm
the clocks went back at 03:00 CEST that morning (01:00 UTC): 02:30 came twice, at 00:30 UTC
(+02:00, 1,635,640,200 s) and at 01:30 UTC (+01:00, 1,635,643,800 s). 10:00:00.25+01:00 is
09:00:00.25 UTC, 1,635,670,800.25 s.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from auditor.audit import run_audit
from auditor.backends.store import EvidenceStore
from auditor.certify.explain import explain_record
from auditor.evaluate.scope import key_text, stored_key_fields
from auditor.findings.contract import FindingsDocument
from auditor.ingest import ingest
from auditor.live.watcher import watch
from auditor.model import EvidenceKind, FieldSpec
from auditor.pack import load_pack
from auditor.periods import parse_period
from auditor.register import Register
from auditor.standards import Text

from .conftest import STANDARDS

PACK = """\
pack: key-times
version: 1.0.0
standard: service-quality-standard
timezone: Europe/Stockholm
evidence:
  events:
    key: [sr, changed_at, activity]
    time: changed_at
    fields:
      sr: string
      changed_at: timestamp
      activity: string
      level: string
rules:
  - id: AT-L1
    clause: "3.3.3"
    title: {zh: 一线, en: At L1}
    evidence: events
    condition: level == "L1"
    target: 50%
    min_records: 1
    severity: minor
    capa: {action: {zh: 改, en: Fix}, owner: lead}
"""

ROWS = [
    ("A1", "2021-10-31T02:30:00+02:00", "Queued", "L2"),
    ("A1", "2021-10-31T02:30:00+01:00", "Queued", "L2"),  # the same local time, an hour later
    ("A2", "2021-10-31T10:00:00.25+01:00", "Done", "L2"),
    ("A3", "2021-10-31T11:00:00+01:00", "Done", "L1"),
    ("A1", "2021-10-31T02:30:00+01:00", "Queued", "L2"),  # line 6: the row of line 3 again
]

#: the failing keys, in the order of their stored keys (A1|1635640200.0, A1|1635643800.0, A2|...)
SHOWN = [
    "A1|2021-10-31T02:30:00+02:00|Queued",
    "A1|2021-10-31T02:30:00+01:00|Queued",
    "A2|2021-10-31T10:00:00.25+01:00|Done",
]
STORED = ["A1|1635640200.0|Queued", "A1|1635643800.0|Queued", "A2|1635670800.25|Done"]

STOCKHOLM = ZoneInfo("Europe/Stockholm")
KIND = EvidenceKind(
    "events",
    Text("", ""),
    ("sr", "changed_at", "activity"),
    "changed_at",
    {
        "sr": FieldSpec("sr", "string"),
        "changed_at": FieldSpec("changed_at", "timestamp"),
        "activity": FieldSpec("activity", "string"),
    },
)
TYPES = ["string", "timestamp", "string"]


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "rules").mkdir()
    pack = tmp_path / "rules" / "key-times.yaml"
    pack.write_text(PACK, encoding="utf-8")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    lines = ["sr,changed_at,activity,level", *(",".join(row) for row in ROWS)]
    (evidence / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return pack, evidence


def test_a_timestamp_key_part_is_shown_as_local_time_with_its_offset() -> None:
    from auditor.evaluate.scope import shown_key

    assert [shown_key(key, TYPES, STOCKHOLM) for key in STORED] == SHOWN
    brussels = ZoneInfo("Europe/Brussels")  # the trial's key: 12:48:40 UTC on 2012-05-03
    assert shown_key("1-642402641|1336049320.0|Accepted-In Progress", TYPES, brussels) == (
        "1-642402641|2012-05-03T14:48:40+02:00|Accepted-In Progress"
    )
    # a date part stays a date; a part that is no number, or a key of other parts, as it is
    assert shown_key("1635638400.0", ["date"], ZoneInfo("UTC")) == "2021-10-31"
    assert shown_key("A|not a time|x", TYPES, STOCKHOLM) == "A|not a time|x"
    assert shown_key("A|1635640200.0", TYPES, STOCKHOLM) == "A|1635640200.0"


def test_the_shown_key_reads_back_as_the_stored_one() -> None:
    for shown, stored in zip(SHOWN, STORED, strict=True):
        assert "|".join(stored_key_fields(KIND, shown, STOCKHOLM).values()) == stored


@given(
    st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)),
    st.sampled_from(["Europe/Stockholm", "America/New_York"]),
)
@example(datetime(2021, 10, 31, 0, 30), "Europe/Stockholm")  # 02:30+02:00, before the change
@example(datetime(2021, 10, 31, 1, 30), "Europe/Stockholm")  # 02:30+01:00, after it
@example(datetime(2021, 11, 7, 5, 30, 0, 500000), "America/New_York")  # 01:30:00.5-04:00
@example(datetime(2021, 11, 7, 6, 30, 0, 500000), "America/New_York")  # 01:30:00.5-05:00
def test_a_stored_moment_round_trips_through_its_shown_form(utc: datetime, zone: str) -> None:
    """stored epoch seconds -> shown -> stored, across DST changes and with fractions."""
    from auditor.evaluate.scope import shown_key

    moment = utc.replace(tzinfo=UTC)
    stored = key_text(["S", moment.timestamp(), "x"])
    shown = shown_key(stored, TYPES, ZoneInfo(zone))
    part = shown.split("|")[1]
    assert "T" in part and part[-6] in "+-" and part[-3] == ":", shown  # local time and offset
    # the moment shown is the stored one (to the microsecond the text of the store keeps)
    assert datetime.fromisoformat(part).timestamp() == float(stored.split("|")[1])
    assert "|".join(stored_key_fields(KIND, shown, ZoneInfo(zone)).values()) == stored


def test_the_audit_lists_failing_keys_with_local_times(tmp_path) -> None:
    pack, evidence = _setup(tmp_path)
    out = tmp_path / "audit"
    run_audit(pack, evidence, out, "2021-10", max_quarantine=1.0)  # the repeated row
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    (rule,) = findings["rules"]
    (finding,) = [f for f in rule["findings"] if f["failing"]]
    assert finding["failing"] == SHOWN
    with (out / "failing-records.csv").open(encoding="utf-8-sig", newline="") as listed:
        assert [row["key"] for row in csv.DictReader(listed)] == SHOWN
    path = out / "findings.json"
    register = Register(str(tmp_path / "capa.db"))  # the CAPA item's objective evidence
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        register.record_audit(FindingsDocument.load(path), digest, str(path), date(2021, 11, 5))
        (item,) = register.store.items()
    finally:
        register.close()
    assert item["evidence"]["failing"] == SHOWN


def test_a_repeated_key_is_quarantined_with_its_local_times(tmp_path) -> None:
    pack_path, evidence = _setup(tmp_path)
    pack = load_pack(pack_path, [STANDARDS])
    store = EvidenceStore(tmp_path / "evidence.db")
    try:
        report = ingest(pack, evidence, store)
    finally:
        store.close()
    (seen,) = report.files[0].first_seen.values()
    assert (seen.line, seen.value) == (6, SHOWN[1])


def test_watch_alerts_name_the_key_with_local_times(tmp_path) -> None:
    pack = load_pack(_setup(tmp_path)[0], [STANDARDS])
    lines = [
        json.dumps(
            {"kind": "events", "sr": sr, "changed_at": at, "activity": activity, "level": level}
        )
        for sr, at, activity, level in ROWS[:4]
    ]
    alerts: list[dict] = []
    watch(pack, lines, alerts.append)
    assert sorted(alert["key"] for alert in alerts) == sorted(SHOWN)


def test_explain_names_the_record_by_its_shown_key_however_it_was_typed(tmp_path) -> None:
    pack_path, evidence = _setup(tmp_path)
    pack = load_pack(pack_path, [STANDARDS])
    store = EvidenceStore(tmp_path / "evidence.db")
    try:
        ingest(pack, evidence, store)
        period = parse_period("2021-10")
        typed = [explain_record(pack, "AT-L1", key, store, period, None) for key in STORED[1:2]]
        typed += [explain_record(pack, "AT-L1", SHOWN[1], store, period, None)]
    finally:
        store.close()
    for explained in typed:
        assert f"record {SHOWN[1]}: events.csv line 3" in explained.lines
