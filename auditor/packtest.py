"""Pack tests: cases written beside a pack, each a few records and the outcome a rule must give.

``rules/x.tests.yaml`` sits beside ``rules/x.yaml``. Each case names a rule,
gives records per evidence kind (written as an export would have them) and
what to expect: each record's outcome, the pooled value, the rule's verdict,
the number of records judged. A case's records go through the real ingest
(field aliases, types, missing-value markers) into a fresh store, and the rule
is evaluated by the same engine as an audit. Cases are judged with
``min_records`` 1 unless the case gives its own, so that a rule's logic can be
shown on a handful of records.
"""

from __future__ import annotations

import csv
import math
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from .errors import AuditorError, Location, PackErrors, closest_name, shown
from .findings.contract import Verdict
from .model import Pack, Rule
from .pack import load_pack
from .periods import Period, parse_period
from .sourcemap import YamlList, YamlMap, load_yaml, read_text

TESTS_SUFFIX = ".tests.yaml"
CASE_KEYS = ("name", "rule", "period", "min_records", "records", "expect")
EXPECT_KEYS = ("outcomes", "value", "verdict", "n")
OUTCOMES = ("conform", "breach", "pending", "excluded")
#: the words of a test suite or of a verdict a record's outcome is written in by mistake, and
#: the outcome meant
OUTCOME_MEANT = {
    "pass": "conform",
    "passed": "conform",
    "fail": "breach",
    "failed": "breach",
    "nonconform": "breach",
    "nonconformity": "breach",
}
#: how close a value must come to the expected one
TOLERANCE = 1e-9


class PackTestError(AuditorError):
    """A pack's test file that is not valid (exit 2), as opposed to a case that fails (exit 1)."""


@dataclass(frozen=True)
class Expect:
    outcomes: dict[str, str] = field(default_factory=dict)
    value: float | None = None
    verdict: str | None = None
    n: int | None = None


@dataclass(frozen=True)
class Case:
    name: str
    rule: str
    period: Period
    min_records: int
    records: dict[str, list[dict[str, Any]]]
    expect: Expect
    location: Location


@dataclass
class CaseResult:
    case: Case
    #: one line per expectation not met: what was expected and what came out
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class PackTestReport:
    pack: Pack
    tests_path: Path
    results: list[CaseResult]
    #: rules of the pack that no case exercises
    untested: list[str]

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.untested


def tests_path_for(pack_path: str | Path) -> Path:
    """Where a pack's tests live: ``x.tests.yaml`` beside ``x.yaml``."""
    path = Path(pack_path)
    return path.with_name(f"{path.stem}{TESTS_SUFFIX}")


def pack_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The packs to test, each once: a test file given (``x.tests.yaml``) stands for its pack."""
    packs = []
    for given in paths:
        path = Path(given)
        if path.name.endswith(TESTS_SUFFIX):
            path = path.with_name(path.name.removesuffix(TESTS_SUFFIX) + ".yaml")
        if path not in packs:
            packs.append(path)
    return packs


def run_pack_tests(pack_path: str | Path, tests_path: str | Path | None = None) -> PackTestReport:
    """Load the pack and its test cases, run every case, and say which rules no case covers."""
    pack = load_pack(pack_path)
    path = Path(tests_path) if tests_path is not None else tests_path_for(pack_path)
    if not path.exists():
        raise PackTestError(
            f"no test file for pack {pack.id}",
            location=Location(str(path)),
            hint=f"write the cases in {path.name} beside the pack (see docs/rule-language.md)",
        )
    cases = load_cases(pack, path)
    results = [run_case(pack, case) for case in cases]
    tested = {case.rule for case in cases}
    untested = [rule.id for rule in pack.rules if rule.id not in tested]
    return PackTestReport(pack, path, results, untested)


# ------------------------------------------------------------ reading the cases


def load_cases(pack: Pack, path: Path) -> list[Case]:
    """The cases of a test file, checked against the pack; every problem located."""
    document = load_yaml(path)
    problems: list[AuditorError] = []
    if not isinstance(document, YamlMap) or not isinstance(document.get("cases"), YamlList):
        raise PackTestError(
            "a test file is a mapping with a 'cases' list", location=Location(str(path), 1)
        )
    default_period = None
    if "period" in document:
        default_period = _period(document, problems)
    cases = []
    for index, raw in enumerate(document["cases"]):
        if not isinstance(raw, YamlMap):
            problems.append(
                PackTestError("a case is a mapping", location=document["cases"].where(index))
            )
            continue
        case = _case(pack, raw, default_period, problems)
        if case is not None:
            cases.append(case)
    if problems:
        raise PackErrors(problems)
    return cases


def _case(
    pack: Pack, raw: YamlMap, period: Period | None, problems: list[AuditorError]
) -> Case | None:
    before = len(problems)
    for key in raw:
        if key not in CASE_KEYS:
            problems.append(_unknown(key, CASE_KEYS, raw.where_key(key), "case"))
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(PackTestError("a case needs a 'name'", location=raw.start))
    rule_id = read_text(raw, "rule", partial(_report, problems))
    rule = pack.rule(rule_id) if rule_id is not None else None
    if rule_id is not None and rule is None:
        problems.append(
            PackTestError(
                f"unknown rule '{rule_id}' of pack {pack.id}",
                location=raw.where("rule"),
                suggestion=closest_name(rule_id, [r.id for r in pack.rules]),
            )
        )
    if "period" in raw:
        period = _period(raw, problems)
    elif period is None:
        problems.append(
            PackTestError("no period: give 'period' in the case or the file", location=raw.start)
        )
    min_records = raw.get("min_records", 1)
    if not isinstance(min_records, int) or isinstance(min_records, bool) or min_records < 1:
        problems.append(
            PackTestError(
                "min_records must be a whole number from 1", location=raw.where("min_records")
            )
        )
    records = _records(pack, raw, problems)
    expect = _expect(raw, _record_keys(pack, rule, records), problems)
    if len(problems) > before or period is None or expect is None:
        return None
    return Case(str(name), str(rule_id), period, int(min_records), records, expect, raw.start)


def _period(raw: YamlMap, problems: list[AuditorError]) -> Period | None:
    try:
        return parse_period(str(raw["period"]))
    except AuditorError as exc:
        problems.append(PackTestError(exc.message, location=raw.where("period"), hint=exc.hint))
        return None


def _records(
    pack: Pack, raw: YamlMap, problems: list[AuditorError]
) -> dict[str, list[dict[str, Any]]]:
    given = raw.get("records")
    if not isinstance(given, YamlMap) or not given:
        problems.append(
            PackTestError(
                "a case needs 'records': a list of records per evidence kind",
                location=raw.where("records"),
            )
        )
        return {}
    records: dict[str, list[dict[str, Any]]] = {}
    for kind_name, rows in given.items():
        kind = pack.evidence.get(kind_name)
        if kind is None:
            problems.append(
                _unknown(
                    kind_name, list(pack.evidence), given.where_key(kind_name), "evidence kind"
                )
            )
            continue
        if not isinstance(rows, YamlList) or not all(isinstance(r, YamlMap) for r in rows):
            problems.append(
                PackTestError(
                    f"the records of {kind_name} are a list of mappings",
                    location=given.where(kind_name),
                )
            )
            continue
        for row in rows:
            for field_name in row:
                if field_name not in kind.fields:
                    problems.append(
                        _unknown(
                            field_name,
                            list(kind.fields),
                            row.where_key(field_name),
                            f"field of {kind_name}",
                        )
                    )
        records[kind_name] = [dict(row) for row in rows]
    return records


def _record_keys(
    pack: Pack, rule: Rule | None, records: dict[str, list[dict[str, Any]]]
) -> set[str] | None:
    """The key of every record of the rule's kind in a case, as the evaluation writes an
    outcome's key (every field of the key, joined by ``|``); None when the case gives no
    records of that kind (its rule unknown, its kind misspelt), so none can be checked."""
    from .evaluate.scope import key_text

    if rule is None or rule.evidence not in records:
        return None
    kind = pack.evidence[rule.evidence]
    fields = rule.measure.outcome_key(kind)
    return {
        key_text([_cell(row.get(name)) for name in fields]) for row in records.get(kind.name, [])
    }


def _outcomes(
    given: YamlMap, keys: set[str] | None, problems: list[AuditorError]
) -> dict[str, str]:
    """``outcomes``: each a record of the case and one of :data:`OUTCOMES` (``excluded`` may
    give its reason after a colon)."""
    if "outcomes" not in given:
        return {}
    outcomes = given["outcomes"]
    if not isinstance(outcomes, YamlMap) or not outcomes:
        wrong = "outcomes is empty; map" if not outcomes else "outcomes map"
        problems.append(
            PackTestError(
                f"{wrong} record keys to one of {', '.join(OUTCOMES)}",
                location=given.where("outcomes"),
            )
        )
        return {}
    for key, wanted in outcomes.items():
        if keys is not None and str(key) not in keys:
            problems.append(_unknown(str(key), keys, outcomes.where_key(key), "record"))
        word = wanted.split(":")[0].strip() if isinstance(wanted, str) else shown(wanted)
        if word not in OUTCOMES:
            problems.append(
                PackTestError(
                    f"outcome of record {key} is one of {', '.join(OUTCOMES)}, not {word}",
                    location=outcomes.where(key),
                    suggestion=OUTCOME_MEANT.get(word) or closest_name(word, OUTCOMES),
                )
            )
    return {str(k): str(v) for k, v in outcomes.items()}


def _expect(raw: YamlMap, keys: set[str] | None, problems: list[AuditorError]) -> Expect | None:
    given = raw.get("expect")
    if not isinstance(given, YamlMap) or not given:
        problems.append(
            PackTestError(
                f"a case needs 'expect' with any of {', '.join(EXPECT_KEYS)}",
                location=raw.where("expect"),
            )
        )
        return None
    before = len(problems)
    for key in given:
        if key not in EXPECT_KEYS:
            problems.append(_unknown(key, EXPECT_KEYS, given.where_key(key), "expectation"))
    outcomes = _outcomes(given, keys, problems)
    value = given.get("value")
    if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
        problems.append(
            PackTestError("value is a number (a share as 0-1)", location=given.where("value"))
        )
    verdict = given.get("verdict")
    verdicts = [v.value for v in Verdict]
    if verdict is not None and verdict not in verdicts:
        problems.append(_unknown(str(verdict), verdicts, given.where("verdict"), "verdict"))
    n = given.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool)):
        problems.append(PackTestError("n is a whole number", location=given.where("n")))
    if len(problems) > before:
        return None
    return Expect(outcomes, value, verdict, n)


def _report(
    problems: list[AuditorError], message: str, where: Location, hint: str | None = None
) -> None:
    """Adds a problem of the test file, as ``read_text`` reports one."""
    problems.append(PackTestError(message, location=where, hint=hint))


def _unknown(name: str, known: Any, location: Location, what: str) -> PackTestError:
    return PackTestError(
        f"unknown {what} '{name}'", location=location, suggestion=closest_name(str(name), known)
    )


# ------------------------------------------------------------ running a case


def run_case(pack: Pack, case: Case) -> CaseResult:
    """Ingest the case's records into a fresh store, evaluate its rule, compare with what is expected."""
    from .backends.store import EvidenceStore
    from .evaluate.driver import Evaluation, backend_for
    from .ingest import ingest

    judged = replace(
        pack, rules=tuple(replace(r, min_records=case.min_records) for r in pack.rules)
    )
    rule = judged.rule(case.rule)
    assert rule is not None  # checked when the cases were read
    with tempfile.TemporaryDirectory(prefix="auditor-case-") as folder:
        _write_records(case, Path(folder))
        store = EvidenceStore(None)
        try:
            report = ingest(judged, folder, store)
            _check_stored(case, report, store)
            evaluation = Evaluation(judged, backend_for(store), case.period, (rule,))
            result = evaluation.evaluate(rule)
            outcomes = evaluation.record_outcomes(rule) if case.expect.outcomes else {}
        finally:
            store.close()
    return CaseResult(case, _compare(case.expect, result, outcomes))


def _write_records(case: Case, folder: Path) -> None:
    for kind_name, rows in case.records.items():
        columns = list(dict.fromkeys(name for row in rows for name in row))
        with (folder / f"{kind_name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row.get(column)) for column in columns])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_stored(case: Case, report: Any, store: Any) -> None:
    """A record the ingest would not store makes the case itself wrong: say which and why."""
    if report.errors:
        failed = report.errors[0]
        raise PackTestError(f"case '{case.name}': {failed.reason}", location=case.location)
    for row in store.quarantine():
        column = f" ({row['column']})" if row.get("column") else ""
        raise PackTestError(
            f"case '{case.name}': record {int(row['line']) - 1} of {row['kind']}{column} "
            f"is not valid evidence: {row['reason']}",
            location=case.location,
            hint="fix the record in the test file",
        )


def _compare(expect: Expect, result: Any, outcomes: dict[str, str]) -> list[str]:
    failures = []
    pooled = result.findings[0]
    for key, wanted in expect.outcomes.items():
        got = outcomes.get(key)
        if got is None:
            failures.append(f"record {key}: expected {wanted}, got no outcome (not in scope)")
        elif not _same_outcome(wanted, got):
            failures.append(f"record {key}: expected {wanted}, got {got}")
    if expect.value is not None and (
        pooled.value is None or not math.isclose(pooled.value, expect.value, abs_tol=TOLERANCE)
    ):
        failures.append(f"value: expected {expect.value}, got {pooled.value}")
    if expect.verdict is not None and result.verdict != expect.verdict:
        failures.append(f"verdict: expected {expect.verdict}, got {result.verdict}")
    if expect.n is not None and pooled.counts.n != expect.n:
        failures.append(f"n: expected {expect.n}, got {pooled.counts.n}")
    return failures


def _same_outcome(wanted: str, got: str) -> bool:
    if ":" in wanted:
        return wanted.replace(": ", ":") == got.replace(": ", ":")
    return got.split(":")[0] == wanted
