"""An audit as JUnit XML, for a CI system to show and gate on (``auditor audit --format junit``).

One ``<testcase>`` per finding of findings.json: the rule's own case (its pooled
finding, named by the rule id) and one per group finding (``RULE@site=SH@2026-08``),
``classname`` the pack id and the clause (``service-quality.3.1.2``).

- The rule's case is judged as the audit's exit code judges the rule: its
  verdict and severity (for ``judge: each-group`` the worst group's) fail when at
  or above ``fail_on``, and a rule that could not be evaluated counts as a major
  nonconformity unless ``allow_not_evaluable``. The message is the deciding
  finding's English arithmetic sentence, the type its verdict and severity
  (``nonconform/major``, ``observation``, ``not-evaluable``).
- A group finding is judged the same way when the rule is judged each group;
  when the rule is judged on its pooled figure, its groups are a breakdown and
  decide nothing, so they pass (their sentence is in ``<system-out>``). So a
  report has a failure exactly when the audit exits 1 for the same ``--fail-on``.
- Waived findings are ``<skipped>`` with the waiver's id and reason; findings that
  could not be judged (not evaluable, not applicable) and fail nothing are
  ``<skipped>`` with their sentence; everything else passes.

The counts are on ``<testsuite>`` (tests, failures, errors, skipped) and on
``<testsuites>`` (tests, failures, errors: the schema CI systems read has no
``skipped`` there). The timestamp is the document's ``generated_at``, every time is
0: the same findings.json gives the same bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..atomic import write_bytes
from ..errors import AuditorError
from ..findings.contract import (
    FindingEntry,
    FindingsDocument,
    RuleEntry,
    Verdict,
    Waived,
    level,
)

#: ``--fail-on``: the lowest level that fails (as ``auditor.audit.FAIL_LEVELS``)
FAIL_LEVELS = {"major": 3, "minor": 2, "observation": 1, "never": 99}
MAJOR = 3
UNJUDGED = (Verdict.NOT_EVALUABLE, Verdict.NOT_APPLICABLE)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Outcome = Literal["passed", "failure", "skipped"]


@dataclass(frozen=True)
class JunitCounts:
    """What a junit.xml holds: test cases, failures, skipped; errors are always 0."""

    tests: int
    failures: int
    skipped: int
    errors: int = 0


@dataclass(frozen=True)
class Case:
    """One test case: a finding and what it came to against ``fail_on``."""

    classname: str
    name: str
    outcome: Outcome
    message: str = ""
    type: str = ""
    text: str = ""
    out: str = ""


def write_junit(
    document: FindingsDocument, path: Path, fail_on: str, *, allow_not_evaluable: bool = False
) -> JunitCounts:
    """Write ``document`` as JUnit XML to ``path`` (atomically); the counts written."""
    if fail_on not in FAIL_LEVELS:
        raise AuditorError(
            f"unknown fail-on level '{fail_on}'", hint="use major, minor, observation or never"
        )
    cases = junit_cases(document, fail_on, allow_not_evaluable)
    counts = JunitCounts(
        tests=len(cases),
        failures=sum(case.outcome == "failure" for case in cases),
        skipped=sum(case.outcome == "skipped" for case in cases),
    )
    root = _tree(document, cases, counts, fail_on, allow_not_evaluable)
    ET.indent(root)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
    write_bytes(path, data)
    return counts


def junit_cases(
    document: FindingsDocument, fail_on: str, allow_not_evaluable: bool = False
) -> list[Case]:
    """The test cases of ``document``, in rule order, each rule's own case first."""
    threshold = FAIL_LEVELS[fail_on]
    cases: list[Case] = []
    for rule in document.rules:
        classname = f"{document.manifest.pack.id}.{rule.clause}"
        cases.append(_rule_case(document, rule, classname, threshold, allow_not_evaluable))
        cases.extend(
            _group_case(document, rule, finding, classname, threshold)
            for finding in rule.findings[1:]
        )
    return cases


# ------------------------------------------------------------ the cases


def _rule_case(
    document: FindingsDocument,
    rule: RuleEntry,
    classname: str,
    threshold: int,
    allow_not_evaluable: bool,
) -> Case:
    pooled = rule.findings[0]
    name, out = pooled.id, _clean(pooled.explanation)
    if rule.verdict == Verdict.WAIVED:
        return Case(classname, name, "skipped", _waiver_text(rule.waived), out=out)
    rank = level(rule)
    if rule.verdict == Verdict.NOT_EVALUABLE and not allow_not_evaluable:
        rank = MAJOR
    deciding = rule.deciding_finding()
    if rank and rank >= threshold:
        message = deciding.explanation
        if deciding is not pooled:
            message = f"{deciding.id}: {message}"
        kind = _kind(rule.verdict, rule.verdict_severity)
        text = _details(document, rule, deciding)
        return Case(classname, name, "failure", _clean(message), kind, text, out)
    if rule.verdict in UNJUDGED:
        return Case(classname, name, "skipped", out, out=out)
    return Case(classname, name, "passed", out=out)


def _group_case(
    document: FindingsDocument,
    rule: RuleEntry,
    finding: FindingEntry,
    classname: str,
    threshold: int,
) -> Case:
    name, out = finding.id, _clean(finding.explanation)
    if finding.verdict == Verdict.WAIVED:
        return Case(classname, name, "skipped", _waiver_text(finding.waived), out=out)
    if finding.verdict in UNJUDGED:
        return Case(classname, name, "skipped", out, out=out)
    if rule.judge != "each-group":
        note = f"a breakdown: {rule.rule} is judged on its pooled figure, not by group"
        return Case(classname, name, "passed", out=f"{out}\n({note})")
    rank = level(finding)
    if rank and rank >= threshold:
        kind = _kind(finding.verdict, finding.severity)
        return Case(classname, name, "failure", out, kind, _details(document, rule, finding), out)
    return Case(classname, name, "passed", out=out)


def _kind(verdict: Verdict, severity: str | None) -> str:
    """The failure's type: ``nonconform/major``, ``observation``, ``not-evaluable``."""
    return f"{verdict.value}/{severity}" if severity else verdict.value


def _waiver_text(waived: Waived | None) -> str:
    if waived is None:
        return "waived"
    return _clean(f"waived ({waived.waiver}, until {waived.valid_until}): {waived.reason}")


def _details(document: FindingsDocument, rule: RuleEntry, finding: FindingEntry) -> str:
    """The failure's text: the rule, the figures, where the failing records are, the action."""
    counts = finding.counts
    lines = [
        f"{rule.rule}: {rule.title.en} (clause {rule.clause}, {rule.measure}, judged {rule.judge})",
        f"{finding.id}: {finding.explanation}",
        f"target {finding.target}; n {counts.n:,}: {counts.conforming:,} conforming, "
        f"{counts.breached:,} breached, {counts.pending:,} pending, {counts.excluded:,} excluded",
    ]
    lines += [f"reason: {reason}" for reason in finding.reasons]
    if finding.failing_count:
        listed = document.failing_records
        where = f", listed in {listed.path} (sha256 {listed.sha256})" if listed else ""
        lines.append(f"failing records: {finding.failing_count:,}{where}")
    lines.append(f"corrective action: {rule.capa.action.en}")
    return _clean("\n".join(lines))


# ------------------------------------------------------------ the XML


def _tree(
    document: FindingsDocument,
    cases: list[Case],
    counts: JunitCounts,
    fail_on: str,
    allow_not_evaluable: bool,
) -> ET.Element:
    manifest = document.manifest
    period = manifest.parameters.period.label
    tallies = {
        "tests": str(counts.tests),
        "failures": str(counts.failures),
        "errors": str(counts.errors),
    }
    root = ET.Element("testsuites", {"name": f"auditor {manifest.pack.id} {period}", **tallies})
    root.set("time", "0")
    suite = ET.SubElement(
        root,
        "testsuite",
        {"name": manifest.pack.id, **tallies, "skipped": str(counts.skipped), "time": "0"},
    )
    suite.set("timestamp", document.generated_at)
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(document, fail_on, allow_not_evaluable):
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})
    for case in cases:
        _case_element(suite, case)
    return root


def _properties(
    document: FindingsDocument, fail_on: str, allow_not_evaluable: bool
) -> list[tuple[str, str]]:
    manifest = document.manifest
    pairs = [
        ("auditor.version", manifest.tool.version),
        ("pack", manifest.pack.id),
        ("pack.version", manifest.pack.version),
        ("pack.sha256", manifest.pack.sha256),
        ("standard", f"{manifest.standard.id} {manifest.standard.version}"),
        ("period", manifest.parameters.period.label),
        ("fail-on", fail_on),
        ("allow-not-evaluable", "yes" if allow_not_evaluable else "no"),
        ("recommendation", document.summary.recommendation.decision.value),
    ]
    if document.failing_records is not None:
        pairs.append(("failing-records", document.failing_records.path))
        pairs.append(("failing-records.sha256", document.failing_records.sha256))
    return pairs


def _case_element(suite: ET.Element, case: Case) -> None:
    element = ET.SubElement(
        suite, "testcase", {"classname": case.classname, "name": case.name, "time": "0"}
    )
    if case.outcome == "failure":
        failure = ET.SubElement(element, "failure", {"message": case.message, "type": case.type})
        failure.text = case.text
    elif case.outcome == "skipped":
        ET.SubElement(element, "skipped", {"message": case.message})
    if case.out:
        ET.SubElement(element, "system-out").text = case.out


def _clean(text: str) -> str:
    """``text`` without the control characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", text)
