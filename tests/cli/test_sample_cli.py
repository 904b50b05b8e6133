"""auditor sample as a certifier runs it: draw by an ISO 2859-1 plan or a size, mark, judge."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from auditor.cli import main

from ..conftest import ROOT, RULES

PERIOD_END = datetime(2026, 10, 1)
INTERACTIONS = ROOT / "evidence" / "demo" / "service-quality" / "interactions-2026Q3.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_plan_sample_is_drawn_marked_and_judged(runner, demo_audit, tmp_path) -> None:
    out = tmp_path / "sample.csv"
    args = ["sample", "TECH-INITIAL-4H", "--audit", str(demo_audit.out), "--plan", "iso2859-1",
            "--level", "II", "--aql", "2.5", "--seed", "7", "--out", str(out)]  # fmt: skip
    drawn = runner.invoke(main, args)
    assert drawn.exit_code == 0, drawn.output
    lot = len(
        [
            k
            for k, o in _outcomes(demo_audit, "TECH-INITIAL-4H").items()
            if o in ("conform", "breach")
        ]
    )
    # 151-280 records at level II is code letter G: 32 records, Ac 2 / Re 3 at AQL 2.5
    assert 151 <= lot <= 280
    assert f"lot {lot}: code letter G, n = 32, Ac 2, Re 3" in drawn.output
    rows = _rows(out)
    assert len(rows) == 32 and (tmp_path / "sample.json").exists()
    for row in rows:
        row["certifier_mark"] = "nonconform" if row["engine_outcome"] == "breach" else "conform"
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    judged = runner.invoke(main, ["sample", "--judge", str(out)])
    breaches = sum(r["engine_outcome"] == "breach" for r in rows)
    decision = "accept" if breaches <= 2 else "reject"
    assert judged.exit_code == (0 if decision == "accept" else 1), judged.output
    assert f"Ac 2, Re 3: {decision}" in judged.output
    assert "agree on 32, disagree on 0" in judged.output
    # three marked nonconforming reach Re 3: the lot is rejected, and the exit code says so
    for row in rows[:3]:
        row["certifier_mark"] = "nonconform"
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    rejected = runner.invoke(main, ["sample", "--judge", str(out)])
    assert rejected.exit_code == 1 and "Ac 2, Re 3: reject" in rejected.output


def _outcomes(audit, rule_id: str) -> dict[str, str]:
    from auditor.backends.store import EvidenceStore
    from auditor.evaluate.driver import Evaluation, backend_for
    from auditor.pack import load_pack

    pack = load_pack(RULES / "service-quality.yaml")
    store = EvidenceStore(audit.out / "evidence.db")
    try:
        return Evaluation(pack, backend_for(store), audit.period).record_outcomes(
            pack.rule(rule_id)
        )
    finally:
        store.close()


def test_sampled_values_are_the_waits_in_the_source_file(runner, demo_audit, tmp_path) -> None:
    out = tmp_path / "phone.csv"
    args = ["sample", "RESP-PHONE-30S", "--audit", str(demo_audit.out), "--size", "25",
            "--stratify", "engine_outcome", "--seed", "3", "--out", str(out)]  # fmt: skip
    assert runner.invoke(main, args).exit_code == 0
    with INTERACTIONS.open(encoding="gbk", newline="") as handle:
        source = list(csv.reader(handle))[1:]
    # received, answered, ended
    waits = {row[0]: (row[4], row[5], row[6]) for row in source if len(row) > 6}
    rows = _rows(out)
    assert len(rows) == 25
    unanswered = 0
    for row in rows:
        assert row["source_file"] == "interactions-2026Q3.csv"  # as failing-records.csv has it
        received, answered, ended = waits[row["key"]]
        if not answered and ended:  # hung up unanswered: a breach as long as the call
            lasted = datetime.fromisoformat(ended) - datetime.fromisoformat(received)
            assert row["engine_outcome"] == "breach"
            assert row["value"] == f"{lasted.total_seconds():.0f} s"
            unanswered += 1
            continue
        if not answered:  # never answered, never ended: open at the period end
            open_for = PERIOD_END - datetime.fromisoformat(received)
            assert row["engine_outcome"] == "breach"
            assert row["value"].startswith(f"{open_for.days} d ")
            continue
        wait = (datetime.fromisoformat(answered) - datetime.fromisoformat(received)).total_seconds()
        assert row["value"] == f"{wait:.0f} s"
        assert (wait > 30) == (row["engine_outcome"] == "breach")
    assert unanswered  # the sample holds calls hung up unanswered


def test_the_same_seed_draws_the_same_file_and_another_seed_another(
    runner, demo_audit, tmp_path
) -> None:
    files = []
    for name, seed in (("a.csv", "11"), ("b.csv", "11"), ("c.csv", "12")):
        args = ["sample", "RESP-PHONE-30S", "--audit", str(demo_audit.out), "--size", "40",
                "--seed", seed, "--out", str(tmp_path / name)]  # fmt: skip
        assert runner.invoke(main, args).exit_code == 0
        files.append((tmp_path / name).read_bytes())
    assert files[0] == files[1] and files[0] != files[2]


def test_sample_mistakes_are_one_line_and_exit_2(runner, demo_audit, tmp_path) -> None:
    audit = str(demo_audit.out)
    out = str(tmp_path / "s.csv")
    cases = {
        ("CSAT-Q-4.2", "--size", "5", "--seed", "1"): "judged on an aggregate",
        ("TECH-INITAL-4H", "--size", "5", "--seed", "1"): "did you mean 'TECH-INITIAL-4H'",
        ("TECH-INITIAL-4H", "--size", "5"): "needs RULE, --audit and --seed",
        ("TECH-INITIAL-4H", "--seed", "1"): "either --size N or --plan",
        ("TECH-INITIAL-4H", "--plan", "iso2859-1", "--seed", "1"): "go together",
        ("TECH-INITIAL-4H", "--plan", "iso2859-1", "--aql", "11", "--seed", "1"): "AQL '11'",
    }
    for extra, message in cases.items():
        result = runner.invoke(
            main, ["sample", extra[0], "--audit", audit, "--out", out, *extra[1:]]
        )
        assert result.exit_code == 2, (extra, result.output)
        assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_a_sample_stratified_by_the_rules_group_takes_each_site_from_its_line(
    runner, demo_audit, tmp_path
) -> None:
    out = tmp_path / "by-site.csv"
    args = ["sample", "RESP-PHONE-30S", "--audit", str(demo_audit.out), "--size", "12",
            "--stratify", "site", "--seed", "3", "--out", str(out)]  # fmt: skip
    assert runner.invoke(main, args).exit_code == 0
    with INTERACTIONS.open(encoding="gbk", newline="") as handle:
        lines = list(csv.reader(handle))
    rows = _rows(out)
    assert len(rows) == 12 and {r["group"] for r in rows} == {"BJ", "GZ", "SH"}
    for row in rows:
        source = lines[int(row["line"]) - 1]  # line 1 is the header
        assert (source[0], source[2]) == (row["key"], row["group"])
    wrong = runner.invoke(main, [*args[:-4], "--stratify", "sit", "--seed", "3", "--out", str(out)])
    assert wrong.exit_code == 2 and "did you mean 'site'?" in wrong.output


def test_a_rule_the_audit_found_not_evaluable_is_not_sampled(runner, write_pack, tmp_path) -> None:
    """A certifier's trial: the audit found COUNTER-WAIT-15MIN not evaluable (n = 0), yet
    sample "drew 5 of 306 judged records", each marked breach. The audit judged none: sample
    refuses with the audit's reason; an unknown rule lists the pack's rules when none is close."""
    from ..series_pack import unrated_audit

    audit = str(unrated_audit(write_pack, tmp_path))
    out = tmp_path / "s.csv"
    args = ["--audit", audit, "--size", "5", "--seed", "1", "--out", str(out)]
    refused = runner.invoke(main, ["sample", "RATED", *args])
    assert refused.exit_code == 2, refused.output
    assert refused.output.strip().splitlines() == [
        "error: the audit found rule RATED not evaluable (field 'csat' is empty in all 5 calls "
        "records in scope): it judged none of its records, so there is nothing to sample"
    ]
    assert not out.exists()
    unknown = runner.invoke(main, ["sample", "NOPE", *args])
    assert unknown.exit_code == 2, unknown.output
    assert unknown.output.strip() == (
        "error: no rule 'NOPE' in the pack; the pack's rules are ANSWERED, CSAT, RATED"
    )
    drawn = runner.invoke(main, ["sample", "ANSWERED", *args])  # a rule the audit judged
    assert drawn.exit_code == 0 and "drew 5 of 5 judged records" in drawn.output


def test_a_group_the_audit_did_not_judge_is_left_out_of_the_lot() -> None:
    from auditor.certify.sampling import _judged_by_the_audit
    from auditor.certify.unjudged import Unjudged

    population = [{"key": f"C{i}", "site": "BJ" if i < 3 else "GZ"} for i in range(5)]
    kept, said = _judged_by_the_audit(population, [Unjudged({"site": "GZ"}, "why")], "R")
    assert [row["key"] for row in kept] == ["C0", "C1", "C2"]
    assert said == [
        "the audit found group site=GZ of rule R not evaluable (why): it judged none of its "
        "records, they are left out of the sample"
    ]
