"""An audit as JUnit XML for CI and as OSCAL assessment results for GRC tools."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from trestle.core.validator_factory import validator_factory
from trestle.oscal import OSCAL_VERSION_REGEX
from trestle.oscal.assessment_results import AssessmentResults, Model

from auditor.audit import FAIL_LEVELS, run_audit
from auditor.certify_outputs import JunitCounts, write_assessment_results, write_junit
from auditor.certify_outputs.junit import FAIL_LEVELS as JUNIT_FAIL_LEVELS
from auditor.certify_outputs.oscal_results import OSCAL_VERSION
from auditor.errors import AuditorError
from auditor.export import export_store
from auditor.findings.contract import FindingsDocument, Verdict
from auditor.register.waivers import Waiver

from .conftest import ROOT, json_pairs

RULES = ROOT / "rules"
DEMO = ROOT / "evidence" / "demo" / "service-quality"
LEVELS = ("major", "minor", "observation", "never")


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo without its training records (two rules not evaluable) and with two waivers:

    the major month of RESP-PHONE-30S at site SH (a group of a rule judged each group) and
    ROOT-CAUSE (a pooled minor nonconformity).
    """
    evidence = tmp_path_factory.mktemp("varied-evidence") / "service-quality"
    shutil.copytree(DEMO, evidence)
    (evidence / "training.csv").unlink()
    waivers = [
        Waiver("W-1", "RESP-PHONE-30S", "site=SH", "migration of the SH call centre", "medium",
               "ops lead", "quality director", date(2026, 10, 1), date(2026, 12, 31)),
        Waiver("W-2", "ROOT-CAUSE", "", "analysis method replaced this quarter", "low",
               "quality lead", "quality director", date(2026, 10, 1), date(2026, 12, 31)),
    ]  # fmt: skip
    out = tmp_path_factory.mktemp("varied-audit")
    return run_audit(
        RULES / "service-quality.yaml", evidence, out, "2026-Q3", waivers=waivers,
        today=date(2026, 10, 15), auditor_name="Li Wei", organisation="ACME Service",
    )  # fmt: skip


# ------------------------------------------------------------ the JUnit schema


def _names(text: str) -> set[str]:
    return set(text.split())


#: junit-10.xsd, the JUnit schema of Jenkins' xUnit plugin (the one pytest checks its own
#: junit-xml against): for each element, the children it may have, the attributes it may
#: have and those it must have. An attribute the schema does not declare is invalid.
SCHEMA: dict[str, tuple[set[str], set[str], set[str]]] = {
    "testsuites": ({"testsuite"}, {"name", "time", "tests", "failures", "errors"}, set()),
    "testsuite": (
        {"testsuite", "properties", "testcase", "system-out", "system-err"},
        _names(
            "name tests failures errors group time skipped timestamp hostname id package file"
            " log url version"
        ),
        {"name", "tests", "failures", "errors"},
    ),
    "properties": ({"property"}, set(), set()),
    "property": (set(), {"name", "value"}, {"name", "value"}),
    "testcase": (
        _names(
            "skipped errors failure rerunFailure rerunError flakyFailure flakyError"
            " system-out system-err"
        ),
        {"name", "time", "classname", "group"},
        {"name"},
    ),
    "failure": (set(), {"type", "message"}, set()),
    "errors": (set(), {"type", "message"}, set()),
    "skipped": (set(), {"type", "message"}, set()),
    "system-out": (set(), set(), set()),
    "system-err": (set(), set(), set()),
}
#: the schema's SUREFIRE_TIME, the type of ``time`` on testsuite and testsuites
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?")
EMPTY = ("testsuites", "testsuite", "properties", "property", "testcase")


def check_schema(element: ET.Element) -> None:
    """Fail unless ``element`` and everything in it follow junit-10.xsd."""
    assert element.tag in SCHEMA, f"<{element.tag}> is not in the schema"
    children, allowed, required = SCHEMA[element.tag]
    attributes = set(element.attrib)
    assert attributes <= allowed, f"<{element.tag}> {attributes - allowed}"
    assert required <= attributes, f"<{element.tag}> lacks {required - attributes}"
    if element.tag in ("testsuite", "testsuites") and "time" in attributes:
        assert SUREFIRE_TIME.fullmatch(element.attrib["time"]), f"time {element.attrib['time']}"
    if element.tag in EMPTY:
        assert not (element.text or "").strip(), f"<{element.tag}> holds no text"
    for child in element:
        assert child.tag in children, f"<{child.tag}> inside <{element.tag}>"
        assert not (child.tail or "").strip()
        check_schema(child)


def check_counts(root: ET.Element) -> JunitCounts:
    """The counts as CI systems read them: each suite's equal to its cases, the root's the sums."""
    total = JunitCounts(0, 0, 0)
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        found = JunitCounts(
            tests=len(cases),
            failures=sum(c.find("failure") is not None for c in cases),
            skipped=sum(c.find("skipped") is not None for c in cases),
            errors=sum(c.find("errors") is not None for c in cases),
        )
        assert suite.attrib["tests"] == str(found.tests), f"tests {suite.attrib['tests']}"
        assert suite.attrib["failures"] == str(found.failures)
        assert suite.attrib["errors"] == str(found.errors) == "0"
        assert suite.attrib["skipped"] == str(found.skipped)
        assert all(len(c.findall("failure")) + len(c.findall("skipped")) <= 1 for c in cases)
        total = JunitCounts(
            total.tests + found.tests, total.failures + found.failures,
            total.skipped + found.skipped,
        )  # fmt: skip
    assert root.attrib["tests"] == str(total.tests)
    assert root.attrib["failures"] == str(total.failures)
    assert root.attrib["errors"] == "0"
    return total


def junit(document: FindingsDocument, path: Path, fail_on: str, **options: Any) -> ET.Element:
    counts = write_junit(document, path, fail_on, **options)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    check_schema(root)
    assert check_counts(root) == counts
    return root


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.attrib["name"]: case for case in root.iter("testcase")}


def expected_counts(
    document: FindingsDocument, fail_on: str, allow_not_evaluable: bool = False
) -> JunitCounts:
    """The counts worked out from the findings, rule by rule, as docs/findings.md states them."""
    threshold = {"major": 3, "minor": 2, "observation": 1, "never": 99}[fail_on]

    def rank(verdict: Verdict, severity: str | None) -> int:
        if verdict == Verdict.NONCONFORM:
            return 3 if severity == "major" else 2
        return 1 if verdict == Verdict.OBSERVATION else 0

    tests = failures = skipped = 0
    for rule in document.rules:
        tests += len(rule.findings)
        level = rank(rule.verdict, rule.verdict_severity)
        if rule.verdict == Verdict.NOT_EVALUABLE and not allow_not_evaluable:
            level = 3
        if level >= threshold:
            failures += 1
        elif rule.verdict in ("waived", "not-evaluable", "not-applicable"):
            skipped += 1
        for group in rule.findings[1:]:
            if group.verdict in ("waived", "not-evaluable", "not-applicable"):
                skipped += 1
            elif rule.judge == "each-group" and rank(group.verdict, group.severity) >= threshold:
                failures += 1
    return JunitCounts(tests, failures, skipped)


# ------------------------------------------------------------ JUnit


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda root: root.set("skipped", "1"), "<testsuites> {'skipped'}"),
        (lambda root: root[0].attrib.pop("failures"), "lacks {'failures'}"),
        (lambda root: root[0].set("time", "1.5s"), "time 1.5s"),
        (lambda root: ET.SubElement(root[0][1], "properties"), "inside <testcase>"),
        (lambda root: root[0].set("tests", "3"), "tests 3"),
    ],
)
def test_the_schema_check_refuses_what_a_ci_system_would(demo_audit, tmp_path, edit, problem):
    root = junit(demo_audit.findings, tmp_path / "junit.xml", "major")
    edit(root)
    with pytest.raises(AssertionError, match=re.escape(problem)):
        check_schema(root)
        check_counts(root)


@pytest.mark.parametrize("fail_on", LEVELS)
def test_junit_follows_the_junit_10_schema_with_counts_worked_out_from_the_findings(
    demo_audit, varied, tmp_path, fail_on
) -> None:
    for name, audit in (("demo", demo_audit), ("varied", varied)):
        for allow in (False, True):
            path = tmp_path / f"{name}-{allow}.xml"
            root = junit(audit.findings, path, fail_on, allow_not_evaluable=allow)
            counts = check_counts(root)
            assert counts == expected_counts(audit.findings, fail_on, allow)
            assert (counts.failures > 0) == audit.fails(fail_on, allow), "as the exit code"
            (suite,) = root.findall("testsuite")
            assert suite.attrib["timestamp"] == audit.findings.generated_at


def test_the_demo_fails_major_on_the_phone_rule_and_its_site_sh_month(demo_audit, tmp_path):
    root = junit(demo_audit.findings, tmp_path / "junit.xml", "major")
    found = cases(root)
    assert len(found) == sum(len(rule.findings) for rule in demo_audit.findings.rules) == 47
    failed = {name for name, case in found.items() if case.find("failure") is not None}
    assert failed == {"RESP-PHONE-30S", "RESP-PHONE-30S@site=SH@2026-08"}
    phone = {r.rule: r for r in demo_audit.findings.rules}["RESP-PHONE-30S"]
    sh = next(f for f in phone.findings if f.id == "RESP-PHONE-30S@site=SH@2026-08")
    rule_case, sh_case = found["RESP-PHONE-30S"], found[sh.id]
    assert rule_case.attrib["classname"] == "service-quality.3.1.2"
    failure = rule_case.find("failure")
    assert failure is not None
    assert failure.attrib == {"message": f"{sh.id}: {sh.explanation}", "type": "nonconform/major"}
    assert f"failing records: {sh.failing_count}, listed in failing-records.csv" in (
        failure.text or ""
    )
    assert rule_case.findtext("system-out") == phone.findings[0].explanation
    failure = sh_case.find("failure")
    assert failure is not None and failure.attrib["message"] == sh.explanation
    skipped = {name for name, case in found.items() if case.find("skipped") is not None}
    assert skipped == {f.id for f in demo_audit.findings.rules[3].findings[1:]}
    assert all(name.startswith("TECH-INITIAL-4H@") for name in skipped), "too few records"


def test_minor_and_observation_fail_more_but_a_pooled_rule_s_groups_never(demo_audit, tmp_path):
    found = cases(junit(demo_audit.findings, tmp_path / "minor.xml", "minor"))
    for rule in ("STANDARD-TRAINED", "ROOT-CAUSE"):
        failure = found[rule].find("failure")
        assert failure is not None and failure.attrib["type"] == "nonconform/minor"
    found = cases(junit(demo_audit.findings, tmp_path / "observation.xml", "observation"))
    failure = found["CLASSIFIED"].find("failure")
    assert failure is not None and failure.attrib["type"] == "observation"
    breakdown = found["CLOSURE-95@site=GZ"]
    assert breakdown.find("failure") is None, "CLOSURE-95 is judged on its pooled figure"
    assert "observation" in (breakdown.findtext("system-out") or "")
    assert "judged on its pooled figure" in (breakdown.findtext("system-out") or "")
    root = junit(demo_audit.findings, tmp_path / "never.xml", "never")
    assert root.attrib["failures"] == "0"


def test_waived_findings_are_skipped_with_the_waiver_s_reason(varied, tmp_path) -> None:
    found = cases(junit(varied.findings, tmp_path / "junit.xml", "minor"))
    for name, reason in (
        ("RESP-PHONE-30S", "migration of the SH call centre"),
        ("RESP-PHONE-30S@site=SH@2026-08", "migration of the SH call centre"),
        ("ROOT-CAUSE", "analysis method replaced this quarter"),
    ):
        skipped = found[name].find("skipped")
        assert skipped is not None and found[name].find("failure") is None
        assert skipped.attrib["message"].endswith(f": {reason}")
        assert "until 2026-12-31" in skipped.attrib["message"]


def test_a_rule_not_evaluable_fails_as_major_unless_allowed(varied, tmp_path) -> None:
    found = cases(junit(varied.findings, tmp_path / "strict.xml", "major"))
    failure = found["TRAINED-12M"].find("failure")
    assert failure is not None and failure.attrib["type"] == "not-evaluable"
    assert failure.attrib["message"].startswith("not evaluable: no training evidence")
    found = cases(
        junit(varied.findings, tmp_path / "allowed.xml", "major", allow_not_evaluable=True)
    )
    assert found["TRAINED-12M"].find("failure") is None
    assert found["TRAINED-12M"].find("skipped") is not None


def test_junit_is_the_same_bytes_from_the_same_findings(demo_audit, tmp_path) -> None:
    loaded = FindingsDocument.load(demo_audit.out / "findings.json")
    write_junit(demo_audit.findings, tmp_path / "one.xml", "major")
    write_junit(loaded, tmp_path / "two.xml", "major")
    assert (tmp_path / "one.xml").read_bytes() == (tmp_path / "two.xml").read_bytes()
    assert (tmp_path / "one.xml").read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert JUNIT_FAIL_LEVELS == FAIL_LEVELS


def test_an_unknown_fail_on_level_is_refused_and_nothing_written(demo_audit, tmp_path) -> None:
    with pytest.raises(AuditorError, match="unknown fail-on level 'critical'"):
        write_junit(demo_audit.findings, tmp_path / "junit.xml", "critical")
    assert not (tmp_path / "junit.xml").exists()


# ------------------------------------------------------------ OSCAL assessment results


def exported(document: FindingsDocument, path: Path) -> dict[str, Any]:
    count = write_assessment_results(document, path)
    body = json.loads(path.read_text(encoding="utf-8"))["assessment-results"]
    assert count == len(body["results"][0]["findings"])
    return body


def props(entry: dict[str, Any]) -> dict[str, str]:
    return {prop["name"]: prop["value"] for prop in entry.get("props", [])}


def test_assessment_results_are_oscal_that_trestle_parses_every_reference_resolving(
    demo_audit, varied, tmp_path
) -> None:
    for audit in (demo_audit, varied):
        body = exported(audit.findings, tmp_path / "assessment-results.json")
        parsed = AssessmentResults.model_validate(body)
        Model.model_validate({"assessment-results": body})
        assert parsed.metadata.oscal_version.root.root == OSCAL_VERSION
        assert re.match(OSCAL_VERSION_REGEX, OSCAL_VERSION)
        assert all(v.model_is_valid(parsed, True) for v in validator_factory.get_all())
        assert body["metadata"]["last-modified"] == audit.findings.generated_at
        defined = {value for key, value in json_pairs(body) if key == "uuid"}
        assert len(defined) == len([v for k, v in json_pairs(body) if k == "uuid"]), "each its own"
        referenced = {v for k, v in json_pairs(body) if k.endswith(("-uuid", "-uuids"))}
        hrefs = {value[1:] for key, value in json_pairs(body) if key == "href" and value[0] == "#"}
        assert referenced and hrefs and referenced | hrefs <= defined, "every reference resolves"
        parties = {p["name"] for p in body["metadata"].get("parties", [])}
        assert parties == ({"Li Wei", "ACME Service"} if audit is varied else set())
        (result,) = body["results"]
        controls = result["reviewed-controls"]["control-selections"][0]["include-controls"]
        targets = {f["target"]["target-id"] for f in result["findings"]}
        assert targets == {c["control-id"] for c in controls}


def test_one_observation_per_rule_run_with_its_population_and_violations(
    demo_audit, tmp_path
) -> None:
    body = exported(demo_audit.findings, tmp_path / "ar.json")
    observations = body["results"][0]["observations"]
    assert len(observations) == len(demo_audit.findings.rules) == 14
    for rule, observation in zip(demo_audit.findings.rules, observations, strict=True):
        pooled = rule.findings[0]
        assert observation["methods"] == ["TEST"]
        assert observation["description"].startswith(pooled.explanation)
        found = props(observation)
        assert found["rule"] == rule.rule and found["verdict"] == rule.verdict.value
        assert int(found["population"]) == pooled.counts.n
        assert int(found["conforming"]) == pooled.counts.conforming
        assert int(found["excluded"]) == pooled.counts.excluded
        assert int(found["violations"]) == pooled.failing_count
        assert ("relevant-evidence" in observation) == (pooled.failing_count > 0)
    phone = observations[0]
    assert "decided by RESP-PHONE-30S@site=SH@2026-08" in phone["description"]
    assert phone["remarks"].count("\n") == len(demo_audit.findings.rules[0].findings) - 2


def test_one_finding_per_clause_and_judged_group_satisfied_or_not(demo_audit, tmp_path) -> None:
    document = demo_audit.findings
    body = exported(document, tmp_path / "ar.json")
    findings = body["results"][0]["findings"]
    clauses = {rule.clause for rule in document.rules}
    groups = {
        (rule.clause, "site=" + f.group["site"])
        for rule in document.rules
        if rule.judge == "each-group"
        for f in rule.findings[1:]
    }
    states = {(props(f)["clause"], props(f).get("group", "")): f["target"] for f in findings}
    assert set(states) == {(c, "") for c in clauses} | groups
    assert len(findings) == len(clauses) + len(groups) == 16
    failing = {
        key for key, target in states.items() if target["status"]["state"] == "not-satisfied"
    }
    assert failing == {("3.1.2", ""), ("3.1.2", "site=SH"), ("4.3.1", ""), ("4.4.2", "")}
    assert all(states[key]["status"]["reason"] == "fail" for key in failing)
    assert {t["status"]["reason"] for k, t in states.items() if k not in failing} == {"pass"}
    (sh,) = [f for f in findings if props(f).get("group") == "site=SH"]
    assert "RESP-PHONE-30S@site=SH@2026-08: 56.2 %" in sh["description"]
    assert sh["target"]["target-id"] == "clause-3.1.2"


def test_a_waiver_is_not_satisfied_with_a_deviation_approved_risk(varied, tmp_path) -> None:
    body = exported(varied.findings, tmp_path / "ar.json")
    (result,) = body["results"]
    findings = {(props(f)["clause"], props(f).get("group", "")): f for f in result["findings"]}
    risks = {risk["uuid"]: risk for risk in result["risks"]}
    assert len(risks) == 2
    for key, waiver, reason in (
        (("3.1.2", "site=SH"), "W-1", "migration of the SH call centre"),
        (("3.1.2", ""), "W-1", "migration of the SH call centre"),
        (("4.4.2", ""), "W-2", "analysis method replaced this quarter"),
    ):
        finding = findings[key]
        assert finding["target"]["status"] == {"state": "not-satisfied", "reason": "other"}
        (link,) = finding["related-risks"]
        risk = risks[link["risk-uuid"]]
        assert risk["status"] == "deviation-approved" and risk["description"] == reason
        assert props(risk)["waiver"] == waiver
        assert risk["deadline"].startswith("2026-12-31T23:59:59")
        assert f"Waived ({waiver}, until 2026-12-31): {reason}" in finding["description"]
    not_evaluable = findings[("3.2.1", "")]["target"]["status"]
    assert not_evaluable == {"state": "not-satisfied", "reason": "other"}


def test_the_back_matter_names_every_file_with_its_sha256(demo_audit, tmp_path) -> None:
    document = demo_audit.findings
    body = exported(document, tmp_path / "ar.json")
    resources = body["back-matter"]["resources"]
    assert len(resources) == 2 + len(document.manifest.evidence) + 1
    assert body["import-ap"]["href"] == f"#{resources[0]['uuid']}"
    for resource in resources:
        (rlink,) = resource["rlinks"]
        (digest,) = rlink["hashes"]
        assert digest["algorithm"] == "SHA-256"
        file = _located(rlink["href"], demo_audit.out)
        assert digest["value"] == hashlib.sha256(file.read_bytes()).hexdigest(), file
    failing = resources[-1]
    assert failing["rlinks"][0]["href"] == document.failing_records.path
    assert props(failing)["type"] == "failing-records"
    links = {link["href"][1:] for link in body["results"][0]["links"]}
    assert links == {r["uuid"] for r in resources if props(r)["type"] == "evidence"}


def test_one_evidence_file_given_is_linked_at_its_own_path(tmp_path) -> None:
    given = DEMO / "interactions-2026Q3.csv"
    audit = run_audit(RULES / "service-quality.yaml", given, tmp_path / "out", "2026-Q3")
    body = exported(audit.findings, tmp_path / "ar.json")
    (evidence,) = [r for r in body["back-matter"]["resources"] if props(r)["type"] == "evidence"]
    assert evidence["title"] == "interactions-2026Q3.csv"
    assert evidence["rlinks"] == _linked(given)


def test_an_audit_of_an_evidence_export_links_the_parquet_files_it_read_then_names_its_sources(
    demo_audit, tmp_path
) -> None:
    export = tmp_path / "export"
    export_store(demo_audit.out / "evidence.db", export)
    audit = run_audit(RULES / "service-quality.yaml", export, tmp_path / "out", "2026-Q3")
    body = exported(audit.findings, tmp_path / "ar.json")
    AssessmentResults.model_validate(body)
    resources = body["back-matter"]["resources"]
    files = [r for r in resources if props(r)["type"] in ("evidence", "export-source")]
    found = [(props(r)["type"], r["title"], r.get("rlinks"), props(r).get("sha256")) for r in files]

    read = [("evidence", p.name, _linked(p), None) for p in sorted(export.glob("*.parquet"))]
    made_from = [("export-source", p.name, None, _sha256(p)) for p in sorted(DEMO.iterdir())]
    assert [name for _, name, _, _ in read] == [
        "agents.parquet", "checklist.parquet", "interactions.parquet", "store-manifest.parquet",
        "store-quarantine.parquet", "surveys.parquet", "ticket_status.parquet",
        "tickets.parquet", "training.parquet",
    ]  # fmt: skip
    assert found == read + made_from
    assert all(props(r)["path"] == r["title"] for r in files[len(read) :])
    assert files[-1]["description"].startswith(
        "A file the evidence export was made from, of kind training: 117 rows read, 117 stored,"
        " 0 quarantined (ok), as the export's manifest records it: training.csv in the"
    )
    links = {link["href"][1:] for link in body["results"][0]["links"]}
    assert links == {r["uuid"] for r in files}


def test_two_exports_of_one_findings_json_are_the_same_bytes_with_uuid5s(
    demo_audit, tmp_path
) -> None:
    loaded = FindingsDocument.load(demo_audit.out / "findings.json")
    write_assessment_results(demo_audit.findings, tmp_path / "one.json")
    write_assessment_results(loaded, tmp_path / "two.json")
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    body = json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))
    uuids = [value for key, value in json_pairs(body) if key == "uuid" or key.endswith("-uuid")]
    assert uuids and all(uuid.UUID(u).version == 5 for u in uuids)


def _located(href: str, out: Path) -> Path:
    """A file as the assessment results name it: as the audit was given it, or beside findings.json."""
    for candidate in (Path(href), out / href):
        if candidate.is_file():
            return candidate
    raise AssertionError(f"{href} not found")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _linked(path: Path) -> list[dict[str, Any]]:
    """The rlinks of a resource for ``path`` (as given), its SHA-256 worked out here."""
    return [{"href": path.as_posix(), "hashes": [{"algorithm": "SHA-256", "value": _sha256(path)}]}]
