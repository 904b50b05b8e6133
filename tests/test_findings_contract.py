"""The findings contract: the schema file is generated from it, and findings.json is read back through it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.audit import run_audit
from auditor.errors import ReportError
from auditor.findings.contract import SCHEMA_VERSION, FindingsDocument, QuarantinePlace, Verdict
from auditor.ingest import first_place

from .conftest import TEST_PACKS

SCHEMA = Path(__file__).resolve().parent.parent / "auditor" / "findings" / "schema.json"
COMBINED_SCHEMA = SCHEMA.with_name("combined-schema.json")


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


def _refused(demo_audit, tmp_path, edit) -> tuple[Path, str]:
    """The demo's findings.json edited by ``edit`` (in place, on the parsed data) and written
    again: where, and the one line its reading is refused with."""
    data = json.loads((demo_audit.out / "findings.json").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "findings.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        FindingsDocument.load(path)
    return path, str(caught.value)


AGAIN = "the findings.json was edited or is from another version; audit again"


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("generated_at",), "yesterday", "generated_at: not an ISO date-time"),
        (
            ("manifest", "parameters", "period", "first_day"),
            "01/07/2026",
            "manifest.parameters.period.first_day: not an ISO date (YYYY-MM-DD)",
        ),
        (
            ("rules", 0, "findings", 0, "days", "last"),
            "end of September",
            "rules.0.findings.0.days.last: not an ISO date (YYYY-MM-DD)",
        ),
    ],
)
def test_a_date_that_is_not_iso_is_refused_on_reading(
    demo_audit, tmp_path, path, value, problem
) -> None:
    """A date edited into words would stop report render and verify where they read it."""

    def edit(data: Any) -> None:
        place = data
        for step in path[:-1]:
            place = place[step]
        place[path[-1]] = value

    written, said = _refused(demo_audit, tmp_path, edit)
    assert said.startswith(f"{written}: not a valid findings.json: {problem}")


def test_an_object_given_as_a_number_names_no_class_of_the_code(demo_audit, tmp_path) -> None:
    """pydantic says "a valid dictionary or instance of PackRef": the file's reader needs to
    know an object is expected there, not the name of a class it cannot see."""
    path, said = _refused(demo_audit, tmp_path, lambda data: data["manifest"].update(pack=5))
    assert said == (
        f"{path}: not a valid findings.json: manifest.pack: should be an object ({{...}}); " + AGAIN
    )


def test_a_wrong_field_says_what_to_do(demo_audit, tmp_path) -> None:
    path, said = _refused(
        demo_audit, tmp_path, lambda data: data["rules"][0].update(verdict="passed")
    )
    assert said == (
        f"{path}: not a valid findings.json: rules.0.verdict: Input should be 'conform', "
        "'observation', 'nonconform', 'not-evaluable', 'not-applicable' or 'waived'; " + AGAIN
    )


@pytest.mark.parametrize(
    "encode",
    [lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), lambda t: t.encode("utf-16")],
    ids=["utf-8-bom", "utf-16"],
)
def test_a_findings_json_saved_by_notepad_is_read(demo_audit, tmp_path, encode) -> None:
    """Notepad saves UTF-8 with a BOM, or UTF-16 ("Unicode"): both are JSON's encodings."""
    text = (demo_audit.out / "findings.json").read_text(encoding="utf-8")
    path = tmp_path / "findings.json"
    path.write_bytes(encode(text))
    assert FindingsDocument.load(path).to_json() == text


def test_a_findings_json_in_another_encoding_names_the_byte(tmp_path) -> None:
    path = tmp_path / "findings.json"
    path.write_bytes('{"a": "中文"}'.encode("gb18030"))  # 中 is d6 d0: not UTF-8 at byte 8
    with pytest.raises(ReportError) as caught:
        FindingsDocument.load(path)
    assert str(caught.value) == (
        f"{path}: not a findings.json: byte 8 is not UTF-8 text; save it as UTF-8"
    )


@pytest.mark.parametrize("twice", ["rule", "finding"])
def test_a_rule_or_finding_given_twice_is_named(demo_audit, tmp_path, twice) -> None:
    """verify said "rule X: not reproduced" of the second copy; the readers find them by id."""
    given: dict[str, Any] = {}

    def edit(data: Any) -> None:
        rule = given["rule"] = data["rules"][1]
        if twice == "rule":
            data["rules"].append(rule)
        else:
            rule["findings"].append(rule["findings"][0])

    path, said = _refused(demo_audit, tmp_path, edit)
    rule = given["rule"]
    named = rule["rule"] if twice == "rule" else rule["findings"][0]["id"]
    assert said == (
        f"{path}: not a valid findings.json: rules: {twice} {named} appears twice; " + AGAIN
    )


#: a channel longer than the 40 characters a first place shows of a value
LONG_CHANNEL = "fax-" + "x" * 60


def test_each_quarantine_reason_records_where_it_was_first_given(tmp_path) -> None:
    """A certifier traces a quarantine reason from findings.json to a row: the line, the
    column and the value, cut as the console cuts it; the first row, not a later one."""
    folder = tmp_path / "ev"
    folder.mkdir()
    rows = [
        "interaction_id,channel,received_at,answered_at",
        "I1,phone,2026-07-01 10:00:00,2026-07-01 10:00:10",
        "I2,chat,2026-07-01 11:00:00,2026-07-01 11:00:20",
        f"I3,{LONG_CHANNEL},2026-07-02 10:00:00,",  # line 4
        "I4,phone,2026-07-32 10:00:00,",  # line 5
        "I1,phone,2026-07-03 10:00:00,",  # line 6: I1 again
        "I6,phone",  # line 7
        "I7,email,2026-07-04 10:00:00,",  # line 8: the channel reason again
        "I8,phone,2026-07-05 10:00:00,2026-07-05 10:00:05",
    ]
    (folder / "interactions.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run_audit(TEST_PACKS / "valid-minimal.yaml", folder, out, "2026-07", max_quarantine=1.0)
    (entry,) = FindingsDocument.load(out / "findings.json").manifest.evidence
    first = entry.quarantine_first_seen
    assert first is not None and first.keys() == entry.quarantine_reasons.keys()
    channel = "channel: not one of phone, chat"
    assert entry.quarantine_reasons[channel] == 2
    assert first[channel] == QuarantinePlace(
        line=4, column="channel", value=LONG_CHANNEL[:39] + "…"
    )
    assert f"value {first[channel].value!r}" in first_place(4, LONG_CHANNEL)  # as the console
    date = "received_at: not a valid date/time (impossible day, month or hour?)"
    assert first[date] == QuarantinePlace(line=5, column="received_at", value="2026-07-32 10:00:00")
    assert first["duplicate key"] == QuarantinePlace(line=6, column="interaction_id", value="I1")
    short = "expected 4 columns as in the header, found 2"
    assert first[short] == QuarantinePlace(line=7, column=None, value=None)


def test_the_demo_records_the_first_place_of_each_quarantine_reason(demo_audit) -> None:
    files = {
        f.file: f for f in FindingsDocument.load(demo_audit.out / "findings.json").manifest.evidence
    }
    interactions = files["interactions-2026Q3.csv"].quarantine_first_seen
    assert interactions is not None
    date = "received_at: not a valid date/time (impossible day, month or hour?)"
    assert interactions[date] == QuarantinePlace(
        line=3002, column="受理时间", value="2026-02-30 10:00:00"
    )
    assert files["agents.csv"].quarantine_first_seen == {}


def test_a_findings_json_written_before_first_places_were_recorded_loads(demo_audit) -> None:
    data = json.loads((demo_audit.out / "findings.json").read_text(encoding="utf-8"))
    for entry in data["manifest"]["evidence"]:
        del entry["quarantine_first_seen"]
    document = FindingsDocument.from_data(data)
    assert all(f.quarantine_first_seen is None for f in document.manifest.evidence)
    assert document.schema_version == SCHEMA_VERSION


def test_not_json_and_missing_files_are_report_errors(tmp_path) -> None:
    with pytest.raises(ReportError, match="file not found"):
        FindingsDocument.load(tmp_path / "none.json")
    (tmp_path / "x.json").write_text("{", encoding="utf-8")
    with pytest.raises(ReportError, match=r"not a findings\.json"):
        FindingsDocument.load(tmp_path / "x.json")


if __name__ == "__main__":  # writes both schemas: a pack's findings.json and the combined one
    from auditor.findings.combined import CombinedDocument

    for path, model in ((SCHEMA, FindingsDocument), (COMBINED_SCHEMA, CombinedDocument)):
        path.write_text(
            json.dumps(model.json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n",
            encoding="utf-8",
        )
