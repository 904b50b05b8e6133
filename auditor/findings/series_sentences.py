"""The arithmetic of the findings worked out from another rule's results (dispersion, trend, every).

Such a finding keeps its figures in ``details`` under one key: ``dispersion``
(the pooled finding: every group's value and gap, the test), ``dispersion_group``
(a group's), ``trend`` (each period's value, the slope and its interval) or
``every`` (the sub-periods and the records each holds). The sentences are
written from those figures, in the words of :data:`PIECES`; the report's
period table (:func:`trend_rows`) too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..formatting import DASH, NBSP, count, percent_text, value_text
from ..i18n import Words
from .contract import FindingEntry, RuleEntry

PIECES: dict[str, dict[str, str]] = {
    "en": {
        "largest": "largest shortfall {value}",
        "largest_of": "{group} {value} against pooled {pooled}",
        "shortfall": "shortfall {value}",
        "group_of": "{value} against pooled {pooled}",
        "of": "{k} of {n}",
        "chi-square": "chi-square {statistic}, df = {df}, p {p}",
        "anova-f": "ANOVA F {statistic}, df = {df1} and {df2}, p {p}",
        "no_test": "no test of homogeneity applies (no variation, or no test for this figure)",
        "left_out": "left out (too few records): {groups}",
        "slope": "slope {value} per {per} over {m} periods",
        "slope_ci": "95 % CI {low} to {high}, with the critical value t(0.975, {df}) = {t}",
        "change": "{before} → {after}: {change}, noise ±{noise}",
        "change_adjusted": "{before} → {after}: {change}, adjusted {adjusted}, noise ±{noise}",
        "change_untested": "{before} → {after}: {change} ({why})",
        "one_value": "{periods}: one value, which has no spread",
        "no_standard_error": "no standard error",
        "skipped": "not judged: {periods}",
        "covered": "{k} of {n} {units} hold a record",
        "missing": "missing: {periods}",
        "records": "{k} records in scope",
        "records_needed": "{k} records, at least 1 needed",
        "record_needed": "1 record, at least 1 needed",
    },
    "zh": {
        "largest": "最大短缺 {value}",
        "largest_of": "{group} 为 {value},总体 {pooled}",
        "shortfall": "短缺 {value}",
        "group_of": "{value},总体 {pooled}",
        "of": "{n} 条中 {k} 条",
        "chi-square": "卡方 {statistic},自由度 {df},p {p}",
        "anova-f": "单因素方差分析 F {statistic},自由度 {df1} 与 {df2},p {p}",
        "no_test": "未作一致性检验(无差异可检验,或该指标无适用检验)",
        "left_out": "记录过少未计入:{groups}",
        "slope": "斜率 每{per} {value},共 {m} 期",
        "slope_ci": "95% 置信区间 {low} 至 {high},临界值 t(0.975, {df}) = {t}",
        "change": "{before} → {after}:{change},噪声 ±{noise}",
        "change_adjusted": "{before} → {after}:{change},校正后 {adjusted},噪声 ±{noise}",
        "change_untested": "{before} → {after}:{change}({why})",
        "one_value": "{periods} 仅一个值,无离散",
        "no_standard_error": "无标准误",
        "skipped": "未能评价的期间:{periods}",
        "covered": "{n} 个{units}中 {k} 个有记录",
        "missing": "缺:{periods}",
        "records": "范围内记录 {k} 条",
        "records_needed": "{k} 条记录,至少需 1 条",
        "record_needed": "1 条记录,至少需 1 条",
    },
}

#: the period units, as a sentence names them (one and several)
UNITS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "day": ("day", "days"),
        "week": ("week", "weeks"),
        "month": ("month", "months"),
        "quarter": ("quarter", "quarters"),
        "year": ("year", "years"),
    },
    "zh": {
        "day": ("日", "日"),
        "week": ("周", "周"),
        "month": ("月", "月"),
        "quarter": ("季度", "季度"),
        "year": ("年", "年"),
    },
}

KEYS = ("dispersion", "dispersion_group", "trend", "every")


def _fmt(words: Words, key: str, **values: Any) -> str:
    return PIECES[words.lang][key].format(**values)


def _block(finding: FindingEntry) -> tuple[str, dict[str, Any]] | None:
    for key in KEYS:
        if isinstance(finding.details.get(key), dict):
            return key, finding.details[key]
    return None


def _signed(text: str, amount: float) -> str:
    return f"+{text}" if amount > 0 and not text.startswith(("+", "-", "−")) else text


def _difference(amount: float, finding: FindingEntry, rule: RuleEntry, words: Words) -> str:
    """A gap or slope in the finding's unit (points for a rate): ``+1.20 pp``."""
    label = words.text(rule.unit_label) if rule.unit_label else None
    text = value_text(amount, finding.unit, None, words.lang, rule.calendar, label=label)
    return _signed(text, amount)


def _base_value(amount: float, block: dict[str, Any], rule: RuleEntry, words: Words) -> str:
    """A value of the base rule, in its own unit: ``75.0 %``, ``3.90``."""
    unit = block.get("base_unit", "number")
    label = None
    if unit != "share" and rule.unit_label:
        label = words.text(rule.unit_label)
    return value_text(amount, unit, None, words.lang, rule.calendar, label=label)


def _operand(amount: float, block: dict[str, Any], rule: RuleEntry, words: Words) -> str:
    """A value of the base rule in a subtraction whose result shows two decimals (points):
    a rate with two decimals too (``86.83 %``), so the subtraction can be checked."""
    if block.get("base_unit") == "share":
        return percent_text(amount, least=2).replace(" ", NBSP)
    return _base_value(amount, block, rule, words)


# ------------------------------------------------------------ values and figures


def value(finding: FindingEntry, rule: RuleEntry, words: Words) -> str | None:
    """The value as the tables show it, when its unit does not say it (else None).

    A trend's slope is shown in its unit (``-2.00 pp``); its sentence says per what.
    """
    found = _block(finding)
    if found is None or finding.value is None:
        return None
    key, block = found
    if key == "every" and "records" in block:
        return count(int(finding.value))
    return None


def figures(finding: FindingEntry, rule: RuleEntry, words: Words) -> str | None:
    """The figures a group's row shows: its value against the pooled one; a sub-period of a
    rule every period must hold a record of, its records against the one it needs (not
    ``n = 3`` beside the pooled share of periods)."""
    found = _block(finding)
    if found is not None and found[0] == "every" and "records" in found[1]:
        held = found[1]["records"]
        return _fmt(words, "record_needed" if held == 1 else "records_needed", k=count(held))
    if found is None or found[0] != "dispersion_group":
        return None
    block = found[1]
    group = _operand(block["value"], block, rule, words)
    pooled = _operand(block["pooled"]["value"], block, rule, words)
    # the subtraction that gives the shortfall shown beside it
    return f"{group} − {pooled}" if block.get("lower_is_better") else f"{pooled} − {group}"


# ------------------------------------------------------------ sentences


def sentence(finding: FindingEntry, rule: RuleEntry, words: Words, tail: str) -> str | None:
    """The finding's sentence, ``tail`` (the target and verdict) appended; None for other findings."""
    found = _block(finding)
    if found is None or finding.value is None:
        return None
    key, block = found
    head, pieces = {
        "dispersion": _dispersion,
        "dispersion_group": _group,
        "trend": _trend,
        "every": _every,
    }[key](finding, block, rule, words)
    sep = "; " if words.lang == "en" else ";"
    inner = sep.join(p for p in pieces if p)
    opened, closed = (" (", ")") if words.lang == "en" else ("(", ")")
    return f"{head}{opened}{inner}{closed}{tail}" if inner else f"{head}{tail}"


Parts = tuple[str, list[str]]


def _dispersion(f: FindingEntry, block: dict[str, Any], rule: RuleEntry, words: Words) -> Parts:
    largest = block["largest"]
    row = next(g for g in block["groups"] if g["group"] == largest["group"])
    head = _fmt(words, "largest", value=_difference(largest["shortfall"], f, rule, words))
    pieces = [
        _fmt(
            words,
            "largest_of",
            group=row["group"],
            value=_base_value(row["value"], block, rule, words),
            pooled=_base_value(block["pooled"]["value"], block, rule, words),
        ),
        test_text(block.get("test"), words),
    ]
    if block.get("not_judged"):
        groups = words.join(str(g["group"]) for g in block["not_judged"])
        pieces.append(_fmt(words, "left_out", groups=groups))
    return head, pieces


def test_text(test: dict[str, Any] | None, words: Words) -> str:
    """The test of homogeneity: its statistic, degrees of freedom and p-value."""
    if test is None or test.get("statistic") is None:
        return _fmt(words, "no_test")
    p = "= –" if test.get("p_value") is None else p_text(test["p_value"])
    statistic = f"{test['statistic']:,.2f}"
    if test["name"] == "anova-f":
        df1, df2 = test["df"]
        return _fmt(words, "anova-f", statistic=statistic, df1=df1, df2=df2, p=p)
    return _fmt(words, "chi-square", statistic=statistic, df=test["df"], p=p)


def p_text(p: float) -> str:
    """A p-value as a sentence writes it: ``= 0.020``, ``< 0.001``."""
    return "< 0.001" if p < 0.0005 else f"= {p:.3f}"


def _group(f: FindingEntry, block: dict[str, Any], rule: RuleEntry, words: Words) -> Parts:
    head = _fmt(words, "shortfall", value=_difference(block["shortfall"], f, rule, words))
    pieces = [
        _fmt(
            words,
            "group_of",
            value=_base_value(block["value"], block, rule, words),
            pooled=_base_value(block["pooled"]["value"], block, rule, words),
        )
    ]
    if "conforming" in block:
        pieces.append(_fmt(words, "of", k=count(block["conforming"]), n=count(block["n"])))
    else:
        pieces.append(f"n = {count(block['n'])}")
    return head, pieces


def _trend(f: FindingEntry, block: dict[str, Any], rule: RuleEntry, words: Words) -> Parts:
    assert f.value is not None
    per = UNITS[words.lang][block["per"]][0]
    judged = [p for p in block["periods"] if p.get("shown") is not None]
    head = _fmt(words, "slope", value=_difference(f.value, f, rule, words), per=per, m=len(judged))
    pieces = [
        _fmt(
            words,
            "slope_ci",
            low=_difference(block["low"], f, rule, words),
            high=_difference(block["high"], f, rule, words),
            t=f"{block['t']:.3f}",
            df=block["df"],
        )
    ]
    change = block.get("change")
    if change is not None:
        amount = _difference(change["value"], f, rule, words)
        if change.get("noise") is None:
            pieces.append(
                _fmt(
                    words,
                    "change_untested",
                    before=change["from"],
                    after=change["to"],
                    change=amount,
                    why=_no_noise(change, words),
                )
            )
        else:
            noise = _difference(change["noise"], f, rule, words).lstrip("+")
            adjusted = change.get("adjusted")
            pieces.append(
                _fmt(
                    words,
                    "change" if adjusted is None else "change_adjusted",
                    before=change["from"],
                    after=change["to"],
                    change=amount,
                    noise=noise,
                    adjusted=None if adjusted is None else _difference(adjusted, f, rule, words),
                )
            )
    skipped = [p["period"] for p in block["periods"] if p.get("shown") is None]
    if skipped:
        pieces.append(_fmt(words, "skipped", periods=words.join(skipped)))
    return head, pieces


def _no_noise(change: dict[str, Any], words: Words) -> str:
    """Why the last change has no noise: a period of one value, or no standard error."""
    if change.get("one_value"):
        return _fmt(words, "one_value", periods=words.join(change["one_value"]))
    return _fmt(words, "no_standard_error")


def _every(f: FindingEntry, block: dict[str, Any], rule: RuleEntry, words: Words) -> Parts:
    if "records" in block:
        return _fmt(words, "records", k=count(block["records"])), []
    assert f.value is not None
    units = UNITS[words.lang][block["unit"]][1]
    n = len(block["periods"])
    pieces = [_fmt(words, "covered", k=count(n - len(block["missing"])), n=count(n), units=units)]
    if block["missing"]:
        pieces.append(_fmt(words, "missing", periods=words.join(block["missing"])))
    return percent_text(f.value, f.threshold.value if f.threshold else None), pieces


# ------------------------------------------------------------ the report's period table


@dataclass(frozen=True)
class PeriodRow:
    period: str
    n: str
    value: str
    change: str
    verdict: str


def trend_rows(rule: RuleEntry, words: Words) -> list[PeriodRow]:
    """Each period of a trend: the base rule's n, value, change from the period before, verdict."""
    pooled = rule.findings[0]
    found = _block(pooled)
    if found is None or found[0] != "trend":
        return []
    block, rows, before = found[1], [], None
    for p in block["periods"]:
        shown = p.get("shown")
        change = DASH
        if shown is not None and before is not None:
            change = _difference(shown - before, pooled, rule, words)
        value_shown = (
            DASH if p.get("value") is None else _base_value(p["value"], block, rule, words)
        )
        rows.append(
            PeriodRow(p["period"], count(p["n"]), value_shown, change, words.verdict(p["verdict"]))
        )
        before = shown if shown is not None else before
    return rows


__all__ = ["PeriodRow", "figures", "sentence", "test_text", "trend_rows", "value"]
