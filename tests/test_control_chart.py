"""control_chart: limits and run rules against hand arithmetic; the batch finding on a known drift."""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor import charts
from auditor import control_limits as cl
from auditor.audit import run_audit
from auditor.backends.store import EvidenceStore
from auditor.errors import PackErrors
from auditor.evaluate.driver import Evaluation, backend_for
from auditor.findings import RuleResult
from auditor.i18n import translate_reason
from auditor.ingest import ingest
from auditor.model import Pack
from auditor.pack import load_pack
from auditor.periods import parse_period

from .conftest import STANDARDS, TEST_PACKS
from .test_report import schema_1_1
from .test_report_trust import Visible, data_words, html_of, overlaps

AUDIT = parse_period("2026-07")
BASELINE_DAYS = [date(2026, 6, 1) + timedelta(days=i) for i in range(30)]
AUDIT_DAYS = [date(2026, 7, 1) + timedelta(days=i) for i in range(31)]


def control_pack() -> Pack:
    return load_pack(TEST_PACKS / "control.yaml", [STANDARDS])


# ------------------------------------------------------------ a generated stream


def day_records(day: date, answered: int, missed: int, scores: list[float]) -> list[dict[str, Any]]:
    """One day's phone calls from 09:00, a minute apart: ``answered`` within 10 s, then
    ``missed`` answered after 60 s; the calls carry ``scores`` in turn and a handling time."""
    out = []
    for i in range(answered + missed):
        start = datetime.combine(day, datetime.min.time()) + timedelta(hours=9, minutes=i)
        wait = 10 if i < answered else 60
        out.append(
            {
                "kind": "interactions",
                "interaction_id": f"{day}-{i}",
                "channel": "phone",
                "received_at": str(start),
                "answered_at": str(start + timedelta(seconds=wait)),
                "score": scores[i % len(scores)],
                "handle_s": 300 + 10 * (i % 2),
            }
        )
    return out


Plan = Callable[[date], tuple[int, int, list[float]]]


def stream(audit_plan: Plan, baseline_plan: Plan | None = None) -> list[dict[str, Any]]:
    """Baseline June: 90 of 100 calls answered in time, scores 3, 3, 5, 5; then July as planned."""
    steady: Plan = baseline_plan or (lambda day: (90, 10, [3, 3, 5, 5]))
    items = []
    for day in BASELINE_DAYS:
        items.extend(day_records(day, *steady(day)))
    for day in AUDIT_DAYS:
        items.extend(day_records(day, *audit_plan(day)))
    return items


def drift_from(first: int, answered: int) -> Plan:
    """90 of 100 answered in time until July ``first``, then ``answered`` of 100."""

    def plan(day: date) -> tuple[int, int, list[float]]:
        good = 90 if day.day < first else answered
        return (good, 100 - good, [3, 3, 5, 5])

    return plan


def sudden_drop(day: date) -> tuple[int, int, list[float]]:
    """July 20: 80 of 100 answered in time; other days 90."""
    return (80, 20, [3, 3, 5, 5]) if day.day == 20 else (90, 10, [3, 3, 5, 5])


def score_dip(day: date) -> tuple[int, int, list[float]]:
    """July 9 and 10: scores 3, 3, 4.5, 4.5 (mean 3.75); other days 3, 3, 5, 5 (mean 4)."""
    return (90, 10, [3, 3, 4.5, 4.5] if day.day in (9, 10) else [3, 3, 5, 5])


def first_day_only(day: date) -> tuple[int, int, list[float]]:
    """20 calls on the 1st of the month, none on other days."""
    return (18, 2, [4]) if day.day == 1 else (0, 0, [4])


def audit_of(items: list[dict[str, Any]], folder: Path) -> dict[str, RuleResult]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "interactions.jsonl").open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps({k: v for k, v in item.items() if k != "kind"}) + "\n")
    pack = control_pack()
    store = EvidenceStore(None)
    ingest(pack, folder, store)
    engine = Evaluation(pack, backend_for(store), AUDIT)
    return {rule.id: engine.evaluate(rule) for rule in pack.rules}


def chart(result: RuleResult) -> dict[str, Any]:
    return result.findings[0].details["control_chart"]


# ------------------------------------------------------------ limits by hand


def test_p_chart_limits_by_hand() -> None:
    # p̄ = 2,700 / 3,000 = 0.9; a day of n = 100: sigma = sqrt(0.9 × 0.1 / 100) = sqrt(0.0009) = 0.03;
    # 3-sigma limits 0.9 ∓ 0.09 = 0.81 / 0.99, 2-sigma limits 0.9 ∓ 0.06 = 0.84 / 0.96.
    baseline = cl.p_baseline(2700, 3000)
    point = cl.point(baseline, "2026-07-01", 100, 0.85)
    assert baseline.centre == pytest.approx(0.9)
    assert point.sigma == pytest.approx(0.03)
    assert point.limits(3) == pytest.approx((0.81, 0.99))
    assert point.limits(2) == pytest.approx((0.84, 0.96))
    # (0.85 − 0.9) / 0.03 = −1.667
    assert point.z == pytest.approx(-5 / 3)
    # a day of n = 25: sigma = sqrt(0.09 / 25) = 0.06, limits 0.72 / 1.08: they vary with the day's n
    assert cl.point(baseline, "d", 25, 0.9).limits(3) == pytest.approx((0.72, 1.08))


def test_x_bar_limits_by_hand_and_by_statistics() -> None:
    # Day 1: 1, 2, 3 (mean 2, s = 1); day 2: 2, 2, 4, 6, 6 (mean 4, s = 2).
    # Grand mean (6 + 20) / 8 = 3.25; pooled s² = (2 × 1 + 4 × 4) / (2 + 4) = 3, s = √3;
    # a day of n = 3: sigma = √3 / √3 = 1, 3-sigma limits 0.25 / 6.25.
    days = [[1.0, 2.0, 3.0], [2.0, 2.0, 4.0, 6.0, 6.0]]
    cells = [(len(d), statistics.mean(d), statistics.stdev(d)) for d in days]
    baseline = cl.xbar_baseline(cells)
    assert baseline.centre == pytest.approx(3.25)
    assert baseline.unit == pytest.approx(math.sqrt(3))
    assert cl.point(baseline, "d", 3, 3.25).limits(3) == pytest.approx((0.25, 6.25))
    # the pooled s is the standard deviation of the residuals from each day's own mean
    residuals = [v - statistics.mean(d) for d in days for v in d]
    assert baseline.unit == pytest.approx(math.sqrt(sum(r * r for r in residuals) / (8 - 2)))


# ------------------------------------------------------------ the run rules


def points(zs: list[float]) -> list[cl.Point]:
    """Points whose value is their z (centre 0, sigma 1)."""
    return [cl.Point(f"d{i}", 100, z, 0.0, 1.0) for i, z in enumerate(zs)]


def fired(zs: list[float], adverse: int = -1) -> list[tuple[int, int, tuple[int, ...]]]:
    return [(s.rule, s.at, s.points) for s in cl.signals(points(zs), adverse)]


def test_rule_1_one_point_beyond_three_sigma() -> None:
    assert fired([0.5, -1.0, -1.9, 1.0]) == []
    assert fired([0.5, -1.0, -1.9, -3.2, 1.0]) == [(1, 3, (3,))]
    # beside another point beyond 2 sigma it completes rule 2 as well
    assert fired([-2.9, -3.2]) == [(1, 1, (1,)), (2, 1, (0, 1))]
    # the favourable side never warns
    assert fired([0.5, 3.5, 1.0]) == []
    assert fired([0.5, 3.5, 1.0], adverse=1) == [(1, 1, (1,))]


def test_rule_2_two_of_three_beyond_two_sigma_on_one_side() -> None:
    assert fired([-2.5, 0.5]) == []  # one point is not two
    assert fired([-2.5, 0.5, -2.1]) == [(2, 2, (0, 2))]
    assert fired([-2.5, 0.5, 0.3, -2.1]) == []  # the two are four points apart
    assert fired([-2.5, 2.5, 0.0]) == []  # opposite sides
    assert fired([-2.5, -2.2], adverse=1) == []


def test_rule_3_eight_in_a_row_on_one_side() -> None:
    assert fired([-0.5] * 7) == []
    assert fired([-0.5] * 8) == [(3, 7, tuple(range(8)))]
    assert fired([-0.5] * 7 + [0.0] + [-0.5] * 7) == []  # on the centre breaks the run
    assert fired([-0.5] * 12) == [(3, 7, tuple(range(8)))]  # a long run signals once
    assert fired([0.5] * 8) == []


@given(st.lists(st.floats(-4, 4), max_size=40), st.sampled_from([-1, 1]))
def test_signals_are_reached_point_by_point(zs: list[float], adverse: int) -> None:
    """A watch adding one point at a time reaches every signal at the point the whole series does."""
    whole = fired(zs, adverse)
    for cut in range(len(zs) + 1):
        assert fired(zs[:cut], adverse) == [s for s in whole if s[1] < cut]


# ------------------------------------------------------------ the batch measure


@pytest.fixture(scope="module")
def slow_drift(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RuleResult]:
    """From July 11 on, 85 of 100 calls are answered in time (z = −1.67: inside the limits)."""
    return audit_of(stream(drift_from(11, 85)), tmp_path_factory.mktemp("drift"))


def test_a_slow_drift_is_an_observation_before_the_rule_is_breached(slow_drift) -> None:
    base, result = slow_drift["ANSWER-30S"], slow_drift["ANSWER-CHART"]
    # 10 days × 90 + 21 days × 85 = 2,685 of 3,100 = 86.6 %: the 80 % target still holds
    assert base.verdict == "conform"
    assert base.findings[0].counts.conforming == 10 * 90 + 21 * 85
    finding = result.findings[0]
    assert result.verdict == "observation" and finding.severity is None
    assert finding.target == "±3σ" and finding.threshold is None
    assert finding.reasons[0].startswith("drifting since 2026-07-11: rule 3")
    signal = chart(result)["signals"][0]
    assert signal == {
        "rule": 3,
        "day": "2026-07-18",
        "since": "2026-07-11",
        "days": [f"2026-07-{d}" for d in range(11, 19)],
    }


def test_every_point_carries_its_arithmetic(slow_drift) -> None:
    details = chart(slow_drift["ANSWER-CHART"])
    assert details["chart"] == "p" and details["baseline"] == "2026-06"
    assert details["baseline_n"] == 30 * 100 and details["centre"] == pytest.approx(0.9)
    assert [p["day"] for p in details["points"]] == [d.isoformat() for d in AUDIT_DAYS]
    for p in details["points"]:
        assert p["n"] == 100
        assert (p["lcl3"], p["ucl3"], p["sigma"]) == pytest.approx((0.81, 0.99, 0.03))
        assert p["value"] == pytest.approx(0.9 if p["day"] < "2026-07-11" else 0.85)


def test_a_steady_month_conforms(tmp_path: Path) -> None:
    result = audit_of(stream(drift_from(40, 90)), tmp_path)["ANSWER-CHART"]
    assert result.verdict == "conform"
    assert chart(result)["signals"] == []


def test_a_sudden_drop_signals_on_its_day(tmp_path: Path) -> None:
    # July 20: 80 of 100, z = (0.80 − 0.90) / 0.03 = −3.33
    result = audit_of(stream(sudden_drop), tmp_path)["ANSWER-CHART"]
    assert result.verdict == "observation"
    assert chart(result)["signals"] == [
        {"rule": 1, "day": "2026-07-20", "since": "2026-07-20", "days": ["2026-07-20"]}
    ]


def test_a_mean_gives_an_x_bar_chart(tmp_path: Path) -> None:
    # Baseline days: scores 3, 3, 5, 5 (25 times each way): mean 4, s = √(100 / 99) per day.
    # July 9 and 10: scores 3, 3, 4.5, 4.5: mean 3.75; sigma = s / √100 = 0.1005, z = −2.49
    items = stream(score_dip)
    result = audit_of(items, tmp_path)["SCORE-CHART"]
    details = chart(result)
    june = [
        [float(i["score"]) for i in items if i["received_at"].startswith(str(d))]
        for d in BASELINE_DAYS
    ]
    residuals = [v - statistics.mean(d) for d in june for v in d]
    s = math.sqrt(sum(r * r for r in residuals) / (len(residuals) - len(june)))
    assert details["chart"] == "xbar"
    assert details["centre"] == pytest.approx(statistics.mean(v for d in june for v in d))
    assert details["sigma_of_one"] == pytest.approx(s) == pytest.approx(math.sqrt(100 / 99))
    assert details["signals"] == [
        {
            "rule": 2,
            "day": "2026-07-10",
            "since": "2026-07-09",
            "days": ["2026-07-09", "2026-07-10"],
        }
    ]
    assert result.verdict == "observation"


def test_a_mean_that_must_stay_low_warns_on_high_points(tmp_path: Path) -> None:
    # HANDLE-MEAN is "<= 600": its chart (per week) warns on high weeks only; handling times
    # alternate 300 / 310 every call, so any week of 100-call days sits on the centre.
    result = audit_of(stream(drift_from(40, 90)), tmp_path)["HANDLE-CHART"]
    details = chart(result)
    assert details["adverse"] == "high" and details["per"] == "week"
    assert [p["day"] for p in details["points"]] == [
        "2026-W27",
        "2026-W28",
        "2026-W29",
        "2026-W30",
        "2026-W31",
    ]
    assert result.verdict == "conform"


def test_too_few_baseline_records_is_not_evaluable(tmp_path: Path) -> None:
    # June 1 only has records, 20 of them: fewer than the pack's min_records 30
    result = audit_of(stream(drift_from(11, 80), first_day_only), tmp_path)["ANSWER-CHART"]
    finding = result.findings[0]
    assert result.verdict == "not-evaluable"
    assert finding.not_evaluable == {"code": "too-few", "n": 20, "minimum": 30}
    assert finding.reasons == [
        "the baseline 2026-06 has 20 judged records, fewer than the minimum of 30"
    ]


def test_a_baseline_after_the_audit_period_is_said(tmp_path: Path) -> None:
    # The audit of June judged against limits from July: said after the verdict's reason,
    # in both languages; a baseline that ends before the audit period says nothing more.
    folder = tmp_path / "evidence"
    folder.mkdir()
    with (folder / "interactions.jsonl").open("w", encoding="utf-8") as out:
        for item in stream(drift_from(40, 90)):
            out.write(json.dumps({k: v for k, v in item.items() if k != "kind"}) + "\n")
    text = (TEST_PACKS / "control.yaml").read_text(encoding="utf-8")
    (tmp_path / "later.yaml").write_text(text.replace("baseline: 2026-06", "baseline: 2026-07"))
    pack = load_pack(tmp_path / "later.yaml", [STANDARDS])
    store = EvidenceStore(None)
    ingest(pack, folder, store)
    june = Evaluation(pack, backend_for(store), parse_period("2026-06"))
    finding = june.evaluate(pack.rule("ANSWER-CHART")).findings[0]
    note = (
        "the baseline 2026-07 ends after the audit period 2026-06: "
        "its limits come in part from later records"
    )
    assert finding.reasons == ["no control-chart signal", note]
    assert (
        translate_reason(note, "zh")
        == "基准期 2026-07 结束于审核期 2026-06 之后:控制限部分来自其后的记录"
    )
    usual = audit_of(stream(drift_from(40, 90)), tmp_path / "usual")["ANSWER-CHART"]
    assert usual.findings[0].reasons == ["no control-chart signal"]


# ------------------------------------------------------------ the pack


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "    severity: minor\n    capa: {action: {zh: 查明原因",
            "a control_chart rule takes no 'target'",
        ),
        ("per: day, baseline: 2026-06", "'per' must be day or week, not 'month'"),
        ("of: ANSWER-30S", "'HANDLE-CHART' is itself worked out from another rule"),
        (
            "mean: {of: score}",
            "'SCORE-MEAN' is a percentile rule; a control_chart charts a rate or a mean",
        ),
        ('target: ">= 3.0"', "'SCORE-MEAN' has target '== 3', which names no adverse side"),
        (
            "    control_chart: {of: SCORE-MEAN",
            "a control_chart rule takes 'group_by' from the rule it charts",
        ),
    ],
)
def test_a_chart_of_the_wrong_thing_is_a_located_pack_error(
    write_pack, change: str, message: str
) -> None:
    text = (TEST_PACKS / "control.yaml").read_text(encoding="utf-8")
    replacement = {
        "    severity: minor\n    capa: {action: {zh: 查明原因": '    target: ">= 90%"\n    severity: minor\n    capa: {action: {zh: 查明原因',
        "per: day, baseline: 2026-06": "per: month, baseline: 2026-06",
        "of: ANSWER-30S": "of: HANDLE-CHART",
        "mean: {of: score}": "percentile: {of: score, p: 90}",
        'target: ">= 3.0"': 'target: "== 3"',
        "    control_chart: {of: SCORE-MEAN": "    group_by: [channel]\n    control_chart: {of: SCORE-MEAN",
    }[change]
    path = write_pack(text.replace(change, replacement, 1))
    with pytest.raises(PackErrors) as caught:
        load_pack(path, [STANDARDS])
    (error,) = caught.value.errors
    assert message in error.message, error.message
    assert caught.value.errors[0].line is not None


# ------------------------------------------------------------ the report


@pytest.fixture(scope="module")
def drift_audit(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("report")
    evidence = folder / "evidence"
    evidence.mkdir()
    with (evidence / "interactions.jsonl").open("w", encoding="utf-8") as out:
        for item in stream(drift_from(11, 85)):
            out.write(json.dumps({k: v for k, v in item.items() if k != "kind"}) + "\n")
    return schema_1_1(
        run_audit(TEST_PACKS / "control.yaml", evidence, folder / "audit", "2026-07").document
    )


def svg_texts(html: str) -> list[str]:
    """The text of the control chart's SVG."""
    chart_div = html[html.index('<div class="chart control">') :]
    svg = chart_div[: chart_div.index("</svg>")]
    return [t for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg) if t.strip()]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_draws_the_chart_in_its_language(drift_audit, tmp_path, lang) -> None:
    html = html_of(drift_audit, lang, tmp_path)
    texts = svg_texts(html)
    words = {
        "zh": [
            "控制图:各期数值与基准期 2026-06 得出的控制限",
            "中心线",
            "3σ 控制限",
            "2σ 界限",
            "判异点",
        ],
        "en": ["Control chart: each point against limits from the baseline 2026-06", "centre line"],
    }[lang]
    for word in words:
        assert word in texts
    if lang == "zh":
        assert {w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z_]+", t)} == set()
        visible = Visible()
        visible.feed(html)
        text = (
            " ".join(visible.text).replace("failing-records.csv", "").replace("findings.json", "")
        )
        # the trust test's allowlist, and this pack's id and its kind (it gives the kind no title)
        allowed = data_words(drift_audit) | {"SHA", "JSON", "CAPA", "CI", "ISO", "Wilson"}
        allowed |= {"csv", "json", "xlsx", "control", "interactions"}
        assert set(re.findall(r"[A-Za-z][A-Za-z_]+", text)) - allowed == set()
        assert "自 2026-07-11 起出现偏移:判异准则 3" in text


def test_the_chart_legend_stays_off_the_data(drift_audit) -> None:
    rule = next(r for r in drift_audit["rules"] if r["rule"] == "ANSWER-CHART")
    details = rule["findings"][0]["details"]["control_chart"]
    labels = {k: k for k in ("title", "value", "centre", "limit2", "limit3", "signal")}
    figure = charts.control_figure(details["points"], list(range(10, 18)), True, labels)
    renderer = figure.canvas.get_renderer()
    axis = figure.axes[0]
    assert (
        not axis.get_legend().get_window_extent(renderer).overlaps(axis.get_window_extent(renderer))
    )
    assert not overlaps(axis.get_xticklabels(), renderer)


def test_the_verdict_of_a_chart_is_said_once_after_its_reason(drift_audit, tmp_path) -> None:
    """A chart finding has no value: its sentence is the signal, then the verdict, as others end."""
    visible = Visible()
    visible.feed(html_of(drift_audit, "en", tmp_path))
    text = " ".join(" ".join(visible.text).split())
    assert "observation: observation" not in text
    assert "observation: drifting since" not in text
    assert "(2026-07-11" in text or "drifting since 2026-07-11" in text


def test_the_2_and_3_sigma_limits_are_drawn_differently(drift_audit) -> None:
    """Both limits were red stepped lines (dotted and dashed, alike when printed): 3-sigma is
    red and solid, 2-sigma orange and dashed, each named in the legend."""
    from matplotlib.colors import to_hex

    rule = next(r for r in drift_audit["rules"] if r["rule"] == "ANSWER-CHART")
    details = rule["findings"][0]["details"]["control_chart"]
    labels = {k: k for k in ("title", "value", "centre", "limit2", "limit3", "signal")}
    axis = charts.control_figure(details["points"], [], True, labels).axes[0]
    legend = {text.get_text() for text in axis.get_legend().get_texts()}
    assert {"limit2", "limit3"} <= legend
    limit3 = next(line for line in axis.get_lines() if line.get_label() == "limit3")
    limit2 = next(line for line in axis.get_lines() if line.get_label() == "limit2")
    assert (to_hex(limit3.get_color()), limit3.get_linestyle()) == ("#b3261e", "-")
    assert (to_hex(limit2.get_color()), limit2.get_linestyle()) == ("#e08a1e", "--")
    # the upper lines, unlabelled, are drawn as their labelled lower twins
    unlabelled = [line for line in axis.get_lines() if line.get_label().startswith("_")]
    styles = {(to_hex(line.get_color()), line.get_linestyle()) for line in unlabelled}
    assert styles == {("#b3261e", "-"), ("#e08a1e", "--")}
