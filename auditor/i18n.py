"""Report labels in Chinese and English, and the arithmetic sentence in each language."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("zh", "en")

LABELS: dict[str, dict[str, str]] = {
    "report_title": {
        "zh": "服务质量认证审核报告",
        "en": "Service Quality Certification Audit Report",
    },
    "organisation": {"zh": "受审核组织", "en": "Organisation"},
    "sites": {"zh": "场所", "en": "Sites"},
    "scope": {"zh": "审核范围", "en": "Scope"},
    "period": {"zh": "审核期间", "en": "Audit period"},
    "standard": {"zh": "依据标准", "en": "Standard"},
    "pack": {"zh": "规则包", "en": "Rule pack"},
    "pack_hash": {"zh": "规则包 SHA-256", "en": "Pack SHA-256"},
    "auditor": {"zh": "审核员", "en": "Auditor"},
    "issue_date": {"zh": "报告日期", "en": "Issue date"},
    "tool": {"zh": "工具", "en": "Tool"},
    "not_given": {"zh": "未提供", "en": "not given"},
    "contents": {"zh": "目录", "en": "Contents"},
    "summary": {"zh": "执行摘要", "en": "Executive summary"},
    "verdict_counts": {"zh": "结论统计", "en": "Verdicts"},
    "recommendation": {"zh": "认证推荐意见", "en": "Certification recommendation"},
    "decision_rule": {"zh": "判定规则", "en": "Decision rule"},
    "decision_rule_text": {
        "zh": "存在严重不符合项:在其纠正经验证前不予推荐;仅有一般不符合项:在纠正措施计划获接受的前提下推荐;无不符合项:推荐。",
        "en": "Any major nonconformity: not recommended until its correction is verified; minor nonconformities only: recommended subject to an accepted corrective-action plan; none: recommended.",
    },
    "rec_not": {
        "zh": "暂不推荐认证,待严重不符合项的纠正经验证后再行评定",
        "en": "Not recommended until the correction of the major nonconformities is verified",
    },
    "rec_subject": {
        "zh": "推荐认证,前提是纠正措施计划获得接受",
        "en": "Recommended, subject to an accepted corrective-action plan",
    },
    "rec_yes": {"zh": "推荐认证", "en": "Recommended"},
    "worst_gaps": {"zh": "主要差距", "en": "Worst gaps"},
    "not_evaluable_note": {
        "zh": "条规则因证据不足无法评价,不视为符合",
        "en": "rule(s) could not be evaluated for lack of evidence; they are not counted as passes",
    },
    "clause_results": {"zh": "逐条款审核结果", "en": "Clause-by-clause results"},
    "clause": {"zh": "条款", "en": "Clause"},
    "rule": {"zh": "规则", "en": "Rule"},
    "verdict": {"zh": "结论", "en": "Verdict"},
    "value": {"zh": "实际值", "en": "Value"},
    "target": {"zh": "目标", "en": "Target"},
    "n": {"zh": "样本数", "en": "n"},
    "gap_analysis": {"zh": "差距分析", "en": "Gap analysis"},
    "arithmetic": {"zh": "计算依据", "en": "Arithmetic"},
    "trend": {"zh": "各期趋势", "en": "Trend by period"},
    "pareto": {"zh": "不符合记录按分组的帕累托图", "en": "Pareto of failures by group"},
    "failing_records": {"zh": "不符合记录(节选)", "en": "Failing records (excerpt)"},
    "failing_more": {
        "zh": "完整清单见 findings.json 与 failing-records.csv,共",
        "en": "Complete list in findings.json and failing-records.csv; in all",
    },
    "record": {"zh": "记录", "en": "Record"},
    "group": {"zh": "分组", "en": "Group"},
    "measured": {"zh": "测量值", "en": "Measured"},
    "capa_plan": {"zh": "纠正措施计划", "en": "Corrective-action plan"},
    "finding_id": {"zh": "不符合项编号", "en": "Finding"},
    "severity": {"zh": "严重程度", "en": "Severity"},
    "correction": {"zh": "纠正", "en": "Correction"},
    "correction_text": {
        "zh": "处理清单中的不符合记录",
        "en": "Deal with the failing records listed",
    },
    "root_cause": {"zh": "根本原因(由责任团队填写)", "en": "Root cause (for the team)"},
    "corrective_action": {"zh": "纠正措施", "en": "Corrective action"},
    "owner": {"zh": "责任岗位", "en": "Owner"},
    "due": {"zh": "完成期限", "en": "Due"},
    "effectiveness": {"zh": "有效性验证", "en": "Effectiveness check"},
    "effectiveness_text": {
        "zh": "措施实施后,以同一规则对实施后 {days} 天的新证据重新审核,须达到目标",
        "en": "After implementation, rerun the same rule on {days} days of new evidence; it must meet the target",
    },
    "no_capa": {
        "zh": "无不符合项,无需纠正措施。",
        "en": "No nonconformities: no corrective action is needed.",
    },
    "appendix": {"zh": "附录:证据清单", "en": "Appendix: evidence"},
    "file": {"zh": "文件", "en": "File"},
    "kind": {"zh": "证据类型", "en": "Kind"},
    "rows_read": {"zh": "读取行数", "en": "Rows read"},
    "stored": {"zh": "入库", "en": "Stored"},
    "quarantined": {"zh": "隔离", "en": "Quarantined"},
    "quarantine_reasons": {"zh": "隔离原因", "en": "Quarantine reasons"},
    "exclusion_ledger": {"zh": "排除记录汇总", "en": "Exclusion ledger"},
    "reason": {"zh": "原因", "en": "Reason"},
    "count": {"zh": "数量", "en": "Count"},
    "method": {"zh": "审核方法", "en": "Method"},
    "formulas": {"zh": "计算公式", "en": "Formulas"},
    "calendars": {"zh": "工作日历", "en": "Calendars"},
    "interval_method": {"zh": "置信区间", "en": "Confidence intervals"},
    "sampling": {"zh": "抽样说明", "en": "Sampling statement"},
    "manual_clauses": {"zh": "需审核员判断的条款", "en": "Clauses left to the auditor's judgement"},
    "status": {"zh": "状态", "en": "Status"},
    "page": {"zh": "第", "en": "Page"},
    "all_groups": {"zh": "全部", "en": "all"},
    "none": {"zh": "无", "en": "none"},
    "conform": {"zh": "符合", "en": "conform"},
    "observation": {"zh": "观察项", "en": "observation"},
    "nonconform": {"zh": "不符合", "en": "nonconform"},
    "nonconform-major": {"zh": "严重不符合", "en": "major nonconformity"},
    "nonconform-minor": {"zh": "一般不符合", "en": "minor nonconformity"},
    "not-evaluable": {"zh": "无法评价", "en": "not evaluable"},
    "not-applicable": {"zh": "不适用", "en": "not applicable"},
    "major": {"zh": "严重", "en": "major"},
    "minor": {"zh": "一般", "en": "minor"},
    "with_rule": {"zh": "有规则检查", "en": "checked by a rule"},
    "judgement": {"zh": "由审核员判断", "en": "auditor's judgement"},
}

FORMULAS = {
    "zh": [
        "比率 = 符合记录数 / n,n = 符合 + 不符合;待定(期末未到期)与排除的记录不计入 n。",
        "差额 = ⌈目标 × n⌉ − 符合记录数(精确分数运算)。",
        "Wilson 区间:中心 (p + z²/2n)/(1 + z²/n),半宽 z/(1 + z²/n)·√(p(1−p)/n + z²/4n²),z = 1.96。",
        "百分位数:最近秩法,取排序后第 ⌈p/100 × n⌉ 个值。",
        "NPS = (推荐者 9-10 分 − 贬损者 0-6 分) / n × 100。",
        "每千件 = 满足条件的记录数 / n × 1000。",
        "工作时间:按日历的每周营业时间计算,法定节假日关闭,调休上班日按周一营业时间开放;暂停区间(如等待客户)扣除。",
    ],
    "en": [
        "rate = conforming / n, n = conforming + breached; records pending at period end and excluded records are not in n.",
        "shortfall = ⌈target × n⌉ − conforming (exact fractions).",
        "Wilson interval: centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²), z = 1.96.",
        "percentile: nearest rank, the value at rank ⌈p/100 × n⌉ of the sorted values.",
        "NPS = (promoters 9-10 − detractors 0-6) / n × 100.",
        "per 1,000 = records meeting the condition / n × 1,000.",
        "business time: the calendar's weekly hours; statutory holidays closed, official make-up working days open with Monday's hours; pause intervals (e.g. waiting for the customer) subtracted.",
    ],
}

SAMPLING = {
    "zh": "本审核检查了审核期间内导入的全部证据记录(非抽样)。置信区间用于说明比率的统计不确定性:比率达到目标但 95% 区间下限低于目标时,记为观察项;目标为 100% 的规则为逐条检查,不适用区间。",
    "en": "This audit examined every evidence record ingested for the audit period (not a sample). Confidence intervals express the statistical uncertainty of a rate: a rate that meets its target while the lower 95 % bound does not is an observation; rules with a 100 % target check every record and no interval applies.",
}


def label(key: str, lang: str) -> str:
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry.get(lang, entry["en"])


def verdict_label(verdict: str, severity: str | None, lang: str) -> str:
    if verdict == "nonconform" and severity:
        return label(f"nonconform-{severity}", lang)
    return label(verdict, lang)


def percent(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f} %"


def value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "share":
        return percent(value)
    if unit == "per_1000":
        return f"{value:.2f} ‰"
    if unit == "points":
        return f"{value:+.1f}"
    return f"{value:.2f}"


def sentence(finding: dict[str, Any], lang: str) -> str:
    """The arithmetic of a finding in one sentence, from its structured figures."""
    c = finding["counts"]
    verdict = verdict_label(finding["verdict"], finding["severity"], lang)
    excluded = finding.get("excluded_by_reason") or {}
    if finding["verdict"] in ("not-evaluable", "not-applicable"):
        reasons = "; ".join(finding.get("reasons") or [])
        return f"{verdict}: {reasons}" if reasons else verdict
    low_high = finding.get("interval")
    unit = finding["unit"]
    value = value_text(finding["value"], unit)
    if unit == "share":
        ci = f"{percent(low_high[0])}-{percent(low_high[1])}" if low_high else "-"
        if lang == "zh":
            text = f"{value}({c['n']:,} 条中 {c['conforming']:,} 条符合"
            if c["excluded"]:
                text += f";排除 {c['excluded']:,} 条:" + "、".join(
                    f"{r} {n:,}" for r, n in excluded.items()
                )
            if c["pending"]:
                text += f";期末待定 {c['pending']:,} 条"
            text += f";95% 置信区间 {ci}),目标 {finding['target']}:{verdict}"
            if finding.get("shortfall"):
                text += f";尚需再有 {finding['shortfall']:,} 条符合方能达标"
            return text
        text = f"{value} ({c['conforming']:,} of {c['n']:,}"
        if c["excluded"]:
            text += f"; {c['excluded']:,} excluded: " + ", ".join(
                f"{r} {n:,}" for r, n in excluded.items()
            )
        if c["pending"]:
            text += f"; {c['pending']:,} pending at period end"
        text += f"; 95 % CI {ci}) against {finding['target']}: {verdict}"
        if finding.get("shortfall"):
            text += f"; {finding['shortfall']:,} more conforming records were needed"
        return text
    details = finding.get("details") or {}
    if lang == "zh":
        return f"{value}(n = {c['n']:,}),目标 {finding['target']}:{verdict}"
    if unit == "points":
        return (
            f"NPS {value} ({details.get('promoters', 0):,} promoters, {details.get('detractors', 0):,} "
            f"detractors of {c['n']:,}) against {finding['target']}: {verdict}"
        )
    return f"{value} (n = {c['n']:,}) against {finding['target']}: {verdict}"
