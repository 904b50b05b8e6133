"""Report words in Chinese and English: labels, reasons, quantities with their units, sentences.

Every figure is shown through :mod:`auditor.formatting`, so a value printed
beside its target never contradicts the verdict (3,450 of 3,451 against
100 % is 99.97 %, not 100.0 %). A Chinese report gets Chinese words
throughout: built-in reasons (exclusions, quarantine classes, verdict
reasons) are translated here, reasons a pack wrote come from the document's
``reason_titles``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .formatting import decimals_needed, number_text, percent_text

LANGUAGES = ("zh", "en")
OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}
NBSP = "\u00a0"

LABELS: dict[str, dict[str, str]] = {
    "report_title": {
        "zh": "{standard}认证审核报告",
        "en": "{standard}: Certification Audit Report",
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
    "evidence_overview": {"zh": "本次审核的证据", "en": "Evidence in this audit"},
    "files": {"zh": "文件数", "en": "Files"},
    "in_period": {"zh": "审核期间内记录", "en": "In the period"},
    "undated": {"zh": "不按时间筛选", "en": "not dated"},
    "no_record_in_period": {
        "zh": "{kind}:审核期间内无记录",
        "en": "{kind}: no record in the audit period",
    },
    "warnings": {"zh": "提示", "en": "Warnings"},
    "summary": {"zh": "执行摘要", "en": "Executive summary"},
    "verdict_counts": {"zh": "结论统计", "en": "Verdicts"},
    "recommendation": {"zh": "认证推荐意见", "en": "Certification recommendation"},
    "decision_rule": {"zh": "判定规则", "en": "Decision rule"},
    "decision_rule_text": {
        "zh": "存在严重不符合项:在其纠正经验证前不予推荐;无严重不符合项但有可衡量条款因缺少证据无法评价:不作推荐结论;仅有一般不符合项:在纠正措施计划获接受的前提下推荐;无不符合项:推荐。",
        "en": "Any major nonconformity: not recommended until its correction is verified; no major nonconformity but a measurable clause that could not be evaluated: no recommendation without its evidence; minor nonconformities only: recommended subject to an accepted corrective-action plan; none: recommended.",
    },
    "not-recommended": {
        "zh": "暂不推荐认证,待严重不符合项的纠正经验证后再行评定",
        "en": "Not recommended until the correction of the major nonconformities is verified",
    },
    "subject-to-plan": {
        "zh": "推荐认证,前提是纠正措施计划获得接受",
        "en": "Recommended, subject to an accepted corrective-action plan",
    },
    "recommended": {"zh": "推荐认证", "en": "Recommended"},
    "withheld": {
        "zh": "不作推荐结论:以下条款缺少证据:{clauses}",
        "en": "No recommendation: evidence missing for clauses {clauses}",
    },
    "missing_evidence": {
        "zh": "因缺少证据无法评价的条款(不视为符合)",
        "en": "Clauses that could not be evaluated for lack of evidence (not counted as passes)",
    },
    "worst_gaps": {"zh": "主要差距", "en": "Worst gaps"},
    "clause_results": {"zh": "逐条款审核结果", "en": "Clause-by-clause results"},
    "group_results": {"zh": "各分组、各期结果", "en": "Results by group and period"},
    "clause": {"zh": "条款", "en": "Clause"},
    "rule": {"zh": "规则", "en": "Rule"},
    "verdict": {"zh": "结论", "en": "Verdict"},
    "value": {"zh": "实际值", "en": "Value"},
    "target": {"zh": "目标", "en": "Target"},
    "n": {"zh": "样本数", "en": "n"},
    "figures": {"zh": "计算", "en": "Arithmetic"},
    "interval": {"zh": "95% 置信区间", "en": "95 % CI"},
    "gap_analysis": {"zh": "差距分析", "en": "Gap analysis"},
    "trend": {"zh": "各期趋势", "en": "Trend by period"},
    "pareto": {"zh": "不符合记录按分组的帕累托图", "en": "Pareto of failures by group"},
    "cumulative": {"zh": "累计占比", "en": "cumulative share"},
    "other_groups": {"zh": "其他 {n} 组", "en": "{n} other groups"},
    "failing_records": {"zh": "不符合记录(节选)", "en": "Failing records (excerpt)"},
    "failing_first": {
        "zh": "以上为前 {shown} 条,共 {total} 条不符合记录。",
        "en": "The first {shown} of {total} failing records.",
    },
    "failing_all": {
        "zh": "以上为全部 {total} 条不符合记录。",
        "en": "All failing records are listed ({total}).",
    },
    "failing_file": {
        "zh": "完整清单见 {path}(SHA-256 {sha256},共 {rows} 行)。",
        "en": "The complete list is in {path} (SHA-256 {sha256}, {rows} rows).",
    },
    "failing_no_file": {
        "zh": "完整清单见 findings.json。",
        "en": "The complete list is in findings.json.",
    },
    "record": {"zh": "记录", "en": "Record"},
    "group": {"zh": "分组", "en": "Group"},
    "measured": {"zh": "测量值", "en": "Measured"},
    "capa_plan": {"zh": "纠正措施计划", "en": "Corrective-action plan"},
    "finding_id": {"zh": "不符合项", "en": "Finding"},
    "severity": {"zh": "严重程度", "en": "Severity"},
    "correction": {"zh": "纠正", "en": "Correction"},
    "correction_text": {
        "zh": "处理清单中的 {n} 条不符合记录",
        "en": "Deal with the {n} failing records listed",
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
    "mapping": {"zh": "字段映射", "en": "Mapping"},
    "columns": {"zh": "字段 ← 列", "en": "Field ← column"},
    "source_preset": {"zh": "预设", "en": "preset"},
    "source_mapping": {"zh": "映射文件", "en": "mapping file"},
    "source_sidecar": {"zh": "随附映射文件", "en": "sidecar file"},
    "source_auto": {"zh": "按列名自动识别", "en": "matched by column names"},
    "quarantine_reasons": {"zh": "隔离原因", "en": "Quarantine reasons"},
    "no_quarantine": {"zh": "没有隔离的行。", "en": "No row was quarantined."},
    "exclusion_ledger": {"zh": "排除记录汇总", "en": "Exclusion ledger"},
    "no_exclusions": {"zh": "没有排除的记录。", "en": "No record was excluded."},
    "failing_file_title": {"zh": "不符合记录清单", "en": "Failing-record list"},
    "failing_file_text": {
        "zh": "全部 {rows} 条不符合记录见 {path},SHA-256 {sha256}。findings.json 中每个发现最多列出 {cap} 条。",
        "en": "All {rows} failing records are in {path}, SHA-256 {sha256}. findings.json lists at most {cap} per finding.",
    },
    "reason": {"zh": "原因", "en": "Reason"},
    "count": {"zh": "数量", "en": "Count"},
    "method": {"zh": "审核方法", "en": "Method"},
    "formulas": {"zh": "计算公式", "en": "Formulas"},
    "calendars": {"zh": "工作日历", "en": "Calendars"},
    "calendar_hours": {"zh": "营业时间", "en": "opening hours"},
    "holidays": {"zh": "节假日", "en": "holidays"},
    "sub_period": {"zh": "期间", "en": "Period"},
    "hours_seconds": {"zh": "小时", "en": "hours"},
    "hours_business-seconds": {"zh": "工作小时", "en": "business hours"},
    "effectiveness_all": {"zh": "每项的有效性验证", "en": "Effectiveness check of every item"},
    "holidays_CN": {
        "zh": "中国大陆法定节假日休息,官方调休上班日按周一营业时间上班",
        "en": "statutory holidays of mainland China closed, official make-up working days open with Monday's hours",
    },
    "holidays_none": {"zh": "不设法定节假日", "en": "no statutory holidays"},
    "extra_holidays": {"zh": "另休", "en": "also closed"},
    "extra_workdays": {"zh": "另上班", "en": "also open"},
    "used_by": {"zh": "使用规则", "en": "used by"},
    "interval_method": {"zh": "统计方法", "en": "Statistical methods"},
    "interval_wilson": {
        "zh": "比率与每千件比率:Wilson 区间,置信水平 {confidence}",
        "en": "rates and rates per 1,000: Wilson interval, {confidence} confidence",
    },
    "interval_mean": {
        "zh": "均值:均值 ± 1.96 s/√n",
        "en": "means: mean ± 1.96 s/√n",
    },
    "percentile_method": {"zh": "百分位数:{method}", "en": "percentiles: {method}"},
    "timezone": {"zh": "时区:{zone}", "en": "time zone: {zone}"},
    "sampling": {"zh": "抽样说明", "en": "Sampling statement"},
    "manual_clauses": {"zh": "需审核员判断的条款", "en": "Clauses left to the auditor's judgement"},
    "status": {"zh": "状态", "en": "Status"},
    "none": {"zh": "无", "en": "none"},
    "all_groups": {"zh": "全部", "en": "all"},
    "conform": {"zh": "符合", "en": "conform"},
    "observation": {"zh": "观察项", "en": "observation"},
    "nonconform": {"zh": "不符合", "en": "nonconform"},
    "nonconform-major": {"zh": "严重不符合", "en": "major nonconformity"},
    "nonconform-minor": {"zh": "一般不符合", "en": "minor nonconformity"},
    "not-evaluable": {"zh": "无法评价", "en": "not evaluable"},
    "not-applicable": {"zh": "不适用", "en": "not applicable"},
    "major": {"zh": "严重", "en": "major"},
    "minor": {"zh": "一般", "en": "minor"},
    "judgement": {"zh": "由审核员判断", "en": "auditor's judgement"},
    "nearest rank": {"zh": "最近秩法", "en": "nearest rank"},
    "optional-field-missing": {
        "zh": "{file}({kind})缺少可选字段 {field} 的列,读取该字段的规则无法评价",
        "en": "{file} ({kind}) has no column for the optional field {field}; rules that read it cannot be evaluated",
    },
    "kind-empty-in-period": {
        "zh": "{kind}:审核期间内无记录",
        "en": "{kind}: no record in the audit period",
    },
    "xlsx_capped": {
        "zh": "本表只列出前 {cap} 行;完整清单见 {path}",
        "en": "Only the first {cap} rows are listed here; the complete list is in {path}",
    },
    "xlsx_truncated": {
        "zh": "findings.json 中每个发现最多列出 {cap} 条记录;完整清单见 {path}",
        "en": "findings.json lists at most {cap} records per finding; the complete list is in {path}",
    },
}

#: formulas, each shown only when a rule of the report uses it
FORMULAS: dict[str, dict[str, str]] = {
    "share": {
        "zh": "比率 = 符合记录数 / n,n = 符合 + 不符合;待定(期末未到期)与排除的记录不计入 n。差额 = ⌈目标 × n⌉ − 符合记录数(精确分数运算)。",
        "en": "rate = conforming / n, n = conforming + breached; records pending at period end and excluded records are not in n. shortfall = ⌈target × n⌉ − conforming (exact fractions).",
    },
    "wilson": {
        "zh": "Wilson 区间:中心 (p + z²/2n)/(1 + z²/n),半宽 z/(1 + z²/n)·√(p(1−p)/n + z²/4n²),z = 1.96。",
        "en": "Wilson interval: centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²), z = 1.96.",
    },
    "mean": {
        "zh": "均值 = 合计 / n;95% 区间为均值 ± 1.96 s/√n,s 为样本标准差。",
        "en": "mean = sum / n; its 95 % interval is mean ± 1.96 s/√n, s the sample standard deviation.",
    },
    "percentile": {
        "zh": "百分位数:最近秩法,取排序后第 ⌈p/100 × n⌉ 个值。",
        "en": "percentile: nearest rank, the value at rank ⌈p/100 × n⌉ of the sorted values.",
    },
    "nps": {
        "zh": "NPS = (推荐者 9-10 分 − 贬损者 0-6 分) / n × 100。",
        "en": "NPS = (promoters 9-10 − detractors 0-6) / n × 100.",
    },
    "per_1000": {
        "zh": "每千件 = 满足条件的记录数 / n × 1000。",
        "en": "per 1,000 = records meeting the condition / n × 1,000.",
    },
    "sequence": {
        "zh": "流程时限:每个案件的各步骤须在其起算步骤之后的时限内发生;迟到按超出时长计,期末仍未发生且已超时限的为缺失,早于前一步骤的为顺序错误。",
        "en": "sequences: each step of a case must happen within its bound after the step it counts from; a late step is reported with its overrun, a step not done by the period end after its bound has passed is missing, one before the step it follows is out of order.",
    },
    "business_time": {
        "zh": "工作时间:只计日历的营业时间(见下文“工作日历”);暂停区间(如等待客户)予以扣除。",
        "en": "business time: only the calendar's opening hours count (see Calendars below); pause intervals (e.g. waiting for the customer) are subtracted.",
    },
    "open_at_end": {
        "zh": "期末未关闭:结束时间晚于审核期间末或缺失的记录,按至期末已用时长判定;已超时限者为不符合,未超时限者为待定。",
        "en": "not closed by period end: a record whose end is missing or after the period end is judged on the time elapsed up to the period end; past its limit it is breached, otherwise pending.",
    },
}

SAMPLING = {
    "zh": "本审核检查了审核期间内导入的全部证据记录(非抽样)。置信区间用于说明比率的统计不确定性:比率达到目标但 95% 区间下限低于目标时,记为观察项;目标为 100% 的规则为逐条检查,不适用区间。",
    "en": "This audit examined every evidence record ingested for the audit period (not a sample). Confidence intervals express the statistical uncertainty of a rate: a rate that meets its target while the lower 95 % bound does not is an observation; rules with a 100 % target check every record and no interval applies.",
}

# ------------------------------------------------------------ reasons

#: built-in reasons (exclusions, quarantine classes, file states) and their Chinese
REASONS_ZH: dict[str, str] = {
    "ends before it starts (data error)": "结束时间早于开始时间(数据错误)",
    "answered not applicable": "检查结果为不适用",
    "no start time": "无开始时间",
    "score outside 0-10": "评分不在 0-10 之间",
    "duplicate key": "主键重复",
    "duplicate key; kept once": "主键重复,仅保留一条",
    "other item": "其他检查项",
    "empty timestamp": "时间为空",
    "header only: no rows": "仅有表头,无数据行",
    "contains NUL bytes": "含 NUL 字节",
    "contains NUL bytes (binary data or a damaged export)": "含 NUL 字节(二进制数据或导出文件损坏)",
    "line is JSON but not an object": "该行是 JSON 但不是对象",
    "already in the store (same path and SHA-256)": "已在证据库中(路径与 SHA-256 相同)",
    "meets the target but the 95 % confidence bound does not": "达到目标,但 95% 置信区间的边界未达到",
    "every answer was 'not applicable'": "所有检查结果均为不适用",
}

#: patterns of built-in reasons with values in them, and their Chinese (``{name}`` = a group)
REASON_PATTERNS_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), zh)
    for p, zh in [
        (r"^(?P<f>[A-Za-z_]\w*): (?P<rest>.+)$", "{f}:{rest}"),
        (r"^no (?P<x>.+) step$", "无“{x}”步骤"),
        (r"^no (?P<x>\S+)$", "无 {x}"),
        (
            r"^expected (?P<w>[\d,]+) columns as in the header, found (?P<n>[\d,]+)$",
            "列数与表头不符:应为 {w} 列,实为 {n} 列",
        ),
        (
            r"^'(?P<v>.*)' is not a valid date/time \(impossible day, month or hour\?\)$",
            "“{v}”不是有效的日期时间(日、月或小时不存在?)",
        ),
        (r"^'(?P<v>.*)' is not a date/time in a known format$", "“{v}”不是可识别格式的日期时间"),
        (r"^'(?P<v>.*)' does not match the format (?P<f>.+)$", "“{v}”不符合格式 {f}"),
        (
            r"^'(?P<v>.*)' is not one of (?P<a>.+?); did you mean '(?P<s>.*)'\?$",
            "“{v}”不是允许值({a})之一;是否应为“{s}”?",
        ),
        (r"^'(?P<v>.*)' is not one of (?P<a>.+)$", "“{v}”不是允许值({a})之一"),
        (r"^'?(?P<v>.*?)'? is not a whole number$", "“{v}”不是整数"),
        (r"^'(?P<v>.*)' is not a number$", "“{v}”不是数字"),
        (r"^(?P<v>.+) is not a finite number$", "{v} 不是有限数值"),
        (r"^'(?P<v>.*)' is not yes/no .*$", "“{v}”不是“是/否”值"),
        (r"^'(?P<v>.*)' is not a duration .*$", "“{v}”不是时长(秒数或 时:分:秒)"),
        (r"^'(?P<v>.*)' is not a valid date$", "“{v}”不是有效日期"),
        (
            r"^(?P<v>.+) is not a plausible Excel date serial .*$",
            "{v} 不是合理的 Excel 日期序号(1954-2119)",
        ),
        (
            r"^value is (?P<n>[\d,]+) characters long \(limit (?P<m>[\d,]+)\)$",
            "值长 {n} 个字符(上限 {m})",
        ),
        (r"^required field '(?P<f>.+)' is empty$", "必填字段 {f} 为空"),
        (r"^required field '(?P<f>.+)' is mapped to no value$", "必填字段 {f} 未映射到任何值"),
        (
            r"^(?P<t>.+) does not exist in (?P<z>\S+) \(clocks jump forward\).*$",
            "{t} 在 {z} 时区不存在(夏令时拨快)",
        ),
        (
            r"^(?P<t>.+) happens twice in (?P<z>\S+) \(clocks go back\).*$",
            "{t} 在 {z} 时区出现两次(夏令时拨慢)",
        ),
        (r"^unterminated quote starting on line (?P<n>[\d,]+).*$", "第 {n} 行开始的引号未闭合"),
        (r"^malformed CSV: .*$", "CSV 格式错误"),
        (r"^text is not valid (?P<e>\S+) .*$", "文本不是有效的 {e} 编码(文件混用多种编码?)"),
        (r"^not valid JSON: .*$", "不是有效的 JSON"),
        (
            r"^optional field '(?P<f>.+)' has no column in this file \((?P<c>.+) absent\); .*$",
            "可选字段 {f} 在此文件中没有对应的列(缺少 {c}),读取该字段的规则将无法评价",
        ),
        (
            r"^optional field '(?P<f>.+)' has no column in this file; .*$",
            "可选字段 {f} 在此文件中没有对应的列,读取该字段的规则将无法评价",
        ),
        (
            r"^no date has a day over 12 to tell the order, .*$",
            "没有日大于 12 的日期可判断日月顺序,带上午/下午的日期按月在前(MM/DD/YYYY hh:mm AM/PM)读取;如为日在前,请在映射中给出 format",
        ),
        (r"^below (?P<p>.+), so major$", "低于 {p},故为严重"),
        (
            r"^meets the target but is inside the warn band \(below (?P<p>.+)\)$",
            "达到目标,但处于预警区间(低于 {p})",
        ),
        (
            r"^meets the target but the 95 % lower bound (?P<p>.+) is below it$",
            "达到目标,但 95% 置信区间下限 {p} 低于目标",
        ),
        (r"^meets the target but not the warn level (?P<w>.+)$", "达到目标,但未达到预警水平 {w}"),
        (
            r"^(?P<n>[\d,]+) records in the rate, fewer than the minimum of (?P<m>[\d,]+)$",
            "计入比率的记录仅 {n} 条,少于最低要求 {m} 条",
        ),
        (
            r"^(?P<n>[\d,]+) values, fewer than the minimum of (?P<m>[\d,]+)$",
            "仅 {n} 个值,少于最低要求 {m} 个",
        ),
        (r"^no evidence of kind (?P<k>.+) was ingested$", "未导入 {k} 类证据"),
        (
            r"^field '(?P<f>.+)' is empty in all (?P<n>[\d,]+) (?P<k>\S+) records in scope$",
            "范围内全部 {n} 条 {k} 记录的字段 {f} 均为空",
        ),
        (
            r"^no (?P<k>\S+) evidence was ingested, so durations are not net of pauses$",
            "未导入 {k} 证据,时长未扣除暂停时间",
        ),
    ]
]


def translate_reason(text: str, lang: str, titles: dict[str, dict[str, str]] | None = None) -> str:
    """A reason in the report's language: the pack's own title, a built-in translation or as given."""
    if titles and text in titles:
        return titles[text].get(lang) or text
    if lang == "en":
        return text
    if text in REASONS_ZH:
        return REASONS_ZH[text]
    for pattern, zh in REASON_PATTERNS_ZH:
        match = pattern.match(text)
        if match:
            parts = match.groupdict()
            if "rest" in parts:
                parts["rest"] = translate_reason(parts["rest"], lang, titles)
            return zh.format(**parts)
    return text


# ------------------------------------------------------------ quantities

UNIT_WORDS = {
    "zh": {"d": "天", "h": "小时", "min": "分", "s": "秒"},
    "en": {"d": "d", "h": "h", "min": "min", "s": "s"},
}


def duration(seconds: float, lang: str = "en", reference: float | None = None) -> str:
    """A length of time as people read it: 66 s, 12 min 5 s, 5 h 3 min, 60 d 12 h.

    Beside a ``reference`` (a limit) it never rounds onto or across it: a
    value the rounding would make equal to the limit is shown in seconds with
    the decimals it needs.
    """
    words = UNIT_WORDS[lang]
    whole = round(seconds)
    step = 1 if abs(whole) < 7200 else (60 if abs(whole) < 48 * 3600 else 3600)
    if reference is not None and seconds != reference:
        shown, limit = round(seconds / step) * step, round(reference / step) * step
        if (seconds < reference) != (shown < limit) or shown == limit:
            digits = decimals_needed(seconds, (reference,), 0)
            return f"{seconds:,.{digits}f} {words['s']}"
    if abs(whole) < 120:
        return f"{whole} {words['s']}"
    minutes, rest = divmod(whole, 60)
    if minutes < 120:
        return (
            f"{minutes} {words['min']} {rest} {words['s']}" if rest else f"{minutes} {words['min']}"
        )
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return (
            f"{hours} {words['h']} {minutes} {words['min']}" if minutes else f"{hours} {words['h']}"
        )
    days, hours = divmod(hours, 24)
    return f"{days} {words['d']} {hours} {words['h']}" if hours else f"{days} {words['d']}"


def business(
    seconds: float, calendar: str | None, lang: str = "en", reference: float | None = None
) -> str:
    """Business time in business hours, naming the calendar: ``180 business hours (calendar office)``."""
    hours = seconds / 3600
    least = 0 if float(round(hours, 6)).is_integer() else 1
    refs = (reference / 3600,) if reference is not None else ()
    text = f"{hours:,.{decimals_needed(hours, refs, least)}f}"
    if lang == "zh":
        named = f"(日历 {calendar})" if calendar else ""
        return f"{text} 个工作小时{named}"
    unit = "business hour" if text == "1" else "business hours"
    return f"{text} {unit} (calendar {calendar})" if calendar else f"{text} {unit}"


def plain(value: float) -> str:
    """A limit as written: 4.2, 120, 0.5 (no trailing zeros)."""
    text = f"{round(value, 6):,.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _unbroken(text: str, unit: str) -> str:
    """A figure and its unit kept on one line (a business duration's calendar may wrap)."""
    if unit == "business-seconds":
        return text.replace(" ", NBSP, 1)
    return text.replace(" ", NBSP)


def quantity(
    value: float,
    unit: str,
    lang: str,
    reference: float | None = None,
    calendar: str | None = None,
) -> str:
    """A measured value in its unit, with the decimals it needs beside ``reference``."""
    return _unbroken(_quantity(value, unit, lang, reference, calendar), unit)


def _quantity(
    value: float, unit: str, lang: str, reference: float | None, calendar: str | None
) -> str:
    if unit == "share":
        return percent_text(value, reference)
    if unit == "per_1000":
        return f"{number_text(value, reference)} ‰"
    if unit == "points":
        return ("+" if value > 0 else "") + number_text(value, reference, 1)
    if unit == "seconds":
        return duration(value, lang, reference)
    if unit == "business-seconds":
        return business(value, calendar, lang, reference)
    return number_text(value, reference)


def limit_text(value: float, unit: str, lang: str, calendar: str | None = None) -> str:
    """A target's limit as written in the pack, in the unit of the value it is compared with."""
    return _unbroken(_limit_text(value, unit, lang, calendar), unit)


def _limit_text(value: float, unit: str, lang: str, calendar: str | None) -> str:
    if unit == "share":
        return f"{plain(value * 100)} %"
    if unit == "per_1000":
        return f"{plain(value)} ‰"
    if unit == "seconds":
        return duration(value, lang)
    if unit == "business-seconds":
        return business(value, calendar, lang)
    return plain(value)


# ------------------------------------------------------------ sentences

#: pieces of the arithmetic sentence; ``sep`` joins the pieces inside the brackets
PIECES: dict[str, dict[str, str]] = {
    "sep": {"zh": ";", "en": "; "},
    "open": {"zh": "(", "en": " ("},
    "close": {"zh": ")", "en": ")"},
    "list": {"zh": "、", "en": ", "},
    "of": {"zh": "{n} 条中 {k} 条符合", "en": "{k} of {n}"},
    "count_of": {"zh": "{n} 条中 {k} 条", "en": "{k} of {n}"},
    "excluded": {"zh": "排除 {k} 条:{reasons}", "en": "{k} excluded: {reasons}"},
    "reason_count": {"zh": "{reason} {k} 条", "en": "{reason} ({k})"},
    "too_few_cell": {"zh": "n = {n}(最少 {minimum})", "en": "n = {n} (minimum {minimum})"},
    "decided_by": {"zh": "决定结论的是 {where}:{sentence}", "en": "decided by {where}: {sentence}"},
    "pending": {"zh": "期末待定 {k} 条", "en": "{k} pending at period end"},
    "ci": {"zh": "95% 置信区间 {low}–{high}", "en": "95 % CI {low}–{high}"},
    "against": {"zh": ",目标 {target}:{verdict}", "en": " against {target}: {verdict}"},
    "why": {"zh": "({why})", "en": " ({why})"},
    "shortfall": {
        "zh": ";尚需再有 {k} 条符合方能达标",
        "en": "; {k} more conforming records were needed",
    },
    "mean": {"zh": "均值 {value}", "en": "mean {value}"},
    "sum": {"zh": "合计 {sum} / {n}", "en": "sum {sum} / {n}"},
    "sd": {"zh": "标准差 {sd}", "en": "s = {sd}"},
    "percentile": {"zh": "第 {p} 百分位数 {value}", "en": "{p}th percentile {value}"},
    "rank": {
        "zh": "{n} 个值中第 {rank} 位,{method}",
        "en": "value at rank {rank} of {n}, {method}",
    },
    "nps": {
        "zh": "{n} 人中推荐者 {promoters} 人({pp})− 贬损者 {detractors} 人({dp})",
        "en": "{promoters} promoters {pp} − {detractors} detractors {dp}, of {n}",
    },
    "note": {"zh": "注:{note}", "en": "note: {note}"},
    "no-evidence": {"zh": "未导入{kinds}证据", "en": "no {kinds} evidence was ingested"},
    "too-few": {
        "zh": "仅 {n} 条记录,少于最低要求 {minimum} 条",
        "en": "only {n} records, fewer than the minimum of {minimum}",
    },
    "field-empty": {
        "zh": "范围内全部 {n} 条记录的字段 {field} 均为空",
        "en": "the field {field} is empty in all {n} records in scope",
    },
    "late": {"zh": "步骤“{step}”超时 {over}", "en": "step {step}: late by {over}"},
    "missing": {
        "zh": "步骤“{step}”缺失,已超时 {over}",
        "en": "step {step}: missing, {over} past its bound",
    },
    "missing_bare": {"zh": "步骤“{step}”缺失", "en": "step {step}: missing"},
    "out of order": {"zh": "步骤“{step}”顺序错误", "en": "step {step}: out of order"},
    "open at period end": {
        "zh": "期末未关闭(至期末已 {elapsed})",
        "en": "not closed by period end (open {elapsed} by then)",
    },
    "condition": {"zh": "未满足条件", "en": "condition not met"},
    "fresh": {"zh": "无期限内的相应记录", "en": "no matching record within the window"},
    "manual": {"zh": "检查结果为“否”", "en": "answered no"},
    "per_1000": {"zh": "计入(满足条件)", "en": "counted (meets the condition)"},
    "nps_score": {"zh": "评分 {v}", "en": "score {v}"},
}


def _fmt(key: str, lang: str, **values: Any) -> str:
    return PIECES[key][lang].format(**values)


@dataclass
class Words:
    """Everything a report says, in one language."""

    lang: str
    reason_titles: dict[str, dict[str, str]] = field(default_factory=dict)
    kind_titles: dict[str, dict[str, str]] = field(default_factory=dict)

    def label(self, key: str, **values: Any) -> str:
        entry = LABELS.get(key)
        text = key if entry is None else entry.get(self.lang, entry["en"])
        return text.format(**values) if values else text

    def text(self, pair: Any) -> str:
        """The report's language from a {zh, en} pair (plain text as it is)."""
        if isinstance(pair, dict):
            return str(pair.get(self.lang) or pair.get("en") or "")
        return "" if pair is None else str(pair)

    def reason(self, text: str) -> str:
        shown = translate_reason(text, self.lang, self.reason_titles)
        return re.sub(r"(>=|<=)\s*", lambda m: OPS[m.group(1)] + NBSP, shown)

    def kind(self, name: str) -> str:
        title = self.kind_titles.get(name)
        return self.text(title) if title else name

    def verdict(self, verdict: str, severity: str | None = None) -> str:
        if verdict == "nonconform" and severity:
            return self.label(f"nonconform-{severity}")
        return self.label(verdict)

    def number(self, value: Any) -> str:
        return f"{value:,}" if isinstance(value, int) else str(value)

    def group(self, group: dict[str, Any]) -> str:
        return " · ".join(str(v) for v in group.values()) or self.label("all_groups")

    def decided(self, finding: dict[str, Any], rule: dict[str, Any]) -> str:
        """The sentence of the finding that decided a rule, naming its group and period."""
        where = " · ".join([*(str(v) for v in finding["group"].values()), finding["period"]])
        return _fmt("decided_by", self.lang, where=where, sentence=self.sentence(finding, rule))

    # ---------------------------------------------------------------- values

    def threshold(self, finding: dict[str, Any]) -> dict[str, Any] | None:
        return finding["threshold"] or parse_target(finding["target"], finding["unit"])

    def value(self, finding: dict[str, Any], rule: dict[str, Any]) -> str:
        """The finding's value in its unit, never contradicting its verdict."""
        if finding["value"] is None:
            return "–"
        limit = self.threshold(finding)
        return quantity(
            finding["value"],
            finding["unit"],
            self.lang,
            limit["value"] if limit else None,
            rule["calendar"],
        )

    def target(self, finding: dict[str, Any], rule: dict[str, Any]) -> str:
        limit = self.threshold(finding)
        if limit is None:
            return finding["target"]
        shown = limit_text(limit["value"], finding["unit"], self.lang, rule["calendar"])
        return f"{OPS.get(limit['op'], limit['op'])}{NBSP}{shown}"

    def interval(self, finding: dict[str, Any], rule: dict[str, Any]) -> str:
        bounds = finding["interval"]
        if not bounds or finding["value"] is None:
            return "–"
        limit = self.threshold(finding)
        ref = limit["value"] if limit else None
        unit, calendar = finding["unit"], rule["calendar"]
        low = quantity(bounds[0], unit, self.lang, ref, calendar)
        high = quantity(bounds[1], unit, self.lang, ref, calendar)
        return f"{low} – {high}"

    def figures(self, finding: dict[str, Any], rule: dict[str, Any]) -> str:
        """The numerator and denominator behind the value: ``1,790 / 1,934``."""
        c, d, unit = finding["counts"], finding["details"], finding["unit"]
        why = finding["not_evaluable"] or {}
        if why.get("code") == "too-few":
            return _fmt("too_few_cell", self.lang, n=f"{c['n']:,}", minimum=f"{why['minimum']:,}")
        if finding["value"] is None:
            return f"n = {c['n']:,}"
        if unit == "share":
            return f"{c['conforming']:,} / {c['n']:,}"
        if unit == "per_1000":
            return f"{d.get('count', 0):,} / {d.get('n', c['n']):,}"
        if "sum" in d:
            return f"Σ {self._amount(d['sum'], finding, rule)} / {d['n']:,}"
        if "rank" in d:
            return f"#{d['rank']:,} / {d['n']:,}"
        if "promoters" in d:
            return f"({d['promoters']:,} − {d['detractors']:,}) / {d['n']:,}"
        return f"n = {c['n']:,}"

    def _amount(self, value: float, finding: dict[str, Any], rule: dict[str, Any]) -> str:
        if finding["unit"] in ("seconds", "business-seconds"):
            return quantity(value, finding["unit"], self.lang, None, rule["calendar"])
        return f"{value:,.0f}" if float(value).is_integer() else number_text(value)

    # ---------------------------------------------------------------- sentences

    def not_evaluable(self, finding: dict[str, Any]) -> str:
        """Why a finding could not be judged, from its structured reason."""
        why = finding["not_evaluable"]
        if why and why.get("code") in PIECES:
            kinds = PIECES["list"][self.lang].join(self.kind(k) for k in why.get("kinds") or [])
            return _fmt(
                why["code"],
                self.lang,
                kinds=kinds,
                n=f"{why.get('n') or 0:,}",
                minimum=f"{why.get('minimum') or 0:,}",
                field=why.get("field") or "",
            )
        return PIECES["list"][self.lang].join(self.reason(r) for r in finding["reasons"])

    def sentence(self, finding: dict[str, Any], rule: dict[str, Any]) -> str:
        """The arithmetic of a finding in one sentence, from its structured figures."""
        verdict = self.verdict(finding["verdict"], finding["severity"])
        if finding["verdict"] == "not-evaluable" or finding["value"] is None:
            why = self.not_evaluable(finding)
            return f"{verdict}: {why}" if why else verdict
        head, pieces = self._head(finding, rule)
        pieces.extend(self._left_out(finding))
        if finding["interval"]:
            low, _, high = self.interval(finding, rule).partition(" – ")
            pieces.append(_fmt("ci", self.lang, low=low, high=high))
        inner = PIECES["sep"][self.lang].join(pieces)
        text = f"{head}{_fmt('open', self.lang)}{inner}{_fmt('close', self.lang)}"
        text += _fmt("against", self.lang, target=self.target(finding, rule), verdict=verdict)
        reasons = [self.reason(r) for r in finding["reasons"]]
        if reasons:
            text += _fmt("why", self.lang, why=PIECES["list"][self.lang].join(reasons))
        if finding["shortfall"]:
            text += _fmt("shortfall", self.lang, k=f"{finding['shortfall']:,}")
        notes = [self.reason(n) for n in (finding["details"]).get("notes") or []]
        for note in notes:
            text += PIECES["sep"][self.lang] + _fmt("note", self.lang, note=note)
        return text

    def _head(self, finding: dict[str, Any], rule: dict[str, Any]) -> tuple[str, list[str]]:
        """The value as the sentence starts with it, and the figures that make it."""
        c, d, unit, lang = (
            finding["counts"],
            finding["details"],
            finding["unit"],
            self.lang,
        )
        value = self.value(finding, rule)
        if unit == "share":
            return value, [_fmt("of", lang, k=f"{c['conforming']:,}", n=f"{c['n']:,}")]
        if unit == "per_1000":
            count = _fmt("count_of", lang, k=f"{d.get('count', 0):,}", n=f"{d.get('n', c['n']):,}")
            return value, [count]
        if unit == "points":
            n = d.get("n") or c["n"] or 1
            nps = _fmt(
                "nps",
                lang,
                promoters=f"{d.get('promoters', 0):,}",
                detractors=f"{d.get('detractors', 0):,}",
                pp=percent_text(d.get("promoters", 0) / n),
                dp=percent_text(d.get("detractors", 0) / n),
                n=f"{n:,}",
            )
            return f"NPS {value}", [nps]
        if "rank" in d:
            method = self.label(str(d.get("method") or "nearest rank"))
            rank = _fmt("rank", lang, rank=f"{d['rank']:,}", n=f"{d['n']:,}", method=method)
            return _fmt("percentile", lang, p=plain(d["p"]), value=value), [rank]
        pieces = []
        if "sum" in d:
            pieces.append(
                _fmt("sum", lang, sum=self._amount(d["sum"], finding, rule), n=f"{d['n']:,}")
            )
        if "standard_deviation" in d:
            pieces.append(_fmt("sd", lang, sd=self._amount(d["standard_deviation"], finding, rule)))
        return _fmt("mean", lang, value=value), pieces or [f"n = {c['n']:,}"]

    def _left_out(self, finding: dict[str, Any]) -> list[str]:
        c, pieces = finding["counts"], []
        if c["excluded"]:
            counted = finding["excluded_by_reason"] or {}
            reasons = PIECES["list"][self.lang].join(
                _fmt("reason_count", self.lang, reason=self.reason(r), k=f"{k:,}")
                if len(counted) > 1
                else self.reason(r)
                for r, k in counted.items()
            )
            pieces.append(_fmt("excluded", self.lang, k=f"{c['excluded']:,}", reasons=reasons))
        if c["pending"]:
            pieces.append(_fmt("pending", self.lang, k=f"{c['pending']:,}"))
        return pieces

    # ---------------------------------------------------------------- failing records

    def failing(
        self,
        value: float | None,
        note: dict[str, Any] | None,
        rule: dict[str, Any],
        unit: str | None,
    ) -> str:
        """What was measured on one failing record, in its unit or in words."""
        calendar = rule["calendar"]
        if note and note.get("problem") in ("late", "missing", "out of order"):
            step = note.get("step") or ""
            over = note.get("over_seconds")
            if note["problem"] == "out of order" or over is None:
                key = "missing_bare" if note["problem"] == "missing" else note["problem"]
                return _fmt(key, self.lang, step=step)
            return _fmt(
                note["problem"], self.lang, step=step, over=self._time(over, unit, calendar)
            )
        if note and note.get("problem") == "open at period end":
            elapsed = self._time(value, unit, calendar) if value is not None else "–"
            return _fmt("open at period end", self.lang, elapsed=elapsed)
        measure = rule["measure"]
        if value is None or measure in ("condition", "fresh", "manual", "per_1000"):
            return _fmt(measure, self.lang) if measure in PIECES else "–"
        if measure == "nps":
            return _fmt("nps_score", self.lang, v=plain(value))
        if unit in ("seconds", "business-seconds") or measure in ("duration", "sequence"):
            return self._time(value, unit, calendar)
        limit = self.threshold(rule["findings"][0])
        if float(value).is_integer():
            return plain(value)
        return number_text(value, limit["value"] if limit else None)

    def _time(self, seconds: float, unit: str | None, calendar: str | None) -> str:
        if unit == "business-seconds" or (unit is None and calendar):
            return business(seconds, calendar, self.lang)
        return duration(seconds, self.lang)


def parse_target(target: str, unit: str) -> dict[str, Any] | None:
    """A threshold from the target as written (``>= 90%``), for findings without one."""
    match = re.match(r"^\s*(>=|<=|==|>|<)?\s*(-?\d+(?:\.\d+)?)\s*(%?)\s*$", target or "")
    if not match:
        return None
    value = float(match.group(2))
    if match.group(3) or unit == "share":
        value = value / 100 if match.group(3) else value
    return {"op": match.group(1) or ">=", "value": value}
