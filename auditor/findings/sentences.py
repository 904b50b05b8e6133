"""The arithmetic of a finding in words: one generator, driven by a table of words per language.

Everything here is decided by the finding's structured figures: its ``unit``
(a rate, a rate per 1,000, NPS points, a number, a duration), its counts, its
``threshold``, its ``not_evaluable`` reason, and for failing records the
rule's ``failing_unit``, ``calendar`` and the records' ``failing_notes``.
Values are written by :func:`auditor.formatting.value_text`. The report, the
CAPA registers and anything else that states a finding's arithmetic use these
functions and nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..formatting import (
    DASH,
    count,
    interval_decimals,
    percent_text,
    plain,
    target_text,
    value_text,
)
from ..i18n import LABELS, Words
from . import series_sentences
from .contract import JUDGED, FailingNote, FindingEntry, RuleEntry, Unit, Verdict

#: the words of the sentences, per language; ``{name}`` are the figures put in
PIECES: dict[str, dict[str, str]] = {
    "en": {
        "sep": "; ",
        "open": " (",
        "close": ")",
        "of": "{k} of {n}",
        "count_of": "{k} of {n}",
        "excluded": "{k} excluded: {reasons}",
        "reason_count": "{reason} ({k})",
        "too_few_cell": "n = {n} (minimum {minimum})",
        "decided_by": "decided by {where}: {sentence}",
        "decided_where": "decided by {where}",
        "pooled_beside": "pooled over all groups and periods, for reference only (the rule is judged in each group): {sentence}",
        "pending": "{k} pending at period end",
        "ci": "95 % CI {low}–{high}",
        "against": " against {target}: {verdict}",
        "target": ", target {target}",
        "why": " ({why})",
        "shortfall": "; {k} more conforming records were needed",
        "shortfall_one": "; 1 more conforming record was needed",
        "mean": "mean {value}",
        "sum": "sum {sum} / {n}",
        "sd": "s = {sd}",
        "percentile": "{p}th percentile {value}",
        "rank": "value at rank {rank} of {n}, {method}",
        "nps_head": "NPS {value}",
        "nps": "{promoters} promoters {pp} − {detractors} detractors {dp}, of {n}",
        "note": "note: {note}",
        "no-evidence": "no {kinds} evidence was ingested",
        "too-few": "only {n} records, fewer than the minimum of {minimum}",
        "too-few_one": "only 1 record, fewer than the minimum of {minimum}",
        "field-empty": "the field {field} is empty in all {n} records in scope",
        "field-empty_one": "the field {field} is empty in the 1 record in scope",
        "no-column": "no file the {n} records in scope come from has a column for the field {field} ({files})",
        "no-column_one": "the file of the 1 record in scope has no column for the field {field} ({files})",
        "filter-field-empty": "no record in scope: the condition reads {field}, empty in all {n} records of the period",
        "filter-field-empty_one": "no record in scope: the condition reads {field}, empty in the 1 record of the period",
        "other-field-empty": "the field {field} is empty in all {n} {kinds} records the rule also reads",
        "other-field-empty_one": "the field {field} is empty in the 1 {kinds} record the rule also reads",
        "base-not-evaluable": "the rule it follows, {rule}, could not be judged",
        "too-few-groups": "only {n} groups could be judged, fewer than {minimum}",
        "too-few-groups_one": "only 1 group could be judged, fewer than {minimum}",
        "too-few-periods": "{rule} could be judged in only {n} periods, fewer than {minimum}",
        "too-few-periods_one": "{rule} could be judged in only 1 period, fewer than {minimum}",
        "late": "step {step}: late by {over}",
        "missing": "step {step}: missing, {over} past its bound",
        "missing_bare": "step {step}: missing",
        "out of order": "step {step}: out of order",
        "open at period end": "{end} not reached by the period end (open {elapsed} by then)",
        "its end": "its end",
        "ended without reaching": "ended after {elapsed} without reaching {end}",
        "counted": "counted (meets the condition)",
        "score": "score {v}",
        "repeat contact": "contacted again {gap} later ({repeat})",
        "outage": "{down} of {open} open time under outage",
    },
    "zh": {
        "sep": ";",
        "open": "(",
        "close": ")",
        "of": "{n} 条中 {k} 条符合",
        "count_of": "{n} 条中 {k} 条",
        "excluded": "排除 {k} 条:{reasons}",
        "reason_count": "{reason} {k} 条",
        "too_few_cell": "n = {n}(最少 {minimum})",
        "decided_by": "决定结论的是 {where}:{sentence}",
        "decided_where": "决定结论的是 {where}",
        "pooled_beside": "全部分组、全期合计,仅供参考(本规则按各分组判定):{sentence}",
        "pending": "期末待定 {k} 条",
        "ci": "95% 置信区间 {low}–{high}",
        "against": ",目标 {target}:{verdict}",
        "target": ",目标 {target}",
        "why": "({why})",
        "shortfall": ";尚需再有 {k} 条符合方能达标",
        "mean": "均值 {value}",
        "sum": "合计 {sum} / {n}",
        "sd": "标准差 {sd}",
        "percentile": "第 {p} 百分位数 {value}",
        "rank": "{n} 个值中第 {rank} 位,{method}",
        "nps_head": "NPS {value}",
        "nps": "{n} 人中推荐者 {promoters} 人({pp})− 贬损者 {detractors} 人({dp})",
        "note": "注:{note}",
        "no-evidence": "未导入{kinds}证据",
        "too-few": "仅 {n} 条记录,少于最低要求 {minimum} 条",
        "field-empty": "范围内全部 {n} 条记录的字段 {field} 均为空",
        "no-column": "范围内 {n} 条记录所在的文件({files})均没有字段 {field} 的列",
        "filter-field-empty": "范围内没有记录:筛选条件读取的字段 {field} 在本期全部 {n} 条记录中均为空",
        "other-field-empty": "规则另外读取的全部 {n} 条{kinds}记录的字段 {field} 均为空",
        "base-not-evaluable": "所依据的规则 {rule} 无法评价",
        "too-few-groups": "仅 {n} 个分组可评价,少于 {minimum} 个",
        "too-few-periods": "{rule} 仅在 {n} 个期间可评价,少于 {minimum} 个",
        "late": "步骤“{step}”超时 {over}",
        "missing": "步骤“{step}”缺失,已超时 {over}",
        "missing_bare": "步骤“{step}”缺失",
        "out of order": "步骤“{step}”顺序错误",
        "open at period end": "期末前未到 {end}(至期末已 {elapsed})",
        "its end": "结束时间",
        "ended without reaching": "未到达 {end} 即已结束(历时 {elapsed})",
        "counted": "计入(满足条件)",
        "score": "评分 {v}",
        "repeat contact": "{gap} 后再次联系({repeat})",
        "outage": "营业时间 {open} 中停机 {down}",
    },
}

#: what a failing record without a measured value failed, by the measure of its rule (the
#: findings carry no value and no note for these records, only the rule's measure says it)
UNMEASURED: dict[str, dict[str, str]] = {
    "condition not met": {"zh": "未满足条件", "en": "condition not met"},
    "no matching record within the window": {
        "zh": "无期限内的相应记录",
        "en": "no matching record within the window",
    },
    "answered no": {"zh": "检查结果为“否”", "en": "answered no"},
    "no matching record": {"zh": "无相应记录", "en": "no matching record"},
}

TIME_UNITS = (Unit.SECONDS, Unit.BUSINESS_SECONDS)


class Figures(BaseModel):
    """The arithmetic a finding keeps in ``details``, typed: a mean's sum, a percentile's rank, ..."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    n: int | None = None
    sum: float | None = None
    standard_deviation: float | None = None
    p: float | None = None
    rank: int | None = None
    method: str | None = None
    promoters: int | None = None
    detractors: int | None = None
    count: int | None = None
    down_seconds: float | None = None
    open_seconds: float | None = None
    notes: list[str] = []

    @classmethod
    def of(cls, finding: FindingEntry) -> Figures:
        return cls.model_validate(finding.details)


def _fmt(words: Words, key: str, **values: Any) -> str:
    """A piece with its figures put in; a count of one takes the piece's ``_one`` form, where
    the language has one ("1 more conforming record was needed")."""
    pieces = PIECES[words.lang]
    counted = values.get("k", values.get("n"))
    if str(counted) == "1" and f"{key}_one" in pieces:
        key = f"{key}_one"
    return pieces[key].format(**values)


def _label(rule: RuleEntry, words: Words) -> str | None:
    """The pack's words for what the rule's plain numbers count (``min``), if it gives them."""
    return words.text(rule.unit_label) if rule.unit_label else None


# ------------------------------------------------------------ values


def value(finding: FindingEntry, rule: RuleEntry, words: Words, also: Sequence[float] = ()) -> str:
    """The finding's value in its unit, never contradicting its verdict, keeping its side of
    each figure in ``also`` (another audit's value beside it); ``–`` for none."""
    special = series_sentences.value(finding, rule, words)
    if special is not None:
        return special
    return value_text(
        finding.value,
        finding.unit,
        finding.threshold,
        words.lang,
        rule.calendar,
        label=_label(rule, words),
        also=also,
    )


def target(finding: FindingEntry, rule: RuleEntry, words: Words) -> str:
    """The target from the finding's structured threshold (its text when it has none)."""
    if finding.threshold is None:
        word = f"target_{finding.target}"
        return words.label(word) if word in LABELS else finding.target
    return target_text(
        finding.threshold, finding.unit, words.lang, rule.calendar, _label(rule, words)
    )


def _bounds(finding: FindingEntry, rule: RuleEntry, words: Words) -> tuple[str, str] | None:
    if finding.interval is None or finding.value is None:
        return None
    threshold = finding.threshold
    low, high = finding.interval
    least = interval_decimals(
        low, high, finding.value, finding.unit, None if threshold is None else threshold.value
    )
    texts = (
        value_text(
            bound,
            finding.unit,
            threshold,
            words.lang,
            rule.calendar,
            label=_label(rule, words),
            also=(finding.value,),  # never shown as the value itself: 0.013–0.025, not 0.01–0.02
            least=least,
        )
        for bound in (low, high)
    )
    return next(texts), next(texts)


def interval(finding: FindingEntry, rule: RuleEntry, words: Words) -> str:
    """The confidence interval, ``97.1 % – 98.0 %``, or ``–``."""
    bounds = _bounds(finding, rule, words)
    return f"{bounds[0]} – {bounds[1]}" if bounds else DASH


def _amount(
    amount: float, finding: FindingEntry, rule: RuleEntry, words: Words, least: int | None = None
) -> str:
    """A sum or a standard deviation in the finding's unit (whole numbers as they are)."""
    whole = float(amount).is_integer()
    label = _label(rule, words)
    return value_text(
        amount,
        finding.unit,
        None,
        words.lang,
        rule.calendar,
        written=whole,
        label=label,
        least=least,
    )


def _two_figures(amount: float) -> int:
    """The decimals that show two significant figures of a number under 1 (at least 2): a
    standard deviation of 0.005 is 0.0050, not 0.01 or 0.00."""
    if amount == 0 or abs(amount) >= 1:
        return 2
    return max(2, 1 - math.floor(math.log10(abs(amount))))


def figures(finding: FindingEntry, rule: RuleEntry, words: Words) -> str:
    """The numerator and denominator behind the value: ``1,790 / 1,934``."""
    c, d = finding.counts, Figures.of(finding)
    why = finding.not_evaluable
    special = series_sentences.figures(finding, rule, words)
    if special is not None:
        return special
    if why is not None and why.code == "too-few":
        return _fmt(words, "too_few_cell", n=count(c.n), minimum=count(why.minimum or 0))
    n = count(d.n if d.n is not None else c.n)
    if finding.value is None:
        return f"n = {count(c.n)}"
    if d.open_seconds is not None:  # availability: the share of open time not under outage
        down = _time(d.down_seconds or 0, rule, words, named=False)
        return f"1 − {down} / {_time(d.open_seconds, rule, words)}"
    if finding.unit == Unit.SHARE:
        return f"{count(c.conforming)} / {count(c.n)}"
    if finding.unit == Unit.PER_1000:
        return f"{count(d.count or 0)} / {n}"
    if finding.unit == Unit.POINTS:
        return f"({count(d.promoters or 0)} − {count(d.detractors or 0)}) / {n}"
    if d.sum is not None:
        return f"Σ {_amount(d.sum, finding, rule, words)} / {n}"
    if d.rank is not None:
        return f"#{count(d.rank)} / {n}"
    return f"n = {count(c.n)}"


# ------------------------------------------------------------ sentences


def not_evaluable(finding: FindingEntry, words: Words) -> str:
    """Why a finding could not be judged, from its structured reason (else its reasons)."""
    why = finding.not_evaluable
    if why is None:
        return words.join(words.reason(r) for r in finding.reasons)
    return _fmt(
        words,
        why.code,
        kinds=words.join(words.kind(k) for k in why.kinds or []),
        n=count(why.n or 0),
        minimum=count(why.minimum or 0),
        field=why.field or "",
        rule=why.rule or "",
        files=words.join(why.files or []),
    )


def sentence(finding: FindingEntry, rule: RuleEntry, words: Words) -> str:
    """The arithmetic of a finding in one sentence, from its structured figures."""
    verdict = words.verdict(finding.verdict, finding.severity)
    if finding.verdict == Verdict.NOT_EVALUABLE or finding.value is None:
        why = not_evaluable(finding, words)
        if not why:
            return verdict
        if finding.verdict == Verdict.NOT_EVALUABLE:
            return f"{verdict}: {why}"
        # judged by the measure's own test (a control chart): the reason, then the verdict,
        # as every other sentence ends (and the verdict is not said twice after a heading)
        return f"{why}: {verdict}"
    tail = _fmt(
        words, "against", target=target(finding, rule, words), verdict=judged(finding, words)
    )
    special = series_sentences.sentence(finding, rule, words, tail)
    if special is not None:
        return special
    head, pieces = _head(finding, rule, words)
    pieces.extend(_left_out(finding, words))
    bounds = _bounds(finding, rule, words)
    if bounds:
        pieces.append(_fmt(words, "ci", low=bounds[0], high=bounds[1]))
    inner = _fmt(words, "sep").join(pieces)
    text = f"{head}{_fmt(words, 'open')}{inner}{_fmt(words, 'close')}{tail}"
    if finding.shortfall:
        text += _fmt(words, "shortfall", k=count(finding.shortfall))
    for note in Figures.of(finding).notes:
        text += _fmt(words, "sep") + _fmt(words, "note", note=words.reason(note))
    return text


def judged(finding: FindingEntry, words: Words) -> str:
    """The verdict of a judged finding and why, as its sentence ends: ``observation (meets
    the target but the 95 % lower bound 75.8 % is below it; 10 records still open at the
    period end are not in the rate: once they end, the rate will lie between 76.4 % and
    85.8 %, and the verdict may change)``."""
    verdict = words.verdict(finding.verdict, finding.severity)
    if not finding.reasons:
        return verdict
    return verdict + _fmt(words, "why", why=words.join(words.reason(r) for r in finding.reasons))


def judged_figures(finding: FindingEntry, rule: RuleEntry, words: Words) -> str:
    """The value a finding was judged on, the figures that make it and the target, as its
    sentence says them (without the records left out, the interval and the verdict):
    ``94.0 % (47 of 50), target ≥ 100 %``, ``mean 4.20 min (sum 1,302 min / 310), target ≤
    5 min``; empty for a finding not judged on a value."""
    if finding.value is None or finding.verdict not in JUDGED:
        return ""
    tail = _fmt(words, "target", target=target(finding, rule, words))
    special = series_sentences.sentence(finding, rule, words, tail)
    if special is not None:
        return special
    head, pieces = _head(finding, rule, words)
    inner = _fmt(words, "sep").join(pieces)
    return f"{head}{_fmt(words, 'open')}{inner}{_fmt(words, 'close')}{tail}"


def _head(finding: FindingEntry, rule: RuleEntry, words: Words) -> tuple[str, list[str]]:
    """The value as the sentence starts with it, and the figures that make it."""
    c, d = finding.counts, Figures.of(finding)
    shown = value(finding, rule, words)
    n = d.n if d.n is not None else c.n
    if d.open_seconds is not None:  # availability: open time under outage, not records
        down = _time(d.down_seconds or 0, rule, words, named=False)
        return shown, [_fmt(words, "outage", down=down, open=_time(d.open_seconds, rule, words))]
    if finding.unit == Unit.SHARE:
        return shown, [_fmt(words, "of", k=count(c.conforming), n=count(c.n))]
    if finding.unit == Unit.PER_1000:
        return shown, [_fmt(words, "count_of", k=count(d.count or 0), n=count(n))]
    if finding.unit == Unit.POINTS:
        return _fmt(words, "nps_head", value=shown), [_nps(d, n or 1, words)]
    if d.rank is not None:
        method = words.label(d.method or "nearest rank")
        rank = _fmt(words, "rank", rank=count(d.rank), n=count(n), method=method)
        return _fmt(words, "percentile", p=plain(d.p or 0), value=shown), [rank]
    pieces = []
    if d.sum is not None:
        pieces.append(_fmt(words, "sum", sum=_amount(d.sum, finding, rule, words), n=count(n)))
    if d.standard_deviation is not None:
        spread = d.standard_deviation
        sd = _amount(spread, finding, rule, words, _two_figures(spread))
        pieces.append(_fmt(words, "sd", sd=sd))
    return _fmt(words, "mean", value=shown), pieces or [f"n = {count(c.n)}"]


def _time(seconds: float, rule: RuleEntry, words: Words, named: bool = True) -> str:
    """Seconds in the rule's failing unit (open time of its calendar, or wall time); the
    calendar named unless ``named`` is false (a second figure beside a first that names it)."""
    unit = Unit.BUSINESS_SECONDS if rule.calendar else Unit.SECONDS
    return value_text(seconds, unit, None, words.lang, rule.calendar if named else None)


def _nps(d: Figures, n: int, words: Words) -> str:
    promoters, detractors = d.promoters or 0, d.detractors or 0
    return _fmt(
        words,
        "nps",
        promoters=count(promoters),
        detractors=count(detractors),
        pp=percent_text(promoters / n),
        dp=percent_text(detractors / n),
        n=count(n),
    )


def _left_out(finding: FindingEntry, words: Words) -> list[str]:
    """The records not in n: excluded (with their reasons) and pending at period end."""
    c, pieces = finding.counts, []
    if c.excluded:
        counted = finding.excluded_by_reason
        reasons = words.join(
            _fmt(words, "reason_count", reason=words.reason(r), k=count(k))
            if len(counted) > 1
            else words.reason(r)
            for r, k in counted.items()
        )
        pieces.append(_fmt(words, "excluded", k=count(c.excluded), reasons=reasons))
    if c.pending:
        pieces.append(_fmt(words, "pending", k=count(c.pending)))
    return pieces


def cell(finding: FindingEntry, words: Words) -> str:
    """The group and period a finding holds: ``site=SH · 2026-08``, ``2010-W30 (1 Aug only)``."""
    period = words.period(finding.period, finding.days)
    return " · ".join([words.group(finding.group), period] if finding.group else [period])


def decided_where(finding: FindingEntry, words: Words) -> str:
    """``decided by site=SH · 2026-08``: the cell that decided a rule judged in each group."""
    return _fmt(words, "decided_where", where=cell(finding, words))


def decided(finding: FindingEntry, rule: RuleEntry, words: Words) -> str:
    """The sentence of the finding that decided a rule, naming its group and period."""
    return _fmt(
        words, "decided_by", where=cell(finding, words), sentence=sentence(finding, rule, words)
    )


def pooled_beside(rule: RuleEntry, words: Words) -> str:
    """The pooled finding's sentence, labelled as the pooled figure that did not decide the rule."""
    return _fmt(words, "pooled_beside", sentence=sentence(rule.findings[0], rule, words))


def deciding_sentence(rule: RuleEntry, words: Words) -> str:
    """The sentence of the rule's deciding finding, naming it when it is not the pooled one."""
    deciding = rule.deciding_finding()
    if deciding is rule.findings[0]:
        return sentence(deciding, rule, words)
    return decided(deciding, rule, words)


# ------------------------------------------------------------ failing records


def measured(value: float | None, note: FailingNote | None, rule: RuleEntry, words: Words) -> str:
    """What was measured on one failing record: its value in the rule's failing unit, or words."""
    if note is not None:
        return _noted(value, note, rule, words)
    unit = rule.findings[0].unit
    if unit == Unit.PER_1000:
        return _fmt(words, "counted")
    if value is None:
        return DASH
    if unit == Unit.POINTS:
        return _fmt(words, "score", v=plain(value))
    label = _label(rule, words)
    return value_text(
        value, rule.failing_unit, None, words.lang, rule.calendar, written=True, label=label
    )


def _noted(value: float | None, note: FailingNote, rule: RuleEntry, words: Words) -> str:
    """A record with a note: a sequence step late, missing or out of order; open at period end;
    ended without reaching its end."""
    unit = rule.failing_unit
    if unit not in TIME_UNITS:
        unit = Unit.BUSINESS_SECONDS if rule.calendar else Unit.SECONDS
    step = note.step or ""
    if note.problem in UNMEASURED:
        return UNMEASURED[note.problem][words.lang]
    if note.problem == "repeat contact":
        gap = value_text(value, Unit.SECONDS, None, words.lang)
        return _fmt(words, note.problem, gap=gap, repeat=step)
    if note.problem == "open at period end":  # the step names the end (not in older files)
        elapsed = value_text(value, unit, None, words.lang, rule.calendar)
        return _fmt(words, note.problem, elapsed=elapsed, end=step or _fmt(words, "its end"))
    if note.problem == "ended without reaching":  # the step names the end not reached
        elapsed = value_text(value, unit, None, words.lang, rule.calendar)
        return _fmt(words, note.problem, elapsed=elapsed, end=step)
    if note.problem == "out of order" or note.over_seconds is None:
        key = "missing_bare" if note.problem == "missing" else note.problem
        return _fmt(words, key, step=step)
    over = value_text(note.over_seconds, unit, None, words.lang, rule.calendar)
    return _fmt(words, note.problem, step=step, over=over)
