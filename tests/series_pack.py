"""A small pack for the series measures' tests: calls per site, CSAT scores, monthly reviews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PACK = """\
pack: series
version: 1.0.0
standard: service-quality-standard
timezone: Asia/Shanghai
evidence:
  calls:
    key: call_id
    time: received_at
    fields:
      call_id: string
      site: string
      received_at: timestamp
      answered: boolean
      csat: number?
  reviews:
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
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
