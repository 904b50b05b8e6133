"""Reports from findings.json: HTML and PDF from one Jinja2 template, CAPA and failing-record registers.

Everything is rendered from the findings document alone, so
``auditor report render findings.json`` re-renders without re-evaluating.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2

from . import charts, i18n
from .errors import AuditorError

FORMATS = ("html", "pdf", "json", "csv", "xlsx")
FAILING_IN_REPORT = 10
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("auditor", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = i18n.percent
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


def build_context(document: dict[str, Any], options: Options) -> dict[str, Any]:
    """Everything the template shows, worked out from the findings document."""
    lang = options.lang
    manifest = document["manifest"]
    params = manifest["parameters"]
    rules = document["rules"]
    level = {"major": 3, "minor": 2}
    nonconform = [r for r in rules if r["verdict"] == "nonconform"]
    majors = [r for r in nonconform if r["verdict_severity"] == "major"]
    if majors:
        recommendation = "rec_not"
    elif nonconform:
        recommendation = "rec_subject"
    else:
        recommendation = "rec_yes"
    counts: dict[str, int] = defaultdict(int)
    for rule in rules:
        key = (
            rule["verdict"]
            if rule["verdict"] != "nonconform"
            else f"nonconform-{rule['verdict_severity']}"
        )
        counts[key] += 1
    gaps = sorted(
        (r for r in rules if r["verdict"] in ("nonconform", "observation")),
        key=lambda r: (
            -level.get(r["verdict_severity"] or "", 1 if r["verdict"] == "observation" else 0),
            _clause_key(r["clause"]),
            r["rule"],
        ),
    )
    sites = sorted(
        {str(f["group"]["site"]) for r in rules for f in r["findings"] if "site" in f["group"]}
    )
    return {
        "lang": lang,
        "L": lambda key: i18n.label(key, lang),
        "verdict_label": lambda verdict, severity=None: i18n.verdict_label(verdict, severity, lang),
        "value_text": i18n.value_text,
        "text": lambda pair: pair[lang] if isinstance(pair, dict) else pair,
        "organisation": options.organisation
        or params.get("organisation")
        or i18n.label("not_given", lang),
        "auditor": options.auditor or params.get("auditor") or i18n.label("not_given", lang),
        "sites": sites,
        "manifest": manifest,
        "period": params["period"],
        "issue_date": options.report_date.isoformat(),
        "summary": document["summary"],
        "verdict_counts": dict(
            sorted(
                counts.items(),
                key=lambda kv: (
                    -{"nonconform-major": 9, "nonconform-minor": 8, "observation": 7}.get(kv[0], 0)
                ),
            )
        ),
        "recommendation": recommendation,
        "worst_gaps": gaps[:5],
        "not_evaluable": [r for r in rules if r["verdict"] == "not-evaluable"],
        "clause_rows": sorted(rules, key=lambda r: (_clause_key(r["clause"]), r["rule"])),
        "gaps": [_gap(rule, lang) for rule in gaps],
        "capa": _capa_items(document, options),
        "exclusions": _exclusion_summary(document["exclusions"]),
        "formulas": i18n.FORMULAS[lang],
        "sampling": i18n.SAMPLING[lang],
        "calendars": _calendars(params["calendars"], lang),
        "judgement": [c for c in document["coverage"] if c["assessment"] == "judgement"],
        "sentence": lambda finding: i18n.sentence(finding, lang),
        "decisive": _decisive,
        "measured": _measured,
    }


def _measured(row: dict[str, Any]) -> str:
    value = row["value"]
    if value is None:
        return ""
    if row["measure"] != "duration":
        return f"{value:.2f}"
    return duration_text(value)


def duration_text(seconds: float) -> str:
    """A length of time as people read it: 66 s, 12 min 5 s, 5 h 3 min, 60 d 12 h."""
    seconds = round(seconds)
    if abs(seconds) < 120:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 120:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


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


def _gap(rule: dict[str, Any], lang: str) -> dict[str, Any]:
    findings = rule["findings"]
    pooled = findings[0]
    decisive = _decisive(rule)
    cells = findings[1:]
    trend = None
    periods = sorted({f["period"] for f in cells if f["period"] != pooled["period"]})
    if len(periods) > 1:
        series: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
        for f in cells:
            if f["period"] == pooled["period"]:
                continue
            name = ", ".join(str(v) for v in f["group"].values()) or i18n.label("all_groups", lang)
            series[name].append((f["period"], f["value"]))
        target = _target_number(pooled)
        trend = charts.trend_svg(
            dict(series),
            target,
            pooled["unit"] == "share",
            i18n.label("trend", lang),
            i18n.label("target", lang),
        )
    pareto = None
    grouped = [f for f in cells if f["group"] and f["period"] == pooled["period"]]
    if not grouped:  # groups only exist per period: add the periods up
        totals: dict[str, int] = defaultdict(int)
        for f in cells:
            if f["group"]:
                totals[", ".join(str(v) for v in f["group"].values())] += f["counts"]["breached"]
        failures = list(totals.items())
    else:
        failures = [
            (", ".join(str(v) for v in f["group"].values()), f["counts"]["breached"])
            for f in grouped
        ]
    if len(failures) > 1 and sum(c for _, c in failures) > 0 and pooled["unit"] == "share":
        pareto = charts.pareto_svg(failures, i18n.label("pareto", lang), i18n.label("count", lang))
    return {
        "rule": rule,
        "pooled": pooled,
        "decisive": decisive,
        "trend": trend,
        "pareto": pareto,
        "failing": _failing_rows(rule)[:FAILING_IN_REPORT],
        "failing_total": pooled["failing_count"],
    }


def _target_number(finding: dict[str, Any]) -> float | None:
    match = re.search(r"(-?\d+(?:\.\d+)?)\s*(%?)", finding["target"])
    if not match:
        return None
    value = float(match.group(1))
    return value / 100 if match.group(2) else value


def _failing_rows(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """Failing records with the group and period they belong to (from the finest findings)."""
    findings = rule["findings"]
    finest = (
        [f for f in findings[1:] if f["period"] != findings[0]["period"]]
        or findings[1:]
        or findings[:1]
    )
    rows = []
    for f in finest:
        group = ", ".join(f"{k}={v}" for k, v in f["group"].items())
        for key, value in zip(
            f["failing"], f.get("failing_values") or [None] * len(f["failing"]), strict=False
        ):
            rows.append(
                {
                    "rule": rule["rule"],
                    "finding": f["id"],
                    "key": key,
                    "group": group,
                    "period": f["period"],
                    "value": value,
                    "measure": rule["measure"],
                }
            )
    rows.sort(key=lambda r: (r["key"], r["finding"]))
    return rows


def _capa_items(document: dict[str, Any], options: Options) -> list[dict[str, Any]]:
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
                "correction": i18n.label("correction_text", options.lang),
                "root_cause": "",
                "action": rule["capa"]["action"][options.lang],
                "owner": rule["capa"]["owner"],
                "due": (options.report_date + timedelta(days=days)).isoformat(),
                "effectiveness": i18n.label("effectiveness_text", options.lang).format(days=30),
                "failing_count": decisive["failing_count"],
            }
        )
    return items


def _exclusion_summary(ledger: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"rule": e["rule"], "reason": e["reason"], "count": e["count"]} for e in ledger]


def _calendars(calendars: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    days = {"zh": "一二三四五六日", "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}[lang]
    out = []
    for name, cal in calendars.items():
        hours = []
        for day, windows in sorted(cal["hours"].items(), key=lambda kv: int(kv[0])):
            spans = ", ".join(
                f"{a // 3600:02d}:{a % 3600 // 60:02d}-{b // 3600:02d}:{b % 3600 // 60:02d}"
                for a, b in windows
            )
            hours.append(f"{days[int(day)]} {spans}")
        out.append(
            {
                "name": name,
                "hours": "; ".join(hours),
                "holidays": cal["holidays"],
                "extra_holidays": cal["extra_holidays"],
                "extra_workdays": cal["extra_workdays"],
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


def write_capa(document: dict[str, Any], options: Options, folder: Path, formats: set[str]) -> None:
    items = _capa_items(document, options)
    header = [
        "number",
        "finding",
        "rule",
        "clause",
        "severity",
        "correction",
        "root_cause",
        "action",
        "owner",
        "due",
        "effectiveness",
        "failing_count",
        "status",
    ]
    rows = [
        [neutralise(item.get(h, "open" if h == "status" else "")) for h in header] for item in items
    ]
    if "csv" in formats:
        with (folder / "capa.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        failing = [row for rule in document["rules"] for row in _failing_rows(rule)]
        with (folder / "failing-records.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            names = ["rule", "finding", "key", "group", "period", "value"]
            writer.writerow(names)
            for row in failing:
                writer.writerow([neutralise(row[n]) for n in names])
    if "xlsx" in formats:
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "CAPA"
        sheet.append(header)
        for cells in rows:
            sheet.append(cells)
        for column, width in zip(
            "ABCDEFGHIJKLM", (10, 32, 18, 8, 8, 24, 28, 40, 24, 11, 40, 8, 8), strict=True
        ):
            sheet.column_dimensions[column].width = width
        records = book.create_sheet("failing records")
        names = ["rule", "finding", "key", "group", "period", "value"]
        records.append(names)
        for rule in document["rules"]:
            for row in _failing_rows(rule):
                records.append([neutralise(row[n]) for n in names])
        book.save(folder / "capa.xlsx")


def render_reports(
    document: dict[str, Any],
    folder: str | Path,
    formats: tuple[str, ...] = ("html", "pdf", "csv", "xlsx"),
    lang: str | None = None,
    report_date: date | None = None,
    organisation: str | None = None,
    auditor: str | None = None,
) -> list[Path]:
    """Write the requested outputs for ``document`` into ``folder``; return the paths written."""
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
        write_capa(document, options, target, set(formats))
        if "csv" in formats:
            written.extend([target / "capa.csv", target / "failing-records.csv"])
        if "xlsx" in formats:
            written.append(target / "capa.xlsx")
    return written
