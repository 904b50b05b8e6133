"""Engine semantics on small hand-made evidence, each figure worked out by hand."""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import load_pack
from auditor.backends.store import EvidenceStore
from auditor.business_time import BusinessClock
from auditor.errors import AuditorError
from auditor.evaluate import evaluate
from auditor.findings.results import RuleResult
from auditor.i18n import translate_reason
from auditor.ingest import ingest
from auditor.model import Pack
from auditor.periods import parse_period

from .conftest import STANDARDS, TEST_PACKS


@functools.cache
def the_pack() -> Pack:
    """The pack these tests use, loaded on first use (never at import)."""
    return load_pack(TEST_PACKS / "engine.yaml", [STANDARDS])


SH = ZoneInfo("Asia/Shanghai")
TICKETS = "ticket_id,site,opened_at,solved_at,status\n"
PAUSES = "ticket_id,started_at,ended_at,reason\n"


@pytest.fixture
def run(store, tmp_path):
    """Write tickets (and pauses), ingest them into the test's store, evaluate the engine pack."""

    def audit(tickets: str, pauses: str = "", period: str = "2026-02") -> dict:
        (tmp_path / "tickets.csv").write_text(TICKETS + tickets, encoding="utf-8")
        if pauses:
            (tmp_path / "pauses.csv").write_text(PAUSES + pauses, encoding="utf-8")
        ingest(the_pack(), tmp_path, store)
        return {r.rule: r for r in evaluate(the_pack(), store, parse_period(period))}

    return audit


def test_wall_clock_conform_breach_and_pending(run) -> None:
    results = run(
        "A,BJ,2026-02-02 09:00:00,2026-02-02 12:00:00,closed\n"  # 3 h: conform
        "B,BJ,2026-02-02 09:00:00,2026-02-02 14:00:00,closed\n"  # 5 h: breach
        "C,BJ,2026-02-28 22:00:00,,open\n"  # open 2 h at period end: pending
        "D,BJ,2026-02-27 09:00:00,,open\n"  # open, long past 4 h: breach
        "E,BJ,2026-02-28 23:00:00,2026-03-01 05:00:00,closed\n",  # solved after the end: open then, 1 h: pending
    )
    f = results["WALL-4H"].findings[0]
    assert (f.counts.conforming, f.counts.breached, f.counts.pending, f.counts.n) == (1, 2, 2, 3)
    assert f.value == pytest.approx(1 / 3)
    assert f.verdict == "nonconform" and f.severity == "major"  # 33 % < 50 %: escalated
    assert f.failing == ["B", "D"]
    assert f.shortfall == 2  # ceil(0.75 * 3) = 3 needed, 1 had


def test_business_hours_across_the_spring_festival_with_a_pause(run) -> None:
    results = run(
        # Opened Fri 13 Feb 16:00, solved Tue 24 Feb 10:00: 2 + 9 (Sat 14 Feb worked) + 1 = 12 h,
        # minus a customer pause Sat 14 Feb 09:00-17:00 (8 h) = 4 h: conform.
        "A,BJ,2026-02-13 16:00:00,2026-02-24 10:00:00,closed\n"
        # Same times without the pause (the pause of B is not the customer's): 12 h: breach.
        "B,SH,2026-02-13 16:00:00,2026-02-24 10:00:00,closed\n",
        "A,2026-02-14 09:00:00,2026-02-14 17:00:00,customer\n"
        "B,2026-02-14 09:00:00,2026-02-14 17:00:00,internal\n",
    )
    rule = results["BUSINESS-4H"]
    by_site = {f.group.get("site"): f for f in rule.findings}
    assert by_site["BJ"].counts.conforming == 1
    assert by_site["SH"].counts.breached == 1
    assert rule.verdict == "nonconform" and rule.verdict_severity == "major"


def test_warn_band_gives_an_observation(run) -> None:
    rows = "".join(
        f"T{i},BJ,2026-02-02 09:00:00,,{'closed' if i < 7 else 'open'}\n" for i in range(10)
    )
    f = run(rows)["CLOSED"].findings[0]
    assert f.value == 0.7
    assert f.verdict == "observation"
    assert "warn band" in " ".join(f.reasons)


def test_too_few_records_is_not_evaluable_never_a_pass(run) -> None:
    from auditor.i18n import translate_reason

    f = run("A,BJ,2026-02-02 09:00:00,,closed\n")["MANY"].findings[0]
    assert f.verdict == "not-evaluable"
    assert f.reasons == ["1 record in the rate, fewer than the minimum of 100"]
    assert translate_reason(f.reasons[0], "zh") == "计入比率的记录仅 1 条,少于最低要求 100 条"


def test_a_condition_field_empty_throughout_the_period_is_named(tmp_path, store) -> None:
    """No record in scope because the field the rule's where reads (site) is empty in every
    ticket of the period: not evaluable, naming the field and the records, not "0 records
    in the rate". A site filled on one ticket outside the period does not count."""
    text = (TEST_PACKS / "engine.yaml").read_text(encoding="utf-8")
    text = text.replace("      site: string\n", "      site: string?\n", 1)
    text += (
        '  - id: BJ-CLOSED\n    clause: "3.3.3"\n    title: {zh: 北京已关闭, en: BJ closed}\n'
        '    evidence: tickets\n    where: site == "BJ"\n    condition: status == "closed"\n'
        "    target: 50%\n    severity: minor\n    min_records: 1\n"
        "    capa: {action: {zh: 改, en: Fix}, owner: lead}\n"
    )
    (tmp_path / "pack").mkdir()
    pack_path = tmp_path / "pack" / "engine.yaml"
    pack_path.write_text(text, encoding="utf-8")
    pack = load_pack(pack_path, [STANDARDS])
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "tickets.csv").write_text(
        TICKETS
        + "A,,2026-02-02 09:00:00,,closed\n"
        + "B,,2026-02-03 09:00:00,,open\n"
        + "C,,2026-02-04 09:00:00,,closed\n"
        + "D,BJ,2026-03-04 09:00:00,,closed\n",  # March: outside the period
        encoding="utf-8",
    )
    ingest(pack, tmp_path / "ev", store)
    results = {r.rule: r for r in evaluate(pack, store, parse_period("2026-02"))}
    finding = results["BJ-CLOSED"].findings[0]
    assert results["BJ-CLOSED"].verdict == "not-evaluable"
    assert finding.not_evaluable == {"code": "filter-field-empty", "field": "site", "n": 3}
    assert finding.reasons == [
        "no record in scope: the rule's condition reads 'site', which is empty in all 3 "
        "tickets records of the period"
    ]
    assert results["CLOSED"].verdict != "not-evaluable"  # no where: judged as before


def _with_rules(tmp_path, store, write_pack, rules: str, tickets: str) -> dict[str, RuleResult]:
    """Each rule's result, over February 2026, of the engine pack with ``rules`` added, on
    the tickets (CSV rows under the engine pack's header) given."""
    text = (TEST_PACKS / "engine.yaml").read_text(encoding="utf-8") + rules
    pack = load_pack(write_pack(text), [STANDARDS])
    (tmp_path / "tickets.csv").write_text(TICKETS + tickets, encoding="utf-8")
    ingest(pack, tmp_path, store)
    return {r.rule: r for r in evaluate(pack, store, parse_period("2026-02"))}


def test_a_text_a_condition_or_filter_compares_with_that_never_occurs_is_noted(
    tmp_path, store, write_pack
) -> None:
    """Each text a rule's condition (or per_1000's) or where compares a text field with and no
    ticket holds is noted, with the values closest to it; the rule is judged as written. A blank text and
    an enum's values (checked when the pack loads) are not."""
    rules = (
        '  - id: NORTH\n    clause: "3.3.3"\n    title: {zh: 北方, en: North}\n'
        '    evidence: tickets\n    where: site != "Shangai" and site != ""\n'
        '    condition: site in ["Beijing", "Bejing", "Guangzhou"]\n'
        "    target: 50%\n    severity: minor\n    min_records: 1\n"
        "    capa: {action: {zh: 改, en: Fix}, owner: lead}\n"
        '  - id: SH-PER-1000\n    clause: "3.3.3"\n    title: {zh: 上海, en: Shanghai}\n'
        '    evidence: tickets\n    per_1000: site == "Shangai"\n'
        '    target: "<= 500"\n    severity: minor\n    min_records: 1\n'
        "    capa: {action: {zh: 改, en: Fix}, owner: lead}\n"
    )
    tickets = (
        "A,Beijing,2026-02-02 09:00:00,,open\n"
        "B,Shanghai,2026-02-03 09:00:00,,open\n"
        "C,Beijing,2026-02-04 09:00:00,,open\n"
    )
    results = _with_rules(tmp_path, store, write_pack, rules, tickets)
    north = results["NORTH"].findings[0]
    # difflib's ratios: Bejing/Beijing 2*6/13 = 0.92; Guangzhou/Shanghai 2*4/17 = 0.47 and
    # Guangzhou/Beijing 0.25, both under the 0.6 cut-off; Shangai/Shanghai 2*7/15 = 0.93
    assert north.details["notes"] == [
        "value 'Bejing' never occurs in tickets.site; closest: 'Beijing'",
        "value 'Guangzhou' never occurs in tickets.site; no value there is close",
        "value 'Shangai' never occurs in tickets.site; closest: 'Shanghai'",
    ]
    # judged as written: A and C of the three tickets are in Beijing
    assert (north.counts.conforming, north.counts.n) == (2, 3)
    assert north.value == pytest.approx(2 / 3)
    # a misspelt count is a pass in silence without the note: 0 of 3 tickets, 0 per 1,000
    per_1000 = results["SH-PER-1000"].findings[0]
    assert per_1000.details["notes"] == [
        "value 'Shangai' never occurs in tickets.site; closest: 'Shanghai'"
    ]
    assert per_1000.value == 0
    # CLOSED compares the enum status with 'closed', which no ticket holds: no note
    assert "notes" not in results["CLOSED"].findings[0].details


def test_a_text_that_differs_only_in_case_is_named_closest_first(
    tmp_path, store, write_pack
) -> None:
    """A compared text the data spells in other case ('ps' for PS) is named as the closest,
    though difflib finds nothing close (its ratio ps/PS is 0); one difflib also finds comes
    after it. The note reads so in Chinese as well."""
    rule = (
        '  - id: SITES\n    clause: "3.3.3"\n    title: {zh: 站点, en: Sites}\n'
        '    evidence: tickets\n    where: site in ("ps", "NEE", "bj")\n'
        '    condition: status == "open"\n'
        "    target: 50%\n    severity: minor\n    min_records: 1\n"
        "    capa: {action: {zh: 改, en: Fix}, owner: lead}\n"
    )
    tickets = (
        "A,PS,2026-02-02 09:00:00,,open\n"
        "B,PE,2026-02-03 09:00:00,,open\n"
        "C,NE,2026-02-04 09:00:00,,open\n"
        "D,bJ,2026-02-05 09:00:00,,open\n"
        "E,BJ,2026-02-06 09:00:00,,open\n"
        "F,bj2,2026-02-07 09:00:00,,open\n"
    )
    notes = _with_rules(tmp_path, store, write_pack, rule, tickets)["SITES"].findings[0]
    # difflib's ratios: NEE/NE 2*2/5 = 0.8, NEE/PE 0.4; bj/bj2 2*2/5 = 0.8, bj/bJ 0.5
    assert notes.details["notes"] == [
        "value 'ps' never occurs in tickets.site; closest: 'PS'",
        "value 'NEE' never occurs in tickets.site; closest: 'NE'",
        "value 'bj' never occurs in tickets.site; closest: 'BJ', 'bJ', 'bj2'",
    ]
    assert translate_reason(notes.details["notes"][0], "zh") == (
        "值“ps”在 tickets.site 中从未出现;最接近的值:'PS'"
    )


def test_an_exclusion_text_no_record_holds_is_named_in_a_note(tmp_path, store, write_pack) -> None:
    """An exclusion's ``when`` that compares site with a misspelt name excludes nothing, in
    silence without the note: said as a misspelt ``where`` is."""
    rule = (
        '  - id: OPEN\n    clause: "3.3.3"\n    title: {zh: 未结, en: Open}\n'
        "    evidence: tickets\n"
        '    exclude:\n      - when: site == "Shangai"\n        reason: pilot site\n'
        '    condition: status == "open"\n'
        "    target: 50%\n    severity: minor\n    min_records: 1\n"
        "    capa: {action: {zh: 改, en: Fix}, owner: lead}\n"
    )
    tickets = "A,Beijing,2026-02-02 09:00:00,,open\nB,Shanghai,2026-02-03 09:00:00,,closed\n"
    opened = _with_rules(tmp_path, store, write_pack, rule, tickets)["OPEN"].findings[0]
    assert opened.details["notes"] == [
        "value 'Shangai' never occurs in tickets.site; closest: 'Shanghai'"
    ]
    assert (opened.counts.conforming, opened.counts.n) == (1, 2)


def test_a_pause_filter_text_no_pause_holds_is_named_in_a_note(run) -> None:
    """The pauses' ``where`` compares reason with 'customer'; these pauses spell it otherwise,
    so none is subtracted: said in a note, as a misspelt ``where`` of the rule's own kind is."""
    results = run(
        "A,BJ,2026-02-13 16:00:00,2026-02-24 10:00:00,closed\n",
        "A,2026-02-14 09:00:00,2026-02-14 17:00:00,Customer\n"
        "A,2026-02-16 09:00:00,2026-02-16 10:00:00,internal\n",
    )
    finding = results["BUSINESS-4H"].findings[0]
    # difflib's ratio customer/Customer: 2*7/16 = 0.875
    assert finding.details["notes"] == [
        "value 'customer' never occurs in pauses.reason; closest: 'Customer'"
    ]
    assert finding.counts.breached == 1  # 12 business hours, nothing subtracted


def test_pauses_with_no_end_anywhere_leave_the_rule_not_evaluable(run) -> None:
    """Every pause the rule reads lacks its end (an event log without end times): the rule
    is not judged on ends the data does not give."""
    results = run(
        "A,BJ,2026-02-13 16:00:00,2026-02-24 10:00:00,closed\n",
        "A,2026-02-14 09:00:00,,customer\n"
        "A,2026-02-16 09:00:00,,customer\n"
        "A,2026-02-17 09:00:00,2026-02-17 10:00:00,internal\n",  # has an end; not read
    )
    rule = results["BUSINESS-4H"]
    assert rule.verdict == "not-evaluable"
    finding = rule.findings[0]
    assert finding.not_evaluable == {
        "code": "other-field-empty",
        "kinds": ["pauses"],
        "field": "ended_at",
        "n": 2,
    }
    assert finding.reasons == [
        "field 'ended_at' is empty in all 2 pauses records the rule also reads"
    ]


def test_a_pause_without_an_end_lasts_until_the_record_ends(run) -> None:
    results = run(
        # A: 12 business hours (2 on Fri 13 Feb, 9 on the worked Sat 14 Feb, 1 on Tue 24 Feb);
        # its pause from Sat 14 Feb 09:00 has no end, so it lasts to the solution: 10 h
        # paused, 2 h counted: conform.
        "A,BJ,2026-02-13 16:00:00,2026-02-24 10:00:00,closed\n"
        # B: the same 12 h, paused Sat 14 Feb 09:00-17:00 (8 h): 4 h, conform (at most 4 h).
        "B,SH,2026-02-13 16:00:00,2026-02-24 10:00:00,closed\n",
        "A,2026-02-14 09:00:00,,customer\nB,2026-02-14 09:00:00,2026-02-14 17:00:00,customer\n",
    )
    by_site = {f.group.get("site"): f for f in results["BUSINESS-4H"].findings}
    assert by_site["BJ"].counts.conforming == 1 and by_site["SH"].counts.conforming == 1


def test_missing_evidence_kind_is_not_evaluable(tmp_path, store) -> None:
    (tmp_path / "pauses.csv").write_text(
        PAUSES + "A,2026-02-14 09:00:00,,customer\n", encoding="utf-8"
    )
    ingest(the_pack(), tmp_path, store)
    results = {r.rule: r for r in evaluate(the_pack(), store, parse_period("2026-02"))}
    assert results["CLOSED"].verdict == "not-evaluable"
    assert "no evidence of kind tickets" in " ".join(results["CLOSED"].findings[0].reasons)
    # still stated as judged findings state it: a share of at least 50 %
    closed = results["CLOSED"].findings[0]
    assert (closed.threshold, closed.unit) == ({"op": ">=", "value": 0.5}, "share")


def test_records_outside_the_period_are_not_counted(run) -> None:
    f = run("A,BJ,2026-01-31 23:59:59,,closed\nB,BJ,2026-02-01 00:00:00,,closed\n")[
        "CLOSED"
    ].findings[0]
    assert f.counts.n == 1


LATE_DECEMBER = (
    "A,BJ,2026-12-30 16:00:00,2026-12-31 11:00:00,closed\n"  # 2 h + 2 h = 4 h
    "B,BJ,2026-12-31 10:00:00,,open\n"  # still open at the end of 31 December: 8 h
    "C,SH,2026-12-31 15:00:00,2027-01-04 10:00:00,closed\n"  # solved in 2027: 3 h by 31 December
)


@pytest.mark.parametrize("period", ["2026", "2026-H2", "2026-12", "2026-07-01..2026-12-31"])
def test_a_period_ending_on_31_december_needs_no_holiday_data_of_the_next_year(
    run, cn_data_to_2026, period: str
) -> None:
    rule = run(LATE_DECEMBER, period=period)["BUSINESS-4H"]
    by_site = {f.group.get("site"): f for f in rule.findings}
    bj, sh = by_site["BJ"], by_site["SH"]
    assert (bj.counts.conforming, bj.counts.breached, bj.failing) == (1, 1, ["B"])
    assert bj.failing_values == [pytest.approx(8 * 3600)]
    assert (sh.counts.pending, sh.counts.n) == (1, 0)


def test_a_period_ending_on_30_december_counts_up_to_its_end(run, cn_data_to_2026) -> None:
    rule = run(LATE_DECEMBER, period="2026-07-01..2026-12-30")["BUSINESS-4H"]
    by_site = {f.group.get("site"): f for f in rule.findings}
    assert set(by_site) == {None, "BJ"}  # B and C are opened after the period
    assert (by_site["BJ"].counts.pending, by_site["BJ"].counts.n) == (1, 0)  # A: 2 h by then


def test_a_period_in_a_year_without_holiday_data_names_what_needs_it(run, cn_data_to_2026) -> None:
    with pytest.raises(
        AuditorError,
        match=r"calendar 'office' has no holiday data for 2027, needed for business time from "
        r"2026-12-30 16:00 \(the earliest tickets.opened_at\) to the end of period 2027-01 "
        r"by rule BUSINESS-4H: the holiday library covers up to 2026",
    ):
        run(LATE_DECEMBER + "D,BJ,2027-01-04 09:00:00,,open\n", period="2027-01")


def test_rules_evaluated_alone_need_only_their_own_calendars(
    store, tmp_path, cn_data_to_2026
) -> None:
    """WALL-4H counts wall time: evaluated alone, it needs no holiday data for 2027, which
    BUSINESS-4H's office calendar lacks; BUSINESS-4H alone still stops, naming itself."""
    from auditor.evaluate.driver import Evaluation, backend_for

    (tmp_path / "tickets.csv").write_text(
        TICKETS + "A,BJ,2027-01-04 09:00:00,2027-01-04 12:00:00,closed\n"  # 3 h: conform
        "B,BJ,2027-01-05 09:00:00,2027-01-05 15:00:00,closed\n",  # 6 h: breach
        encoding="utf-8",
    )
    ingest(the_pack(), tmp_path, store)
    wall, business = (the_pack().rule(rule) for rule in ("WALL-4H", "BUSINESS-4H"))
    assert wall is not None and business is not None
    period = parse_period("2027-01")
    results = Evaluation(the_pack(), backend_for(store), period, (wall,)).run()
    assert [r.rule for r in results] == ["WALL-4H"]
    f = results[0].findings[0]
    assert (f.counts.conforming, f.counts.breached, f.failing) == (1, 1, ["B"])
    with pytest.raises(AuditorError, match=r"no holiday data for 2027, .* by rule BUSINESS-4H:"):
        Evaluation(the_pack(), backend_for(store), period, (business,))


CLOCK = BusinessClock(
    the_pack().calendars["office"], SH, datetime(2026, 1, 1).date(), datetime(2026, 3, 31).date()
)
times = st.datetimes(min_value=datetime(2026, 2, 1), max_value=datetime(2026, 2, 27)).map(
    lambda d: d.replace(microsecond=0)
)


@given(st.lists(st.tuples(times, st.integers(0, 10 * 86400)), min_size=1, max_size=12))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_sql_business_time_equals_the_python_clock(tmp_path_factory, cases) -> None:
    folder = tmp_path_factory.mktemp("bt")
    rows = []
    expected_ok = 0
    end = datetime(2026, 3, 1, tzinfo=SH).timestamp()
    decided = 0
    for i, (opened, seconds) in enumerate(cases):
        solved = datetime.fromtimestamp(
            opened.replace(tzinfo=SH).timestamp() + seconds, SH
        ).replace(tzinfo=None)
        rows.append(f"T{i},BJ,{opened:%Y-%m-%d %H:%M:%S},{solved:%Y-%m-%d %H:%M:%S},closed\n")
        a = opened.replace(tzinfo=SH).timestamp()
        b = solved.replace(tzinfo=SH).timestamp()
        if b > end:
            elapsed = CLOCK.seconds_between(a, end)
            if elapsed <= 4 * 3600:
                continue  # pending
        else:
            elapsed = CLOCK.seconds_between(a, b)
        decided += 1
        expected_ok += elapsed <= 4 * 3600
    (folder / "tickets.csv").write_text(TICKETS + "".join(rows), encoding="utf-8")
    store = EvidenceStore(None)  # a fresh store per example
    ingest(the_pack(), folder, store)
    results = {r.rule: r for r in evaluate(the_pack(), store, parse_period("2026-02"))}
    store.close()
    f = results["BUSINESS-4H"].findings[0]
    assert (f.counts.n, f.counts.conforming) == (decided, expected_ok)


def test_a_grouped_aggregate_is_judged_pooled_and_per_group(tmp_path, write_pack) -> None:
    """A mean per site: the pooled finding is the whole period's mean, each site its own (by hand)."""
    from auditor.backends.store import EvidenceStore

    text = (TEST_PACKS / "engine.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "      status: {type: enum, values: [open, closed]}",
        "      status: {type: enum, values: [open, closed]}\n      score: number?",
    )
    text += (
        '  - id: MEAN-SCORE\n    clause: "3.3.3"\n    title: {zh: 均值, en: Mean score}\n'
        '    evidence: tickets\n    mean: {of: score}\n    target: ">= 3"\n    severity: minor\n'
        "    min_records: 1\n    group_by: [site]\n    capa: {action: {zh: 改, en: Fix}, owner: lead}\n"
    )
    pack = load_pack(write_pack(text), [STANDARDS])
    (tmp_path / "tickets.csv").write_text(
        "ticket_id,site,opened_at,solved_at,status,score\n"
        "A,BJ,2026-02-02 09:00:00,,open,2\nB,BJ,2026-02-03 09:00:00,,open,3\n"
        "C,SH,2026-02-04 09:00:00,,open,5\nD,SH,2026-02-05 09:00:00,,open,\n",
        encoding="utf-8",
    )
    store = EvidenceStore(None)
    ingest(pack, tmp_path, store)
    result = {r.rule: r for r in evaluate(pack, store, parse_period("2026-02"))}["MEAN-SCORE"]
    store.close()
    by_id = {f.id: f for f in result.findings}
    assert set(by_id) == {"MEAN-SCORE", "MEAN-SCORE@site=BJ", "MEAN-SCORE@site=SH"}
    pooled = by_id["MEAN-SCORE"]
    assert pooled.value == pytest.approx(10 / 3) and pooled.counts.n == 3
    assert pooled.excluded_by_reason == {"no score": 1}
    assert pooled.verdict == "observation"  # 3.33 meets 3, its 95 % lower bound does not
    assert by_id["MEAN-SCORE@site=BJ"].value == pytest.approx(2.5)
    assert by_id["MEAN-SCORE@site=BJ"].verdict == "nonconform"
    assert by_id["MEAN-SCORE@site=SH"].value == pytest.approx(5.0)


def test_coverage_is_counted_by_the_engine_as_by_hand(store, tmp_path) -> None:
    """Records stored, in the period and their span, per kind, asked of the store's engine;
    a kind with no file (pauses here) holds nothing. Expected figures worked out by hand."""
    from auditor.evaluate.driver import backend_for
    from auditor.evidence_span import kind_coverage

    (tmp_path / "tickets.csv").write_text(
        TICKETS
        + "A,BJ,2026-01-31 23:59:59,,open\n"  # the second before February (Shanghai)
        + "B,BJ,2026-02-01 00:00:00,,open\n"  # February's first second: in
        + "C,SH,2026-02-28 23:59:59,,open\n"  # its last second: in
        + "D,SH,2026-03-01 00:00:00,,open\n",  # March: out
        encoding="utf-8",
    )
    ingest(the_pack(), tmp_path, store)
    coverage = kind_coverage(the_pack(), backend_for(store), parse_period("2026-02"))
    tickets = coverage["tickets"]
    first = datetime(2026, 1, 31, 23, 59, 59, tzinfo=SH).timestamp()
    last = datetime(2026, 3, 1, tzinfo=SH).timestamp()
    assert (tickets.stored, tickets.in_period, tickets.first, tickets.last) == (4, 2, first, last)
    pauses = coverage["pauses"]
    assert (pauses.stored, pauses.in_period, pauses.first, pauses.last) == (0, 0, None, None)


def test_an_audit_asks_one_backend_for_the_coverage_and_the_rules(tmp_path, monkeypatch) -> None:
    """On DuckDB the store is copied once: the coverage is counted on the copy the rules
    then read, not on a second one (nor on SQLite)."""
    from auditor.audit import run_audit
    from auditor.backends.duckdb import DuckdbBackend
    from auditor.backends.sqlite import SqliteBackend

    opened, summaries = [], []
    init, summary = DuckdbBackend.__init__, DuckdbBackend.time_summary

    def counted_init(self, store, cursor=None) -> None:
        if cursor is None:  # a companion shares the copy
            opened.append(store)
        init(self, store, cursor)

    def counted_summary(self, *args):
        summaries.append(args[0])
        return summary(self, *args)

    def not_here(*args):
        raise AssertionError("coverage asked of SQLite")

    monkeypatch.setattr(DuckdbBackend, "__init__", counted_init)
    monkeypatch.setattr(DuckdbBackend, "time_summary", counted_summary)
    monkeypatch.setattr(SqliteBackend, "time_summary", not_here)
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "tickets.csv").write_text(
        TICKETS + "A,BJ,2026-02-02 09:00:00,2026-02-02 10:00:00,closed\n", encoding="utf-8"
    )
    pack = TEST_PACKS / "engine.yaml"
    run_audit(pack, tmp_path / "ev", tmp_path / "out", engine="duckdb")  # period inferred
    assert len(opened) == 1
    assert sorted(summaries) == sorted(2 * list(the_pack().evidence))  # period, coverage


def test_a_missing_group_value_is_written_empty_not_as_python_s_none(tmp_path, write_pack) -> None:
    """A ticket with no site: its group is ``site=(empty)`` in the finding's id, the register's
    key and failing-records.csv (it read ``site=None``, as a site named None would)."""
    from auditor.backends.store import EvidenceStore
    from auditor.failing import _columns
    from auditor.findings.nonconformities import group_key

    text = (TEST_PACKS / "engine.yaml").read_text(encoding="utf-8")
    text = text.replace("      site: string\n", "      site: string?\n", 1)
    text += (
        '  - id: SOLVED\n    clause: "3.3.3"\n    title: {zh: 解决, en: Solved}\n'
        "    evidence: tickets\n    condition: status == 'closed'\n    target: 100%\n"
        "    severity: minor\n    min_records: 1\n    group_by: [site]\n"
        "    capa: {action: {zh: 改, en: Fix}, owner: lead}\n"
    )
    pack = load_pack(write_pack(text), [STANDARDS])
    (tmp_path / "tickets.csv").write_text(
        "ticket_id,site,opened_at,solved_at,status\n"
        "A,BJ,2026-02-02 09:00:00,,closed\nB,,2026-02-03 09:00:00,,open\n",
        encoding="utf-8",
    )
    store = EvidenceStore(None)
    ingest(pack, tmp_path, store)
    result = {r.rule: r for r in evaluate(pack, store, parse_period("2026-02"))}["SOLVED"]
    store.close()
    empty = next(f for f in result.findings if f.group == {"site": None})
    assert empty.id == "SOLVED@site=(empty)"
    assert group_key(empty) == "site=(empty)"
    columns = _columns(result, empty, None)
    assert columns[3] == ["site=(empty)"]  # the group column, one failing record (B)


def test_a_group_named_like_the_empty_marker_keeps_an_id_of_its_own() -> None:
    from auditor.findings import group_text

    written = [group_text({"g": v}, "@") for v in (None, "(empty)", '"x"', "None", "A")]
    assert written == ["g=(empty)", 'g="(empty)"', 'g="\\"x\\""', "g=None", "g=A"]
    assert len(set(written)) == len(written)
