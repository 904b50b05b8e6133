"""The rules in the report: a row per rule, a table per grouped rule, a gap analysis per gap."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import charts
from ..findings import group_text, sentences
from ..findings.contract import (
    CellDays,
    FailingNote,
    FailingRecordsFile,
    FindingEntry,
    RuleEntry,
    Threshold,
    Unit,
    Verdict,
)
from ..findings.nonconformities import dealt_with, group_key, rule_nonconformities
from ..findings.series_sentences import PeriodRow, trend_rows
from ..formatting import count
from ..i18n import Words

#: failing records listed under a gap (the complete list is in failing-records.csv)
FAILING_IN_REPORT = 10
TIME_UNITS = (Unit.SECONDS, Unit.BUSINESS_SECONDS)


@dataclass(frozen=True)
class ClauseRow:
    """A rule's row: the verdict beside the figures of the finding that decided it.

    For a rule judged in each group that is the worst group's (and sub-period's)
    finding, named by ``where``; the pooled finding's sentence follows as
    ``pooled``, labelled as not deciding the rule.
    """

    rule: RuleEntry
    #: the finding whose value, target and n the row shows: the deciding one
    finding: FindingEntry
    value: str
    target: str
    #: the deciding finding's arithmetic, naming its group and period when not the pooled one
    sentence: str
    #: ``decided by site=SH · 2026-08`` when a group's finding decided the rule, else None
    where: str | None
    #: the pooled finding's arithmetic, labelled, when it did not decide the rule
    pooled: str | None


@dataclass(frozen=True)
class GroupRow:
    finding: FindingEntry
    group: str
    period: str
    value: str
    figures: str
    interval: str
    verdict: str


@dataclass(frozen=True)
class GroupTable:
    rule: RuleEntry
    rows: list[GroupRow]

    @property
    def for_reference(self) -> bool:
        return rows_for_reference(self.rule)

    @property
    def bound_observations(self) -> bool:
        return observations_by_bound(self.rule)


def observations_by_bound(rule: RuleEntry) -> bool:
    """Whether a group or period row is an observation though its value meets the target (its
    95 % bound on the side that matters is beyond it): the table then says why, as a 100.0 %
    graded an observation reads as a contradiction."""
    return any(
        f.verdict == Verdict.OBSERVATION and f.value is not None and _meets(f.value, f.threshold)
        for f in rule.findings[1:]
    )


def _meets(value: float, threshold: Threshold | None) -> bool:
    if threshold is None:
        return False
    if threshold.op in (">=", ">"):
        return value >= threshold.value
    if threshold.op in ("<=", "<"):
        return value <= threshold.value
    return value == threshold.value


def rows_for_reference(rule: RuleEntry) -> bool:
    """Whether a rule's group and period rows are for reference only: it is judged on a
    pooled figure over its records (a rate, a mean), which none of them decides. A series
    measure works its pooled figure out of those rows (the widest gap between groups, an
    activity in every period): they decide it."""
    from ..measures import measure_named

    measure = measure_named(rule.measure)
    return rule.judge == "pooled" and measure is not None and not measure.series


@dataclass(frozen=True)
class FailingRow:
    """One failing record with the finding, group and period it belongs to."""

    rule: RuleEntry
    finding: str
    key: str
    group: dict[str, Any]
    period: str
    value: float | None
    note: FailingNote | None
    source: str = ""  # file:line it was read from
    #: the days of the audit period the finding holds
    days: CellDays | None = None

    @property
    def group_text(self) -> str:
        return group_text(self.group)


@dataclass(frozen=True)
class ShownFailing:
    """A failing record as the report lists it."""

    key: str
    finding: str
    where: str
    period: str
    measured: str
    source: str = ""

    @property
    def file_and_line(self) -> tuple[str, str]:
        return file_and_line(self.source)


def file_and_line(source: str) -> tuple[str, str]:
    """``file:line`` split at its last colon, ``("a.csv", "12")``; ``(source, "")`` without a line."""
    file, _, line = source.rpartition(":")
    return (file, line) if line.isdigit() else (source, "")


@dataclass(frozen=True)
class Gap:
    rule: RuleEntry
    pooled: FindingEntry
    #: the pooled finding's arithmetic, labelled as such when it did not decide the rule
    pooled_sentence: str
    decisive: FindingEntry
    #: the deciding finding's arithmetic, naming its group and period when not the pooled one
    decisive_sentence: str
    trend: str | None
    pareto: str | None
    control: str | None
    groups: list[GroupRow]
    failing: list[ShownFailing]
    failing_total: int
    failing_file: FailingRecordsFile | None
    #: a trend's periods: the followed rule's value in each
    periods: list[PeriodRow] = field(default_factory=list)
    #: what the Pareto chart's bars count
    pareto_caption: str | None = None
    #: each group whose bar holds failing records the corrective-action plan does not deal with
    pareto_outside_plan: list[str] = field(default_factory=list)

    @property
    def for_reference(self) -> bool:
        return rows_for_reference(self.rule)

    @property
    def bound_observations(self) -> bool:
        return observations_by_bound(self.rule)

    @property
    def failing_cut(self) -> bool:
        """Whether the report lists fewer failing records than the rule has."""
        return len(self.failing) < self.failing_total


@dataclass(frozen=True)
class PeriodTable:
    """A trend's periods, for a rule without a gap section."""

    rule: RuleEntry
    rows: list[PeriodRow]


def period_table(rule: RuleEntry, words: Words) -> PeriodTable | None:
    rows = trend_rows(rule, words)
    return PeriodTable(rule, rows) if rows else None


def clause_row(rule: RuleEntry, words: Words) -> ClauseRow:
    deciding = rule.deciding_finding()
    by_group = deciding is not rule.findings[0]
    return ClauseRow(
        rule=rule,
        finding=deciding,
        value=sentences.value(deciding, rule, words),
        target=sentences.target(deciding, rule, words),
        sentence=sentences.deciding_sentence(rule, words),
        where=sentences.decided_where(deciding, words) if by_group else None,
        pooled=sentences.pooled_beside(rule, words) if by_group else None,
    )


def group_rows(rule: RuleEntry, words: Words) -> list[GroupRow]:
    """Every group and period finding of a rule: value, arithmetic, interval, n and verdict."""
    return [
        GroupRow(
            finding=f,
            group=words.group(f.group),
            period=words.period(f.period, f.days),
            value=sentences.value(f, rule, words),
            figures=sentences.figures(f, rule, words),
            interval=sentences.interval(f, rule, words),
            verdict=words.verdict(f.verdict, f.severity),
        )
        for f in rule.findings[1:]
    ]


def gap(rule: RuleEntry, words: Words, failing_file: FailingRecordsFile | None) -> Gap:
    pooled = rule.findings[0]
    deciding = rule.deciding_finding()
    excerpt = heapq.nsmallest(
        FAILING_IN_REPORT, failing_rows(rule), key=lambda r: (r.key, r.finding)
    )
    chart = pareto(rule, words)
    return Gap(
        rule=rule,
        pooled=pooled,
        pooled_sentence=(
            sentences.sentence(pooled, rule, words)
            if deciding is pooled
            else sentences.pooled_beside(rule, words)
        ),
        decisive=deciding,
        decisive_sentence=sentences.deciding_sentence(rule, words),
        trend=trend(rule, words),
        pareto=chart,
        control=control(rule, words),
        groups=group_rows(rule, words),
        failing=[
            ShownFailing(
                row.key,
                row.finding,
                words.group(row.group),
                words.period(row.period, row.days),
                sentences.measured(row.value, row.note, rule, words),
                row.source,
            )
            for row in excerpt
        ],
        failing_total=pooled.failing_count,
        failing_file=failing_file,
        periods=trend_rows(rule, words),
        pareto_caption=pareto_caption(rule, words) if chart else None,
        pareto_outside_plan=outside_plan(rule, words) if chart else [],
    )


def failing_rows(rule: RuleEntry) -> Iterator[FailingRow]:
    """Failing records with the group and period they belong to (from the finest findings)."""
    pooled, cells = rule.findings[0], rule.findings[1:]
    finest = [f for f in cells if f.period != pooled.period] or cells or [pooled]
    for f in finest:
        values = f.failing_values or [None] * len(f.failing)
        notes = f.failing_notes or [None] * len(f.failing)
        sources = f.failing_sources or [None] * len(f.failing)
        for key, value, note, where in zip(f.failing, values, notes, sources, strict=False):
            source = f"{where.file}:{where.line}" if where is not None else ""
            yield FailingRow(rule, f.id, key, f.group, f.period, value, note, source, f.days)


# ------------------------------------------------------------ charts


def trend(rule: RuleEntry, words: Words) -> str | None:
    """Each group's value by sub-period, when at least two sub-periods have one."""
    pooled = rule.findings[0]
    cells = [
        f
        for f in rule.findings[1:]
        if f.period != pooled.period and f.value is not None and f.unit == pooled.unit
    ]
    if len({f.period for f in cells}) < 2:
        return series_trend(rule, words)
    scale, y_label = 1.0, ""
    if pooled.unit in TIME_UNITS:
        scale, y_label = 3600.0, words.label(f"hours_{pooled.unit}")
    series: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
    for f in cells:
        assert f.value is not None
        series[words.group(f.group)].append((words.period(f.period, f.days), f.value / scale))
    limit = pooled.threshold
    return charts.trend_svg(
        dict(series),
        limit.value / scale if limit else None,
        pooled.unit == Unit.SHARE,
        words.label("trend"),
        words.label("target"),
        y_label,
    )


def series_trend(rule: RuleEntry, words: Words) -> str | None:
    """A trend rule's chart: the followed rule's value in each period."""
    block = rule.findings[0].details.get("trend")
    if not isinstance(block, dict):
        return None
    share = block.get("base_unit") == "share"
    scale = 3600.0 if block.get("base_unit") in TIME_UNITS else 1.0
    points = [
        (p["period"], None if p.get("value") is None else p["value"] / scale)
        for p in block["periods"]
    ]
    y_label = words.label(f"hours_{block['base_unit']}") if scale != 1.0 else ""
    return charts.trend_svg(
        {
            block["of"]: points
        },  # the followed rule's value: its id says which (a longer label is cut)
        None,
        share,
        words.label("trend"),
        words.label("target"),
        y_label,
    )


def pareto_cells(rule: RuleEntry) -> list[FindingEntry]:
    """The group findings a Pareto chart's bars add up: each group's over the whole period,
    or its sub-periods' when groups exist only per period (whatever their verdicts)."""
    pooled = rule.findings[0]
    cells = [f for f in rule.findings[1:] if f.group]
    whole = [f for f in cells if f.period == pooled.period]
    return whole or cells


def pareto(rule: RuleEntry, words: Words) -> str | None:
    """Failures by group (summed over sub-periods when groups exist only per period)."""
    if rule.findings[0].unit != Unit.SHARE:
        return None
    totals: dict[str, int] = defaultdict(int)
    for f in pareto_cells(rule):
        totals[words.group(f.group)] += f.counts.breached
    if len(charts.pareto_bars(list(totals.items()), "")) < 2:
        return None
    return charts.pareto_svg(
        list(totals.items()),
        words.label("pareto"),
        words.label("count"),
        words.label("cumulative"),
        words.label("other_groups"),
    )


def pareto_caption(rule: RuleEntry, words: Words) -> str:
    """What a Pareto chart's bars count: a group's failing records in every one of its
    findings, whatever each one's verdict."""
    pooled = rule.findings[0]
    if any(f.period != pooled.period for f in pareto_cells(rule)):
        return words.label("pareto_caption_periods")
    return words.label("pareto_caption", period=words.period(pooled.period, pooled.days))


def outside_plan(rule: RuleEntry, words: Words) -> list[str]:
    """For each group whose bar holds failing records the corrective-action plan does not deal
    with (those of its periods that are not evaluable, conform or only an observation, under
    a rule judged in each group): how many of the bar's, in which periods and why. Largest
    bar first, as the chart draws them."""
    items = rule_nonconformities(rule)
    if not items or any(not key for key, _ in items):
        return []  # no plan, or one item for the whole rule, all its failing records
    planned = {f.id for key, shown_by in items for f in dealt_with(rule, key, shown_by)}
    by_group: dict[str, list[FindingEntry]] = defaultdict(list)
    for f in pareto_cells(rule):
        by_group[group_key(f)].append(f)
    notes = []
    for cells in sorted(by_group.values(), key=lambda c: (-_breached(c), group_key(c[0]))):
        outside = [f for f in cells if f.id not in planned and f.counts.breached]
        if outside:
            notes.append(_outside_note(cells, outside, rule, words))
    return notes


def _breached(cells: list[FindingEntry]) -> int:
    return sum(f.counts.breached for f in cells)


def _outside_note(
    cells: list[FindingEntry], outside: list[FindingEntry], rule: RuleEntry, words: Words
) -> str:
    """``agency=X: the corrective-action plan deals with 22 of its 26 failing records; the
    other 4 are in periods it does not deal with: 4 in 2014-09, not evaluable, n = 9 ...``."""
    where = [
        words.label(
            "pareto_outside_cell",
            n=count(f.counts.breached),
            period=words.period(f.period, f.days),
            verdict=words.verdict(f.verdict, f.severity),
            figures=sentences.figures(f, rule, words),
        )
        for f in outside
    ]
    total, other = _breached(cells), _breached(outside)
    return words.label(
        "pareto_outside_plan" if other < total else "pareto_outside_plan_all",
        group=words.group(cells[0].group),
        planned=count(total - other),
        total=count(total),
        n=count(other),
        cells=(";" if words.lang == "zh" else "; ").join(where),
    )


def control(rule: RuleEntry, words: Words) -> str | None:
    """A control chart's points, centre and limits, with the points of its signals ringed."""
    pooled = rule.findings[0]
    details = pooled.details.get("control_chart")
    if not details or not details.get("points"):
        return None
    days = [p["day"] for p in details["points"]]
    ringed = sorted({days.index(d) for s in details["signals"] for d in s["days"] if d in days})
    scale, y_label = 1.0, ""
    if pooled.unit in TIME_UNITS:
        scale, y_label = 3600.0, words.label(f"hours_{pooled.unit}")
    labels = {
        "title": words.label("control_chart", baseline=details["baseline"]),
        "value": words.label("chart_value"),
        "centre": words.label("centre_line"),
        "limit2": words.label("limit_2sigma"),
        "limit3": words.label("limit_3sigma"),
        "signal": words.label("signal_points"),
        "y": y_label,
    }
    return charts.control_svg(details["points"], ringed, pooled.unit == Unit.SHARE, labels, scale)
