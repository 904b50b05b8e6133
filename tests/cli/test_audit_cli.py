"""`auditor audit` as a user runs it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from auditor.cli import main

from ..conftest import ROOT, RULES

DEMO = ROOT / "evidence" / "demo" / "service-quality"
PACK = str(RULES / "service-quality.yaml")
JSON_ONLY = ["--format", "json"]  # reports are tested in test_report.py; keep these quick


def audit(runner, out, *extra):
    return runner.invoke(main, ["audit", PACK, str(DEMO), "--out", str(out), *extra])


def test_audit_prints_the_summary_and_writes_findings(runner, tmp_path) -> None:
    result = audit(runner, tmp_path, "--period", "2026-Q3", "--format", "json,html,csv")
    assert result.exit_code == 1, result.output  # the demo has a major nonconformity
    assert "RESP-PHONE-30S" in result.output and "nonconform (major)" in result.output
    assert "site=SH@2026-08" in result.output
    document = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert document["manifest"]["parameters"]["period"]["label"] == "2026-Q3"
    assert (tmp_path / "report.html").exists() and (tmp_path / "capa.csv").exists()


def test_an_audit_says_which_earlier_outputs_it_removed(runner, tmp_path) -> None:
    """A second audit writing findings.json alone removes the first one's report and CAPA
    list (they were of another run): said on the console, not done in silence."""
    audit(runner, tmp_path, "--period", "2026-Q3", "--format", "json,html,csv")
    render = ["report", "render", str(tmp_path / "findings.json"), "--format", "html"]
    rendered = runner.invoke(main, [*render, "--lang", "en", "--out", str(tmp_path / "en")])
    assert rendered.exit_code == 0, rendered.output
    result = audit(runner, tmp_path, "--period", "2026-Q3", *JSON_ONLY)
    assert result.exit_code == 1, result.output
    assert (
        "note: removed files with the names of audit outputs that this audit does not write: "
        "capa.csv, report.html\n"
        "note: en/ holds a report not rendered from this audit's findings, left as it was: "
        "render it again from the new findings.json, or remove it\n"
    ) in result.output
    assert not (tmp_path / "report.html").exists() and not (tmp_path / "capa.csv").exists()


def test_a_file_with_an_output_s_name_in_a_new_folder_is_not_called_an_earlier_audit_s(
    runner, tmp_path
) -> None:
    """No audit was run there: the note said "removed the earlier audit's outputs"."""
    (tmp_path / "report.html").write_text("mine", encoding="utf-8")
    result = audit(runner, tmp_path, "--period", "2026-Q3", *JSON_ONLY)
    assert result.exit_code == 1, result.output
    assert (
        "note: removed files with the names of audit outputs that this audit does not write: "
        "report.html\n"
    ) in result.stderr
    assert not (tmp_path / "report.html").exists()


def test_the_summary_says_what_is_left_out_of_n(runner, tmp_path) -> None:
    """Each rule's row gives the deciding finding's excluded and pending records beside n."""
    result = audit(runner, tmp_path, "--period", "2026-Q3", *JSON_ONLY)
    lines = result.output.splitlines()
    header = lines[1].split()
    assert header[5:8] == ["n", "excluded", "pending"]
    phone = next(line.split() for line in lines if line.startswith("RESP-PHONE-30S"))
    # counted from the demo CSV with the csv module: SH's phone calls of August not answered
    # and ended within 5 s of arriving (abandoned by the caller) are 6
    assert phone[-4:] == ["194", "6", "0", "site=SH@2026-08"]
    document = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    for rule in document["rules"]:
        row = next(line.split() for line in lines if line.startswith(rule["rule"] + " "))
        counts = next(
            f["counts"] for f in rule["findings"] if f["id"].endswith(row[-1]) or row[-1] == "all"
        )
        assert row[-4:-1] == [
            f"{counts['n']:,}",
            f"{counts['excluded']:,}",
            f"{counts['pending']:,}",
        ]


def test_fail_on_never_exits_0(runner, tmp_path) -> None:
    result = audit(runner, tmp_path, "--period", "2026-Q3", "--fail-on", "never", *JSON_ONLY)
    assert result.exit_code == 0
    assert "nonconform (major)" in result.output  # the findings are the same; only the exit differs


def test_fail_on_levels(runner, tmp_path) -> None:
    for level in ("major", "minor", "observation"):
        result = audit(
            runner, tmp_path / level, "--period", "2026-Q3", "--fail-on", level, *JSON_ONLY
        )
        assert result.exit_code == 1, level
        document = json.loads((tmp_path / level / "findings.json").read_text(encoding="utf-8"))
        assert document["summary"]["verdicts"]["nonconform-major"] >= 1


def test_bad_period_is_one_line(runner, tmp_path) -> None:
    result = audit(runner, tmp_path / "out", "--period", "2026-Q5", *JSON_ONLY)
    assert result.exit_code == 2
    assert result.stderr.count("error:") == 1
    assert "not an audit period" in result.stderr
    assert not (tmp_path / "out").exists()  # refused before any output
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "interactions.csv").write_text("", encoding="utf-8")  # unreadable: stops later
    result = runner.invoke(
        main, ["audit", PACK, str(folder), "--out", str(tmp_path / "x" / "y" / "z"), *JSON_ONLY]
    )
    assert result.exit_code == 2 and not (tmp_path / "x").exists()  # nor the folders above


def test_unreadable_evidence_exits_2(runner, tmp_path) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "interactions.csv").write_text("", encoding="utf-8")
    result = runner.invoke(
        main, ["audit", PACK, str(folder), "--out", str(tmp_path / "out"), *JSON_ONLY]
    )
    assert result.exit_code == 2
    assert "empty" in result.stderr and "Traceback" not in result.stderr


def test_period_is_inferred_from_the_evidence(runner, tmp_path) -> None:
    assert audit(runner, tmp_path, "--fail-on", "never", *JSON_ONLY).exit_code == 0
    document = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    period = document["manifest"]["parameters"]["period"]
    assert period["first_day"] == "2026-07-01" and period["last_day"] == "2026-09-30"


def test_a_period_cannot_be_told_from_records_rules_only_look_up(runner, tmp_path) -> None:
    """A ticket status history alone: its records have times, but only a rule's pauses read
    them; the error says so (not that no record with a time was stored) and offers --period."""
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "ticket_status.csv").write_text(
        "ticket_id,status,entered_at,left_at\nT1,open,2026-07-01 10:00:00,2026-07-01 11:00:00\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        main, ["audit", PACK, str(folder), "--out", str(tmp_path / "out"), *JSON_ONLY]
    )
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "no record of a kind the rules judge has a time" in errors[0]
    assert "those with one are of ticket_status, which rules only look up" in errors[0]
    assert "give --period" in errors[0]


def test_a_quarantine_above_the_ceiling_names_each_reasons_first_line_and_value(
    runner, tmp_path
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    rows = [f"T{i},technical,BJ,2026-07-0{1 + i % 9} 10:00:00,open,phone" for i in range(10)]
    rows[3] = "T3,technical,BJ,2026-13-45 10:00:00,open,phone"
    rows[6] = "T6,technical,BJ,2026-07-02 10:00:00,void,phone"
    (folder / "tickets.csv").write_text(
        "ticket_id,category,site,opened_at,status,channel\n" + "\n".join(rows) + "\n", "utf-8"
    )
    result = runner.invoke(
        main, ["audit", PACK, str(folder), "--out", str(tmp_path / "out"), *JSON_ONLY]
    )
    assert result.exit_code == 2
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "2 of 10 rows quarantined" in error
    assert "(first quarantined at line 5, value '2026-13-45 10:00:00')" in error
    assert "(first quarantined at line 8, value 'void')" in error


def test_an_audit_lists_its_quarantine_reasons_as_ingest_does(runner, tmp_path) -> None:
    """Rows quarantined under the ceiling: the audit said only how many; it now lists each
    reason with the file, line and value it was first given for, as ``evidence ingest``."""
    folder = tmp_path / "ev"
    folder.mkdir()
    rows = [f"T{i},technical,BJ,2026-07-0{1 + i % 9} 10:00:00,closed,phone" for i in range(60)]
    rows[3] = "T3,technical,BJ,2026-13-45 10:00:00,closed,phone"
    _write_tickets(folder / "tickets.csv", rows)
    output, listed = _first_quarantine_reason(runner, folder, tmp_path / "out")
    assert "evidence: 60 rows read = 59 stored + 1 quarantined" in output
    assert listed == (
        "         1  opened_at: not a valid date/time (impossible day, month or hour?) "
        "(first quarantined at tickets.csv:5, value '2026-13-45 10:00:00')"
    )


def test_an_audits_quarantine_reason_in_two_files_says_the_other_one(runner, tmp_path) -> None:
    """The same status 'void' in two files: the audit's line named the first file's line
    only, as if both rows were in it; it says the reason was given in one other file too."""
    folder = tmp_path / "ev"
    folder.mkdir()
    for name in ("a", "b"):
        rows = [f"T{name}{i},technical,BJ,2026-07-01 10:00:00,closed,phone" for i in range(60)]
        rows[3] = f"T{name}3,technical,BJ,2026-07-01 10:00:00,void,phone"  # line 5
        _write_tickets(folder / f"tickets-{name}.csv", rows)
    output, listed = _first_quarantine_reason(runner, folder, tmp_path / "out")
    assert "evidence: 120 rows read = 118 stored + 2 quarantined" in output
    assert listed == (
        "         2  status: not one of open, waiting_customer, resolved, closed (first "
        "quarantined at tickets-a.csv:5, value 'void'; also in 1 other file)"
    )


def _write_tickets(path: Path, rows: list[str]) -> None:
    path.write_text(
        "ticket_id,category,site,opened_at,status,channel\n" + "\n".join(rows) + "\n", "utf-8"
    )


def _first_quarantine_reason(runner, folder: Path, out: Path) -> tuple[str, str]:
    """A July audit of ``folder``: its console output and its first quarantine reason's line."""
    result = runner.invoke(
        main, ["audit", PACK, str(folder), "--out", str(out), "--period", "2026-07", *JSON_ONLY]
    )
    return result.output, result.output.split("quarantine reasons:\n", 1)[1].splitlines()[0]


def test_a_period_told_in_the_packs_zone_names_the_months_of_the_files_zone(
    runner, tmp_path
) -> None:
    """An August log kept in New York time: its last calls (31 August, 20:00 there) fall on
    1 September in the pack's zone (Asia/Shanghai, 12 hours ahead), so the period told
    reaches September; the console says so and which --period covers the log's months."""
    folder = tmp_path / "ev"
    folder.mkdir()
    rows = [
        f"I{day},phone,BJ,A1,2026-08-{day:02d} 20:00:00,2026-08-{day:02d} 20:00:10,"
        f"2026-08-{day:02d} 20:05:00"
        for day in range(1, 32)
    ]
    (folder / "interactions.csv").write_text(
        "interaction_id,channel,site,agent_id,received_at,answered_at,ended_at\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )
    columns = ("interaction_id", "channel", "site", "agent_id", "received_at", "answered_at")
    (folder / "interactions.mapping.yaml").write_text(
        "kind: interactions\ntimezone: America/New_York\ncolumns:\n"
        + "".join(f"  {c}: {c}\n" for c in (*columns, "ended_at")),
        encoding="utf-8",
    )
    result = runner.invoke(
        main, ["audit", PACK, str(folder), "--out", str(tmp_path / "out"), *JSON_ONLY]
    )
    assert result.exit_code in (0, 1), result.output
    assert "audit of service-quality for 2026-08-01..2026-09-30" in result.output
    assert (
        "warning: the period 2026-08-01..2026-09-30 was told from the records' times in the "
        "pack's zone Asia/Shanghai; in America/New_York, the zone their files were read in, "
        "they run from 2026-08-01 to 2026-08-31: give --period 2026-08 to audit those months"
    ) in result.stderr
    given = runner.invoke(
        main,
        ["audit", PACK, str(folder), "--out", str(tmp_path / "o2"), "--period", "2026-08",
         *JSON_ONLY],
    )  # fmt: skip
    assert "was told from the records' times" not in given.stderr


def test_unknown_format_is_a_usage_error(runner, tmp_path) -> None:
    result = audit(runner, tmp_path, "--format", "json,docx")
    assert result.exit_code == 2
    assert "unknown format 'docx'" in result.output + result.stderr


def test_an_empty_format_list_is_a_usage_error(runner, tmp_path) -> None:
    """--format '' wrote findings.json alone and removed the earlier report."""
    (tmp_path / "report.html").write_text("earlier", encoding="utf-8")
    for given in ("", " , "):
        result = audit(runner, tmp_path, "--period", "2026-Q3", "--format", given)
        assert result.exit_code == 2, result.output
        assert result.output.splitlines()[-1] == (
            "error: Invalid value for --format: no format given "
            "(formats: json, html, pdf, csv, xlsx, junit, oscal) (see 'main audit --help')"
        )
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_period_that_has_not_ended_is_said_so(runner, tmp_path, monkeypatch) -> None:
    """Auditing 2026-Q3 on 2026-09-10: its figures are those of a part of it."""
    from datetime import date

    import auditor.cli as cli

    from ..conftest import ROOT, RULES

    monkeypatch.setattr(cli, "_today", lambda: date(2026, 9, 10))
    result = runner.invoke(
        main,
        ["audit", str(RULES / "service-quality.yaml"), str(ROOT / "evidence/demo/service-quality"),
         "--period", "2026-Q3", "--out", str(tmp_path / "a"), "--format", "json"],
    )  # fmt: skip
    assert (
        "warning: the period 2026-Q3 has not ended: it ends on 2026-09-30, and today is "
        "2026-09-10; records still to come are not in its figures"
    ) in result.output, result.output
    ended = runner.invoke(
        main,
        ["audit", str(RULES / "service-quality.yaml"), str(ROOT / "evidence/demo/service-quality"),
         "--period", "2026-07", "--out", str(tmp_path / "b"), "--format", "json"],
    )  # fmt: skip
    assert "has not ended" not in ended.output


def test_a_step_that_never_occurs_is_said_on_the_console(runner, write_pack, tmp_path) -> None:
    """A misspelt step gives 0 %: the console says so in one line, naming the closest value."""
    from ..test_sequence import (
        HEADER,
        RESOLVED_NEVER_OCCURS,
        SPELT_OTHERWISE,
        text_steps_pack_file,
    )

    path = text_steps_pack_file(write_pack)
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "complaint_events.csv").write_text(HEADER + SPELT_OTHERWISE, encoding="utf-8")
    result = runner.invoke(
        main, ["audit", str(path), str(folder), "--period", "2026-02", "--out",
               str(tmp_path / "out"), *JSON_ONLY, "--fail-on", "never"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"warning: HANDLING (clause 3.4.2): {RESOLVED_NEVER_OCCURS}\n" in result.stderr
    assert "HANDLING-BUSINESS (clause" not in result.stderr


def test_a_previous_that_is_not_a_findings_json_is_refused_before_the_audit(
    runner, tmp_path
) -> None:
    """It was ignored when no report was asked for (exit 1, a normal audit), refused after
    the audit when one was: it is read up front, whatever the formats."""
    garbage = tmp_path / "old.json"
    garbage.write_text("not json\n", encoding="utf-8")
    for formats in ("json", "html"):
        out = tmp_path / formats
        result = audit(runner, out, "--period", "2026-Q3", "--format", formats,
                       "--previous", str(garbage))  # fmt: skip
        assert (result.exit_code, result.output) == (
            2,
            f"error: {garbage}: not a findings.json: Expecting value: line 1 column 1 (char 0)\n",
        )
        assert not out.exists()


def test_a_previous_audit_of_another_pack_is_warned_of(runner, tmp_path) -> None:
    """It was taken in silence: the report compared the audits of two standards. The line
    is diff's note on the same pair."""
    earlier = tmp_path / "earlier"
    assert audit(runner, earlier, "--period", "2026-Q3", *JSON_ONLY).exit_code == 1
    document = json.loads((earlier / "findings.json").read_text(encoding="utf-8"))
    document["manifest"]["pack"]["id"] = "other-pack"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(document), encoding="utf-8")
    result = audit(runner, tmp_path / "out", "--period", "2026-Q3", *JSON_ONLY,
                   "--previous", str(other))  # fmt: skip
    assert result.exit_code == 1, result.output
    warning = "the two audits are of different packs: other-pack and service-quality"
    assert f"warning: --previous: {warning}\n" in result.stderr
    diffed = runner.invoke(main, ["diff", str(other), str(earlier)])
    assert warning in diffed.output
    same = audit(runner, tmp_path / "same", "--period", "2026-Q3", *JSON_ONLY,
                 "--previous", str(earlier))  # fmt: skip
    assert "--previous" not in same.stderr


def test_the_sheet_read_from_a_workbook_is_in_findings_and_the_report(runner, tmp_path) -> None:
    """A hidden sheet before the records is skipped; the sheet read is named in findings.json
    and in the report's evidence appendix, for a certifier to open the same one."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "旧版备份"
    book.active.append(["工单编号", "站点", "创建时间", "状态"])
    book.active.sheet_state = "hidden"
    shown = book.create_sheet("明细")
    shown.append(["工单编号", "站点", "创建时间", "状态"])
    shown.append(["T1", "BJ", "2026-07-01 09:00:00", "closed"])
    (tmp_path / "evidence").mkdir()
    book.save(tmp_path / "evidence" / "tickets.xlsx")
    out = tmp_path / "out"
    command = ["audit", PACK, str(tmp_path / "evidence"), "--out", str(out)]
    result = runner.invoke(main, [*command, "--period", "2026-Q3", "--format", "json,html"])
    assert "Traceback" not in result.output + result.stderr
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    (tickets,) = document["manifest"]["evidence"]
    assert (tickets["sheet"], tickets["stored"]) == ("明细", 1)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<span class="key-label">读取的工作表</span> <span class="data">明细</span>' in html


def previous_section(html: str) -> str:
    """The report's section on the previous audit's findings."""
    start = html.index('<section id="previous"')
    return html[start : html.index("</section>", start)]


def previous_rows(html: str) -> list[list[str]]:
    """The rows of the report's section on the previous audit's findings, cell by cell."""
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr data-change.*?</tr>", previous_section(html))
    ]


WEEKLY_SITES = """\
    evidence: calls
    condition: answered
    target: 80%
    min_records: 1
    group_by: [site]
    period: week
    judge: each-group
"""


def weekly_august(runner, write_pack, tmp_path, previous: str, lang: str) -> str:
    """Calls answered at each site, judged per site and week; an unanswered call at site A in
    week 31 (28 July, and 1 August) and at site B on 31 August (week 36), audited for July and
    August, then August again into ``lang/`` with ``--previous`` the ``previous`` one: that
    report's html. Each site's worst week is the nonconformity of a CAPA plan."""
    from auditor.audit import run_audit

    from .. import series_pack as sp

    pack = write_pack(sp.PACK + sp.rule("BY-WEEK", WEEKLY_SITES))
    folder = tmp_path / "evidence"
    folder.mkdir()
    rows = [("C1", "A", "2026-07-28T09:00:00", False, None), ("C2", "B", "2026-07-28T09:00:00", True, None),
            ("C3", "A", "2026-08-01T09:00:00", False, None), ("C4", "B", "2026-08-31T09:00:00", False, None)]  # fmt: skip
    (folder / "calls.csv").write_text(sp.calls(rows), encoding="utf-8")
    (folder / "reviews.csv").write_text("review_id,kind,held_on\n", encoding="utf-8")
    for period in ("2026-07", "2026-08"):
        run_audit(pack, folder, tmp_path / period, period)
    out = tmp_path / lang
    result = runner.invoke(main, [
        "audit", str(pack), str(folder), "--period", "2026-08", "--out", str(out),
        "--format", "json,html", "--previous", str(tmp_path / previous), "--lang", lang,
        "--fail-on", "never",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    return (out / "report.html").read_text(encoding="utf-8")


NONCONFORM = "minor nonconformity · "


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_previous_audits_rows_name_their_sub_period(runner, write_pack, tmp_path, lang) -> None:
    """August against July: each site's worst week is named with its week and, for a week
    August cuts (its findings.json `days`: 1-2 and 31 August), its days. Site A failed in
    July's week 31 (27-31 July) and fails in August's (1-2 August): one recurring
    nonconformity of the site, as the CAPA register links it, named by both its weeks; site
    B's week 36 is new. The
    pooled figure is no nonconformity of August's plan. The pdf is rendered from the same
    page."""
    from ..test_report_trust import overflowing_boxes

    html = weekly_august(runner, write_pack, tmp_path, "2026-07", lang)
    rows = [row[1:] for row in previous_rows(html) if row[0] == "BY-WEEK"]
    if lang == "en":
        failing = f"{NONCONFORM}0.0\u00a0%"
        assert rows == [
            ["site=A", "2026-W31 (27–31 Jul) → 2026-W31 (1–2 Aug)", failing, failing, "recurring"],
            ["site=B", "2026-W36 (31 Aug only)", "–", failing, "new"],
        ]
    else:
        assert [row[1] for row in rows] == [
            "2026-W31（7月27日–31日） → 2026-W31（8月1日–2日）",
            "2026-W36（仅 8月31日）",
        ]
    assert overflowing_boxes(html) == []


def test_a_recurring_sub_periods_chart_names_it(runner, write_pack, tmp_path) -> None:
    """August against itself: every nonconformity recurs, each week's chart titled with it."""
    html = weekly_august(runner, write_pack, tmp_path, "2026-08", "en")
    assert re.findall(r">(BY-WEEK · [^<]*)<", previous_section(html)) == [
        "BY-WEEK · site=A · 2026-W31 (1–2 Aug)",
        "BY-WEEK · site=B · 2026-W36 (31 Aug only)",
    ]


def test_an_evidence_file_s_warning_is_printed_by_the_audit_as_by_validate(
    runner, tmp_path
) -> None:
    """agents.csv with both 站点 and site: the field site matches the two columns, which
    `evidence validate` warned of and the audit said only in findings.json; the audit's
    console says it too, once, as validate does."""
    import shutil

    folder = tmp_path / "ev"
    shutil.copytree(DEMO, folder)
    roster = folder / "agents.csv"
    header, *rows = roster.read_text(encoding="utf-8-sig").splitlines()
    assert header == "工号,站点,在职"
    roster.write_text(
        "\n".join([f"{header},site", *(f"{row},{row.split(',')[1]}" for row in rows)]) + "\n",
        encoding="utf-8-sig",
    )
    said = (
        "warning: agents.csv: field 'site' matches the columns site, 站点: each row's value "
        "is the first of them that has one"
    )
    validated = runner.invoke(main, ["evidence", "validate", str(folder), "--pack", PACK])
    assert said in validated.output.splitlines()
    result = runner.invoke(
        main,
        ["audit", PACK, str(folder), "--period", "2026-Q3", "--out", str(tmp_path / "out"),
         *JSON_ONLY],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines().count(said) == 1, result.stderr


def test_an_evidence_file_s_warning_names_it_relative_to_the_evidence_folder(
    runner, tmp_path
) -> None:
    """agents.csv in a folder people/ of the evidence, with both 站点 and site: the audit's
    console names it people/agents.csv, as findings.json names the files, not agents.csv
    (which in a combined audit another pack's folder may hold too)."""
    import shutil

    folder = tmp_path / "ev"
    shutil.copytree(DEMO, folder)
    (folder / "people").mkdir()
    roster = (folder / "agents.csv").rename(folder / "people" / "agents.csv")
    header, *rows = roster.read_text(encoding="utf-8-sig").splitlines()
    roster.write_text(
        "\n".join([f"{header},site", *(f"{row},{row.split(',')[1]}" for row in rows)]) + "\n",
        encoding="utf-8-sig",
    )
    result = runner.invoke(
        main,
        ["audit", PACK, str(folder), "--period", "2026-Q3", "--out", str(tmp_path / "out"),
         *JSON_ONLY],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    named = [line for line in result.stderr.splitlines() if "matches the columns" in line]
    assert named == [
        "warning: people/agents.csv: field 'site' matches the columns site, 站点: each row's "
        "value is the first of them that has one"
    ], result.stderr


def test_a_file_without_a_column_is_said_to_be_left_out_of_the_rules_reading_it(
    runner, tmp_path
) -> None:
    """The warning says what the audit does with the file's records (excludes them from the
    rules that read the field), not that those rules are not evaluable: they are judged on
    the other file's records."""
    from ..test_engine_demo import with_an_export_lacking_a_column

    folder = with_an_export_lacking_a_column(tmp_path / "ev")
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["audit", PACK, str(folder), "--period", "2026-Q3", "--out", str(out), *JSON_ONLY]
    )
    assert result.exit_code == 1, result.output
    assert (
        "warning: tickets-2026Q4extra.xlsx: optional field 'first_solution_at' has no column; "
        "its records are left out of the rules that judge by it"
    ) in result.output.splitlines()
    # said once: not again in the file's own words, which the audit prints for other warnings
    assert result.output.count("optional field 'first_solution_at'") == 1, result.output
    assert re.search(r"TECH-INITIAL-4H .* 96\.8 % .* 221 +221 ", result.output), result.output
