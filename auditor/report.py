"""Reports from findings.json: HTML and PDF from one Jinja2 template, the CAPA registers.

Everything is rendered from the findings document alone, so
``auditor report render findings.json`` re-renders without re-evaluating.
The complete list of failing records, ``failing-records.csv``, is the
audit's own output; the report cites it with its SHA-256.
"""

from __future__ import annotations

import csv
import heapq
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2

from . import charts, i18n
from .errors import AuditorError
from .i18n import Words

FORMATS = ("html", "pdf", "json", "csv", "xlsx")
FAILING_IN_REPORT = 10
#: data rows of the xlsx failing-records sheet, safely below Excel's 1,048,576 rows
XLSX_FAILING_ROWS = 1_000_000
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
SEVERITY_ORDER = {"nonconform-major": 9, "nonconform-minor": 8, "observation": 7}
CAPA_HEADER = [
    "number",
    "finding",
    "rule",
    "clause",
    "severity",
    "value",
    "target",
    "correction",
    "root_cause",
    "action",
    "owner",
    "due",
    "effectiveness",
    "failing_count",
    "status",
]
CAPA_WIDTHS = (10, 32, 18, 8, 8, 12, 10, 24, 28, 40, 24, 11, 40, 8, 8)
FAILING_HEADER = ["rule", "finding", "key", "group", "period", "value", "unit", "measured"]


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def duration_text(seconds: float, lang: str = "en") -> str:
    """A length of time as people read it: 66 s, 12 min 5 s, 5 h 3 min, 60 d 12 h."""
    return i18n.duration(seconds, lang)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("auditor", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v: f"{v:,}" if isinstance(v, int) else v
    return env


def _clause_key(clause: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", clause))


@dataclass
class Options:
    lang: str
    report_date: date
    organisation: str | None = None
    auditor: str | None = None


def _issue_date(document: dict[str, Any], given: date | None) -> date:
    if given is not None:
        return given
    return datetime.fromisoformat(document["generated_at"]).date()


def words_for(document: dict[str, Any], lang: str) -> Words:
    """The report's words, knowing the pack's reason titles and evidence kind titles."""
    kinds = {k["kind"]: k["title"] for k in document["summary"]["kinds"]}
    return Words(lang, document["reason_titles"], kinds)


def build_context(document: dict[str, Any], options: Options) -> dict[str, Any]:
    """Everything the template shows, worked out from the findings document."""
    words = words_for(document, options.lang)
    rules = document["rules"]
    gaps = sorted(
        (r for r in rules if r["verdict"] in ("nonconform", "observation")),
        key=lambda r: (-_level(r), _clause_key(r["clause"]), r["rule"]),
    )
    gap_ids = {r["rule"] for r in gaps}
    ordered = sorted(rules, key=lambda r: (_clause_key(r["clause"]), r["rule"]))
    return {
        "lang": options.lang,
        "w": words,
        "L": words.label,
        **_cover(document, options, words),
        "verdict_counts": _verdict_counts(rules),
        "recommendation": _recommendation(document, words),
        "worst_gaps": [{"rule": r, "sentence": _deciding_sentence(r, words)} for r in gaps[:5]],
        "clause_rows": [_clause_row(rule, words) for rule in ordered],
        "group_tables": [
            {"rule": rule, "rows": _group_rows(rule, words)}
            for rule in ordered
            if len(rule["findings"]) > 1 and rule["rule"] not in gap_ids
        ],
        "gaps": [_gap(rule, words, document["failing_records"]) for rule in gaps],
        "capa": _capa_items(document, options, words),
        **_appendix(document, words),
        **_method(document, words),
    }


def _level(rule: dict[str, Any]) -> int:
    if rule["verdict"] == "nonconform":
        return {"major": 3, "minor": 2}.get(rule["verdict_severity"] or "", 2)
    return 1 if rule["verdict"] == "observation" else 0


def _verdict_counts(rules: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for rule in rules:
        key = rule["verdict"]
        if key == "nonconform":
            key = f"nonconform-{rule['verdict_severity']}"
        counts[key] += 1
    return dict(sorted(counts.items(), key=lambda kv: -SEVERITY_ORDER.get(kv[0], 0)))


def _cover(document: dict[str, Any], options: Options, words: Words) -> dict[str, Any]:
    manifest = document["manifest"]
    params = manifest["parameters"]
    rules = document["rules"]
    sites = sorted(
        {str(f["group"]["site"]) for r in rules for f in r["findings"] if "site" in f["group"]}
    )
    pack_title = manifest["pack"]["title"]
    return {
        "title": words.label("report_title", standard=words.text(manifest["standard"]["title"])),
        "pack_title": words.text(pack_title) if pack_title else None,
        "organisation": options.organisation
        or params.get("organisation")
        or words.label("not_given"),
        "auditor": options.auditor or params.get("auditor") or words.label("not_given"),
        "sites": sites,
        "manifest": manifest,
        "period": params["period"],
        "issue_date": options.report_date.isoformat(),
        "summary": document["summary"],
        "kinds": [_kind_row(k, words) for k in document["summary"]["kinds"]],
        "empty_kinds": _empty_kinds(document["summary"], words),
        "warnings": [_warning(w, words) for w in document["summary"]["warnings"]],
    }


def _empty_kinds(summary: dict[str, Any], words: Words) -> list[str]:
    """Kinds with no record in the period that no warning already names."""
    warned = {w.get("kind") for w in summary["warnings"] if w.get("code") == "kind-empty-in-period"}
    return [
        words.text(k["title"])
        for k in summary["kinds"]
        if k["in_period"] == 0 and k["kind"] not in warned
    ]


def _kind_row(kind: dict[str, Any], words: Words) -> dict[str, Any]:
    return {
        "kind": kind["kind"],
        "title": words.text(kind["title"]),
        "files": kind["files"],
        "rows_read": kind["rows_read"],
        "stored": kind["stored"],
        "quarantined": kind["quarantined"],
        "in_period": kind["in_period"],
        "empty": kind["in_period"] == 0,
    }


def _warning(warning: dict[str, Any], words: Words) -> str:
    code = warning.get("code", "")
    values = {k: v for k, v in warning.items() if k != "code"}
    if "kind" in values:
        values["kind"] = words.kind(str(values["kind"]))
    if code in i18n.LABELS:
        try:
            return words.label(code, **values)
        except KeyError:
            pass
    return words.reason(" ".join(str(v) for v in warning.values()))


def _recommendation(document: dict[str, Any], words: Words) -> dict[str, Any]:
    """The certification recommendation as the audit decided it, with the clauses lacking evidence."""
    stated = document["summary"]["recommendation"]
    by_rule = {r["rule"]: r for r in document["rules"]}
    missing = []
    for item in stated["not_evaluable"]:
        rule = by_rule.get(item["rule"])
        pooled = rule["findings"][0] if rule else None
        reason = (
            words.not_evaluable(pooled)
            if pooled is not None and pooled.get("not_evaluable")
            else words.reason(item["reason"])
        )
        title = words.text(rule["clause_title"]) if rule and rule.get("clause_title") else ""
        missing.append(
            {
                "clause": item["clause"],
                "clause_title": title,
                "rule": item["rule"],
                "reason": reason,
            }
        )
    decision = stated["decision"]
    if decision == "withheld":
        clauses = i18n.PIECES["list"][words.lang].join(
            dict.fromkeys(f"{m['clause']} ({m['reason']})" for m in missing)
        )
        text = words.label("withheld", clauses=clauses)
    else:
        text = words.label(decision)
    return {"decision": decision, "text": text, "missing": missing}


def _deciding_sentence(rule: dict[str, Any], words: Words) -> str:
    decisive = _decisive(rule)
    if decisive is rule["findings"][0]:
        return words.sentence(decisive, rule)
    return words.decided(decisive, rule)


def _clause_row(rule: dict[str, Any], words: Words) -> dict[str, Any]:
    pooled = rule["findings"][0]
    decisive = _decisive(rule)
    return {
        "decided": words.decided(decisive, rule) if decisive is not pooled else None,
        "rule": rule,
        "finding": pooled,
        "value": words.value(pooled, rule),
        "target": words.target(pooled, rule),
        "sentence": words.sentence(pooled, rule),
    }


def _group_rows(rule: dict[str, Any], words: Words) -> list[dict[str, Any]]:
    """Every group and period finding of a rule: value, arithmetic, interval, n and verdict."""
    return [
        {
            "finding": f,
            "group": words.group(f["group"]),
            "period": f["period"],
            "value": words.value(f, rule),
            "figures": words.figures(f, rule),
            "interval": words.interval(f, rule),
            "verdict": words.verdict(f["verdict"], f["severity"]),
        }
        for f in rule["findings"][1:]
    ]


def _decisive(rule: dict[str, Any]) -> dict[str, Any]:
    pooled = rule["findings"][0]
    if rule["judge"] != "each-group":
        return pooled
    bad = [
        f
        for f in rule["findings"]
        if f["verdict"] == rule["verdict"] and f["severity"] == rule["verdict_severity"]
    ]
    return bad[0] if bad else pooled


def _gap(rule: dict[str, Any], words: Words, failing_file: dict[str, Any] | None) -> dict[str, Any]:
    pooled = rule["findings"][0]
    decisive = _decisive(rule)
    excerpt = heapq.nsmallest(
        FAILING_IN_REPORT, _failing_rows(rule), key=lambda r: (r["key"], r["finding"])
    )
    for row in excerpt:
        row["measured"] = words.failing(row["value"], row["note"], rule, rule["failing_unit"])
    return {
        "rule": rule,
        "pooled": pooled,
        "pooled_sentence": words.sentence(pooled, rule),
        "decisive": decisive,
        "decisive_sentence": words.sentence(decisive, rule),
        "trend": _trend(rule, words),
        "pareto": _pareto(rule, words),
        "groups": _group_rows(rule, words),
        "failing": [{**row, "where": words.group(row["group_values"])} for row in excerpt],
        "failing_total": pooled["failing_count"],
        "failing_file": failing_file,
    }


def _trend(rule: dict[str, Any], words: Words) -> str | None:
    """Each group's value by sub-period, when at least two sub-periods have one."""
    pooled = rule["findings"][0]
    cells = [
        f
        for f in rule["findings"][1:]
        if f["period"] != pooled["period"] and f["value"] is not None
    ]
    if len({f["period"] for f in cells}) < 2:
        return None
    scale, y_label = 1.0, ""
    if pooled["unit"] in ("seconds", "business-seconds"):
        scale, y_label = 3600.0, words.label(f"hours_{pooled['unit']}")
    series: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
    for f in cells:
        series[words.group(f["group"])].append((f["period"], f["value"] / scale))
    limit = words.threshold(pooled)
    return charts.trend_svg(
        dict(series),
        limit["value"] / scale if limit else None,
        pooled["unit"] == "share",
        words.label("trend"),
        words.label("target"),
        y_label,
    )


def _pareto(rule: dict[str, Any], words: Words) -> str | None:
    """Failures by group (summed over sub-periods when groups exist only per period)."""
    pooled = rule["findings"][0]
    if pooled["unit"] != "share":
        return None
    cells = [f for f in rule["findings"][1:] if f["group"]]
    whole = [f for f in cells if f["period"] == pooled["period"]]
    totals: dict[str, int] = defaultdict(int)
    for f in whole or cells:
        totals[words.group(f["group"])] += f["counts"]["breached"]
    if len(charts.pareto_bars(list(totals.items()), "")) < 2:
        return None
    return charts.pareto_svg(
        list(totals.items()),
        words.label("pareto"),
        words.label("count"),
        words.label("cumulative"),
        words.label("other_groups"),
    )


def _failing_rows(rule: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Failing records with the group and period they belong to (from the finest findings)."""
    findings = rule["findings"]
    finest = (
        [f for f in findings[1:] if f["period"] != findings[0]["period"]]
        or findings[1:]
        or findings[:1]
    )
    for f in finest:
        group = ", ".join(f"{k}={v}" for k, v in f["group"].items())
        values = f.get("failing_values") or [None] * len(f["failing"])
        notes = f["failing_notes"] or [None] * len(f["failing"])
        for key, value, note in zip(f["failing"], values, notes, strict=False):
            yield {
                "rule": rule["rule"],
                "finding": f["id"],
                "key": key,
                "group": group,
                "group_values": f["group"],
                "period": f["period"],
                "value": value,
                "note": note,
            }


def _capa_items(document: dict[str, Any], options: Options, words: Words) -> list[dict[str, Any]]:
    due_defaults = document["manifest"]["parameters"]["due_days"]
    items = []
    for number, rule in enumerate(r for r in document["rules"] if r["verdict"] == "nonconform"):
        severity = rule["verdict_severity"] or rule["severity"]
        days = min(rule["capa"]["due_days"], due_defaults.get(severity, rule["capa"]["due_days"]))
        decisive = _decisive(rule)
        items.append(
            {
                "number": f"CAPA-{number + 1:03d}",
                "finding": decisive["id"],
                "rule": rule["rule"],
                "clause": rule["clause"],
                "severity": severity,
                "value": words.value(decisive, rule),
                "target": words.target(decisive, rule),
                "correction": words.label("correction_text", n=f"{decisive['failing_count']:,}"),
                "root_cause": "",
                "action": words.text(rule["capa"]["action"]),
                "owner": words.text(rule["capa"]["owner"]),
                "due": (options.report_date + timedelta(days=days)).isoformat(),
                "effectiveness": words.label("effectiveness_text", days=30),
                "failing_count": decisive["failing_count"],
                "status": "open",
            }
        )
    return items


# ------------------------------------------------------------ appendix and method


def _appendix(document: dict[str, Any], words: Words) -> dict[str, Any]:
    files = document["manifest"]["evidence"]
    failing = document["failing_records"]
    return {
        "evidence": [_evidence_row(f, words) for f in files],
        "quarantine": [
            {"file": f["file"], "reason": words.reason(reason), "count": count}
            for f in files
            for reason, count in f["quarantine_reasons"].items()
        ],
        "exclusions": [
            {"rule": e["rule"], "reason": words.reason(e["reason"]), "count": e["count"]}
            for e in document["exclusions"]
        ],
        "failing_file": failing,
    }


def _evidence_row(file: dict[str, Any], words: Words) -> dict[str, Any]:
    mapping = file["mapping"]
    shown = None
    if mapping:
        shown = {
            "name": mapping.get("name"),
            "code": mapping["source"],
            "source": words.label(f"source_{mapping['source']}"),
            "path": mapping.get("path"),
            "sha256": mapping.get("sha256"),
            "columns": sorted((mapping.get("columns") or {}).items()),
        }
    return {
        "file": file["file"],
        "kind": words.kind(file["kind"]) if file.get("kind") else "",
        "sha256": file["sha256"],
        "rows_read": file["rows_read"],
        "stored": file["stored"],
        "quarantined": file["quarantined"],
        "mapping": shown,
        "warnings": [words.reason(w) for w in file.get("warnings") or []],
    }


def _method(document: dict[str, Any], words: Words) -> dict[str, Any]:
    params = document["manifest"]["parameters"]
    rules = document["rules"]
    measures = {r["measure"] for r in rules}
    units = {f["unit"] for r in rules for f in r["findings"]}
    used = {r["calendar"] for r in rules if r["calendar"]}
    topics = [
        ("share", "share" in units),
        ("wilson", bool(units & {"share", "per_1000"})),
        ("mean", "mean" in measures),
        ("percentile", "percentile" in measures),
        ("nps", "nps" in measures),
        ("per_1000", "per_1000" in measures),
        ("sequence", "sequence" in measures),
        ("business_time", bool(used)),
        ("open_at_end", "duration" in measures),
    ]
    stats = [words.label("timezone", zone=params["timezone"])]
    if units & {"share", "per_1000"}:
        confidence = f"{round(params['interval']['confidence'] * 100)}%"
        stats.insert(0, words.label("interval_wilson", confidence=confidence))
    if "mean" in measures:
        stats.insert(-1, words.label("interval_mean"))
    if "percentile" in measures:
        method = words.label(params["percentile_method"])
        stats.insert(-1, words.label("percentile_method", method=method))
    return {
        "formulas": [i18n.FORMULAS[t][words.lang] for t, wanted in topics if wanted],
        "calendars": _calendars(params["calendars"], used, rules, words),
        "stats": stats,
        "sampling": i18n.SAMPLING[words.lang],
        "judgement": [c for c in document["coverage"] if c["assessment"] == "judgement"],
    }


def _calendars(
    calendars: dict[str, Any], used: set[str], rules: list[dict[str, Any]], words: Words
) -> list[dict[str, Any]]:
    """The calendars the rules count in, described as they are (holidays only when they have some)."""
    days = {
        "zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
        "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    }
    out = []
    for name in sorted(used):
        cal = calendars[name]
        hours = []
        for day, windows in sorted(cal["hours"].items(), key=lambda kv: int(kv[0])):
            spans = ", ".join(
                f"{a // 3600:02d}:{a % 3600 // 60:02d}-{b // 3600:02d}:{b % 3600 // 60:02d}"
                for a, b in windows
            )
            hours.append(f"{days[words.lang][int(day)]} {spans}")
        holidays = cal["holidays"]
        known = f"holidays_{holidays}" in i18n.LABELS
        out.append(
            {
                "name": name,
                "hours": "; ".join(hours),
                "holidays": words.label(f"holidays_{holidays}") if known else holidays,
                "extra_holidays": cal["extra_holidays"],
                "extra_workdays": cal["extra_workdays"],
                "rules": [r["rule"] for r in rules if r["calendar"] == name],
            }
        )
    return out


# ------------------------------------------------------------ writing


def render_html(document: dict[str, Any], options: Options) -> str:
    context = build_context(document, options)
    return _environment().get_template("report.html.j2").render(**context)


def write_pdf(html: str, path: Path) -> None:
    from weasyprint import HTML

    HTML(string=html, base_url=str(path.parent)).write_pdf(path)


def write_capa_csv(items: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CAPA_HEADER)
        for item in items:
            writer.writerow([neutralise(item[h]) for h in CAPA_HEADER])


def failing_sheet_rows(document: dict[str, Any], words: Words) -> Iterator[list[Any]]:
    """The failing records findings.json lists, one row each, the measured value in words."""
    for rule in document["rules"]:
        for row in _failing_rows(rule):
            value = row["value"]
            yield [
                row["rule"],
                row["finding"],
                row["key"],
                row["group"],
                row["period"],
                "" if value is None else value,
                rule["failing_unit"] or "",
                words.failing(value, row["note"], rule, rule["failing_unit"]),
            ]


def _failing_note(document: dict[str, Any], words: Words, capped: bool) -> str | None:
    """The last row of the sheet when it does not hold every failing record."""
    failing_file = document["failing_records"]
    path = failing_file["path"] if failing_file else "failing-records.csv"
    if capped:
        return words.label("xlsx_capped", cap=f"{XLSX_FAILING_ROWS:,}", path=path)
    truncated = any(f["failing_truncated"] for r in document["rules"] for f in r["findings"])
    if truncated:
        cap = failing_file["cap_per_finding"] if failing_file else 10_000
        return words.label("xlsx_truncated", cap=f"{cap:,}", path=path)
    return None


def write_capa_xlsx(
    document: dict[str, Any], items: list[dict[str, Any]], words: Words, path: Path
) -> None:
    """capa.xlsx: the CAPA register and the failing records, within Excel's row limit."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("CAPA")
    for index, width in enumerate(CAPA_WIDTHS):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index + 1)].width = width
    sheet.append(CAPA_HEADER)
    for item in items:
        sheet.append([neutralise(item[h]) for h in CAPA_HEADER])
    records = book.create_sheet("failing records")
    for letter, width in zip("ABCDEFGH", (18, 34, 16, 16, 10, 12, 16, 40), strict=True):
        records.column_dimensions[letter].width = width
    records.append(FAILING_HEADER)
    capped = False
    for written, cells in enumerate(failing_sheet_rows(document, words)):
        if written >= XLSX_FAILING_ROWS:
            capped = True
            break
        records.append([neutralise(c) for c in cells])
    note = _failing_note(document, words, capped)
    if note:
        records.append([note])
    book.save(path)


def render_reports(
    document: dict[str, Any],
    folder: str | Path,
    formats: tuple[str, ...] = ("html", "pdf", "csv", "xlsx"),
    lang: str | None = None,
    report_date: date | None = None,
    organisation: str | None = None,
    auditor: str | None = None,
) -> list[Path]:
    """Write the requested outputs for ``document`` into ``folder``; return the paths written.

    ``csv`` writes capa.csv; failing-records.csv is written by the audit itself.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise AuditorError(f"unknown report format '{unknown[0]}' (formats: {', '.join(FORMATS)})")
    language = lang or document["manifest"]["parameters"].get("language", "zh")
    if language not in i18n.LANGUAGES:
        raise AuditorError(f"unknown language '{language}' (zh or en)")
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    options = Options(language, _issue_date(document, report_date), organisation, auditor)
    written: list[Path] = []
    if "html" in formats or "pdf" in formats:
        html = render_html(document, options)
        if "html" in formats:
            (target / "report.html").write_text(html, encoding="utf-8")
            written.append(target / "report.html")
        if "pdf" in formats:
            write_pdf(html, target / "report.pdf")
            written.append(target / "report.pdf")
    if "csv" in formats or "xlsx" in formats:
        words = words_for(document, language)
        items = _capa_items(document, options, words)
        if "csv" in formats:
            write_capa_csv(items, target / "capa.csv")
            written.append(target / "capa.csv")
        if "xlsx" in formats:
            write_capa_xlsx(document, items, words, target / "capa.xlsx")
            written.append(target / "capa.xlsx")
    return written
