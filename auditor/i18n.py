"""Report words in Chinese and English: labels, formulas, reasons, evidence kinds, verdicts.

A Chinese report gets Chinese words throughout: built-in reasons (exclusions,
quarantine classes, verdict reasons) are translated here, reasons a pack wrote
come from the document's ``reason_titles``. Figures are written by
:mod:`auditor.formatting` (``value_text``), the arithmetic sentence of a
finding by :mod:`auditor.findings.sentences`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .findings.contract import CellDays, FindingsDocument, Severity, Text, Verdict
from .formatting import NBSP, OPS
from .formatting import business as business
from .formatting import duration as duration
from .stats import Z_95_SHOWN

LANGUAGES = ("zh", "en")

LABELS: dict[str, dict[str, str]] = {
    "combined_title": {"zh": "多标准合并认证审核报告", "en": "Combined Certification Audit Report"},
    "combined_standards": {"zh": "本次审核依据的标准", "en": "Standards audited"},
    "combined_majors": {"zh": "严重不符合", "en": "Major nonconformities"},
    "combined_minors": {"zh": "一般不符合", "en": "Minor nonconformities"},
    "combined_not_evaluable": {"zh": "无法评价的规则", "en": "Rules not evaluable"},
    "combined_waived": {"zh": "已豁免的不符合", "en": "Waived nonconformities"},
    "combined_waived_as": {
        "zh": "(否则应为{verdict},{waiver})",
        "en": " (would be {verdict}, {waiver})",
    },
    "combined_recommendation": {
        "zh": "合并认证推荐意见",
        "en": "Combined certification recommendation",
    },
    "combined_rule": {
        "zh": "合并意见取各标准推荐意见中最不利的一项;各标准的依据见上表及其各自章节。",
        "en": "The combined recommendation is the least favourable of the standards' recommendations; "
        "each standard's reasons are in the table above and in its own section.",
    },
    "crosswalk": {"zh": "条款对照", "en": "Clause crosswalk"},
    "crosswalk_intro": {
        "zh": "下列要求由多个标准的规则共同覆盖(度量方法、证据类型、字段、筛选条件和目标均相同),每项只列一次,并给出其对应的各条款及结论。",
        "en": "Each requirement below is served by rules of several standards (the same measure, "
        "evidence kind, fields, filter and target); it is shown once, with every clause it serves "
        "and the verdict there.",
    },
    "crosswalk_none": {
        "zh": "所审核的标准之间没有共同的要求。",
        "en": "The standards audited share no requirement.",
    },
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
    "untimed_records": {
        "zh": "{kind}:{n} 条记录无时间,不在任何期间内,没有规则计入或排除它们",
        "en": "{kind}: {n} records have no time and so are in no period: no rule counts or excludes them",
    },
    "untimed_record": {
        "zh": "{kind}:1 条记录无时间,不在任何期间内,没有规则计入或排除它",
        "en": "{kind}: 1 record has no time and so is in no period: no rule counts or excludes it",
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
    "plans_pending": {
        "zh": "推荐认证,前提是纠正措施计划获得接受(本次审核判定的一般不符合项计划已接受 {accepted}/{total})",
        "en": "Recommended, subject to an accepted corrective-action plan ({accepted} of {total} plans accepted for the nonconformities this audit judged minor)",
    },
    "plans_accepted": {
        "zh": "推荐认证:本次审核判定的全部一般不符合项的纠正措施计划均已接受({total} 项)",
        "en": "Recommended: the corrective-action plans for all {total} nonconformities this audit judged minor are accepted",
    },
    "plans_raised": {
        "zh": "。本结论依据本次审核自身的判定;CAPA 登记册其后已将 {items} 作为再次发生的不符合项"
        "升为严重不符合项,按登记册的期限完成",
        "en": ". This decision rests on the findings of this audit; the CAPA register has since "
        "raised {items} to major as recurring, due by the date the register gives",
    },
    "withheld": {
        "zh": "不作推荐结论:以下条款缺少证据:{clauses}",
        "en": "No recommendation: evidence missing for clauses {clauses}",
    },
    "missing_evidence": {
        "zh": "因缺少证据无法评价的条款(不视为符合)",
        "en": "Clauses that could not be evaluated for lack of evidence (not counted as passes)",
    },
    "worst_gaps": {"zh": "主要差距", "en": "Worst gaps"},
    "worst_gaps_more": {
        "zh": "另有 {n} 项不符合和观察项未在此列出,见第 3 节“{section}”。",
        "en": "And {n} more nonconformities and observations: see section 3, {section}.",
    },
    "worst_gaps_more_one": {
        "zh": "另有 1 项不符合或观察项未在此列出,见第 3 节“{section}”。",
        "en": "And 1 more nonconformity or observation: see section 3, {section}.",
    },
    "clause_results": {"zh": "逐条款审核结果", "en": "Clause-by-clause results"},
    "group_results": {"zh": "各分组、各期结果", "en": "Results by group and period"},
    "bound_observation": {
        "zh": "结论为观察项而实际值达标的行:其 95% 置信区间越过目标(记录太少,尚不能确定达标)",
        "en": "A row graded an observation whose value meets the target: its 95 % interval "
        "reaches beyond the target (too few records to be sure it is met)",
    },
    "pooled_judged": {
        "zh": "本规则按全部记录的汇总值判定:下列各分组、各期结果仅供参考,不决定规则结论",
        "en": "This rule is judged on its pooled figure (all its records): the rows below are "
        "for reference and do not decide its verdict",
    },
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
    "pareto_caption_periods": {
        "zh": "每根柱计入该分组各期间的全部不符合记录,不论该期间的结论如何。",
        "en": "Each bar counts all a group's failing records, in every one of its periods "
        "whatever that period's verdict.",
    },
    "pareto_caption": {
        "zh": "每根柱计入该分组在 {period} 的全部不符合记录,不论其结论如何。",
        "en": "Each bar counts all a group's failing records in {period}, whatever its verdict.",
    },
    "pareto_outside_plan": {
        "zh": "{group}:纠正措施计划处理其 {total} 条不符合记录中的 {planned} 条;"
        "其余 {n} 条所在的期间不在计划内:{cells}。",
        "en": "{group}: the corrective-action plan deals with {planned} of its {total} failing "
        "records; the other {n} are in periods it does not deal with: {cells}.",
    },
    "pareto_outside_plan_all": {
        "zh": "{group}:纠正措施计划不处理其 {total} 条不符合记录,它们所在的期间不在计划内:{cells}。",
        "en": "{group}: the corrective-action plan deals with none of its {total} failing "
        "records; they are in periods it does not deal with: {cells}.",
    },
    "pareto_outside_cell": {
        "zh": "{period} 的 {n} 条({verdict},{figures})",
        "en": "{n} in {period} — {verdict}, {figures}",
    },
    "cumulative": {"zh": "累计占比", "en": "cumulative share"},
    "control_chart": {
        "zh": "控制图:各期数值与基准期 {baseline} 得出的控制限",
        "en": "Control chart: each point against limits from the baseline {baseline}",
    },
    "chart_value": {"zh": "数值", "en": "value"},
    "centre_line": {"zh": "中心线", "en": "centre line"},
    "limit_2sigma": {"zh": "2σ 界限", "en": "2σ limits"},
    "limit_3sigma": {"zh": "3σ 控制限", "en": "3σ limits"},
    "signal_points": {"zh": "判异点", "en": "signal points"},
    "other_groups": {"zh": "其他 {n} 组", "en": "{n} other groups"},
    "failing_records": {"zh": "不符合记录", "en": "Failing records"},
    "failing_records_excerpt": {"zh": "不符合记录(节选)", "en": "Failing records (excerpt)"},
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
    "correction_text_cells": {
        "zh": "处理清单中的 {n} 条不符合记录(其 {cells} 个不符合期间)",
        "en": "Deal with the {n} failing records listed, in its {cells} nonconforming periods",
    },
    "correction_text_one": {
        "zh": "处理清单中的 1 条不符合记录",
        "en": "Deal with the failing record listed",
    },
    "correction_periods": {
        "zh": "补齐清单中 {n} 个没有记录的期间",
        "en": "Deal with the {n} periods listed that hold no record",
    },
    "correction_period_one": {
        "zh": "补齐清单中没有记录的期间",
        "en": "Deal with the period listed that holds no record",
    },
    "correction_figure": {
        "zh": "纠正差距分析所示的指标偏差",
        "en": "Correct the shortfall the gap analysis shows",
    },
    "root_cause": {"zh": "根本原因(由责任团队填写)", "en": "Root cause (for the team)"},
    "corrective_action": {"zh": "纠正措施", "en": "Corrective action"},
    "owner": {"zh": "责任岗位", "en": "Owner"},
    "due": {"zh": "完成期限", "en": "Due"},
    "tracked_as": {"zh": "登记册编号", "en": "tracked as"},
    # a CAPA register item's status, as the plan shows it (the register's own words in English)
    "register_status_open": {"zh": "待处理", "en": "open"},
    "register_status_planned": {"zh": "已制定计划", "en": "planned"},
    "register_status_accepted": {"zh": "计划已接受", "en": "accepted"},
    "register_status_implemented": {"zh": "已实施", "en": "implemented"},
    "register_status_verified-effective": {"zh": "已验证有效", "en": "verified-effective"},
    "register_status_verified-ineffective": {"zh": "验证无效", "en": "verified-ineffective"},
    "audit_gave": {"zh": "审核:{value}", "en": "audit: {value}"},
    "plan_register_note": {
        "zh": "每项注明其在 CAPA 登记册中的编号。登记册的严重程度或完成期限与本次审核不同时(如再次发生的一般不符合项在登记册中升为严重),显示登记册的(团队据以执行),并注明审核给出的。每项注明其在登记册中的状态;团队已在登记册中填写根本原因、纠正或纠正措施(含责任岗位和完成期限)的,显示登记册的。",
        "en": "Each item names the CAPA register item it is tracked as. Where the register's severity or due date differs from this audit's (a recurring minor is major there), the register's is shown, as the team works to it, with the audit's below it. Each item shows its status in the register; the root cause, correction and actions (with their owners and due dates) are the register's where the team has recorded them there.",
    },
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
    "export_read": {
        "zh": "本次审核读取的是证据导出(auditor evidence export 生成的 {files} 个 Parquet 文件,见附录),未重新导入证据文件;上表各数目为导出清单所记录的数目。",
        "en": "This audit read an evidence export ({files} Parquet files written by auditor evidence export, listed in the appendix), not ingesting the evidence files again; the counts above are those the export's manifest records.",
    },
    "export_files": {
        "zh": "本次审核读取的证据导出文件",
        "en": "Evidence export files this audit read",
    },
    "export_made_from": {
        "zh": "导出所依据的原始证据文件(按导出清单记录,本次审核未读取)",
        "en": "Files the export was made from (as its manifest records them; not read by this audit)",
    },
    "rows": {"zh": "行数", "en": "Rows"},
    "kind": {"zh": "证据类型", "en": "Kind"},
    "rows_read": {"zh": "读取行数", "en": "Rows read"},
    "stored": {"zh": "入库", "en": "Stored"},
    "quarantined": {"zh": "隔离", "en": "Quarantined"},
    "mapping": {"zh": "字段映射", "en": "Mapping"},
    "columns": {"zh": "字段 ← 列", "en": "Field ← column"},
    "missing_texts": {"zh": "视为无值的文本", "en": "Texts read as no value"},
    "value_map": {"zh": "值映射", "en": "Value map"},
    "no_value": {"zh": "无值", "en": "no value"},
    "time_formats": {"zh": "时间格式", "en": "Time formats"},
    "mapping_zone": {"zh": "无时区时间按", "en": "Times without an offset in"},
    "mapping_dst": {"zh": "夏令时处理", "en": "DST rule"},
    "moved_dst": {
        "zh": "因夏令时调整而顺延的值",
        "en": "Values moved by a DST change",
    },
    "date_order": {"zh": "数字日期的日月顺序", "en": "Numeric dates read"},
    "sheet_read": {"zh": "读取的工作表", "en": "Sheet read"},
    "day-first": {"zh": "日在前", "en": "day-first"},
    "month-first": {"zh": "月在前", "en": "month-first"},
    "order_given": {"zh": "(映射文件指定)", "en": "(as the mapping gives)"},
    "order_settled_by": {
        "zh": "(依据第 {line} 行:{value})",
        "en": "(settled by line {line}: {value})",
    },
    "source_preset": {"zh": "预设", "en": "preset"},
    "source_mapping": {"zh": "映射文件", "en": "mapping file"},
    "source_sidecar": {"zh": "随附映射文件", "en": "sidecar file"},
    "source_auto": {"zh": "按列名自动识别", "en": "matched by column names"},
    "quarantine_reasons": {"zh": "隔离原因", "en": "Quarantine reasons"},
    "no_quarantine": {"zh": "没有隔离的行。", "en": "No row was quarantined."},
    "first_seen": {"zh": "首次隔离于", "en": "First quarantined at"},
    "first_seen_column": {"zh": "列", "en": "column"},
    "first_seen_value": {"zh": "值", "en": "value"},
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
    "holidays_library": {
        "zh": "{code} 的公共假日(holidays 库)全天休息,不设调休上班日",
        "en": "public holidays of {code} (the holidays library) closed all day, no make-up working days",
    },
    "extra_holidays": {"zh": "另休", "en": "also closed"},
    "holiday_years": {
        "zh": "节假日数据覆盖 {first}–{last} 年,审核期间涉及 {needed} 年:{status}",
        "en": "holiday data for {first} to {last}; the audit period needs {needed}: {status}",
    },
    "holiday_years_covered": {"zh": "均在覆盖范围内", "en": "covered"},
    "holiday_years_listed": {
        "zh": "超出范围的年份由审核包另列节假日",
        "en": "years beyond the set are listed in the pack",
    },
    "holiday_years_missing": {"zh": "部分年份不在覆盖范围内", "en": "not all covered"},
    "extra_workdays": {"zh": "另上班", "en": "also open"},
    "used_by": {"zh": "使用规则", "en": "used by"},
    "interval_method": {"zh": "统计方法", "en": "Statistical methods"},
    "interval_wilson": {
        "zh": "比率与每千件比率:Wilson 区间,置信水平 {confidence}",
        "en": "rates and rates per 1,000: Wilson interval, {confidence} confidence",
    },
    "interval_mean": {
        "zh": "均值:均值 ± t(0.975, n−1) s/√n(自由度 n−1 的 t 分布)",
        "en": "means: mean ± t(0.975, n−1) s/√n (Student's t, n−1 degrees of freedom)",
    },
    "percentile_method": {"zh": "百分位数:{method}", "en": "percentiles: {method}"},
    "timezone": {"zh": "时区:{zone}", "en": "time zone: {zone}"},
    "sampling": {"zh": "抽样说明", "en": "Sampling statement"},
    "manual_clauses": {"zh": "需审核员判断的条款", "en": "Clauses left to the auditor's judgement"},
    "status": {"zh": "状态", "en": "Status"},
    "interpretation": {"zh": "本项检查对条款的理解", "en": "How this rule reads its clause"},
    "not_covered_clauses": {
        "zh": "未设检查规则的可量化条款",
        "en": "Measurable clauses the pack does not check",
    },
    "not_covered_reason": {"zh": "原因", "en": "Reason"},
    "none": {"zh": "无", "en": "none"},
    "all_groups": {"zh": "全部", "en": "all"},
    #: a group of the records whose grouping field is empty
    "empty_group": {"zh": "（空）", "en": "(empty)"},
    #: a sub-period the audit period cut, with the days it holds: ``2010-W30 (1 Aug only)``
    "period_clipped": {"zh": "{period}（{days}）", "en": "{period} ({days})"},
    "one_day_only": {"zh": "仅 {day}", "en": "{day} only"},
    "day_in_month": {"zh": "{month}月{day}日", "en": "{day} {month_name}"},
    "day_in_year": {"zh": "{year}年{month}月{day}日", "en": "{day} {month_name} {year}"},
    "days_in_month": {"zh": "{month}月{first}日–{day}日", "en": "{first}–{day} {month_name}"},
    "conform": {"zh": "符合", "en": "conform"},
    "observation": {"zh": "观察项", "en": "observation"},
    "nonconform": {"zh": "不符合", "en": "nonconform"},
    "nonconform-major": {"zh": "严重不符合", "en": "major nonconformity"},
    "nonconform-minor": {"zh": "一般不符合", "en": "minor nonconformity"},
    "not-evaluable": {"zh": "无法评价", "en": "not evaluable"},
    "not-applicable": {"zh": "不适用", "en": "not applicable"},
    "waived": {"zh": "已豁免", "en": "waived"},
    "how_to_verify": {"zh": "如何复核本报告", "en": "How to verify this report"},
    "source_line": {"zh": "来源文件:行", "en": "file:line"},
    "how_to_verify_text": {
        "zh": "复核人员可用下列命令核对每个证据文件、规则包和标准的 SHA-256(见附录与下方),并用记录的参数重新计算全部发现项;任何不一致都会逐项列出。",
        "en": "A certifier can check the SHA-256 of every evidence file, the pack and the standard (listed in the appendix and below) and compute every finding again with the recorded parameters with the command below; any difference is named.",
    },
    "how_to_verify_export_text": {
        "zh": "复核人员可用下列命令核对本次审核读取的每个证据导出 Parquet 文件、规则包和标准的 SHA-256(见附录与下方),并用记录的参数从该导出重新计算全部发现项;任何不一致都会逐项列出。导出所依据的原始文件不在此核对之列(其 SHA-256 按导出清单列于附录)。",
        "en": "A certifier can check the SHA-256 of every Parquet file of the evidence export this audit read, the pack and the standard (listed in the appendix and below) and compute every finding again from the export with the recorded parameters with the command below; any difference is named. The files the export was made from are not checked (their SHA-256, as the export's manifest records it, is in the appendix).",
    },
    "verify_audit_dir": {
        "zh": "审核输出文件夹,即含 findings.json 的文件夹(审核生成的本报告也在其中)",
        "en": "the audit folder, the one holding findings.json (and this report, as the audit wrote it)",
    },
    "verify_evidence_dir": {
        "zh": "审核读取的证据文件夹(本次审核未记录其位置)",
        "en": "the evidence folder the audit read (this audit does not record it)",
    },
    "verify_recorded": {
        "zh": "复核时按审核记录的路径查找下列输入;路径按审核时的写法记录,相对于运行审核的文件夹,因此应在该文件夹下运行上述命令(审核输出文件夹位于其下时,在任何位置运行均可)。某项已移动时,用所示选项给出其新位置:",
        "en": "verify finds these inputs where the audit recorded them, as they were given, relative to the folder the audit was run in: run the command there (or anywhere, when the audit folder lies below it). Where one has moved, give its new place with the option shown:",
    },
    "evidence_folder": {"zh": "证据文件夹", "en": "Evidence folder"},
    "recheck_text": {
        "zh": "逐条复核:下列第一条命令列出一条记录的来源行、原始单元格和计算步骤;第二条按 ISO 2859-1 正常检验一次抽样方案抽取可重现的样本供人工复核,人工标注后由工具判定该批接收或拒收。",
        "en": "Record by record: the first command below shows one record's source line, raw cells and each step of its computation; the second draws a reproducible sample by an ISO 2859-1 single sampling plan for re-checking by hand, judged for acceptance with --judge once marked.",
    },
    "previous_title": {
        "zh": "上次审核({period})发现项的状态",
        "en": "Status of the previous audit's findings ({period})",
    },
    "before": {"zh": "上次", "en": "before"},
    "after": {"zh": "本次", "en": "now"},
    "change": {"zh": "变化", "en": "change"},
    "change_new": {"zh": "新增", "en": "new"},
    "change_resolved": {"zh": "已解决", "en": "resolved"},
    "change_recurring": {"zh": "再次发生", "en": "recurring"},
    "change_worsened": {"zh": "恶化", "en": "worsened"},
    "waived_title": {
        "zh": "已豁免的不符合项(豁免有效期内)",
        "en": "Waived nonconformities (waiver in force)",
    },
    "would_be": {"zh": "否则应为", "en": "would be"},
    "waiver": {"zh": "豁免", "en": "waiver"},
    "valid_until": {"zh": "有效期至", "en": "valid until"},
    "risk_low": {"zh": "低风险", "en": "low risk"},
    "risk_medium": {"zh": "中风险", "en": "medium risk"},
    "risk_high": {"zh": "高风险", "en": "high risk"},
    "major": {"zh": "严重", "en": "major"},
    "minor": {"zh": "一般", "en": "minor"},
    "judgement": {"zh": "由审核员判断", "en": "auditor's judgement"},
    "nearest rank": {"zh": "最近秩法", "en": "nearest rank"},
    "optional-field-missing": {
        "zh": "{file}({kind})缺少可选字段 {field} 的列,该文件的记录不计入以该字段判定的规则",
        "en": "{file} ({kind}) has no column for the optional field {field}; its records are left out of the rules that judge by it",
    },
    "timezone-differs": {
        "zh": "{file}({kind})的时间按 {zone} 读取,而规则包按 {pack_zone} 判定期间、营业时间和期限",
        "en": "{file} ({kind}): times are read in {zone}, but the pack judges periods, business hours and deadlines in {pack_zone}",
    },
    "columns-not-recorded": {
        "zh": "由早期版本导入的文件({n} 个:{files})未记录其所含的列:不会因文件缺少某列而排除任何记录",
        "en": "files ingested by an earlier version ({n}: {files}): which columns they had is not recorded; no record is excluded for a column its file lacked",
    },
    "evidence-gap-end": {
        "zh": "证据止于 {day}:{period} 的最后 {days} 天({first} 至 {last})没有任何规则所判定的记录{no_finding}",
        "en": "evidence ends {day}: the last {days} days of {period} ({first} to {last}) hold no record the rules judge{no_finding}",
    },
    "evidence-gap-start": {
        "zh": "证据始于 {day}:{period} 的最初 {days} 天({first} 至 {last})没有任何规则所判定的记录{no_finding}",
        "en": "evidence starts {day}: the first {days} days of {period} ({first} to {last}) hold no record the rules judge{no_finding}",
    },
    "gap_no_finding": {"zh": ";{periods} 无发现", "en": "; no finding for {periods}"},
    "kind-empty-in-period": {
        "zh": "{kind}:审核期间内无记录",
        "en": "{kind}: no record in the audit period",
    },
    "target_no-decline": {"zh": "不下降", "en": "no decline"},
    "target_improving": {"zh": "持续改善", "en": "improving"},
    "series_periods": {"zh": "各期数值", "en": "Value by period"},
    "base_value": {"zh": "所依据规则的值", "en": "Value of the rule followed"},
    "change_from_before": {"zh": "较上期变化", "en": "Change from the period before"},
    "interval_dispersion": {
        "zh": "分组一致性:比率用 皮尔逊卡方检验(不作连续性校正),均值用单因素方差分析 F 检验",
        "en": "consistency across groups: Pearson's chi-square for rates (no continuity correction), one-way ANOVA F for means",
    },
    "interval_trend": {
        "zh": "趋势:最小二乘斜率,95% 区间用自由度 m−2 的 t 分布",
        "en": "trends: least-squares slope, 95 % interval from the t distribution with m−2 degrees of freedom",
    },
    "xlsx_capped": {
        "zh": "“failing records”表只列出前 {cap} 行;完整清单见 {path}",
        "en": "The sheet 'failing records' lists only the first {cap} rows; the complete list is in {path}",
    },
    "xlsx_truncated": {
        "zh": "“failing records”表取自 findings.json 的清单,每个发现最多 {cap} 条记录(findings.json 旁没有本次审核的 failing-records.parquet);完整清单见 {path}",
        "en": "The sheet 'failing records' holds the lists of findings.json, at most {cap} records per finding (no failing-records.parquet of the audit beside findings.json); the complete list is in {path}",
    },
}

#: formulas a report shows when it needs them: by the units of its findings (share, wilson)
#: or a business calendar in use (business_time); each measure states its own (``formula``)
FORMULAS: dict[str, dict[str, str]] = {
    "share": {
        "zh": "比率 = 符合记录数 / n,n = 符合 + 不符合;待定(期末未到期)与排除的记录不计入 n;有待定记录时,另给出其结束后比率所在的范围:符合 / (n + 待定) 至 (符合 + 待定) / (n + 待定)。差额 = ⌈目标 × n⌉ − 符合记录数(精确分数运算)。",
        "en": "rate = conforming / n, n = conforming + breached; records pending at period end and excluded records are not in n; with records pending, the range the rate will lie in once they end is given too: conforming / (n + pending) to (conforming + pending) / (n + pending). shortfall = ⌈target × n⌉ − conforming (exact fractions).",
    },
    "wilson": {
        "zh": f"Wilson 区间:中心 (p + z²/2n)/(1 + z²/n),半宽 z/(1 + z²/n)·√(p(1−p)/n + z²/4n²),z = {Z_95_SHOWN}。",
        "en": f"Wilson interval: centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²), z = {Z_95_SHOWN}.",
    },
    "business_time": {
        "zh": "工作时间:只计日历的营业时间(见下文“工作日历”);暂停区间(如等待客户)予以扣除。",
        "en": "business time: only the calendar's opening hours count (see Calendars below); pause intervals (e.g. waiting for the customer) are subtracted.",
    },
}

SAMPLING = {
    "zh": "本审核检查了审核期间内导入的全部证据记录(非抽样)。置信区间用于说明比率的统计不确定性:比率达到目标但 95% 区间下限低于目标时,记为观察项;目标为 100% 的规则为逐条检查:其区间照常列出,但不参与判定。",
    "en": "This audit examined every evidence record ingested for the audit period (not a sample). Confidence intervals express the statistical uncertainty of a rate: a rate that meets its target while the lower 95 % bound does not is an observation; rules with a 100 % target check every record: their interval is shown but takes no part in the verdict.",
}

# ------------------------------------------------------------ reasons

#: built-in reasons (exclusions, quarantine classes, file states) and their Chinese
REASONS_ZH: dict[str, str] = {
    "ends before it starts (data error)": "结束时间早于开始时间(数据错误)",
    "a pause of it ends before it starts (data error)": "其中一段暂停的结束时间早于开始时间(数据错误)",
    "answered not applicable": "检查结果为不适用",
    "no start time": "无开始时间",
    "score outside 0-10": "评分不在 0-10 之间",
    "duplicate key": "主键重复",
    "duplicate key; kept once": "主键重复,仅保留一条",
    "other item": "其他检查项",
    "empty timestamp": "时间为空",
    "header only: no rows": "仅有表头,无数据行",
    "the header repeated (a paged export?): not a record; remove the line": (
        "表头重复出现(分页导出?):不是记录;请删除该行"
    ),
    "contains NUL bytes": "含 NUL 字节",
    "contains NUL bytes (binary data or a damaged export)": "含 NUL 字节(二进制数据或导出文件损坏)",
    "line is JSON but not an object": "该行是 JSON 但不是对象",
    "already in the store (same path and SHA-256)": "已在证据库中(路径与 SHA-256 相同)",
    "meets the target but the 95 % confidence bound does not": "达到目标,但 95% 置信区间的边界未达到",
    "meets the target but one value gives no 95 % interval to confirm it": "达到目标,但仅有一个值,无 95% 置信区间可确认",
    "every answer was 'not applicable'": "所有检查结果均为不适用",
    "no customer id": "无客户编号",
    "no matter": "无事项类别",
    "no record time": "无记录时间",
    "no control-chart signal": "控制图无判异信号",
    "no judged records in the audit period": "审核期内无可判定记录",
    "the slope's 95 % interval lies wholly below 0": "斜率的 95% 区间整体低于 0",
    "the slope's 95 % interval does not lie wholly above 0": "斜率的 95% 区间并非整体高于 0",
    "the last period fell below the one before by more than noise": "末期较前一期的下降超过噪声",
    "the last period's change from the one before was not tested against noise": "末期较前一期的变化未与噪声比较",
}

#: patterns of built-in reasons with values in them, and their Chinese (``{name}`` = a group)
REASON_PATTERNS_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), zh)
    for p, zh in [
        (r"^(?P<f>[A-Za-z_]\w*): (?P<rest>.+)$", "{f}:{rest}"),
        (r"^no (?P<x>.+) step$", "无“{x}”步骤"),
        (r"^no column for (?P<f>\S+) in its file$", "所在文件没有 {f} 列"),
        (r"^no (?P<x>\S+)$", "无 {x}"),
        (
            r"^expected (?P<w>[\d,]+) columns as in the header, found (?P<n>[\d,]+)$",
            "列数与表头不符:应为 {w} 列,实为 {n} 列",
        ),
        # a row's value, then what is wrong with it (the reason counted has no value: see
        # ingest.reason_class)
        (
            r"^'(?P<v>.*)' (?:is )?(?P<rest>(?:not |does not |happens twice |too large ).+)$",
            "“{v}”{rest}",
        ),
        (r"^(?P<rest>.+); correct it in column (?P<c>.+)$", "{rest};请在列 {c} 中更正"),
        (
            r"^(?P<rest>.+); give format: for this column in the mapping$",
            "{rest};请在映射中给出该列的 format:",
        ),
        (
            r"^(?P<rest>.+): a totals row \((?P<w>.+) in its first cell\), not a record; "
            r"remove the line$",
            "{rest}:合计行(首列为“{w}”),不是记录;请删除该行",
        ),
        (
            r"^a totals row \((?P<w>.+) in its first cell\), not a record; remove the line$",
            "合计行(首列为“{w}”),不是记录;请删除该行",
        ),
        (
            r"^a totals row \((?P<w>.+) in column (?P<c>.+)\), not a record; remove the line$",
            "合计行(列 {c} 为“{w}”),不是记录;请删除该行",
        ),
        (r"^(?P<e>.+) (?:is|are) empty, (?P<n>.+) (?:is|are) not$", "{e} 为空,{n} 不为空"),
        (
            r"^(?P<rest>not a valid (?:time of day|date/time)): (?P<w>\S+) goes with a "
            r"12-hour time, whose hour is 0 to 12, not (?P<h>\d+)$",
            "{rest}:{w}须配 12 小时制时刻,小时为 0 至 12,而非 {h}",
        ),
        (
            r"^(?P<rest>not a valid (?:time of day|date/time)): (?P<w>\S+) \(.+, (?P<s>\S+)\) "
            r"does not go with hour (?P<h>\d+)$",
            "{rest}:{w}({s})与小时 {h} 不符",
        ),
        (
            r"^(?P<rest>not a valid date/time): (?P<w>\S+) is not the day of the week of "
            r"(?P<d>\S+), a \w+ \((?P<r>\S+)\)$",
            "{rest}:{d} 是{r},而非{w}",
        ),
        (r"^not a valid date/time$", "不是有效的日期时间"),
        (r"^not a valid time of day$", "不是有效的时刻"),
        (
            r"^not a valid date/time \(impossible day, month or hour\?\)$",
            "不是有效的日期时间(日、月或小时不存在?)",
        ),
        (r"^not a date/time in a known format$", "不是可识别格式的日期时间"),
        (r"^does not match the format (?P<f>.+)$", "不符合格式 {f}"),
        (
            r"^not one of (?P<a>.+?); did you mean '(?P<s>.*)'\?$",
            "不是允许值({a})之一;是否应为“{s}”?",
        ),
        (r"^not one of (?P<a>.+)$", "不是允许值({a})之一"),
        (r"^not a whole number$", "不是整数"),
        (r"^too large a whole number to store$", "整数过大,无法存储"),
        (r"^not a number$", "不是数字"),
        (r"^not a finite number$", "不是有限数值"),
        (r"^not yes/no .*$", "不是“是/否”值"),
        (r"^not a duration .*$", "不是时长(秒数或 时:分:秒)"),
        (r"^not a valid date$", "不是有效日期"),
        (
            r"^not a plausible Excel date serial .*$",
            "不是合理的 Excel 日期序号(1954-2119)",
        ),
        (
            r"^value is (?P<n>[\d,]+) characters long \(limit (?P<m>[\d,]+)\)$",
            "值长 {n} 个字符(上限 {m})",
        ),
        (r"^required field is empty$", "必填字段为空"),
        (
            r"^required field is empty \('(?P<v>.*)' is read as no value\)$",
            "必填字段为空(“{v}”按无值处理)",
        ),
        (r"^required field is mapped to no value$", "必填字段未映射到任何值"),
        (
            r"^does not exist in (?P<z>\S+) \(clocks jump forward\).*$",
            "在 {z} 时区不存在(夏令时拨快)",
        ),
        (
            r"^happens twice in (?P<z>\S+) \(clocks go back\).*$",
            "在 {z} 时区出现两次(夏令时拨慢)",
        ),
        (r"^unterminated quote starting on line (?P<n>[\d,]+).*$", "第 {n} 行开始的引号未闭合"),
        (r"^malformed CSV: .*$", "CSV 格式错误"),
        (r"^text is not valid (?P<e>\S+) .*$", "文本不是有效的 {e} 编码(文件混用多种编码?)"),
        (r"^not valid JSON: .*$", "不是有效的 JSON"),
        (
            r"^column (?P<c>.+) holds a formula whose value the workbook does not hold .*$",
            "列 {c} 为公式,工作簿中没有其计算结果(从未计算);请在 Excel 中打开并重新保存",
        ),
        (
            r"^optional field '(?P<f>.+)' has no column in this file \((?P<c>.+) absent\); .*$",
            "可选字段 {f} 在此文件中没有对应的列(缺少 {c}),该文件的记录不计入以该字段判定的规则",
        ),
        (
            r"^optional field '(?P<f>.+)' has no column in this file \(the (?P<m>.+) does not map it, "
            r"though the file has a column '(?P<c>.+)': .*$",
            "可选字段 {f} 未被映射({m} 未包含该字段),但文件中有列 {c}:请在自己的映射中加上该字段",
        ),
        (
            r"^optional field '(?P<f>.+)' has no column in this file; .*$",
            "可选字段 {f} 在此文件中没有对应的列,该文件的记录不计入以该字段判定的规则",
        ),
        (
            r"^no date has a day over 12 to tell the order, .*$",
            "没有日大于 12 的日期可判断日月顺序,带上午/下午的日期按月在前(MM/DD/YYYY hh:mm AM/PM)读取;如为日在前,请在映射中给出 format",
        ),
        (r"^below (?P<p>.+), so major$", "低于 {p},故为严重"),
        (r"^rule (?P<r>\S+) could not be judged$", "所依据的规则 {r} 无法评价"),
        (
            r"^(?P<n>[\d,]+) groups of (?P<f>\S+) could be judged, fewer than (?P<m>[\d,]+)$",
            "{f} 仅 {n} 个分组可评价,少于 {m} 个",
        ),
        (
            r"^rule (?P<r>\S+) could be judged in (?P<n>[\d,]+) periods, fewer than (?P<m>[\d,]+)$",
            "规则 {r} 仅在 {n} 个期间可评价,少于 {m} 个",
        ),
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
            r"^(?P<n>[\d,]+) records? still open at the period end (?:is|are) not in the rate: "
            r"once (?:it ends|they end), the rate will lie between (?P<lo>.+) and (?P<hi>.+), "
            r"and the verdict may change$",
            "期末仍未结束的 {n} 条记录未计入比率:待其结束后,比率将介于 {lo} 与 {hi} 之间,结论可能改变",
        ),
        (
            r"^(?P<n>[\d,]+) records? still open at the period end (?:is|are) not in the rate: "
            r"once (?:it ends|they end), the rate will lie between (?P<lo>.+) and (?P<hi>.+)$",
            "期末仍未结束的 {n} 条记录未计入比率:待其结束后,比率将介于 {lo} 与 {hi} 之间",
        ),
        (
            r"^(?P<n>[\d,]+) records? in the rate, fewer than the minimum of (?P<m>[\d,]+)$",
            "计入比率的记录仅 {n} 条,少于最低要求 {m} 条",
        ),
        (
            r"^(?P<n>[\d,]+) values?, fewer than the minimum of (?P<m>[\d,]+)$",
            "仅 {n} 个值,少于最低要求 {m} 个",
        ),
        (r"^no evidence of kind (?P<k>.+) was ingested$", "未导入 {k} 类证据"),
        (
            r"^drifting since (?P<d>\S+): rule 1, .*\((?P<days>.+)\)$",
            "自 {d} 起出现偏移:判异准则 1,一点超出 3σ 控制限({days})",
        ),
        (
            r"^drifting since (?P<d>\S+): rule 2, .*\((?P<days>.+)\)$",
            "自 {d} 起出现偏移:判异准则 2,连续 3 点中有 2 点在同侧超出 2σ({days})",
        ),
        (
            r"^drifting since (?P<d>\S+): rule 3, .*\((?P<days>.+)\)$",
            "自 {d} 起出现偏移:判异准则 3,连续 8 点位于中心线同侧({days})",
        ),
        (
            r"^the baseline (?P<p>\S+) has (?P<n>[\d,]+) judged records, "
            r"fewer than the minimum of (?P<m>[\d,]+)$",
            "基准期 {p} 仅有 {n} 条可判定记录,少于最低要求 {m} 条",
        ),
        (
            r"^the baseline (?P<p>\S+) ends after the audit period (?P<a>\S+): "
            r"its limits come in part from later records$",
            "基准期 {p} 结束于审核期 {a} 之后:控制限部分来自其后的记录",
        ),
        (
            r"^no file the (?P<n>[\d,]+) (?P<k>\S+) records in scope come from has a column for "
            r"'(?P<f>.+?)' \((?P<files>.+)\)$",
            "范围内 {n} 条 {k} 记录所在的文件均没有字段 {f} 的列({files})",
        ),
        (
            r"^field '(?P<f>.+)' is empty in all (?P<n>[\d,]+) (?P<k>\S+) records in scope$",
            "范围内全部 {n} 条 {k} 记录的字段 {f} 均为空",
        ),
        (
            r"^no (?P<k>\S+) evidence was ingested, so durations are not net of pauses$",
            "未导入 {k} 证据,时长未扣除暂停时间",
        ),
        (
            r"^step '(?P<v>.+)' never occurs in (?P<c>\S+); closest: (?P<m>.+)$",
            "步骤“{v}”在 {c} 中从未出现;最接近的值:{m}",
        ),
        (
            r"^step '(?P<v>.+)' never occurs in (?P<c>\S+); no value there is close$",
            "步骤“{v}”在 {c} 中从未出现,也没有相近的值",
        ),
        (
            r"^value '(?P<v>.+)' never occurs in (?P<c>\S+); closest: (?P<m>.+)$",
            "值“{v}”在 {c} 中从未出现;最接近的值:{m}",
        ),
        (
            r"^value '(?P<v>.+)' never occurs in (?P<c>\S+); no value there is close$",
            "值“{v}”在 {c} 中从未出现,也没有相近的值",
        ),
    ]
]


def translate_reason(
    text: str, lang: str, titles: Mapping[str, Text | Mapping[str, str]] | None = None
) -> str:
    """A reason in the report's language: the pack's own title, a built-in translation or as given."""
    if titles and text in titles:
        return in_language(titles[text], lang) or text
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


def in_language(pair: Text | Mapping[str, str] | str | None, lang: str) -> str:
    """The ``lang`` text of a {zh, en} pair; plain text as it is."""
    if isinstance(pair, Text):
        return pair.zh if lang == "zh" else pair.en
    if isinstance(pair, Mapping):
        return str(pair.get(lang) or "")
    return "" if pair is None else str(pair)


@dataclass(frozen=True)
class Words:
    """Everything a report says, in one language, knowing the pack's reason and kind titles."""

    lang: str
    reason_titles: Mapping[str, Text] = field(default_factory=dict)
    kind_titles: Mapping[str, Text] = field(default_factory=dict)

    @classmethod
    def of(cls, document: FindingsDocument, lang: str) -> Words:
        kinds = {kind.kind: kind.title for kind in document.summary.kinds}
        return cls(lang, document.reason_titles, kinds)

    def label(self, key: str, **values: Any) -> str:
        entry = LABELS.get(key)
        text = key if entry is None else entry[self.lang]
        return text.format(**values) if values else text

    def text(self, pair: Text | str | None) -> str:
        """The report's language from a {zh, en} pair (plain text as it is)."""
        return in_language(pair, self.lang)

    def reason(self, text: str) -> str:
        shown = translate_reason(text, self.lang, self.reason_titles)
        return re.sub(r"(>=|<=)\s*", lambda m: OPS[m.group(1)] + NBSP, shown)

    def kind(self, name: str) -> str:
        title = self.kind_titles.get(name)
        return self.text(title) if title else name

    def verdict(self, verdict: Verdict | str, severity: Severity | str | None = None) -> str:
        if verdict == Verdict.NONCONFORM and severity:
            return self.label(f"{Verdict.NONCONFORM}-{severity}")
        return self.label(verdict)

    def group(self, group: Mapping[str, Any]) -> str:
        """A group's fields and values, ``priority=0 · type=IN``: each field named, as the
        finding ids and failing-records.csv name them (a bare ``0`` or ``IN`` says nothing of
        what was grouped); ``all`` for the pooled finding."""
        return " · ".join(
            f"{k}: {self.label('empty_group')}" if v is None else f"{k}={v}"
            for k, v in group.items()
        ) or self.label("all_groups")

    def period(self, label: str, days: CellDays | None) -> str:
        """A finding's period; a sub-period the audit period cut with the days it holds:
        ``2010-W30 (1 Aug only)``, ``2010-W35 (30–31 Aug)``."""
        if days is None or not days.clipped:
            return label
        return self.label("period_clipped", period=label, days=self.days(days.first, days.last))

    def days(self, first: str, last: str) -> str:
        """Days from ``first`` to ``last`` (ISO dates), as short as they stay clear:
        ``1 Aug only``, ``30–31 Aug``, ``26 Jul–1 Aug``, ``30 Dec 2009–3 Jan 2010``."""
        start, end = date.fromisoformat(first), date.fromisoformat(last)
        if start == end:
            return self.label("one_day_only", day=self._day(end, "day_in_month"))
        if (start.year, start.month) == (end.year, end.month):
            return self._day(end, "days_in_month", first=start.day)
        form = "day_in_month" if start.year == end.year else "day_in_year"
        return f"{self._day(start, form)}–{self._day(end, form)}"

    def _day(self, day: date, form: str, **more: Any) -> str:
        month_name = MONTH_NAMES[day.month - 1]
        return self.label(
            form, day=day.day, month=day.month, month_name=month_name, year=day.year, **more
        )

    def join(self, items: Iterable[str]) -> str:
        """Items of a list in a sentence: ``a、b`` or ``a, b``."""
        return ("、" if self.lang == "zh" else ", ").join(items)


#: English month names as a date in a report gives them (``1 Aug``)
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
