"""`auditor audit PACK PACK EVIDENCE_DIR` and the commands that read a combined audit."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from auditor.cli import main

from ..conftest import RULES
from ..test_multi_pack import DEMO, PACKS, both_demos

PACK_PATHS = [str(RULES / f"{p}.yaml") for p in PACKS]


@pytest.fixture(scope="module")
def evidence(tmp_path_factory) -> Path:
    return both_demos(tmp_path_factory.mktemp("ev") / "evidence")


def audit(runner, evidence, out, *extra):
    return runner.invoke(
        main,
        ["audit", *PACK_PATHS, str(evidence), "--out", str(out), "--period", "2026-Q3", *extra],
    )


def test_audit_of_two_packs_prints_each_summary_and_the_combined_one(
    runner, evidence, tmp_path
) -> None:
    result = audit(runner, evidence, tmp_path, "--format", "json,html,csv", "--lang", "en")
    assert result.exit_code == 1, result.output  # both demos hold a major nonconformity
    assert "audit of service-quality for 2026-Q3" in result.output
    assert "audit of special-service-monitoring for 2026-Q3" in result.output
    assert "combined recommendation: certification not recommended" in result.output
    assert (tmp_path / "report.html").exists()
    for pack in PACKS:
        assert (tmp_path / pack / "findings.json").exists()
        assert (tmp_path / pack / "failing-records.csv").exists()
        assert (tmp_path / pack / "capa.csv").exists()
    top = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in top["packs"]] == list(PACKS)


def test_fail_on_never_exits_0(runner, evidence, tmp_path) -> None:
    result = audit(runner, evidence, tmp_path, "--format", "json", "--fail-on", "never")
    assert result.exit_code == 0, result.output


def test_commands_on_a_combined_folder(runner, evidence, tmp_path) -> None:
    out = tmp_path / "out"
    assert audit(runner, evidence, out, "--format", "json").exit_code == 1
    verified = runner.invoke(main, ["verify", str(out)])
    assert verified.exit_code == 0, verified.output
    # the 14 files of the folder (a checklist both packs read counted once)
    assert len(list(evidence.iterdir())) == 14
    assert verified.output.splitlines()[-1] == "verified: 99 findings reproduced from 14 files"
    one = runner.invoke(main, ["verify", str(out / "service-quality")])
    assert one.exit_code == 2 and len(one.output.strip().splitlines()) == 1
    assert "verify the combined audit folder" in one.output
    diff = runner.invoke(main, ["diff", str(out), str(out)])
    assert diff.exit_code == 2 and "give its folder, e.g." in diff.output
    rendered = runner.invoke(
        main, ["report", "render", str(out / "findings.json"), "--format", "html", "--lang", "en"]
    )
    assert rendered.exit_code == 0, rendered.output
    assert (out / "report.html").exists()
    sample = runner.invoke(
        main,
        ["sample", "VISIT-ON-TIME", "--audit", str(out), "--size", "5", "--seed", "3",
         "--out", str(tmp_path / "s.csv")],
    )  # fmt: skip
    assert sample.exit_code == 0, sample.output
    unknown = runner.invoke(
        main, ["sample", "VISIT-ON-TIM", "--audit", str(out), "--size", "5", "--seed", "3"]
    )
    assert unknown.exit_code == 2 and "VISIT-ON-TIME" in unknown.output


def test_a_pack_given_twice_is_one_line(runner, evidence, tmp_path) -> None:
    result = runner.invoke(
        main, ["audit", PACK_PATHS[0], PACK_PATHS[0], str(evidence), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "given twice" in result.output


def test_a_file_no_pack_takes_is_one_line(runner, tmp_path) -> None:
    folder = both_demos(tmp_path / "evidence")
    (folder / "unrelated.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    result = audit(runner, folder, tmp_path / "out", "--format", "json")
    assert result.exit_code == 2
    assert (
        "unrelated.csv" in result.output
        and "no pack's evidence kinds take this file" in result.output
    )


def test_a_file_no_pack_takes_is_told_a_name_after_the_first_packs_first_kind(
    runner, tmp_path
) -> None:
    """The example name is one of the packs' own kinds (it was interactions-2026-07.csv, a kind
    of one pack only, whichever packs were given)."""
    folder = both_demos(tmp_path / "evidence")
    (folder / "unrelated.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    packs = [str(RULES / f"{p}.yaml") for p in reversed(PACKS)]
    result = runner.invoke(main, ["audit", *packs, str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip().endswith(
        "name the file after its kind (e.g. sites-2026-07.csv) or give a mapping"
    )


def test_register_records_each_pack_and_waivers_are_named(
    runner, evidence, tmp_path, monkeypatch
) -> None:
    """The phone rule's one failing site waived: its pack's recommendation line names what was
    waived; each register line names its pack (the demos' golden nonconformities: service
    quality's two minors left, STANDARD-TRAINED then ROOT-CAUSE; the monitoring pack's seven
    rules judged pooled and BADGE-WORN's two sites)."""
    monkeypatch.setattr("auditor.cli._today", lambda: date(2026, 10, 1))
    register = tmp_path / "capa.db"
    waived = runner.invoke(
        main,
        ["waiver", "add", "--rule", "RESP-PHONE-30S", "--group", "site=SH", "--reason",
         "new switch being installed at SH", "--risk", "medium", "--requested-by", "ops",
         "--approved-by", "quality director", "--until", "2026-12-31", "--register", str(register)],
    )  # fmt: skip
    assert waived.exit_code == 0, waived.output
    result = audit(
        runner, evidence, tmp_path / "out", "--format", "json", "--register", str(register)
    )
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert (
        "  service-quality: certification recommended subject to an accepted corrective-action "
        "plan; waived: RESP-PHONE-30S (would be nonconform-major, W-1), "
        "RESP-PHONE-30S@site=SH@2026-08 (would be nonconform-major, W-1)"
    ) in lines
    assert (
        "  special-service-monitoring: certification not recommended (major nonconformity)"
    ) in lines
    assert [line for line in lines if line.startswith(f"register {register}")] == [
        f"register {register} (service-quality): 2 items opened (CAPA-2026-0001, "
        "CAPA-2026-0002), no item linked",
        f"register {register} (special-service-monitoring): 9 items opened (CAPA-2026-0003, "
        "CAPA-2026-0004, CAPA-2026-0005, CAPA-2026-0006, CAPA-2026-0007, CAPA-2026-0008, "
        "CAPA-2026-0009, CAPA-2026-0010 and 1 more), no item linked",
    ]


def test_a_pack_that_takes_no_file_is_named(runner, tmp_path) -> None:
    """A folder holding only one pack's evidence, audited with another pack too: one line
    naming the pack that takes nothing (its audit could not even tell its period)."""
    import shutil

    from ..conftest import ROOT

    folder = tmp_path / "ev"
    folder.mkdir()
    shutil.copy(ROOT / "evidence/demo/service-quality/interactions-2026Q3.csv", folder)
    packs = [str(RULES / "service-quality.yaml"), str(RULES / "touchpoint-monitoring.yaml")]
    result = runner.invoke(main, ["audit", *packs, str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert (
        "pack touchpoint-monitoring takes none of the evidence files here (the other packs "
        in lines[0]
    )
    assert "take interactions-2026Q3.csv)" in lines[0]


def test_a_pack_whose_files_hold_no_record_of_the_period_is_named(runner, tmp_path) -> None:
    """service-quality takes only training.csv of the customer-service-evaluation demo, and
    none of its judged kinds has a record in the period: the one line says which pack's audit
    stopped (alone, the same audit's line would need no pack name)."""
    from ..conftest import ROOT

    packs = [str(RULES / "service-quality.yaml"), str(RULES / "customer-service-evaluation.yaml")]
    folder = ROOT / "evidence/demo/customer-service-evaluation"
    result = runner.invoke(
        main, ["audit", *packs, str(folder), "--out", str(tmp_path / "o"), "--period", "2026-Q3"]
    )
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        "error: pack service-quality: no evidence record in 2026-Q3: 1 file(s) read, 194 rows "
        "stored; check the evidence folder, the file names and the mapping"
    ]


def test_no_period_and_no_readable_file_names_what_the_folder_holds(runner, tmp_path) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "cases.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    result = runner.invoke(
        main,
        ["audit", str(RULES / "service-quality.yaml"), str(folder), "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2, result.output
    assert "cannot tell the audit period: no record with a time was stored (0 file(s) read" in (
        result.output
    )
    assert "cases.xls" in result.output and "ingest summary" not in result.output


def test_a_second_combined_audit_leaves_the_user_s_files_in_a_pack_s_folder(
    runner, evidence, tmp_path
) -> None:
    """A pack's folder was replaced whole: a report rendered into it and the user's notes
    went in silence. Now it is replaced as a one-pack audit's folder is."""
    out = tmp_path / "out"
    assert audit(runner, evidence, out, "--format", "json,html").exit_code == 1
    pack = out / "service-quality"
    render = ["report", "render", str(pack / "findings.json"), "--format", "html", "--lang", "en"]
    assert runner.invoke(main, [*render, "--out", str(pack / "en")]).exit_code == 0
    (pack / "notes.txt").write_text("notes", encoding="utf-8")
    result = audit(runner, evidence, out, "--format", "json")
    assert result.exit_code == 1, result.output
    assert (pack / "notes.txt").read_text(encoding="utf-8") == "notes"
    assert (pack / "en" / "report.html").is_file()
    assert (
        "note: service-quality/en/ holds a report not rendered from this audit's findings, "
        "left as it was: render it again from the new findings.json, or remove it\n"
    ) in result.stderr


def test_a_file_of_the_user_s_with_a_pack_s_name_stops_the_audit(
    runner, evidence, tmp_path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "service-quality").write_text("mine", encoding="utf-8")
    result = audit(runner, evidence, out, "--format", "json")
    assert (result.exit_code, result.output) == (
        2,
        f"error: {out / 'service-quality'}: a file or folder of yours has the name of a folder "
        "the audit writes here; move or rename it, or give another --out\n",
    )
    assert (out / "service-quality").read_text(encoding="utf-8") == "mine"
    assert [p.name for p in out.iterdir()] == ["service-quality"]


def test_a_previous_audit_of_one_pack_is_warned_of_for_the_other(
    runner, evidence, tmp_path
) -> None:
    earlier = tmp_path / "earlier"
    assert audit(runner, evidence, earlier, "--format", "json").exit_code == 1
    previous = str(earlier / "service-quality" / "findings.json")
    result = audit(runner, evidence, tmp_path / "out", "--format", "json", "--previous", previous)
    assert result.exit_code == 1, result.output
    assert [line for line in result.stderr.splitlines() if "--previous" in line] == [
        "warning: special-service-monitoring: --previous: the two audits are of different "
        "packs: service-quality and special-service-monitoring"
    ]


def test_verify_of_a_combined_audit_names_a_register_edited_against_its_history_once(
    runner, evidence, tmp_path
) -> None:
    import sqlite3

    out, register = tmp_path / "out", tmp_path / "r.db"
    assert audit(runner, evidence, out, "--format", "json", "--register", str(register)).exit_code
    with sqlite3.connect(register) as db:
        (item,) = db.execute("SELECT id FROM items ORDER BY id LIMIT 1").fetchone()
        db.execute("UPDATE items SET status = 'verified-effective' WHERE id = ?", [item])
    verified = runner.invoke(main, ["verify", str(out), "--register", str(register)])
    assert verified.exit_code == 1, verified.output
    assert [line for line in verified.output.splitlines() if line.startswith("differs:")] == [
        f"differs: register r.db: item {item}: status 'verified-effective' in the items table, "
        "'open' in the history"
    ]


def test_a_combined_report_rendered_with_the_register_names_each_pack_s_items(
    runner, evidence, tmp_path, monkeypatch
) -> None:
    """audit --register recorded each pack's audit (service-quality's 3 items first, then
    special-service-monitoring's 9); report render --register names them in each pack's
    capa.csv and in the report's plans, as it does for one pack's audit."""
    import csv

    monkeypatch.setattr("auditor.cli._today", lambda: date(2026, 10, 1))  # CAPA-2026-...
    out, register = tmp_path / "out", str(tmp_path / "r.db")
    audited = audit(runner, evidence, out, "--format", "json", "--register", register)
    assert audited.exit_code == 1, audited.output
    rendered = tmp_path / "rendered"
    render = ["report", "render", str(out / "findings.json"), "--format", "html,csv",
              "--lang", "en", "--out", str(rendered), "--register", register]  # fmt: skip
    done = runner.invoke(main, render)
    assert done.exit_code == 0, done.output
    numbers = {"service-quality": range(1, 4), "special-service-monitoring": range(4, 13)}
    for pack, items in numbers.items():
        with (rendered / pack / "capa.csv").open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert [row["register_item"] for row in rows] == [f"CAPA-2026-{n:04d}" for n in items]
    html = (rendered / "report.html").read_text(encoding="utf-8")
    for n in range(1, 13):
        assert html.count(f'<span class="register-id">CAPA-<wbr>2026-<wbr>{n:04d}</span>') == 1


def test_a_combined_report_rendered_with_the_register_reads_and_plans_each_pack_once(
    runner, evidence, tmp_path, monkeypatch
) -> None:
    """report render --register reads each pack's findings.json once and builds each pack's
    CAPA plan once (for its section and the opening part's recommendation), not twice."""
    from auditor.findings.contract import FindingsDocument
    from auditor.report import registers

    out, register = tmp_path / "out", str(tmp_path / "r.db")
    assert audit(runner, evidence, out, "--format", "json", "--register", register).exit_code
    loads: list[str] = []
    plans: list[str] = []
    load, capa_items = FindingsDocument.load, registers.capa_items

    def counted_load(path):  # type: ignore[no-untyped-def]
        loads.append(Path(path).parent.name)
        return load(path)

    def counted_items(document, *more):  # type: ignore[no-untyped-def]
        plans.append(document.manifest.pack.id)
        return capa_items(document, *more)

    monkeypatch.setattr(FindingsDocument, "load", counted_load)
    monkeypatch.setattr(registers, "capa_items", counted_items)
    render = ["report", "render", str(out / "findings.json"), "--format", "html",
              "--lang", "en", "--out", str(tmp_path / "rendered"), "--register", register]  # fmt: skip
    done = runner.invoke(main, render)
    assert done.exit_code == 0, done.output
    assert sorted(loads) == sorted(plans) == sorted(PACKS)


def test_a_combined_report_rendered_with_a_register_a_pack_is_not_in_is_refused(
    runner, evidence, tmp_path
) -> None:
    """A register that has not recorded the packs' audits cannot name their items: one line
    naming the first such pack, exit 2, nothing written."""
    out, register = tmp_path / "out", str(tmp_path / "r.db")
    assert audit(runner, evidence, out, "--format", "json").exit_code == 1
    one = runner.invoke(
        main, ["audit", PACK_PATHS[0], str(DEMO / PACKS[0]), "--out", str(tmp_path / "one"),
               "--period", "2026-Q3", "--format", "json", "--register", register],
    )  # fmt: skip
    assert one.exit_code == 1, one.output
    rendered = tmp_path / "rendered"
    render = ["report", "render", str(out / "findings.json"), "--format", "html,csv",
              "--out", str(rendered), "--register", register]  # fmt: skip
    refused = runner.invoke(main, render)
    assert (refused.exit_code, refused.output) == (
        2,
        f"error: {register}: the audit of pack service-quality is not recorded in this "
        "register, so its plan cannot name the register's items; give the register the audit "
        "was recorded in, or record it there with auditor audit --register\n",
    )
    assert not rendered.exists()
