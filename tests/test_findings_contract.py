"""The findings contract: the schema file is generated from it, and findings.json is read back through it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.errors import ReportError
from auditor.findings.contract import SCHEMA_VERSION, FindingsDocument, Verdict

SCHEMA = Path(__file__).resolve().parent.parent / "auditor" / "findings" / "schema.json"


def test_the_schema_file_is_generated_from_the_contract() -> None:
    """Regenerate with: .venv/bin/python -m tests.test_findings_contract"""
    assert json.loads(SCHEMA.read_text(encoding="utf-8")) == FindingsDocument.json_schema()


def test_a_demo_audit_round_trips_byte_for_byte(demo_audit) -> None:
    path = demo_audit.out / "findings.json"
    text = path.read_text(encoding="utf-8")
    document = FindingsDocument.load(path)
    assert document.to_json() == text
    assert document.rules[0].findings[0].verdict in set(Verdict)


def test_another_schema_version_is_refused_in_one_line(demo_audit, tmp_path) -> None:
    data = json.loads((demo_audit.out / "findings.json").read_text(encoding="utf-8"))
    data["schema_version"] = "0.9"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        FindingsDocument.load(path)
    assert str(caught.value).startswith(f"{path}: findings.json of schema '0.9'")
    assert SCHEMA_VERSION in str(caught.value) and "\n" not in str(caught.value)


def test_a_wrong_field_is_named(demo_audit, tmp_path) -> None:
    data = json.loads((demo_audit.out / "findings.json").read_text(encoding="utf-8"))
    data["rules"][0]["findings"][0]["verdict"] = "passed"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReportError, match=r"rules\.0\.findings\.0\.verdict"):
        FindingsDocument.load(path)


def test_not_json_and_missing_files_are_report_errors(tmp_path) -> None:
    with pytest.raises(ReportError, match="file not found"):
        FindingsDocument.load(tmp_path / "none.json")
    (tmp_path / "x.json").write_text("{", encoding="utf-8")
    with pytest.raises(ReportError, match=r"not a findings\.json"):
        FindingsDocument.load(tmp_path / "x.json")


if __name__ == "__main__":
    SCHEMA.write_text(
        json.dumps(FindingsDocument.json_schema(), indent=2, ensure_ascii=False, sort_keys=True)
        + "\n",
        encoding="utf-8",
    )
