"""Reports from findings.json: HTML and PDF from one Jinja2 template, the CAPA registers.

Everything is rendered from the typed findings document alone
(:class:`auditor.findings.contract.FindingsDocument`), so
``auditor report render findings.json`` re-renders without re-evaluating.
The complete list of failing records, ``failing-records.csv``, is the
audit's own output; the report cites it with its SHA-256.

- :mod:`.sentences`: the arithmetic of a finding in words, one generator per language
- :mod:`.context`: what the template shows (summary, cover, recommendation)
- :mod:`.rules`: clause rows, group tables, gap analyses and their charts
- :mod:`.appendix`: evidence, quarantine, exclusions and the method
- :mod:`.registers`: capa.csv and capa.xlsx
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup, escape

from ..atomic import staged_files
from ..errors import AuditorError
from ..failing import audit_parquet, neutralise
from ..findings.combined import CombinedDocument
from ..findings.contract import FindingsDocument
from ..formatting import count
from ..formatting import duration as duration_text
from ..i18n import LANGUAGES, Words
from ..paths import output_folder
from .context import Options, build_context, failing_path, issue_date
from .registers import PlanRow, capa_items, write_capa_csv, write_capa_xlsx

if TYPE_CHECKING:
    from ..register.register import TrackedItem

FORMATS = ("html", "pdf", "json", "csv", "xlsx")
#: data rows of the xlsx failing-records sheet, safely below Excel's 1,048,576 rows
XLSX_FAILING_ROWS = 1_000_000

__all__ = [
    "FORMATS",
    "XLSX_FAILING_ROWS",
    "Options",
    "build_context",
    "duration_text",
    "neutralise",
    "render_combined",
    "render_html",
    "render_reports",
]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("auditor", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v: count(v) if isinstance(v, int) else v
    env.filters["breakable"] = breakable_id
    return env


def breakable_id(text: str, after: str = "@") -> Markup:
    """An id that a narrow cell may break after each ``after``: a finding id between rule,
    group and period (not inside a date), a register id between its parts (``CAPA-2026-`` /
    ``0003``); escaped like any other text, and copied whole (no character is added)."""
    return Markup(f"{escape(after)}<wbr>").join(escape(part) for part in str(text).split(after))


def render_html(document: FindingsDocument, options: Options, part: str = "page") -> str:
    """The report page, or with ``part="section"`` its content alone (a combined report's section)."""
    return _page(build_context(document, options), part)


def _page(context: dict[str, Any], part: str) -> str:
    """The report page (or section, see :func:`render_html`) from its template values."""
    return _environment().get_template("report.html.j2").render(part=part, **context)


def render_combined(
    document: CombinedDocument,
    folder: str | Path,
    formats: tuple[str, ...] = ("html", "pdf"),
    lang: str | None = None,
    report_date: date | None = None,
    organisation: str | None = None,
    auditor: str | None = None,
    previous: Mapping[str, FindingsDocument | None] | None = None,
    out: Path | None = None,
    tracked: Mapping[str, Mapping[str, TrackedItem]] | None = None,
    documents: Mapping[str, FindingsDocument] | None = None,
) -> list[Path]:
    """The report of a combined audit: its opening part, then one section per pack.

    Each pack's findings are read from the combined document's folder
    (``folder/<pack-id>/findings.json``), unless the caller has read them (``documents``, by
    pack id); the report goes to ``out`` (default ``folder``). ``tracked``: by pack id, the
    CAPA register's item each nonconformity of the pack's audit is tracked as (see
    :func:`render_reports`). Each pack's CAPA plan is built once, for its section and the
    opening part's recommendation.
    """
    from markupsafe import Markup

    from .combined import combined_context

    target = Path(folder)
    packs = (
        dict(documents)
        if documents is not None
        else {e.id: FindingsDocument.load(target / e.findings) for e in document.packs}
    )
    first = packs[document.packs[0].id]
    language = lang or first.manifest.parameters.language
    if language not in LANGUAGES:
        raise AuditorError(f"unknown language '{language}' (zh or en)")
    day = issue_date(first, report_date)
    sections: list[str] = []
    plans: dict[str, list[PlanRow]] = {}
    for entry in document.packs:
        options = Options(
            language, day, organisation, auditor, (previous or {}).get(entry.id),
            (tracked or {}).get(entry.id),
            files_folder=files_folder(target / Path(entry.findings).parent, out or target),
        )  # fmt: skip
        context = build_context(packs[entry.id], options)
        sections.append(Markup(_page(context, "section")))
        plans[entry.id] = context["capa"]
    context = combined_context(
        document, packs, sections, Options(language, day, organisation, auditor), plans
    )
    html = _environment().get_template("report.html.j2").render(**context)
    return _write_pages(html, out or target, formats)


def files_folder(audit: Path, report: Path) -> str:
    """The folder of the audit's own files (failing-records.csv) as a report written into
    ``report`` reaches it: a relative path, "" when it is the same folder."""
    relative = Path(os.path.relpath(audit, report)).as_posix()
    return "" if relative == "." else relative


def _write_pages(html: str, target: Path, formats: tuple[str, ...]) -> list[Path]:
    with staged_files(target) as stage:  # both pages or neither (a stop mid-PDF keeps the old ones)
        return _pages_into(html, stage, target, formats)


def _pages_into(html: str, stage: Path, target: Path, formats: tuple[str, ...]) -> list[Path]:
    """The pages written into ``stage``; the paths they will have in ``target``."""
    written = []
    if "html" in formats:
        (stage / "report.html").write_text(html, encoding="utf-8")
        written.append(target / "report.html")
    if "pdf" in formats:
        write_pdf(html, stage / "report.pdf")
        written.append(target / "report.pdf")
    return written


def write_pdf(html: str, path: Path) -> None:
    from weasyprint import HTML

    HTML(string=html, base_url=str(path.parent)).write_pdf(path)


def render_reports(
    document: FindingsDocument | Mapping[str, Any],
    folder: str | Path,
    formats: tuple[str, ...] = ("html", "pdf", "csv", "xlsx"),
    lang: str | None = None,
    report_date: date | None = None,
    organisation: str | None = None,
    auditor: str | None = None,
    previous: FindingsDocument | None = None,
    tracked: Mapping[str, TrackedItem] | None = None,
    audit_folder: str | Path | None = None,
) -> list[Path]:
    """Write the requested outputs for ``document`` into ``folder``; return the paths written.

    ``document`` is a :class:`FindingsDocument` (a dict is validated into one
    first). ``csv`` writes capa.csv; failing-records.csv is written by the audit itself,
    in ``audit_folder`` (default: ``folder``), and the report names it by its path from there;
    capa.xlsx lists the failing records from its Parquet twin there (findings.json's lists,
    cut at ``cap_per_finding`` a finding, when it is not there).
    """
    if not isinstance(document, FindingsDocument):
        document = FindingsDocument.from_data(document)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise AuditorError(f"unknown report format '{unknown[0]}' (formats: {', '.join(FORMATS)})")
    language = lang or document.manifest.parameters.language
    if language not in LANGUAGES:
        raise AuditorError(f"unknown language '{language}' (zh or en)")
    target = Path(folder)
    audit = Path(audit_folder or target)
    output_folder(target)
    options = Options(
        language, issue_date(document, report_date), organisation, auditor, previous, tracked,
        files_folder=files_folder(audit, target),
    )  # fmt: skip
    written: list[Path] = []
    with staged_files(target) as stage:  # every output asked for, or none of them
        if "html" in formats or "pdf" in formats:
            written += _pages_into(render_html(document, options), stage, target, formats)
        if "csv" in formats or "xlsx" in formats:
            words = Words.of(document, language)
            items = capa_items(document, options.report_date, words)
            if "csv" in formats:
                write_capa_csv(items, stage / "capa.csv", tracked)
                written.append(target / "capa.csv")
            if "xlsx" in formats:
                write_capa_xlsx(
                    document, items, words, stage / "capa.xlsx", XLSX_FAILING_ROWS, tracked,
                    failing_path(document, options),
                    audit_parquet(document.failing_records, audit),
                )  # fmt: skip
                written.append(target / "capa.xlsx")
    return written
