"""explain: a ticket across a weekend, the Spring Festival with its make-up Saturday and a pause."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.backends.store import EvidenceStore
from auditor.certify.explain import explain_in_audit, explain_record
from auditor.cli import main
from auditor.errors import AuditorError
from auditor.evaluate.driver import Evaluation, backend_for
from auditor.ingest import ingest
from auditor.pack import load_pack
from auditor.periods import parse_period

from .conftest import RULES, STANDARDS, TEST_PACKS

RULES_SQ = RULES / "service-quality.yaml"

TICKETS = "ticket_id,site,opened_at,solved_at,status\n"
PAUSES = "ticket_id,started_at,ended_at,reason\n"


def store_with(folder: Path, tickets: str, pauses: str) -> EvidenceStore:
    (folder / "tickets.csv").write_text(TICKETS + tickets, encoding="utf-8")
    (folder / "pauses.csv").write_text(PAUSES + pauses, encoding="utf-8")
    store = EvidenceStore(folder / "evidence.db")
    ingest(load_pack(TEST_PACKS / "engine.yaml", [STANDARDS]), folder, store)
    return store


def test_each_stretch_is_shown_and_they_add_up_to_the_duration(tmp_path) -> None:
    pack = load_pack(TEST_PACKS / "engine.yaml", [STANDARDS])
    store = store_with(
        tmp_path,
        # Fri 13 Feb 16:00 to Tue 24 Feb 10:00 (2026): Fri 2 h + Sat 14 Feb, a make-up working day,
        # 9 h + Tue 24 Feb 1 h = 12 h open; 15-23 Feb (Spring Festival) closed;
        # a customer pause Sat 14 Feb 09:00-17:00 takes 8 h: 4 h.
        "A,BJ,2026-02-13 16:00:00,2026-02-24 10:00:00,closed\n"
        # Fri 6 Feb 17:00 to Mon 9 Feb 10:00: Fri 1 h, an ordinary weekend, Mon 1 h: 2 h.
        "B,BJ,2026-02-06 17:00:00,2026-02-09 10:00:00,closed\n",
        "A,2026-02-14 09:00:00,2026-02-14 17:00:00,customer\n"
        "A,2026-02-20 09:00:00,2026-02-20 17:00:00,internal\n",  # not a customer pause: ignored
    )
    period = parse_period("2026-02")
    try:
        outcome = Evaluation(pack, backend_for(store), period).record_outcomes(
            pack.rule("BUSINESS-4H")
        )
        explained = explain_record(pack, "BUSINESS-4H", "A", store, period, outcome["A"])
        weekend = explain_record(pack, "BUSINESS-4H", "B", store, period, outcome["B"])
    finally:
        store.close()
    assert (explained.counted, explained.paused, explained.duration) == (
        12 * 3600,
        8 * 3600,
        4 * 3600,
    )
    text = "\n".join(explained.lines)
    assert "record A: tickets.csv line 2" in text
    assert "2026-02-13 Fri: 16:00-18:00 counted, 2 h" in text
    assert "2026-02-14 Sat: make-up working day, 09:00-18:00 counted, 9 h" in text
    assert "2026-02-15 Sun: statutory holiday: closed, 0 h" in text
    assert "2026-02-16 Mon: statutory holiday: closed, 0 h" in text
    assert "2026-02-24 Tue: 09:00-10:00 counted, 1 h" in text
    assert "pause 2026-02-14 09:00+08:00 to 2026-02-14 17:00+08:00 subtracted: 8 h" in text
    assert "2026-02-20 09:00" not in text  # the internal pause does not count
    assert "duration = 43,200 s - 28,800 s = 14,400 s (4 h); limit 4h" in text
    assert text.endswith("outcome: conform")
    assert weekend.duration == 2 * 3600
    other = "\n".join(weekend.lines)
    assert "2026-02-07 Sat: weekend or closed day, 0 h" in other
    assert "2026-02-08 Sun: weekend or closed day, 0 h" in other


def test_an_unknown_record_or_rule_is_one_line(tmp_path) -> None:
    pack = load_pack(TEST_PACKS / "engine.yaml", [STANDARDS])
    store = store_with(tmp_path, "A,BJ,2026-02-13 16:00:00,,open\n", "")
    try:
        with pytest.raises(Exception, match="no tickets record with key 'B'"):
            explain_record(pack, "BUSINESS-4H", "B", store, parse_period("2026-02"), None)
        with pytest.raises(Exception, match="did you mean 'BUSINESS-4H'"):
            explain_record(pack, "BUSINES-4H", "A", store, parse_period("2026-02"), None)
    finally:
        store.close()


def test_an_excluded_record_says_why_and_a_quarantined_key_where(tmp_path) -> None:
    pack = load_pack(TEST_PACKS / "engine.yaml", [STANDARDS])
    store = store_with(
        tmp_path,
        "C,BJ,2026-02-10 10:00:00,2026-02-09 10:00:00,closed\n"  # solved before it was opened
        "D,BJ,2026-02-30 10:00:00,,open\n",  # no 30 February: quarantined
        "",
    )
    period = parse_period("2026-02")
    rule = pack.rule("BUSINESS-4H")
    try:
        evaluation = Evaluation(pack, backend_for(store), period)
        assert evaluation.record_outcomes(rule) == {"C": "excluded"}  # as the live monitor has it
        reasons = evaluation.record_outcomes(rule, reasons=True)
        explained = explain_record(pack, "BUSINESS-4H", "C", store, period, reasons["C"])
        with pytest.raises(Exception) as quarantined:
            explain_record(pack, "BUSINESS-4H", "D", store, period, None)
    finally:
        store.close()
    assert explained.lines[-1] == "outcome: excluded: ends before it starts (data error)"
    assert str(quarantined.value.message) == (
        "no tickets record with key 'D' in the store: the row at tickets.csv:3 that holds it "
        "was quarantined (opened_at: '2026-02-30 10:00:00' is not a valid date/time (impossible "
        "day, month or hour?))"
    )


def _ticket_a_explained(folder: Path) -> Any:
    """Ticket A of the tickets in ``folder``, ingested into a store there, explained under
    the engine pack's BUSINESS-4H for 2026-02."""
    pack = load_pack(TEST_PACKS / "engine.yaml", [STANDARDS])
    store = EvidenceStore(folder / "evidence.db")
    try:
        ingest(pack, folder, store)
        return explain_record(pack, "BUSINESS-4H", "A", store, parse_period("2026-02"), None)
    finally:
        store.close()


def _mapped_ticket_a_explained(folder: Path) -> Any:
    """:func:`_ticket_a_explained` of a tickets.xlsx in ``folder`` whose columns id, site,
    opened, solved and status a mapping names."""
    (folder / "tickets.mapping.yaml").write_text(
        "kind: tickets\ncolumns:\n  ticket_id: id\n  site: site\n  opened_at: opened\n"
        "  solved_at: solved\n  status: status\n",
        encoding="utf-8",
    )
    return _ticket_a_explained(folder)


def test_a_workbook_record_shows_its_sheet_its_cells_and_its_times_in_the_file_zone(
    tmp_path,
) -> None:
    """The record's row is found where the ingest read it (the mapping's sheet, below a
    title), and its times are given in the file's zone beside the pack's."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Cover"
    sheet = book.create_sheet("Data")
    for row in (["Tickets export"], ["id", "site", "opened", "solved", "status"],
                ["A", "BJ", "2026-02-10 09:00:00", "2026-02-10 10:00:00", "closed"]):  # fmt: skip
        sheet.append(row)
    book.save(tmp_path / "tickets.xlsx")
    (tmp_path / "tickets.mapping.yaml").write_text(
        "kind: tickets\ntimezone: Asia/Tokyo\nreader: {sheet: Data, header_row: 2}\ncolumns:\n"
        "  ticket_id: id\n  site: site\n  opened_at: opened\n  solved_at: solved\n"
        "  status: status\n",
        encoding="utf-8",
    )
    explained = _ticket_a_explained(tmp_path)
    assert explained.lines[1:3] == [
        "record A: tickets.xlsx (sheet 'Data') line 3",
        "  raw cells: id='A', site='BJ', opened='2026-02-10 09:00:00', "
        "solved='2026-02-10 10:00:00', status='closed'",
    ]
    assert (
        "  opened_at = 2026-02-10T08:00:00+08:00 (Asia/Shanghai); 2026-02-10T09:00:00+09:00 in "
        "the file's zone Asia/Tokyo"
    ) in explained.lines


def test_a_workbook_record_shows_its_cells_as_the_sheet_shows_them(tmp_path) -> None:
    """A date cell as its day, a datetime to the second, a time of day as HH:MM:SS, a number as
    written, an empty cell as None; a column with no name by its number, left out when empty."""
    from datetime import date, time

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "site", "day", "at", "opened", "solved", None, "status", None, "n"])
    sheet.append(["A", "BJ", date(2026, 2, 10), time(9, 30), datetime(2026, 2, 10, 9, 30, 5),
                  None, None, "closed", "x", 17])  # fmt: skip
    book.save(tmp_path / "tickets.xlsx")
    explained = _mapped_ticket_a_explained(tmp_path)
    assert explained.lines[2] == (
        "  raw cells: id='A', site='BJ', day=2026-02-10, at=09:30:00, "
        "opened=2026-02-10 09:30:05, solved=None, status='closed', (column 9)='x', n=17"
    )


def test_a_workbook_datetime_at_midnight_shows_its_time_and_a_date_cell_its_day(tmp_path) -> None:
    """A datetime cell at midnight (its number format has hours) is shown to the second, a date
    cell (formatted as a date alone) as its day: both hold midnight, the format tells them apart."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "site", "day", "opened", "solved", "status"])
    sheet.append(["A", "BJ", datetime(2026, 2, 10), datetime(2026, 2, 10),
                  datetime(2026, 2, 10, 9, 30), "closed"])  # fmt: skip
    sheet["C2"].number_format = 'yyyy"年"m"月"d"日"'
    sheet["D2"].number_format = "yyyy-mm-dd hh:mm"
    book.save(tmp_path / "tickets.xlsx")
    explained = _mapped_ticket_a_explained(tmp_path)
    assert explained.lines[2] == (
        "  raw cells: id='A', site='BJ', day=2026-02-10, opened=2026-02-10 00:00:00, "
        "solved=2026-02-10 09:30:00, status='closed'"
    )


def test_explain_on_the_command_line(runner, tmp_path) -> None:
    from .conftest import ROOT, RULES

    out = tmp_path / "audit"
    runner.invoke(main, ["audit", str(RULES / "service-quality.yaml"),
                         str(ROOT / "evidence" / "demo" / "service-quality"), "--period", "2026-Q3",
                         "--out", str(out), "--format", "json", "--fail-on", "never"])  # fmt: skip
    result = runner.invoke(
        main, ["explain", "TECH-INITIAL-4H", "--record", "T000081", "--audit", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "duration = 36,262 s - 13,251 s = 23,011 s (6.392 h); limit 4h" in result.output
    )  # the engine: 23,011 s
    assert result.output.strip().endswith("outcome: breach")


def test_a_sequence_case_shows_each_step_against_its_bound(runner, tmp_path) -> None:
    from .conftest import ROOT, RULES

    out = tmp_path / "audit"
    runner.invoke(main, ["audit", str(RULES / "special-service-monitoring.yaml"),
                         str(ROOT / "evidence" / "demo" / "special-service-monitoring"),
                         "--period", "2026-Q3", "--out", str(out), "--format", "json",
                         "--fail-on", "never"])  # fmt: skip
    result = runner.invoke(
        main, ["explain", "COMPLAINT-HANDLING", "--record", "CP00002", "--audit", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  complaint_events.csv line 6: received at 2026-08-03 07:46:20+08:00" in lines
    # received 08-03 07:46:20 to resolved 08-11 00:52:16 is 7 d 5:05:56 = 666,356 s;
    # the bound of 5 d is 432,000 s, so 234,356 s over (the engine's overrun)
    assert any(
        line.startswith("step resolved: happened") and "over by 234,356 s" in line for line in lines
    )
    assert "step acknowledged: happened; 5.35 h of wall time after received" in result.output
    assert lines[-1] == "outcome: breach"
    unordered = runner.invoke(
        main, ["explain", "COMPLAINT-HANDLING", "--record", "CP00005", "--audit", str(out)]
    )
    assert "step resolved: out of order (before acknowledged)" in unordered.output
    # a case key no record has: the kind named once (it read "no complaint_events events")
    missing = runner.invoke(
        main, ["explain", "COMPLAINT-HANDLING", "--record", "CP0002", "--audit", str(out)]
    )
    assert missing.exit_code == 2
    assert missing.stderr.splitlines()[0] == (
        "error: no complaint_events record with complaint_id 'CP0002' in the store; copy the "
        "case key from the report or failing-records.csv"
    )


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_a_case_without_its_first_step_is_excluded_only_in_the_period_it_started(
    runner, tmp_path, engine: str
) -> None:
    from auditor.audit import run_audit

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "complaint_events.csv").write_text(
        "complaint_id,event,at,site\n"
        "A,received,2026-02-02 10:00:00,BJ\nA,acknowledged,2026-02-02 11:00:00,BJ\n"
        "X1,acknowledged,2026-02-05 10:00:00,BJ\n"  # no received, in February: excluded
        # no received, all its events before February: not in this period's scope
        "X6,acknowledged,2025-12-20 10:00:00,BJ\nX6,resolved,2026-01-02 10:00:00,BJ\n",
        encoding="utf-8",
    )
    out = tmp_path / "audit"
    audit = run_audit(TEST_PACKS / "sequence.yaml", evidence, out, "2026-02", engine=engine)
    assert [(e.rule, e.keys) for e in audit.findings.exclusions] == [
        ("HANDLING", ["X1"]),
        ("HANDLING-BUSINESS", ["X1"]),
    ]

    def outcome(key: str) -> str:
        result = runner.invoke(main, ["explain", "HANDLING", "--record", key, "--audit", str(out)])
        assert result.exit_code == 0, result.output
        return result.output.splitlines()[-1]

    assert outcome("X1") == "outcome: excluded:no received step"
    assert outcome("X6") == (
        "outcome: not in the scope of the rule for this period (it has no received step, and "
        "its earliest event at 2025-12-20 10:00:00+08:00 is outside the period 2026-02, from "
        "2026-02-01 00:00:00+08:00 to 2026-03-01 00:00:00+08:00)"
    )


def test_a_condition_and_a_freshness_rule_show_what_decided(runner, demo_audit) -> None:
    closed = runner.invoke(
        main, ["explain", "CLOSURE-95", "--record", "T000005", "--audit", str(demo_audit.out)]
    )
    assert closed.exit_code == 0, closed.output
    assert "创建时间=2026-09-10 14:59:45" in closed.output  # the cell as the sheet holds it
    assert 'condition: status in ("resolved", "closed"): holds for this record' in closed.output
    trained = runner.invoke(
        main, ["explain", "STANDARD-TRAINED", "--record", "BJ-A12", "--audit", str(demo_audit.out)]
    )
    assert trained.exit_code == 0, trained.output
    # 730 days before 2026-10-01 is 2024-10-01; the agent's only course is a refresher
    assert "dated 2024-10-01 00:00+08:00 to 2026-10-01 00:00+08:00" in trained.output
    assert "training.csv line 24: completed_on 2025-11-04 00:00+08:00: not counted (filter)" in (
        trained.output
    )
    assert trained.output.strip().endswith("outcome: breach")
    assert "\n  active = true\n" in trained.output  # a boolean as such, not its stored 1


def test_a_store_without_its_audit_is_one_line(runner, demo_audit, tmp_path) -> None:
    import shutil

    lone = tmp_path / "lone.db"
    shutil.copy(demo_audit.out / "evidence.db", lone)
    result = runner.invoke(
        main, ["explain", "CLOSURE-95", "--record", "T000005", "--store", str(lone)]
    )
    assert result.exit_code == 2
    assert result.output.startswith(
        f"error: {lone} is not an audit's store: there is no findings.json beside it"
    )


def test_explained_moments_carry_their_offset_in_a_repeated_hour() -> None:
    """02:30 happens twice in Berlin on 2026-10-25: the offset tells the two apart."""
    from zoneinfo import ZoneInfo

    from auditor.certify.explain import _moment

    zone = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC).timestamp()
    second = first + 3600
    assert _moment(first, zone) == "2026-10-25 02:30:00+02:00"
    assert _moment(second, zone) == "2026-10-25 02:30:00+01:00"
    assert _moment(second, zone, "minutes") == "2026-10-25 02:30+01:00"


def test_a_time_of_day_carries_its_offset_only_on_a_dst_day() -> None:
    """The business-time lines name times of day: on Berlin's 2026-10-25, 02:30 is two
    moments, so each time there carries its offset; on other days it would only be noise."""
    from zoneinfo import ZoneInfo

    from auditor.certify.explain import _clock_time

    zone = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC).timestamp()
    assert _clock_time(first, zone) == "02:30+02:00"
    assert _clock_time(first + 3600, zone) == "02:30+01:00"
    assert _clock_time(datetime(2026, 10, 26, 15, tzinfo=UTC).timestamp(), zone) == "16:00"
    # the night the clocks go forward, too
    assert _clock_time(datetime(2026, 3, 29, 2, tzinfo=UTC).timestamp(), zone) == "04:00+02:00"


def _surveys_by_hand() -> list[dict]:
    """The service-quality demo's surveys as the audit of 2026-Q3 counts them, read straight
    from surveys.jsonl: the last line is not JSON, a date that does not exist (02-30) and a
    channel outside the kind's values (fax) are quarantined, a survey id seen twice is one
    record, and only answers in July to September count."""
    import json

    from .conftest import ROOT

    kept: dict[str, dict] = {}
    path = ROOT / "evidence" / "demo" / "service-quality" / "surveys.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            answered = datetime.strptime(row["answered_at"], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
        if row["channel"] in ("phone", "chat", "email") and datetime(
            2026, 7, 1
        ) <= answered < datetime(2026, 10, 1):
            kept.setdefault(row["survey_id"], row)
    return list(kept.values())


def _pooled(audit: Path, rule_id: str) -> dict:
    import json

    document = json.loads((audit / "findings.json").read_text(encoding="utf-8"))
    rule = next(r for r in document["rules"] if r["rule"] == rule_id)
    return rule["findings"][0]


def _explain(runner, audit: Path, rule_id: str, key: str) -> list[str]:
    result = runner.invoke(main, ["explain", rule_id, "--record", key, "--audit", str(audit)])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def _mean_and_nps_records_state_their_share(runner, audit: Path) -> None:
    surveys = _surveys_by_hand()
    csat = [s["csat"] for s in surveys if s["csat"] is not None]
    n, total = len(csat), sum(csat)
    assert (n, total) == (723, 3093)  # the figures redone by hand from the rows
    mean = _pooled(audit, "CSAT-Q-4.2")
    assert (mean["counts"]["n"], mean["details"]["sum"]) == (n, total)
    assert mean["value"] == pytest.approx(total / n)
    lines = _explain(runner, audit, "CSAT-Q-4.2", "S000002")  # csat 4, answered 2026-07-28
    assert "in scope: where: csat is not null holds; period 2026-Q3" in lines
    assert "contributes csat = 4: 1 to the cell's n and 4 to its sum" in lines
    assert (
        f"figure of finding CSAT-Q-4.2: mean = sum / n = {total:,} / {n} = {total / n:.3f}"
        in lines[-3]
    )
    assert lines[-2].startswith(
        "listed among the failing records: its own csat 4 does not meet >= 4.2"
    )
    assert lines[-1] == "outcome: counted in the figure above"

    scores = [s["nps_score"] for s in surveys if s["nps_score"] is not None]
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    assert (len(scores), promoters, detractors) == (677, 353, 155)
    nps = _pooled(audit, "NPS-20")
    assert nps["details"] == {
        "n": len(scores),
        "promoters": promoters,
        "passives": len(scores) - promoters - detractors,
        "detractors": detractors,
    }
    net = (promoters - detractors) * 100 / len(scores)
    assert nps["value"] == pytest.approx(net)
    arithmetic = (
        f"figure of finding NPS-20: NPS = (promoters - detractors) / n x 100 = "
        f"({promoters} - {detractors}) / {len(scores)} x 100 = +{net:.3f} "
        f"({len(scores) - promoters - detractors} passives)"
    )
    detractor = _explain(runner, audit, "NPS-20", "S000001")  # nps_score 5
    assert (
        "contributes nps_score = 5: a detractor (0-6), 1 to the cell's n and 1 to its detractors"
        in detractor
    )
    assert arithmetic in detractor
    assert detractor[-2] == (
        "listed among the failing records: its nps_score 5 makes it a detractor (0-6): "
        "an NPS rule lists its detractors"
    )
    assert detractor[-1] == "outcome: counted in the figure above"
    passive = _explain(runner, audit, "NPS-20", "S000003")  # nps_score 8
    assert (
        "contributes nps_score = 8: a passive (7-8), 1 to the cell's n and 1 to its passives"
        in passive
    )
    assert arithmetic in passive
    assert passive[-2:] == [
        "not listed among the failing records",
        "outcome: counted in the figure above",
    ]

    # S000024 has no csat: the rule's filter leaves it out, and explain says so
    left_out = _explain(runner, audit, "CSAT-Q-4.2", "S000024")
    assert left_out[-1] == (
        "outcome: not in the scope of the rule for this period "
        "(the rule's filter where: csat is not null does not hold for it)"
    )


def test_an_aggregate_record_states_its_share_and_the_cell_arithmetic(runner, demo_audit) -> None:
    _mean_and_nps_records_state_their_share(runner, Path(demo_audit.out))


def test_an_aggregate_record_explained_from_a_duckdb_audit(runner, tmp_path) -> None:
    from .conftest import ROOT, RULES

    out = tmp_path / "audit"
    audited = runner.invoke(main, ["audit", str(RULES / "service-quality.yaml"),
                                   str(ROOT / "evidence" / "demo" / "service-quality"),
                                   "--period", "2026-Q3", "--out", str(out), "--format", "json",
                                   "--engine", "duckdb", "--fail-on", "never"])  # fmt: skip
    assert audited.exit_code == 0, audited.output
    _mean_and_nps_records_state_their_share(runner, out)
    _a_dated_key_as_the_failing_list_prints_it(runner, out)


def test_a_record_outside_the_period_says_so(demo_audit) -> None:
    from auditor.certify.explain import explain_record

    pack = load_pack(RULES_SQ, [STANDARDS])
    store = EvidenceStore(Path(demo_audit.out) / "evidence.db", read_only=True)
    try:
        august = explain_record(pack, "CSAT-Q-4.2", "S000002", store, parse_period("2026-08"), None)
    finally:
        store.close()
    assert august.lines[-1] == (
        "outcome: not in the scope of the rule for this period (its answered_at "
        "2026-07-28 15:58:34+08:00 is outside the period 2026-08, from 2026-08-01 00:00:00+08:00 "
        "to 2026-09-01 00:00:00+08:00)"
    )


# ------------------------------------------------------------ a key with a date part


def test_a_dated_key_is_found_as_the_report_prints_it_or_as_stored(demo_audit) -> None:
    """The checklist's key ends in its date: the report prints it as a date, the store holds
    the epoch seconds of that day's midnight in the pack's zone; explain takes either."""
    pack = load_pack(RULES_SQ, [STANDARDS])
    store = EvidenceStore(Path(demo_audit.out) / "evidence.db", read_only=True)
    period = parse_period("2026-Q3")
    stored = f"ROOT-CAUSE|SH|{datetime(2026, 9, 23, 16, tzinfo=UTC).timestamp()}"  # 24th, +08:00
    try:
        printed = explain_record(
            pack, "ROOT-CAUSE", "ROOT-CAUSE|SH|2026-09-24", store, period, None
        )
        as_stored = explain_record(pack, "ROOT-CAUSE", stored, store, period, None)
        with pytest.raises(Exception) as unknown:
            explain_record(pack, "ROOT-CAUSE", "ROOT-CAUSE|SH|2026-09-25", store, period, None)
    finally:
        store.close()
    assert stored == "ROOT-CAUSE|SH|1790179200.0"
    assert "record ROOT-CAUSE|SH|2026-09-24: checklist.csv line 6" in printed.lines
    assert "  checked_on = 2026-09-24" in printed.lines
    assert printed.lines[2:] == as_stored.lines[2:]
    assert str(unknown.value.message) == (
        "no checklist record with key 'ROOT-CAUSE|SH|2026-09-25' in the store"
    )


def test_a_key_in_other_letter_case_names_the_stored_one(demo_audit) -> None:
    """T000081 and ROOT-CAUSE|SH|2026-09-24 are keys of the demo (failing-records.csv lists
    them); typed in lower case, the error names them, a date part as it was typed."""
    store = Path(demo_audit.out) / "evidence.db"
    cases = {
        ("TECH-INITIAL-4H", "t000081"): "no tickets record with key 't000081' in the store; "
        "did you mean 'T000081'?",
        ("ROOT-CAUSE", "root-cause|sh|2026-09-24"): "no checklist record with key "
        "'root-cause|sh|2026-09-24' in the store; did you mean 'ROOT-CAUSE|SH|2026-09-24'?",
        ("TECH-INITIAL-4H", "T00081"): "no tickets record with key 'T00081' in the store; "
        "copy the key from the report",
    }
    for (rule, key), message in cases.items():
        with pytest.raises(AuditorError) as caught:
            explain_in_audit(store, rule, key)
        assert str(caught.value) == message


def test_a_printed_key_reads_back_as_the_stored_fields() -> None:
    """The inverse of the printed key, part by part: a date as its day's first instant in the
    pack's zone (a day whose midnight is skipped starts later), a timestamp written as a date
    and time as its moment; a part in its stored form, or of another type, as it is."""
    from zoneinfo import ZoneInfo

    from auditor.evaluate.scope import shown_key, stored_key_fields
    from auditor.model import EvidenceKind, FieldSpec
    from auditor.standards import Text

    fields = {
        "site": FieldSpec("site", "string"),
        "day": FieldSpec("day", "date"),
        "at": FieldSpec("at", "timestamp"),
    }
    kind = EvidenceKind("visits", Text("", ""), ("site", "day", "at"), "day", fields)
    zone = ZoneInfo("America/Sao_Paulo")  # 2018-11-04: 00:00 -> 01:00
    skipped = datetime(2018, 11, 4, 3, tzinfo=UTC).timestamp()  # 01:00-02:00 there
    assert stored_key_fields(kind, "2018-11-04|2018-11-04|2018-11-04 01:00:00", zone) == {
        "site": "2018-11-04",
        "day": f"{skipped}",
        "at": f"{skipped}",
    }
    assert shown_key(f"SP|{skipped}|{skipped}", ["string", "date", "timestamp"], zone) == (
        "SP|2018-11-04|2018-11-04T01:00:00-02:00"
    )
    assert stored_key_fields(kind, f"SP|{skipped}|{skipped}", zone) == {
        "site": "SP",
        "day": f"{skipped}",
        "at": f"{skipped}",
    }
    assert stored_key_fields(kind, "SP|2018-11-05|2018-11-04T03:00:00+00:00", zone) == {
        "site": "SP",
        "day": f"{skipped + 23 * 3600}",
        "at": f"{skipped}",
    }
    assert stored_key_fields(kind, "SP|not a day|x", zone) == {
        "site": "SP",
        "day": "not a day",
        "at": "x",
    }
    # epoch seconds written without the stored form's ".0" read as the same moment
    assert stored_key_fields(kind, f"SP|{int(skipped)}|{int(skipped)}", zone)["day"] == f"{skipped}"
    for wrong in (
        "SP|2018-11-04",
        "SP|2018-11-04|2018-11-04 01:00:00|extra",
    ):  # never another record
        with pytest.raises(AuditorError, match=r"key has 3 parts \(site\|day\|at\)"):
            stored_key_fields(kind, wrong, zone)


def test_explain_takes_the_key_copied_from_the_failing_records(runner, demo_audit) -> None:
    _a_dated_key_as_the_failing_list_prints_it(runner, Path(demo_audit.out))


def _a_dated_key_as_the_failing_list_prints_it(runner, audit: Path) -> None:
    """ROOT-CAUSE's failing record, its key copied from failing-records.csv, explained."""
    import csv

    with (audit / "failing-records.csv").open(encoding="utf-8-sig", newline="") as listed:
        keys = [row["key"] for row in csv.DictReader(listed) if row["rule"] == "ROOT-CAUSE"]
    assert keys == ["ROOT-CAUSE|SH|2026-09-24"]
    lines = _explain(runner, audit, "ROOT-CAUSE", keys[0])
    assert "record ROOT-CAUSE|SH|2026-09-24: checklist.csv line 6" in lines
    assert lines[-1] == "outcome: breach"
    missing = runner.invoke(
        main,
        ["explain", "ROOT-CAUSE", "--record", "ROOT-CAUSE|SH|2026-09-25", "--audit", str(audit)],
    )
    assert missing.exit_code == 2
    assert missing.output.strip().splitlines()[0] == (
        "error: no checklist record with key 'ROOT-CAUSE|SH|2026-09-25' in the store; "
        "copy the key from the report"
    )


def test_a_number_key_held_by_a_quarantined_jsonl_row_is_found(tmp_path) -> None:
    """A JSON number key (1001) in a quarantined row names that row, as a text key does."""
    pack = load_pack(TEST_PACKS / "engine.yaml", [STANDARDS])
    (tmp_path / "tickets.jsonl").write_text(
        '{"ticket_id": 1001, "site": "BJ", "opened_at": "2026-02-30 10:00:00", "status": "open"}\n',
        encoding="utf-8",
    )
    store = EvidenceStore(tmp_path / "evidence.db")
    try:
        ingest(pack, tmp_path, store)
        with pytest.raises(Exception, match=r"the row at tickets\.jsonl:1 that holds it"):
            explain_record(pack, "BUSINESS-4H", "1001", store, parse_period("2026-02"), None)
    finally:
        store.close()


def test_a_key_missing_a_part_is_refused_not_read_as_another_record(runner, demo_audit) -> None:
    """A checklist record's key is item|site|checked_on: the rule id alone is not the key
    of its first row (which conforms, while the failing one is another site's)."""
    result = runner.invoke(
        main,
        ["explain", "ROOT-CAUSE", "--record", "ROOT-CAUSE", "--audit", str(demo_audit.out)],
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "a checklist record's key has 3 parts" in lines[0], result.output


def test_an_excluded_or_out_of_scope_record_is_not_measured(runner, demo_audit) -> None:
    """An abandoned call is excluded, a chat call is outside the phone rule's filter: neither
    is worked out as a duration (which would call it a breach) before its outcome."""

    def explained(key: str) -> list[str]:
        result = runner.invoke(
            main, ["explain", "RESP-PHONE-30S", "--record", key, "--audit", str(demo_audit.out)]
        )
        assert result.exit_code == 0, result.output
        return result.output.splitlines()

    abandoned = explained("I0000073")
    assert abandoned[-2].startswith("excluded: abandoned by the caller within 5 s")
    assert abandoned[-1] == "outcome: excluded: abandoned by the caller within 5 s"
    chat = explained("I0000003")
    assert chat[-1] == (
        "outcome: not in the scope of the rule for this period (the rule's filter where: "
        'channel == "phone" does not hold for it)'
    )
    worked = [
        line for line in abandoned[1:] + chat[1:] if "duration" in line or "wall time" in line
    ]
    assert worked == []


def test_a_checklist_answer_is_explained_with_its_result(runner, demo_audit) -> None:
    result = runner.invoke(
        main,
        ["explain", "ROOT-CAUSE", "--record", "ROOT-CAUSE|SH|2026-09-24", "--audit",
         str(demo_audit.out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        "checklist item ROOT-CAUSE: result = no -> breach",
        "outcome: breach",
    ]


def test_raw_cells_come_only_from_the_file_the_ingest_read(runner, tmp_path) -> None:
    """A file changed (or another put) at the recorded name since the audit: its cells are
    not shown as the record's."""
    import shutil

    evidence = tmp_path / "ev"
    shutil.copytree(RULES.parent / "evidence/demo/service-quality", evidence)
    audited = runner.invoke(
        main,
        ["audit", str(RULES_SQ), str(evidence), "--period", "2026-Q3", "--out",
         str(tmp_path / "a"), "--format", "json"],
    )  # fmt: skip
    assert audited.exit_code in (0, 1), audited.output
    calls = evidence / "interactions-2026Q3.csv"
    calls.write_bytes(calls.read_bytes() + b"\n")

    def explained() -> str:
        result = runner.invoke(
            main,
            ["explain", "RESP-PHONE-30S", "--record", "I0000073", "--audit", str(tmp_path / "a")],
        )
        assert result.exit_code == 0, result.output
        return result.output

    assert "raw cells: not shown, the file at interactions-2026Q3.csv is not the one ingested" in (
        explained()
    )


def test_a_mean_s_interval_bounds_have_the_same_decimals() -> None:
    """ASA-60's pooled mean 2,317,703 / 18,392 = 126.017, s = 128.499: its interval read
    "124.16 to 127.874" (the lower bound's trailing zero dropped); both bounds to three
    decimals. Whole bounds stay whole."""
    from auditor.measures.base import Figure
    from auditor.measures.mean import MeanMeasure

    mean = MeanMeasure(of="q_time")
    details = {"sum": 2_317_703.0, "n": 18_392, "standard_deviation": 128.499}
    figure = Figure(2_317_703 / 18_392, (124.16, 127.874), details)
    assert mean.arithmetic(figure) == (
        "mean = sum / n = 2,317,703 / 18,392 = 126.017; s = 128.499, "
        "95 % interval 124.160 to 127.874 (mean ± t(0.975, 18391) = 1.9601 × s/√n)"
    )  # t with 18,391 degrees of freedom: z + (z³ + z)/(4·18,391) = 1.95996 + 0.00013
    whole = Figure(5.0, (4.0, 6.0), {"sum": 10.0, "n": 2, "standard_deviation": 0.5})
    assert mean.arithmetic(whole).endswith(
        "95 % interval 4 to 6 (mean ± t(0.975, 1) = 12.7062 × s/√n)"
    )  # tables print 12.706


def test_long_spans_are_written_in_hours_and_days_not_in_powers_of_ten() -> None:
    """221,012,388 s (a request open seven years): 61,392.33 h, 2,558.0 d."""
    from auditor.certify.explain import _hours

    assert _hours(221_012_388) == "61,392 h, 2,558.0 d"
    assert _hours(999 * 3600) == "999 h" and _hours(5400) == "1.5 h" and _hours(56) == "56 s"


def test_long_business_time_is_not_given_in_days_of_24_hours() -> None:
    """10,615,658 s of a calendar's open time is 2,949 h: 122.9 days of 24 h would be read as
    business days (of 9 h, 327.7), so none are given."""
    from auditor.certify.explain import _hours, _seconds

    assert _hours(10_615_658, wall=False) == "2,949 h"
    assert _seconds(10_471_658, wall=False) == "10,471,658 s (2,909 h)"
    assert _seconds(10_471_658) == "10,471,658 s (2,909 h, 121.2 d)"


def test_in_a_combined_audit_files_are_named_from_the_evidence_folder(runner, tmp_path) -> None:
    """Each pack's files in a folder of its own: explain named them without it
    (`checklist.csv line 6`), failing-records.csv as `service-quality/checklist.csv`."""
    import csv
    import shutil

    from .conftest import ROOT

    evidence = tmp_path / "evidence"
    for pack in ("service-quality", "special-service-monitoring"):
        shutil.copytree(ROOT / "evidence" / "demo" / pack, evidence / pack)
    out = tmp_path / "audit"
    packs = [str(RULES / f"{p}.yaml") for p in ("service-quality", "special-service-monitoring")]
    audited = runner.invoke(main, ["audit", *packs, str(evidence), "--period", "2026-Q3",
                                   "--out", str(out), "--format", "json", "--fail-on", "never"])  # fmt: skip
    assert audited.exit_code == 0, audited.output
    failing = out / "service-quality" / "failing-records.csv"
    with failing.open(encoding="utf-8-sig", newline="") as listed:
        row = next(r for r in csv.DictReader(listed) if r["rule"] == "ROOT-CAUSE")
    assert (row["file"], row["line"]) == ("service-quality/checklist.csv", "6")
    lines = _explain(runner, out / "service-quality", "ROOT-CAUSE", row["key"])
    assert lines[1] == "record ROOT-CAUSE|SH|2026-09-24: service-quality/checklist.csv line 6"
    events = _explain(runner, out, "COMPLAINT-HANDLING", "CP00002")
    # the case's cell and the pooled finding it counts in (the rule is judged pooled), then
    # its events
    assert [line.split(" (")[0] for line in events[2:4]] == [
        "counted in finding COMPLAINT-HANDLING@site=BJ",
        "counted in finding COMPLAINT-HANDLING",
    ]
    assert events[4] == (
        "  special-service-monitoring/complaint_events.csv line 6: "
        "received at 2026-08-03 07:46:20+08:00"
    )


# ------------------------------------------------------------ the finding a record counts in


def cell_audit(write_pack: Any, tmp_path: Path) -> Path:
    """An audit of 2026-Q3 with two rules over the same calls, by site and month: MONTHLY
    judged in each group, POOLED on its pooled figure. BJ July: 4 calls, 1 answered (0.25,
    a minor nonconformity under MONTHLY), and a fifth, B-X, excluded (csat 0: a test call);
    BJ August: 2 calls, none answered (fewer than min_records 3: not evaluable); BJ September:
    50 calls, 49 answered; GZ July: 3 calls, none answered; G-OCT falls in October."""
    from datetime import date

    from auditor.audit import run_audit

    from .series_pack import PACK, calls, rule, write

    cells = "    min_records: 3\n    group_by: [site]\n    period: month\n"
    body = "    evidence: calls\n    condition: answered\n    target: 80%\n" + cells
    body += "    exclude: [{when: csat == 0, reason: test call}]\n"
    pack = write_pack(
        PACK
        + rule("MONTHLY", body + "    judge: each-group\n")
        + rule("POOLED", body + "    judge: pooled\n")
    )
    rows: list[tuple[Any, ...]] = []
    for site, month, answered, n in (
        ("BJ", "07", 1, 4),
        ("BJ", "08", 0, 2),
        ("BJ", "09", 49, 50),
        ("GZ", "07", 0, 3),
    ):
        for i in range(n):
            at = f"2026-{month}-{i % 28 + 1:02d} {10 + i // 28}:00:00"
            rows.append((f"{site}-{month}-{i}", site, at, i < answered, None))
    rows.append(("B-X", "BJ", "2026-07-20 10:00:00", False, 0))
    rows.append(("G-OCT", "GZ", "2026-10-02 10:00:00", False, None))
    evidence = tmp_path / "evidence"
    write(evidence, "calls.csv", calls(rows))
    out = tmp_path / "out"
    run_audit(pack, evidence, out, "2026-Q3", today=date(2026, 10, 15))
    return out


def test_explain_names_the_finding_a_record_is_counted_in(write_pack, tmp_path) -> None:
    """A user trial: explain gave a record's cells, values and outcome, but not the finding
    it counts in, so a certifier tracing a record to the verdict it moved had to work out its
    group and month by hand. It names the finding, with its verdict, value and n as
    findings.json gives them; under a rule judged pooled, the pooled finding too; for a
    record excluded or out of scope, that no finding's rate counts it, and why."""
    import json

    out = cell_audit(write_pack, tmp_path)
    store = out / "evidence.db"
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    pooled = next(r for r in document["rules"] if r["rule"] == "POOLED")["findings"][0]
    assert pooled["value"] == 50 / 59  # 1 + 0 + 49 + 0 of 4 + 2 + 50 + 3

    def lines(rule: str, key: str) -> list[str]:
        return explain_in_audit(store, rule, key).lines

    failing = lines("MONTHLY", "BJ-07-1")
    assert failing[2] == (
        "counted in finding MONTHLY@site=BJ@2026-07 (group site=BJ, sub-period 2026-07): "
        "nonconform (minor), value 25.0 % (0.25 in findings.json), n = 4"
    )
    assert failing[-1] == "outcome: breach"
    assert lines("MONTHLY", "BJ-08-0")[2] == (
        "counted in finding MONTHLY@site=BJ@2026-08 (group site=BJ, sub-period 2026-08): "
        "not-evaluable, no value, n = 2 (minimum 3)"
    )
    assert lines("POOLED", "BJ-07-0")[2:4] == [
        "counted in finding POOLED@site=BJ@2026-07 (group site=BJ, sub-period 2026-07): "
        "nonconform (minor), value 25.0 % (0.25 in findings.json), n = 4",
        "counted in finding POOLED (pooled: all groups, period 2026-Q3; the rule is judged on "
        f"it): {pooled['verdict']}, value 84.7 % ({50 / 59} in findings.json), n = 59",
    ]
    assert lines("MONTHLY", "B-X")[2] == (
        "counted in no finding's rate: excluded (test call); it is the one excluded "
        "record of finding MONTHLY@site=BJ@2026-07 (group site=BJ, sub-period 2026-07): "
        "nonconform (minor), value 25.0 % (0.25 in findings.json), n = 4"
    )
    assert lines("MONTHLY", "G-OCT")[2] == (
        "counted in no finding: the record is not in the rule's scope for this period"
    )


# ------------------------------------------------------------ a rule the audit did not judge

NO_CSAT = "field 'csat' is empty in all 5 calls records in scope"


def test_a_record_of_a_rule_the_audit_found_not_evaluable_has_no_outcome(
    write_pack, tmp_path
) -> None:
    """A certifier's trial: the audit found COUNTER-WAIT-15MIN not evaluable (served_at empty
    in every record, n = 0), yet explain said the record was "counted in finding
    ...@site=BJ (not in findings.json)" and gave it "outcome: breach". The audit judged no
    record of the rule: explain shows the record and says so, with the audit's reason."""
    from .series_pack import unrated_audit

    store = unrated_audit(write_pack, tmp_path) / "evidence.db"
    said = (
        f"counted in no finding: the audit found this rule not evaluable ({NO_CSAT}) and "
        "judged none of its records"
    )
    for rule_id in ("RATED", "CSAT"):  # a rate of records, and a mean
        lines = explain_in_audit(store, rule_id, "C1").lines
        assert lines[1] == "record C1: calls.csv line 3"
        assert lines[2] == said
        assert "  csat = None" in lines
        assert lines[-1] == "outcome: none (the audit judged no record of this rule)"
        assert not [line for line in lines if "breach" in line or "counted in finding" in line]
    judged = explain_in_audit(store, "ANSWERED", "C1").lines  # another rule of the audit
    assert judged[2].startswith("counted in finding ANSWERED") and judged[-1] == "outcome: conform"


def test_only_the_records_of_a_group_the_audit_did_not_judge_say_so(write_pack, tmp_path) -> None:
    """A finding of one group that judged none of its records (site=GZ here) takes the
    outcome from that group's records only; BJ's keep theirs."""
    from auditor.certify.unjudged import Unjudged

    from .series_pack import unrated_audit

    out = unrated_audit(write_pack, tmp_path)
    pack = load_pack(out.parent / "rules" / "pack.yaml", [STANDARDS])
    store = EvidenceStore(out / "evidence.db", read_only=True)
    unjudged = [Unjudged({"site": "GZ"}, "no answered_at in GZ")]
    try:

        def lines(key: str) -> list[str]:
            period = parse_period("2026-Q3")
            return explain_record(
                pack, "ANSWERED", key, store, period, "conform", unjudged=unjudged
            ).lines

        gz = lines("C4")
        assert gz[2] == (
            "counted in no finding: the audit found group site=GZ of this rule not evaluable "
            "(no answered_at in GZ) and judged none of its records"
        )
        assert gz[-1] == "outcome: none (the audit judged no record of group site=GZ of this rule)"
        assert lines("C1")[-1] == "outcome: conform"
    finally:
        store.close()


def test_an_unknown_rule_names_the_closest_or_lists_the_packs_rules(write_pack, tmp_path) -> None:
    from .series_pack import unrated_audit

    store = unrated_audit(write_pack, tmp_path) / "evidence.db"
    with pytest.raises(AuditorError) as far:
        explain_in_audit(store, "NOPE", "C1")
    assert str(far.value) == "no rule 'NOPE'; the pack's rules are ANSWERED, CSAT, RATED"
    with pytest.raises(AuditorError) as near:
        explain_in_audit(store, "RATE", "C1")
    assert str(near.value) == "no rule 'RATE'; did you mean 'RATED'?"


def test_a_group_not_evaluable_for_too_few_records_is_still_sampled(write_pack, tmp_path) -> None:
    """BJ August's finding is not evaluable for too few records (2, minimum 3), but the audit
    judged those 2: they stay in the lot, 59 records by hand (4 + 2 + 50 + 3)."""
    from auditor.certify.sampling import sample_audit

    out = cell_audit(write_pack, tmp_path)
    _, rows, _, lot, warnings = sample_audit(
        out, "MONTHLY", tmp_path / "s.csv", seed=1, size=100, stratify="site"
    )
    assert lot == 59 and len(rows) == 59 and not warnings
    assert sum(row["key"].startswith("BJ-08-") for row in rows) == 2
