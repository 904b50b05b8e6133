"""Several packs in one audit: each pack's findings as if audited alone, a crosswalk, the worst
recommendation, and a combined folder that verifies as a whole."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from auditor.certify.verify import NOT_RECOMPUTED, verify_audit
from auditor.diff import load_previous
from auditor.errors import AuditorError, ReportError
from auditor.findings.combined import CombinedDocument
from auditor.findings.contract import FindingsDocument
from auditor.multi import run_multi_audit
from auditor.recommendation import DECISIONS, worst_decision
from auditor.register.waivers import Waiver
from auditor.report import render_combined

from .conftest import ROOT, RULES, STANDARDS
from .test_demo_golden import GOLDEN, figures
from .test_report_trust import Visible, data_words

DEMO = ROOT / "evidence" / "demo"
PACKS = ("service-quality", "special-service-monitoring")
COMBINED_SCHEMA = ROOT / "auditor" / "findings" / "combined-schema.json"


def both_demos(folder: Path) -> Path:
    """One folder holding both demo evidence sets; a name both hold gets its pack's name added."""
    names = [{p.name for p in (DEMO / pack).iterdir()} for pack in PACKS]
    clashes = names[0] & names[1]
    assert clashes == {"checklist.csv"}  # the only file name the two sets share
    folder.mkdir()
    for pack in PACKS:
        for path in (DEMO / pack).iterdir():
            name = f"{path.stem}-{pack}{path.suffix}" if path.name in clashes else path.name
            shutil.copy(path, folder / name)
    return folder


@pytest.fixture(scope="module")
def combined(tmp_path_factory) -> Any:
    base = tmp_path_factory.mktemp("multi")
    evidence = both_demos(base / "evidence")
    result = run_multi_audit(
        [RULES / f"{p}.yaml" for p in PACKS], evidence, base / "out", "2026-Q3"
    )
    return result


@pytest.mark.parametrize("pack", PACKS)
def test_each_pack_has_the_figures_of_its_one_pack_audit(combined, pack) -> None:
    golden = json.loads((GOLDEN / f"demo-{pack}.json").read_text(encoding="utf-8"))
    data = json.loads((combined.out / pack / "findings.json").read_text(encoding="utf-8"))
    got = json.loads(json.dumps(figures(data)))
    assert got == golden


def test_each_pack_reads_its_own_files(combined) -> None:
    read = {
        a.findings.manifest.pack.id: {e.file for e in a.findings.manifest.evidence}
        for a in combined.audits
    }
    sq = {p.name for p in (DEMO / "service-quality").iterdir()} - {"checklist.csv"}
    ssm = {p.name for p in (DEMO / "special-service-monitoring").iterdir()} - {"checklist.csv"}
    assert read["service-quality"] == sq | {"checklist-service-quality.csv"}
    # the monitoring pack's checklist kind also knows the column name of the other checklist
    assert read["special-service-monitoring"] == ssm | {
        "checklist-special-service-monitoring.csv",
        "checklist-service-quality.csv",
    }


def test_the_top_level_lists_each_pack_with_its_hash(combined) -> None:
    top = json.loads((combined.out / "findings.json").read_text(encoding="utf-8"))
    assert top["document"] == "combined"
    assert [p["id"] for p in top["packs"]] == list(PACKS)
    for entry in top["packs"]:
        path = combined.out / entry["findings"]
        assert entry["findings"] == f"{entry['id']}/findings.json"
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        own = json.loads(path.read_text(encoding="utf-8"))
        assert entry["summary"] == own["summary"]
        assert entry["period"] == "2026-Q3"
    assert CombinedDocument.load(combined.out / "findings.json").pack_ids() == list(PACKS)


def test_the_combined_recommendation_is_the_worst(combined) -> None:
    top = json.loads((combined.out / "findings.json").read_text(encoding="utf-8"))
    decisions = {}
    for pack in PACKS:
        golden = json.loads((GOLDEN / f"demo-{pack}.json").read_text(encoding="utf-8"))
        majors = [r for r, v in golden.items() if v["verdict_severity"] == "major"]
        majors = [r for r in majors if golden[r]["verdict"] == "nonconform"]
        decisions[pack] = "not-recommended" if majors else "other"
    per_pack = {p["pack"]: p["decision"] for p in top["recommendation"]["packs"]}
    assert per_pack == decisions  # both demos hold a major nonconformity
    assert top["recommendation"]["decision"] == "not-recommended"
    assert top["crosswalk"] == []  # the shipped packs share no requirement


@given(st.lists(st.sampled_from(DECISIONS), min_size=1))
def test_worst_decision_is_the_latest_in_order(decisions) -> None:
    worst = worst_decision(decisions)
    assert worst in decisions
    assert all(DECISIONS.index(d) <= DECISIONS.index(worst) for d in decisions)


def test_a_one_pack_findings_reader_names_the_pack_folder(combined) -> None:
    with pytest.raises(ReportError) as caught:
        FindingsDocument.load(combined.out / "findings.json")
    text = str(caught.value)
    assert "combined audit of 2 packs" in text and "service-quality" in text
    assert "\n" not in text


def test_a_previous_combined_audit_is_read_pack_by_pack_for_several_packs(combined) -> None:
    earlier = load_previous(combined.out, several=True)
    assert isinstance(earlier, dict)
    assert sorted(earlier) == sorted(PACKS)
    for pack in PACKS:
        assert earlier[pack] == FindingsDocument.load(combined.out / pack / "findings.json")
    assert load_previous(None, several=True) is None
    with pytest.raises(ReportError, match="combined audit of 2 packs"):
        load_previous(combined.out, several=False)  # one pack's audit is wanted


def test_the_combined_schema_file_is_generated_from_the_contract() -> None:
    assert json.loads(COMBINED_SCHEMA.read_text(encoding="utf-8")) == (
        CombinedDocument.json_schema()
    )


# ------------------------------------------------------------ two small packs that share


def small_packs(folder: Path) -> tuple[Path, Path]:
    """A phone-desk pack and a chat-desk pack; each has the chat reply rule under its own id."""
    source = yaml.safe_load((RULES / "service-quality.yaml").read_text(encoding="utf-8"))
    (folder / "rules").mkdir()
    shutil.copytree(STANDARDS, folder / "standards")
    paths = []
    for name, keep in (
        ("phone-desk", ("RESP-PHONE-30S", "RESP-CHAT-1MIN")),
        ("chat-desk", ("RESP-CHAT-1MIN",)),
    ):
        pack = dict(source, pack=name)
        pack["evidence"] = {"interactions": source["evidence"]["interactions"]}
        rules = [dict(r) for r in source["rules"] if r["id"] in keep]
        if name == "chat-desk":
            rules[0]["id"] = "CHAT-REPLY"
        pack["rules"] = rules
        path = folder / "rules" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(pack, allow_unicode=True, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Any:
    base = tmp_path_factory.mktemp("shared")
    phone, chat = small_packs(base)
    evidence = base / "evidence"
    evidence.mkdir()
    shutil.copy(DEMO / "service-quality" / "interactions-2026Q3.csv", evidence)
    return run_multi_audit([phone, chat], evidence, base / "out", "2026-Q3")


def test_a_requirement_both_packs_share_is_shown_once(shared) -> None:
    top = json.loads((shared.out / "findings.json").read_text(encoding="utf-8"))
    assert len(top["crosswalk"]) == 1
    entry = top["crosswalk"][0]
    assert [(c["pack"], c["rule"], c["clause"]) for c in entry["clauses"]] == [
        ("phone-desk", "RESP-CHAT-1MIN", "3.1.2"),
        ("chat-desk", "CHAT-REPLY", "3.1.2"),
    ]
    assert entry["evidence"] == "interactions" and entry["measure"] == "duration"
    golden = json.loads((GOLDEN / "demo-service-quality.json").read_text(encoding="utf-8"))
    pooled = golden["RESP-CHAT-1MIN"]["findings"]["RESP-CHAT-1MIN"]
    for clause in entry["clauses"]:
        assert clause["verdict"] == golden["RESP-CHAT-1MIN"]["verdict"] == "conform"
        assert clause["value"] == pytest.approx(pooled["value"])


def test_the_worst_pack_decides(shared) -> None:
    top = json.loads((shared.out / "findings.json").read_text(encoding="utf-8"))
    per_pack = {p["pack"]: p["decision"] for p in top["recommendation"]["packs"]}
    # the phone rule has a major nonconformity (the demo's golden figures); the chat rule conforms
    assert per_pack == {"phone-desk": "not-recommended", "chat-desk": "recommended"}
    assert top["recommendation"]["decision"] == "not-recommended"


def test_the_shared_requirement_in_the_report(shared, tmp_path) -> None:
    document = CombinedDocument.load(shared.out / "findings.json")
    render_combined(document, shared.out, ("html",), "en", out=tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert (
        'data-crosswalk-rule="CHAT-REPLY"' in html
        and 'data-crosswalk-rule="RESP-CHAT-1MIN"' in html
    )
    assert html.count('class="pack-section"') == 2


@pytest.fixture(scope="module")
def waived(tmp_path_factory) -> Any:
    """The two small packs with the phone rule's one failing site (SH, August) waived."""
    base = tmp_path_factory.mktemp("waived")
    evidence = base / "evidence"
    evidence.mkdir()
    shutil.copy(DEMO / "service-quality" / "interactions-2026Q3.csv", evidence)
    waiver = Waiver(
        "W-1", "RESP-PHONE-30S", "site=SH", "new switch being installed at SH", "medium", "ops",
        "quality director", date(2026, 10, 1), date(2026, 12, 31),
    )  # fmt: skip
    return run_multi_audit(
        list(small_packs(base)), evidence, base / "out", "2026-Q3", waivers=[waiver],
        today=date(2026, 10, 1),
    )  # fmt: skip


def test_the_combined_recommendation_lists_each_packs_waived_nonconformities(waived) -> None:
    """Beside majors and minors, as the pack's own report lists them: the rule, then its group."""
    top = json.loads((waived.out / "findings.json").read_text(encoding="utf-8"))
    phone, chat = top["recommendation"]["packs"]
    would_be = {"verdict": "nonconform", "severity": "major"}
    assert (phone["decision"], phone["majors"], phone["minors"]) == ("recommended", [], [])
    assert [
        (w["finding"], w["waived"]["waiver"], w["waived"]["would_be"]) for w in phone["waived"]
    ] == [
        ("RESP-PHONE-30S", "W-1", would_be),
        ("RESP-PHONE-30S@site=SH@2026-08", "W-1", would_be),
    ]
    assert chat["waived"] == []


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Waived nonconformities: {rule} (would be major nonconformity, W-1), "
               "{cell} (would be major nonconformity, W-1)"),
        ("zh", "已豁免的不符合: {rule}(否则应为严重不符合,W-1), {cell}(否则应为严重不符合,W-1)"),
    ],
)  # fmt: skip
def test_the_combined_cover_names_each_packs_waived_nonconformities(
    waived, tmp_path, lang, text
) -> None:
    document = CombinedDocument.load(waived.out / "findings.json")
    render_combined(document, waived.out, ("html",), lang, out=tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    rule = '<span class="data">RESP-PHONE-30S</span>'
    cell = '<span class="data">RESP-PHONE-30S@<wbr>site=SH@<wbr>2026-08</span>'
    assert f'data-waived-in="phone-desk">{text.format(rule=rule, cell=cell)}</span>' in html
    assert 'data-waived-in="chat-desk"' not in html


def test_each_packs_section_names_its_failing_records_file_from_the_report(combined) -> None:
    """The files are in each pack's folder, not beside the combined report."""
    document = CombinedDocument.load(combined.out / "findings.json")
    texts = {
        "en": "All {rows} failing records are in {path}, SHA-256 {sha256}.",
        "zh": "全部 {rows} 条不符合记录见 {path},SHA-256 {sha256}。",
    }
    for lang, folder, where in (
        ("en", combined.out, ""),
        ("zh", combined.out, ""),
        ("en", combined.out / "elsewhere", "../"),
    ):
        render_combined(document, combined.out, ("html",), lang, out=folder)
        html = (folder / "report.html").read_text(encoding="utf-8")
        for pack in PACKS:
            listing = FindingsDocument.load(combined.out / pack / "findings.json").failing_records
            assert listing is not None and listing.path == "failing-records.csv"
            path = f"{where}{pack}/failing-records.csv"
            rows = f"{listing.rows:,}"
            assert texts[lang].format(rows=rows, path=path, sha256=listing.sha256) in html
        named = sum(html.count(f"{where}{pack}/failing-records.csv") for pack in PACKS)
        assert html.count("failing-records.csv") == named > len(PACKS)


def test_the_combined_cover_names_each_packs_rules_not_evaluable(tmp_path) -> None:
    """The recommendation counts a rule that could not be judged; the cover names them
    (here the surveys' rules, with no survey file)."""
    evidence = both_demos(tmp_path / "evidence")
    (evidence / "surveys.jsonl").unlink()
    result = run_multi_audit(
        [RULES / f"{p}.yaml" for p in PACKS], evidence, tmp_path / "out", "2026-Q3"
    )
    document = CombinedDocument.load(result.out / "findings.json")
    render_combined(document, result.out, ("html",), "en", out=tmp_path / "report")
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    for pack in PACKS:
        findings = json.loads((result.out / pack / "findings.json").read_text(encoding="utf-8"))
        expected = [r["rule"] for r in findings["rules"] if r["verdict"] == "not-evaluable"]
        marker = f'data-not-evaluable="{pack}">Rules not evaluable: <span class="data">'
        assert (marker + ", ".join(expected) in html) == bool(expected), pack
    assert 'data-not-evaluable="' in html  # the demo has such rules


def test_a_file_named_after_a_kind_that_another_pack_took_is_noted(tmp_path) -> None:
    """One checklist.csv, of the special-service pack's layout, in a subfolder:
    service-quality's checklist kind (which needs a site) does not take it, and its audit
    says why it has none, naming the file by its path in the evidence folder (another
    folder may hold a checklist.csv it does read)."""
    evidence = both_demos(tmp_path / "evidence")
    (evidence / "checklist-service-quality.csv").unlink()
    (evidence / "ssm").mkdir()
    (evidence / "checklist-special-service-monitoring.csv").rename(evidence / "ssm/checklist.csv")
    result = run_multi_audit(
        [RULES / f"{p}.yaml" for p in PACKS], evidence, tmp_path / "out", "2026-Q3"
    )
    service, special = result.audits
    assert service.notes == [
        "ssm/checklist.csv is named after the kind checklist but lacks its required field "
        "site: only special-service-monitoring reads it"
    ]
    assert special.notes == []


def pack_folders(folder: Path, service_checklist: str) -> Path:
    """Evidence in folders named after the packs: the special-service demo as shipped, and
    a service-quality folder holding only the checklist given."""
    shutil.copytree(DEMO / "special-service-monitoring", folder / "special-service-monitoring")
    (folder / "service-quality").mkdir()
    (folder / "service-quality" / "checklist.csv").write_text(service_checklist, encoding="utf-8")
    return folder


def test_a_file_in_a_pack_s_folder_is_that_pack_s_evidence_only(tmp_path) -> None:
    """service-quality's checklist says an item of the special-service pack's (same name, a
    header that pack's checklist kind reads) was 'no': routed by name, the special-service
    audit would read it and its rule turn nonconform; in service-quality's folder it is
    service-quality's only, and the rule keeps the verdict of its own checklist (every
    CUSTOMER-INTERVIEWS row there is 'yes')."""
    evidence = pack_folders(
        tmp_path / "evidence",
        "检查项,站点,结果,检查日期\nCUSTOMER-INTERVIEWS,BJ,no,2026-09-29\n",
    )
    result = run_multi_audit(
        [RULES / f"{p}.yaml" for p in PACKS], evidence, tmp_path / "out", "2026-Q3"
    )
    service, special = result.audits
    read = {e.file for e in special.findings.manifest.evidence}
    assert read == {
        f"special-service-monitoring/{p.name}"
        for p in (DEMO / "special-service-monitoring").iterdir()
    }
    assert {e.file for e in service.findings.manifest.evidence} == {"service-quality/checklist.csv"}
    rule = next(r for r in special.findings.rules if r.rule == "CUSTOMER-INTERVIEWS")
    assert rule.verdict == "conform"
    assert special.notes == [
        "service-quality/checklist.csv is in pack service-quality's folder: only "
        "service-quality reads it"
    ]
    assert service.notes == []
    assert verify_audit(tmp_path / "out").verified


def test_a_file_in_a_pack_s_folder_that_pack_does_not_take_is_named(tmp_path) -> None:
    """A special-service sites file put in service-quality's folder is not handed to the
    special-service pack: service-quality has no kind for it, and the audit stops saying so."""
    evidence = pack_folders(tmp_path / "evidence", "检查项,站点,结果,检查日期\n")
    sites = DEMO / "special-service-monitoring" / "sites.csv"
    shutil.copy(sites, evidence / "service-quality" / "sites.csv")
    with pytest.raises(AuditorError) as caught:
        run_multi_audit([RULES / f"{p}.yaml" for p in PACKS], evidence, tmp_path / "out", "2026-Q3")
    text = str(caught.value)
    assert "service-quality/sites.csv" in text
    assert (
        "in the folder of pack service-quality" in text
        and "move it out of service-quality/" in text
    )


def test_a_shared_rule_decided_by_one_group_shows_that_groups_figures(tmp_path) -> None:
    """Two packs both hold the phone rule, judged in each site and month: the crosswalk shows,
    beside each verdict, the figures of the cell that decided it (as each pack's findings.json
    has them) and names the cell, not the pooled figure that meets the target."""
    source = yaml.safe_load((RULES / "service-quality.yaml").read_text(encoding="utf-8"))
    (tmp_path / "rules").mkdir()
    shutil.copytree(STANDARDS, tmp_path / "standards")
    paths = []
    for name, rule_id in (("phone-desk", "RESP-PHONE-30S"), ("phone-line", "PHONE-ANSWER")):
        pack = dict(source, pack=name)
        pack["evidence"] = {"interactions": source["evidence"]["interactions"]}
        pack["rules"] = [
            dict(r, id=rule_id) for r in source["rules"] if r["id"] == "RESP-PHONE-30S"
        ]
        path = tmp_path / "rules" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(pack, allow_unicode=True, sort_keys=False), encoding="utf-8")
        paths.append(path)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    shutil.copy(DEMO / "service-quality" / "interactions-2026Q3.csv", evidence)
    result = run_multi_audit(paths, evidence, tmp_path / "out", "2026-Q3")
    document = CombinedDocument.load(result.out / "findings.json")
    assert len(document.crosswalk) == 1
    for lang, decided in (
        ("en", "decided by site=SH · 2026-08"),
        ("zh", "决定结论的是 site=SH · 2026-08"),
    ):
        render_combined(document, result.out, ("html",), lang, out=tmp_path / lang)
        html = (tmp_path / lang / "report.html").read_text(encoding="utf-8")
        for name, rule_id in (("phone-desk", "RESP-PHONE-30S"), ("phone-line", "PHONE-ANSWER")):
            one = FindingsDocument.load(result.out / name / "findings.json")
            rule = next(r for r in one.rules if r.rule == rule_id)
            cell = rule.deciding_finding()
            assert cell.id == f"{rule_id}@site=SH@2026-08" and cell is not rule.findings[0]
            start = html.index(f'data-crosswalk-pack="{name}" data-crosswalk-rule="{rule_id}"')
            row = html[start : html.index("</tr>", start)]
            assert f'data-decided-by="{cell.id}"' in row and f">{decided}<" in row
            assert f'data-value="{cell.value}"' in row and ">56.2\xa0%<" in row
            assert "92.6" not in row  # the pooled figure, which meets the target


# ------------------------------------------------------------ verify


@pytest.fixture
def audited(tmp_path) -> Path:
    evidence = both_demos(tmp_path / "evidence")
    run_multi_audit([RULES / f"{p}.yaml" for p in PACKS], evidence, tmp_path / "out", "2026-Q3")
    return tmp_path / "out"


def test_verify_passes_then_names_an_edited_pack_findings(audited) -> None:
    report = verify_audit(audited)
    assert report.verified, report.differences
    golden = [json.loads((GOLDEN / f"demo-{p}.json").read_text(encoding="utf-8")) for p in PACKS]
    assert report.findings == sum(len(r["findings"]) for g in golden for r in g.values())
    path = audited / "service-quality" / "findings.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"conform"', '"observation"', 1), encoding="utf-8"
    )
    report = verify_audit(audited)
    assert not report.verified
    (line,) = report.differences
    assert line.startswith("service-quality/findings.json: different SHA-256 (")
    assert line.endswith("...)") and ", recorded " in line  # both hashes, as for any file


def test_verify_says_findings_json_was_checked_only_when_its_findings_were_rerun(
    audited,
) -> None:
    """The combined audit's report and a pack's: "rendered from findings.json (which is)" on a
    clean run; with an evidence file changed, or a pack's findings.json, nothing is computed
    again, and the notes said findings.json was checked all the same."""
    (audited / "report.html").write_text("<p>combined</p>", encoding="utf-8")
    (audited / "service-quality" / "report.html").write_text("<p>one</p>", encoding="utf-8")
    checked = (
        "report.html not checked: it is rendered from findings.json (which is); to check it, "
        "render it again with auditor report render and compare"
    )
    assert verify_audit(audited).notes == [checked, f"service-quality/{checked}"]
    not_rerun = (
        "report.html not checked: it is rendered from findings.json, whose findings were not "
        "computed again (see below)"
    )
    agents = audited.parent / "evidence" / "agents.csv"
    kept = agents.read_bytes()
    agents.write_bytes(kept + b"\n")
    report = verify_audit(audited)
    assert report.differences and report.notes == [
        not_rerun, f"service-quality/{not_rerun}", NOT_RECOMPUTED
    ]  # fmt: skip
    agents.write_bytes(kept)
    findings = audited / "special-service-monitoring" / "findings.json"
    findings.write_bytes(findings.read_bytes() + b"\n")
    report = verify_audit(audited)
    assert report.differences and report.notes == [
        not_rerun, f"service-quality/{not_rerun}", NOT_RECOMPUTED
    ]  # fmt: skip


def test_verify_takes_the_evidence_folder_holding_the_files_read(tmp_path, monkeypatch) -> None:
    """The audit recorded 'evidence' (relative to where it ran); verified from a folder that
    holds an empty 'evidence' of its own, the one beside the audit holding the files the
    packs read is taken, as for a one-pack audit."""
    tree, other = tmp_path / "tree", tmp_path / "other"
    tree.mkdir()
    both_demos(tree / "evidence")
    (other / "evidence").mkdir(parents=True)
    monkeypatch.chdir(tree)
    run_multi_audit([RULES / f"{p}.yaml" for p in PACKS], Path("evidence"), Path("out"), "2026-Q3")
    monkeypatch.chdir(other)
    report = verify_audit(tree / "out")
    assert report.differences == []
    # 7 + 8 files, the service-quality checklist read by both packs counted once: every file
    assert report.files == 14 == len(list((tree / "evidence").iterdir()))


def edit_combined(folder: Path, edit: Any) -> None:
    """Forge the combined findings.json of ``folder``: ``edit`` changes its JSON data."""
    path = folder / "findings.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def test_verify_names_a_forged_crosswalk_and_pack_reasons(tmp_path) -> None:
    """The crosswalk and each pack's reasons in the combined recommendation are built again
    from the packs' findings.json and compared: a forgery of either is named by its place."""
    phone, chat = small_packs(tmp_path)
    (tmp_path / "evidence").mkdir()
    shutil.copy(DEMO / "service-quality" / "interactions-2026Q3.csv", tmp_path / "evidence")
    run_multi_audit([phone, chat], tmp_path / "evidence", tmp_path / "out", "2026-Q3")
    assert verify_audit(tmp_path / "out").verified

    def forge(data: dict[str, Any]) -> None:
        data["crosswalk"][0]["clauses"][1]["verdict"] = "observation"
        data["recommendation"]["packs"][0]["majors"] = []

    edit_combined(tmp_path / "out", forge)
    report = verify_audit(tmp_path / "out")
    assert report.differences == [
        "crosswalk[0]: clauses[1].verdict was observation, now conform",
        'recommendation: packs[0].majors was [], now ["RESP-PHONE-30S"]',
    ]


def test_verify_names_a_crosswalk_entry_the_packs_do_not_share(audited) -> None:
    """The demo packs share no requirement: a crosswalk entry added to the combined
    findings.json (two rules said to conform) is named, the recorded list against none."""
    sop = {"pack": "special-service-monitoring", "rule": "SOP-FOLLOWED", "verdict": "conform"}
    phone = {"pack": "service-quality", "rule": "RESP-PHONE-30S", "verdict": "conform"}

    def forge(data: dict[str, Any]) -> None:
        data["crosswalk"] = [
            {"measure": "duration", "evidence": "interactions", "target": None,
             "verdict": "conform", "verdict_severity": None,
             "clauses": [
                 {**c, "clause": "3.1.2", "clause_title": None, "title": {"en": c["rule"], "zh": c["rule"]},
                  "verdict_severity": None, "value": 1.0, "unit": None}
                 for c in (phone, sop)
             ]},
        ]  # fmt: skip

    edit_combined(audited, forge)
    report = verify_audit(audited)
    assert report.differences == [
        'crosswalk: was [{"clauses": [{"clause": "3.1.2", "clause_title": null, "pack": '
        '"service-quality..., now []'  # the recorded list cut at 80 characters
    ]


def test_verify_names_the_summary_field_a_combined_findings_forged(audited) -> None:
    """A pack's summary edited in the combined findings.json is named with both values; no
    file differs, so the findings are computed again (and no note says otherwise)."""

    def forge(data: dict[str, Any]) -> None:
        data["packs"][0]["summary"]["verdicts"]["conform"] += 1

    edit_combined(audited, forge)
    report = verify_audit(audited)
    verdicts = FindingsDocument.load(audited / PACKS[0] / "findings.json").summary.verdicts
    assert report.differences == [
        f"packs[0]: summary.verdicts.conform was {verdicts['conform'] + 1}, "
        f"now {verdicts['conform']}"
    ]
    assert report.findings == 99  # both packs' findings computed again (the golden files hold 99)
    assert not any("a re-run would prove nothing" in note for note in report.notes)


def test_a_combined_audit_by_another_build_says_so_only_when_something_differs(audited) -> None:
    """The build the combined findings.json records is not compared: another one verifies;
    with a difference as well, a note says another build made the audit."""

    def other_build(data: dict[str, Any]) -> None:
        data["tool"]["build"] = "3f2a9c1d" + "0" * 56

    edit_combined(audited, other_build)
    report = verify_audit(audited)
    assert report.verified, report.differences
    assert not any("another build" in note for note in report.notes)

    def forge(data: dict[str, Any]) -> None:
        data["packs"][0]["summary"]["verdicts"]["conform"] += 1

    edit_combined(audited, forge)
    report = verify_audit(audited)
    assert len(report.differences) == 1
    assert report.notes[0].startswith(
        "this audit was made by another build of auditor (build 3f2a9c1d0000..., this is "
    )


def test_verify_of_one_pack_folder_names_the_combined_folder(audited) -> None:
    with pytest.raises(AuditorError) as caught:
        verify_audit(audited / "special-service-monitoring")
    assert f"verify the combined audit folder {audited}" in str(caught.value)


# ------------------------------------------------------------ the report in Chinese


def test_the_combined_chinese_report_is_chinese(combined, tmp_path) -> None:
    document = CombinedDocument.load(combined.out / "findings.json")
    render_combined(document, combined.out, ("html",), "zh", out=tmp_path)
    visible = Visible()
    visible.feed((tmp_path / "report.html").read_text(encoding="utf-8"))
    text = re.sub(r"\S*failing-records\.csv", "", " ".join(visible.text)).replace(
        "findings.json", ""
    )
    allowed = {
        "CSAT",
        "NPS",
        "SOP",
        "CRM",
        "Wilson",
        "ISO",
        "SHA",
        "JSON",
        "CAPA",
        "CI",
        "csv",
        "json",
        "xlsx",
    }
    known: set[str] = set()
    for pack in PACKS:
        known |= data_words(
            json.loads((combined.out / pack / "findings.json").read_text(encoding="utf-8"))
        )
    english = set(re.findall(r"[A-Za-z][A-Za-z_]+", text)) - known - allowed
    assert english == set(), sorted(english)


def test_a_combined_render_elsewhere_lists_each_pack_s_complete_failing_records(
    runner, tmp_path, monkeypatch
) -> None:
    """`report render DIR/findings.json --out ELSEWHERE` wrote each pack's capa.xlsx from
    findings.json's lists cut at ``cap_per_finding``: it did not look for the pack's Parquet
    list in the pack's folder. Each sheet now holds every record of the pack's
    failing-records.csv, and no note."""
    import csv

    import openpyxl

    from auditor.cli import main

    monkeypatch.setattr("auditor.failing.CAP_PER_FINDING", 5)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    shutil.copy(DEMO / "service-quality" / "interactions-2026Q3.csv", evidence)
    out = run_multi_audit(list(small_packs(tmp_path)), evidence, tmp_path / "out", "2026-Q3").out
    render = ["report", "render", str(out / "findings.json"), "--format", "xlsx", "--lang", "en"]
    result = runner.invoke(main, [*render, "--out", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    for pack in ("phone-desk", "chat-desk"):
        with (out / pack / "failing-records.csv").open(encoding="utf-8-sig", newline="") as h:
            keys = [(r["finding"], r["key"]) for r in csv.DictReader(h)]
        book = openpyxl.load_workbook(tmp_path / "again" / pack / "capa.xlsx", read_only=True)
        assert book.sheetnames == ["CAPA", "failing records"]
        rows = list(book["failing records"].iter_rows(min_row=2, values_only=True))
        book.close()
        assert [(row[1], row[2]) for row in rows] == keys
        findings = json.loads((out / pack / "findings.json").read_text(encoding="utf-8"))
        assert any(f["failing_truncated"] for r in findings["rules"] for f in r["findings"])


def test_a_combined_report_with_the_register_names_each_pack_s_items(combined, tmp_path) -> None:
    """``tracked`` by pack: the pack's section names the register item of its finding, with the
    register's severity beside the audit's; a pack with none tracked names none."""
    from auditor.register.register import TrackedItem

    document = CombinedDocument.load(combined.out / "findings.json")
    held = TrackedItem("CAPA-2026-0042", "major", "2026-11-30", False)
    tracked = {"service-quality": {}, "special-service-monitoring": {"BADGE-WORN@site=GZ": held}}
    render_combined(document, combined.out, ("html",), "en", out=tmp_path, tracked=tracked)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = html.split('<div class="pack-section"')[2]  # the second pack's
    named = '<span class="register-id">CAPA-<wbr>2026-<wbr>0042</span>'
    assert html.count('class="register-id"') == section.count(named) == 1
    assert '<td class="severity">major<br><span class="note">audit: minor</span></td>' in section
    render_combined(document, combined.out, ("html",), "en", out=tmp_path)
    assert 'class="register-id"' not in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_a_pack_s_row_counts_the_plans_the_register_accepted(combined) -> None:
    """The combined page's row of a pack recommended subject to a plan (special-service-
    monitoring taken as such) says how many of its minor nonconformities' plans the register
    has accepted, as the pack's own section does: 1 of the 2 it tracks."""
    from dataclasses import replace

    from auditor.findings.contract import Decision
    from auditor.i18n import Words
    from auditor.register.register import TrackedItem
    from auditor.report.combined import combined_context
    from auditor.report.context import Options, plan_of

    document = CombinedDocument.load(combined.out / "findings.json")
    packs = {e.id: FindingsDocument.load(combined.out / e.findings) for e in document.packs}
    ssm = packs["special-service-monitoring"]
    stated = ssm.summary.recommendation.model_copy(update={"decision": Decision.SUBJECT_TO_PLAN})
    packs[ssm.manifest.pack.id] = ssm.model_copy(
        update={"summary": ssm.summary.model_copy(update={"recommendation": stated})}
    )
    tracked = {
        "special-service-monitoring": {
            "BADGE-WORN@site=GZ": TrackedItem("CAPA-2026-0004", "minor", "2027-03-06", True),
            "BADGE-WORN@site=SH": TrackedItem("CAPA-2026-0005", "minor", "2027-03-06", False),
        }
    }
    options = Options("en", date(2026, 10, 1))

    def plans(items: dict[str, dict[str, TrackedItem]]) -> dict:
        """Each pack's plan, as its section builds it, with the items it is tracked as."""
        return {
            pack: plan_of(found, replace(options, tracked=items.get(pack)), Words.of(found, "en"))
            for pack, found in packs.items()
        }

    rows = combined_context(document, packs, [], options, plans(tracked))["packs"]
    assert rows[1].text == (
        "Recommended, subject to an accepted corrective-action plan (1 of 2 plans accepted for "
        "the nonconformities this audit judged minor)"
    )
    plain = combined_context(document, packs, [], options, plans({}))["packs"]
    assert plain[1].text == "Recommended, subject to an accepted corrective-action plan"
