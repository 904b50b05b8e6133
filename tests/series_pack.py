"""A small pack for the series measures' tests: calls per site, CSAT scores, monthly reviews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PACK = """\
pack: series
version: 1.0.0
title: {zh: 序列度量测试包, en: Series measures test pack}
standard: service-quality-standard
timezone: Asia/Shanghai
evidence:
  calls:
    title: {zh: 来电记录, en: Calls}
    key: call_id
    time: received_at
    fields:
      call_id: string
      site: string
      received_at: timestamp
      answered: boolean
      csat: number?
  reviews:
    title: {zh: 质量评审, en: Quality reviews}
    key: review_id
    time: held_on
    fields:
      review_id: string
      kind: string
      held_on: date
rules:
  - id: ANSWERED
    clause: "3.1.2"
    title: {zh: 电话接通, en: Calls answered}
    evidence: calls
    condition: answered
    target: 80%
    severity: minor
    min_records: 1
    capa: {action: {zh: 增加坐席, en: Add agents}, owner: manager}
  - id: CSAT
    clause: "3.1.2"
    title: {zh: 满意度, en: Satisfaction}
    evidence: calls
    mean: {of: csat}
    target: ">= 3"
    severity: minor
    min_records: 1
    capa: {action: {zh: 培训, en: Train}, owner: manager}
"""

CAPA = "    capa: {action: {zh: 改进, en: Improve}, owner: manager}\n"


def rule(rule_id: str, body: str, severity: str = "minor") -> str:
    """One more rule for the pack, its measure and target written in ``body``."""
    return (
        f'  - id: {rule_id}\n    clause: "3.1.2"\n'
        f"    title: {{zh: 序列, en: Series}}\n{body}    severity: {severity}\n{CAPA}"
    )


def calls(rows: list[tuple[Any, ...]]) -> str:
    """calls.csv from (call_id, site, received_at, answered, csat) rows."""
    lines = ["call_id,site,received_at,answered,csat"]
    lines += [",".join(_cell(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def audit(
    write_pack: Any, store: Any, text: str, files: dict[str, str], period: str
) -> dict[str, Any]:
    """Load ``text`` as a pack, ingest ``files`` into ``store`` and evaluate: results by rule."""
    from auditor import load_pack
    from auditor.evaluate import evaluate
    from auditor.ingest import ingest
    from auditor.periods import parse_period

    from .conftest import STANDARDS

    path = write_pack(text)
    pack = load_pack(path, [STANDARDS])
    folder = path.parent.parent / "evidence"
    for name, body in files.items():
        write(folder, name, body)
    ingest(pack, folder, store)
    return {r.rule: r for r in evaluate(pack, store, parse_period(period))}


def answered(month: str, site: str, good: int, total: int, start: int = 0) -> list[tuple[Any, ...]]:
    """``total`` calls of ``site`` in ``month``, the first ``good`` answered."""
    return [
        (f"{site}{month}-{start + k}", site, f"{month}-{k % 28 + 1:02d} 10:00:00", k < good, None)
        for k in range(total)
    ]


def unrated_audit(write_pack: Any, folder: Path) -> Path:
    """An audit of 2026-Q3 (written to ``folder``/out) whose calls all have an empty csat:
    RATED (csat >= 3, by site) and CSAT (a mean of csat) are not evaluable, the engine judges
    none of their records; ANSWERED is judged. Calls C0-C2 are of BJ, C3-C4 of GZ."""
    from datetime import date

    from auditor.audit import run_audit

    body = "    evidence: calls\n    condition: csat >= 3\n    target: 80%\n    group_by: [site]\n"
    pack = write_pack(PACK + rule("RATED", body))
    rows = [(f"C{i}", "BJ" if i < 3 else "GZ", f"2026-07-0{i + 1} 10:00:00", True, None)
            for i in range(5)]  # fmt: skip
    write(folder / "evidence", "calls.csv", calls(rows))
    run_audit(pack, folder / "evidence", folder / "out", "2026-Q3", today=date(2026, 10, 15))
    return folder / "out"
