"""The shipped standards and packs: all load, every clause a rule names exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import load_pack, load_standard

from .conftest import ROOT, RULES, SHIPPED_PACKS, STANDARDS

STANDARD_FILES = sorted(STANDARDS.glob("*.yaml"))
PACK_FILES = SHIPPED_PACKS


def test_five_standards_are_shipped() -> None:
    assert len(STANDARD_FILES) == 5


@pytest.mark.parametrize("path", STANDARD_FILES, ids=lambda p: p.stem)
def test_standard_loads_with_a_sensible_number_of_clauses(path: Path) -> None:
    standard = load_standard(path)
    assert standard.id == path.stem
    assert 15 <= len(standard.clauses) <= 40
    for clause in standard.clauses.values():
        assert clause.title.zh and clause.title.en and clause.requirement


def test_numbers_from_the_source_documents_are_kept() -> None:
    standard = load_standard(STANDARDS / "service-quality-standard.yaml")
    text = " ".join(" ".join([c.requirement, *c.figures]) for c in standard.clauses.values())
    for figure in ("30 seconds", "1 minute", "4 hours", "95 %", "4.2", "NPS", "once a year"):
        assert figure in text, figure


def test_the_satisfaction_scales_are_the_standards_examples_not_requirements() -> None:
    """The source gives CSAT 1-5 and NPS 0-10 as examples of indicators, not as rules."""
    standard = load_standard(STANDARDS / "service-quality-standard.yaml")
    indicators = standard.clauses["2.1.2"]
    assert indicators.figures == (
        "example indicator: CSAT on a 1-5 scale",
        "example indicator: NPS on a 0-10 scale",
        "example target: quarterly CSAT 4.2",
    )
    assert "; it prescribes neither these indicators nor their scales." in indicators.requirement
    assert standard.clauses["2.3.2"].figures == ("example rating scale 1-5",)
    assert standard.clauses["3.4.2"].figures == (
        "NPS as commonly defined, not set by the standard: % promoters (9-10) - % detractors (0-6)",
    )
    pack = load_pack(RULES / "service-quality.yaml")
    csat, nps = pack.rule("CSAT-Q-4.2"), pack.rule("NPS-20")
    assert csat is not None and csat.interpretation is not None
    assert csat.interpretation.en == (
        "The standard gives a quarterly CSAT of 4.2 as an example; the pack adopts it as the "
        "quarterly target and scores on the 1-5 scale of the standard's example, leaving out "
        "scores outside it"
    )
    assert nps is not None and nps.interpretation is not None
    assert nps.interpretation.en == (
        "The standard asks for experience to be measured with NPS but sets no value; 20 per "
        "quarter is the pack's target; scores are on the 0-10 scale of the standard's example, "
        "promoters scoring 9-10 and detractors 0-6 as NPS is commonly computed, which the "
        "standard does not set"
    )


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: p.stem)
def test_shipped_pack_is_valid_and_its_clauses_exist(path: Path) -> None:
    pack = load_pack(path)
    assert pack.rules
    for rule in pack.rules:
        assert pack.standard.clause(rule.clause) is not None, rule.id
        assert rule.capa.action.en and rule.capa.action.zh and rule.capa.owner
        assert rule.capa.due_days > 0


def test_both_required_packs_are_shipped() -> None:
    names = {p.stem for p in PACK_FILES}
    assert {"service-quality", "special-service-monitoring"} <= names


def test_service_quality_pack_holds_the_headline_numbers() -> None:
    pack = load_pack(RULES / "service-quality.yaml")
    phone = pack.rule("RESP-PHONE-30S")
    assert phone is not None and phone.measure.limit.seconds == 30  # type: ignore[union-attr]
    chat = pack.rule("RESP-CHAT-1MIN")
    assert chat is not None and chat.measure.limit.seconds == 60  # type: ignore[union-attr]
    tech = pack.rule("TECH-INITIAL-4H")
    assert tech is not None and tech.measure.limit.seconds == 4 * 3600  # type: ignore[union-attr]
    assert tech.measure.calendar == "office"  # type: ignore[union-attr]
    closure = pack.rule("CLOSURE-95")
    assert closure is not None and float(closure.target.share or 0) == 0.95
    csat = pack.rule("CSAT-Q-4.2")
    assert csat is not None and csat.period == "quarter"
    assert csat.target.threshold is not None and float(csat.target.threshold.value) == 4.2


def test_special_service_pack_covers_observation_items() -> None:
    pack = load_pack(RULES / "special-service-monitoring.yaml")
    clauses = {r.clause for r in pack.rules}
    assert {"3.1.1", "3.1.2", "3.1.3", "3.2.1", "3.3.1", "3.4.1", "3.4.2"} <= clauses
    assert any(r.measure.name == "manual" for r in pack.rules)


@pytest.mark.parametrize("pack_id", ["service-quality", "special-service-monitoring"])
def test_every_rule_of_the_required_packs_says_how_it_reads_its_clause(pack_id: str) -> None:
    """Checklist rules too: what the auditor confirms and which numbers are whose."""
    pack = load_pack(RULES / f"{pack_id}.yaml")
    without = [
        rule.id
        for rule in pack.rules
        if rule.interpretation is None or not (rule.interpretation.zh and rule.interpretation.en)
    ]
    assert without == []


def test_the_observation_action_names_the_rules_31_day_window() -> None:
    """SITE-OBSERVED-31D looks back 31 days from the period end; its action says the same."""
    rule = load_pack(RULES / "special-service-monitoring.yaml").rule("SITE-OBSERVED-31D")
    assert rule is not None and rule.measure.within.seconds == 31 * 86400  # type: ignore[attr-defined]
    assert rule.capa.action.zh == (
        "对审核期末前31天内没有现场观察记录的在营网点安排现场观察,"
        "并按计划让每个在营网点的两次观察相隔不超过31天"
    )
    assert rule.capa.action.en == (
        "Observe on site every active site with no observation in the 31 days before the period "
        "end, and plan visits so that no active site goes more than 31 days between observations"
    )


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: p.stem)
def test_every_shipped_pack_has_its_section_in_docs_packs(path: Path) -> None:
    lines = (ROOT / "docs" / "packs.md").read_text(encoding="utf-8").splitlines()
    section = lines.index(f"## {load_pack(path).id}")
    assert f"`rules/{path.name}` checks" in "\n".join(lines[section : section + 4])
