"""Certification sampling: the ISO 2859-1 plans, reproducible samples, the certifier's marks judged.

The expected plans below are written out by hand from the published tables
(the code-letter table by lot size, and the master table of single sampling
plans for normal inspection, its arrows followed by eye), not computed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.certify import (
    allocate,
    code_letter,
    create_sample,
    draw_sample,
    judge,
    population_from_store,
    sample_audit,
    single_plan,
)
from auditor.certify.iso2859 import table_plan
from auditor.certify.sampling import sidecar_path
from auditor.errors import AuditorError

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------ the tables

#: (level, lot size, code letter): both ends of bands, from the code-letter table
CODE_LETTERS = [
    ("II", 2, "A"),
    ("II", 8, "A"),
    ("II", 9, "B"),
    ("II", 500, "H"),
    ("II", 501, "J"),
    ("II", 1_200, "J"),
    ("II", 1_201, "K"),
    ("II", 3_200, "K"),
    ("II", 3_201, "L"),
    ("II", 10_000, "L"),
    ("II", 10_001, "M"),
    ("II", 150_001, "P"),
    ("II", 500_001, "Q"),
    ("II", 10**9, "Q"),
    ("I", 2, "A"),
    ("I", 15, "A"),
    ("I", 16, "B"),
    ("I", 51, "C"),
    ("I", 1_000, "G"),
    ("I", 500_001, "N"),
    ("III", 2, "B"),
    ("III", 1_000, "K"),
    ("III", 150_001, "Q"),
    ("III", 500_001, "R"),
]


@pytest.mark.parametrize(("level", "lot", "letter"), CODE_LETTERS)
def test_code_letter_by_lot_size_and_level(level: str, lot: int, letter: str) -> None:
    assert code_letter(lot, level) == letter


@pytest.mark.parametrize(
    ("lot", "letter", "n"), [(501, "J", 80), (1_200, "J", 80), (1_201, "K", 125), (3_201, "L", 200)]
)
def test_level_ii_letters_and_sample_sizes_the_issue_gives(lot: int, letter: str, n: int) -> None:
    plan = single_plan(lot, "II", 0.65)  # 0.65 has a plan at J, K and L: no arrow
    assert (plan.table_letter, plan.code_letter, plan.sample_size) == (letter, letter, n)


def test_level_ii_j_at_aql_2_5_accepts_5_and_rejects_6() -> None:
    plan = single_plan(1_000, "II", 2.5)
    assert (plan.code_letter, plan.sample_size, plan.accept, plan.reject) == ("J", 80, 5, 6)
    assert plan.note == ""


#: (code letter, AQL, letter of the plan used, its n, Ac) read off the master table
MASTER_CASES = [
    # plans in the table itself
    ("A", "6.5", "A", 2, 0),
    ("E", "1.0", "E", 13, 0),
    ("J", "2.5", "J", 80, 5),
    ("K", "0.65", "K", 125, 2),
    ("L", "1.5", "L", 200, 7),
    ("L", "0.65", "L", 200, 3),
    ("M", "4.0", "M", 315, 21),
    ("K", "10", "K", 125, 21),
    ("Q", "0.65", "Q", 1250, 14),
    ("R", "0.65", "R", 2000, 21),
    # arrows down: the first plan below, with its larger sample
    ("D", "1.0", "E", 13, 0),
    ("A", "4.0", "B", 3, 0),
    ("C", "6.5", "D", 8, 1),
    ("H", "0.65", "J", 80, 1),
    ("B", "1.0", "E", 13, 0),
    # arrows up: the first plan above, with its smaller sample
    ("B", "6.5", "A", 2, 0),
    ("F", "1.0", "E", 13, 0),
    ("G", "0.65", "F", 20, 0),
    ("L", "10", "K", 125, 21),
    ("N", "4.0", "M", 315, 21),
    ("Q", "1.5", "P", 800, 21),
    ("R", "1.0", "Q", 1250, 21),
    ("R", "10", "K", 125, 21),
    # an arrow pointing off the table: the nearest plan the other way in the column
    ("A", "10", "C", 5, 1),
]


@pytest.mark.parametrize(("letter", "aql", "used", "n", "ac"), MASTER_CASES)
def test_master_table_plans_and_arrows(letter: str, aql: str, used: str, n: int, ac: int) -> None:
    got_letter, got_n, got_ac, note = table_plan(letter, aql)
    assert (got_letter, got_n, got_ac) == (used, n, ac)
    assert (note == "") == (used == letter)
    if used != letter:
        assert f"code letter {used}" in note


def test_a_plan_reached_by_an_arrow_reports_the_letter_and_sample_it_moved_to() -> None:
    plan = single_plan(40, "II", 1.0)  # D for 26-50; the arrow leads down to E
    assert (plan.table_letter, plan.code_letter, plan.sample_size) == ("D", "E", 13)
    assert (plan.accept, plan.reject) == (0, 1)
    assert "points down to code letter E" in plan.note
    assert not plan.whole_lot


def test_a_sample_as_large_as_the_lot_inspects_every_item() -> None:
    plan = single_plan(10, "II", 1.0)  # B; the arrow leads down to E, 13 > 10
    assert (plan.code_letter, plan.sample_size, plan.accept, plan.reject) == ("E", 10, 0, 1)
    assert plan.whole_lot and "100 %" in plan.note
    exact = single_plan(13, "II", 1.0)  # C -> E, 13 = 13
    assert exact.sample_size == 13 and exact.whole_lot


@pytest.mark.parametrize("aql", ["0.65", 0.65, "1", 1, "1.0", "10", 10.0, "2.5%"])
def test_aql_spellings(aql: Any) -> None:
    single_plan(1_000, "ii", aql)


@pytest.mark.parametrize(("level", "aql"), [("IV", 2.5), ("II", 2.0), ("II", 15), ("II", "x")])
def test_unknown_levels_and_aqls_are_one_clear_error(level: str, aql: Any) -> None:
    with pytest.raises(AuditorError) as caught:
        single_plan(1_000, level, aql)
    assert "level" in str(caught.value) or "AQL" in str(caught.value)


# ------------------------------------------------------------ drawing


def population(count: int = 300) -> list[dict[str, Any]]:
    """A fixed lot: keys T0000..., three sites of different sizes, one record in ten a breach."""
    return [
        {
            "key": f"T{i:04d}",
            "site": ("BJ", "SH", "GZ")[0 if i % 10 < 5 else 1 if i % 10 < 8 else 2],
            "source_file": "evidence/tickets.csv",
            "line": i + 2,
            "engine_outcome": "breach" if i % 10 == 3 else "conform",
            "value": float(i) / 4,
        }
        for i in range(count)
    ]


def make_sample(out: Path, seed: int = 2026, rows: list[dict[str, Any]] | None = None) -> Path:
    """The sample a certifier would get for AQL 2.5 at level II, stratified by site."""
    path = out / "sample.csv"
    create_sample(
        population() if rows is None else rows,
        path,
        rule="TECH-INITIAL-4H",
        seed=seed,
        level="II",
        aql=2.5,
        stratify="site",
    )
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes() + sidecar_path(path).read_bytes()).hexdigest()


def test_the_same_seed_gives_byte_identical_files_whatever_the_row_order(tmp_path: Path) -> None:
    shuffled = population()
    random.Random(7).shuffle(shuffled)
    first = make_sample(tmp_path / "one")
    second = make_sample(tmp_path / "two", rows=shuffled)
    assert first.read_bytes() == second.read_bytes()
    assert sidecar_path(first).read_bytes() == sidecar_path(second).read_bytes()
    other = make_sample(tmp_path / "three", seed=2027)
    assert digest(other) != digest(first)


def test_the_same_seed_gives_byte_identical_files_in_another_process(tmp_path: Path) -> None:
    here = make_sample(tmp_path / "here")
    there = tmp_path / "there"
    code = (
        "import sys; from pathlib import Path; from tests.test_sampling import make_sample; "
        "make_sample(Path(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(there)], cwd=ROOT, env=env, check=True)
    assert digest(there / "sample.csv") == digest(here)


def test_the_sample_file_has_the_columns_and_the_plan_beside_it(tmp_path: Path) -> None:
    import csv
    import json

    path = make_sample(tmp_path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "key",
        "group",
        "source_file",
        "line",
        "engine_outcome",
        "value",
        "certifier_mark",
    ]
    assert len(rows) == 50  # 300 records, level II: H, n = 50; AQL 2.5 at H: Ac 3, Re 4
    assert {row["certifier_mark"] for row in rows} == {""}
    assert all(row["source_file"] == "evidence/tickets.csv" and row["line"] for row in rows)
    side = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    assert side["plan"]["code_letter"] == "H"
    assert (side["plan"]["accept"], side["plan"]["reject"], side["lot_size"]) == (3, 4, 300)
    assert (side["seed"], side["rule"], side["stratify"]) == (2026, "TECH-INITIAL-4H", "site")
    assert side["allocation"] == {"BJ": 25, "GZ": 10, "SH": 15}


def test_stratified_allocation_is_proportional_by_largest_remainder() -> None:
    # shares 6.5, 3.9 and 2.6: whole parts 6, 3, 2; the two left go to b (.9) and c (.6)
    assert allocate({"a": 50, "b": 30, "c": 20}, 13) == {"a": 6, "b": 4, "c": 3}
    assert allocate({"a": 1, "b": 1}, 1) == {"a": 1, "b": 0}  # a tie: the name decides
    assert allocate({"a": 3, "b": 2}, 10) == {"a": 3, "b": 2}  # the whole population


@given(
    st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 500), min_size=1, max_size=8),
    st.integers(1, 2_000),
)
def test_stratified_allocation_sums_to_n(strata: dict[str, int], n: int) -> None:
    quotas = allocate(strata, n)
    assert sum(quotas.values()) == min(n, sum(strata.values()))
    assert all(0 <= quotas[name] <= strata[name] for name in strata)
    total = sum(strata.values())
    if total:
        assert all(abs(quotas[k] - n * strata[k] / total) < 1 for k in strata if n <= total)


def test_a_stratified_draw_takes_each_stratum_its_quota() -> None:
    rows = draw_sample(population(), 32, seed=1, stratify="site")
    counts = {site: sum(1 for row in rows if row["group"] == site) for site in ("BJ", "SH", "GZ")}
    assert counts == allocate({"BJ": 150, "SH": 90, "GZ": 60}, 32)
    assert sum(counts.values()) == 32
    assert len({row["key"] for row in rows}) == 32


def test_draw_errors_are_clear() -> None:
    with pytest.raises(AuditorError, match="did you mean 'site'"):
        draw_sample(population(), 5, seed=1, stratify="sites")
    with pytest.raises(AuditorError) as channel:  # a field of the kind, not of the sample
        draw_sample(population(), 5, seed=1, stratify="channel")
    assert channel.value.message == (
        "cannot stratify by 'channel': a sample is drawn in strata of a group_by field of its "
        "rule, engine_outcome or source_file (engine_outcome, site, source_file)"
    )
    with pytest.raises(AuditorError, match="appears twice"):
        draw_sample([{"key": "a"}, {"key": "a"}], 1, seed=1)
    with pytest.raises(AuditorError, match="seed"):
        draw_sample(population(), 5, seed=-1)


def test_a_size_beyond_the_population_takes_every_record(tmp_path: Path) -> None:
    plan, rows, _ = create_sample(population(12), tmp_path / "s.csv", rule="R", seed=3, size=50)
    assert plan is None and len(rows) == 12


# ------------------------------------------------------------ judging


def mark(path: Path, marks: dict[str, str], default: str = "conform") -> None:
    """Fill the certifier_mark column: ``marks`` by key, ``default`` for the others."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        key = line.split(",", 1)[0]
        out.append(line + marks.get(key, default))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def sample_of(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """300 records at level II, AQL 2.5: code letter H, n = 50, Ac 3, Re 4."""
    path = tmp_path / "sample.csv"
    _, rows, _ = create_sample(population(), path, rule="R", seed=9, level="II", aql="2.5")
    return path, rows


def first_bad(rows: list[dict[str, Any]], bad: int) -> dict[str, str]:
    """The first ``bad`` sampled records marked nonconform."""
    return {row["key"]: "nonconform" for row in rows[:bad]}


@pytest.mark.parametrize(("bad", "accept"), [(0, True), (3, True), (4, False), (5, False)])
def test_judge_accepts_up_to_ac_and_rejects_from_re(tmp_path: Path, bad: int, accept: bool) -> None:
    path, rows = sample_of(tmp_path)
    mark(path, first_bad(rows, bad))
    judgement = judge(path)
    assert judgement.plan is not None
    assert (judgement.plan.accept, judgement.plan.reject) == (3, 4)
    assert judgement.nonconforming == bad
    assert judgement.accept is accept
    assert judgement.decision == ("accept" if accept else "reject")
    assert judgement.unmarked == []


def test_marks_that_disagree_with_the_engine_are_listed(tmp_path: Path) -> None:
    path, rows = sample_of(tmp_path)
    breach = next(row["key"] for row in rows if row["engine_outcome"] == "breach")
    conform = [row["key"] for row in rows if row["engine_outcome"] == "conform"][:2]
    marks = {breach: "conform", conform[0]: "NonConform", conform[1]: " CONFORM "}
    mark(path, marks, default="")
    judgement = judge(path)
    assert judgement.disagree == sorted([breach, conform[0]])
    assert judgement.agree == 1
    assert judgement.nonconforming == 1
    assert len(judgement.unmarked) == 47
    assert judgement.accept is None  # 1 found, 47 to go: the decision can still change
    assert any(breach in line for line in judgement.lines())


def test_enough_nonconforming_rejects_before_every_record_is_marked(tmp_path: Path) -> None:
    path, rows = sample_of(tmp_path)
    keys = [row["key"] for row in rows][:4]
    mark(path, dict.fromkeys(keys, "nonconform"), default="")
    assert judge(path).accept is False


def test_a_bad_mark_is_one_clear_error_with_its_line(tmp_path: Path) -> None:
    path, rows = sample_of(tmp_path)
    mark(path, {rows[6]["key"]: "nonconfrom"})
    with pytest.raises(AuditorError) as caught:
        judge(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:8: ")  # header on line 1, the seventh record on line 8
    assert "'nonconfrom'" in message and "did you mean 'nonconform'" in message
    assert caught.value.line == 8


def test_judge_reads_a_spreadsheet_saved_with_semicolons(tmp_path: Path) -> None:
    path, rows = sample_of(tmp_path)
    mark(path, first_bad(rows, 4))
    text = path.read_text(encoding="utf-8").replace(",", ";")
    path.write_text("\ufeff" + text.replace("\n", "\r\n"), encoding="utf-8")
    assert judge(path).accept is False


def test_judge_reads_a_sample_excel_saved_as_gb18030(tmp_path: Path) -> None:
    """Excel on Chinese Windows saves CSV in GB18030: read as the evidence readers read it."""
    path, rows = sample_of(tmp_path)
    mark(path, first_bad(rows, 4))
    lines = path.read_text(encoding="utf-8").splitlines()
    noted = [lines[0] + ",备注"] + [line + ",已核对" for line in lines[1:]]
    path.write_bytes("\r\n".join(noted).encode("gb18030"))
    sidecar = sidecar_path(path)
    sidecar.write_text("\ufeff" + sidecar.read_text(encoding="utf-8"), encoding="utf-8")  # Notepad
    judgement = judge(path)
    assert (judgement.nonconforming, judgement.accept) == (4, False)


def test_a_long_sample_in_gb18030_is_read_from_disk_once(tmp_path: Path, monkeypatch) -> None:
    """English notes over the first 64 KiB, Chinese after: its encoding is told from the bytes
    already read, not by reading the file again."""
    path, rows = sample_of(tmp_path)
    mark(path, first_bad(rows, 4))
    lines = path.read_text(encoding="utf-8").splitlines()
    noted = [lines[0] + ",note"] + [line + ",checked" + " ok" * 600 for line in lines[1:]]
    noted[-1] += ",已核对"
    path.write_bytes("\r\n".join(noted).encode("gb18030"))
    assert len(path.read_bytes()) > 1 << 16 and path.read_bytes()[: 1 << 16].isascii()
    opened: list[Path] = []
    real_open = Path.open
    monkeypatch.setattr(
        Path, "open", lambda self, *a, **k: opened.append(self) or real_open(self, *a, **k)
    )
    judgement = judge(path)
    assert (judgement.nonconforming, judgement.accept) == (4, False)
    assert opened.count(path) == 1


def test_a_sidecar_saved_as_utf16_is_read_and_one_not_json_text_is_named(tmp_path: Path) -> None:
    """As a findings.json is read: JSON's encodings are told, a byte in none of them named."""
    path, rows = sample_of(tmp_path)
    mark(path, first_bad(rows, 4))
    sidecar = sidecar_path(path)
    text = sidecar.read_text(encoding="utf-8")
    sidecar.write_bytes(text.encode("utf-16"))  # Notepad's "Unicode"
    assert judge(path).accept is False
    sidecar.write_bytes(b'{"format": "\xff"}')
    with pytest.raises(AuditorError) as caught:
        judge(path)
    assert str(caught.value) == (
        f"{sidecar}: not a sample sidecar: byte 13 is not UTF-8 text; save it as UTF-8"
    )


def test_a_sample_in_two_encodings_names_the_first_line_that_is_not(tmp_path: Path) -> None:
    """A UTF-8 sample with one row typed in again in GB18030: that row's line, and what to do."""
    path, _ = sample_of(tmp_path)
    mark(path, {})
    lines = [line.encode("utf-8") + ",已核对".encode() for line in path.read_text().splitlines()]
    lines[9] = lines[9].decode("utf-8").encode("gb18030")
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(AuditorError) as caught:
        judge(path)
    assert str(caught.value) == (
        f"{path}:10: the sample is not valid utf-8 text (mixed encodings in one file?); "
        "save it as CSV UTF-8"
    )


def test_judge_refuses_a_record_not_drawn_and_a_missing_sidecar(tmp_path: Path) -> None:
    path, _ = sample_of(tmp_path)
    mark(path, {})
    with path.open("a", encoding="utf-8") as handle:
        handle.write("X9999,,,,,,conform\n")
    with pytest.raises(AuditorError, match=r":52: record 'X9999' is not in the sample drawn"):
        judge(path)
    sidecar_path(path).unlink()
    with pytest.raises(AuditorError, match=r"no sidecar sample\.json"):
        judge(path)


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_sample_file_is_said_to_be_empty(tmp_path: Path, content: bytes) -> None:
    """An empty file (a spreadsheet saved with nothing in it, a byte order mark alone, blank
    lines) was said to have no 'key' column."""
    path = make_sample(tmp_path)
    path.write_bytes(content)
    with pytest.raises(AuditorError) as caught:
        judge(path)
    assert str(caught.value) == (
        f"{path}: the sample file is empty; give the file 'auditor sample' wrote, its "
        "certifier_mark column filled in"
    )


def test_a_sample_without_a_plan_is_judged_for_agreement_only(tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    create_sample(population(), path, rule="R", seed=4, size=10)
    mark(path, {})
    judgement = judge(path)
    assert judgement.plan is None and judgement.accept is None
    assert judgement.agree + len(judgement.disagree) == 10


# ------------------------------------------------------------ the population of an audit


def test_the_population_of_a_rule_in_the_demo_audit(demo_audit: Any) -> None:
    rows = population_from_store(
        demo_audit.out / "evidence.db",
        "RESP-PHONE-30S",
        ROOT / "rules" / "service-quality.yaml",
        "2026-Q3",
    )
    result = next(r for r in demo_audit.results if r.rule == "RESP-PHONE-30S")
    pooled = result.findings[0]
    assert len(rows) == pooled.counts.conforming + pooled.counts.breached
    breaches = {row["key"] for row in rows if row["engine_outcome"] == "breach"}
    assert breaches == set(pooled.failing)
    assert all(row["source_file"].endswith(".csv") and row["line"] >= 2 for row in rows)
    with pytest.raises(AuditorError, match="did you mean 'RESP-PHONE-30S'"):
        population_from_store(
            demo_audit.out / "evidence.db",
            "RESP-PHONE-30",
            ROOT / "rules" / "service-quality.yaml",
            "2026-Q3",
        )


def test_a_sample_stratified_by_a_fields_alias_is_the_one_by_its_name(
    demo_audit: Any, tmp_path: Path
) -> None:
    """站点 is an alias of the interactions' site (rules/service-quality.yaml): stratifying by
    it draws the sample stratifying by site draws, and records it as site."""
    drawn = {}
    for name in ("site", "站点"):
        out = tmp_path / f"{name}.csv"
        sample_audit(demo_audit.out, "RESP-PHONE-30S", out, seed=3, size=12, stratify=name)
        side = json.loads(sidecar_path(out).read_text(encoding="utf-8"))
        drawn[name] = (out.read_bytes(), side["stratify"], side["allocation"])
    assert drawn["站点"] == drawn["site"]
    assert drawn["site"][1] == "site" and sum(drawn["site"][2].values()) == 12


def test_keys_with_a_date_read_as_findings_json_shows_them(demo_audit: Any) -> None:
    rows = population_from_store(
        demo_audit.out / "evidence.db",
        "ROOT-CAUSE",
        ROOT / "rules" / "service-quality.yaml",
        "2026-Q3",
    )
    result = next(r for r in demo_audit.results if r.rule == "ROOT-CAUSE")
    breaches = {row["key"] for row in rows if row["engine_outcome"] == "breach"}
    assert breaches and breaches == set(result.findings[0].failing)
    assert all(row["key"].startswith("ROOT-CAUSE|") and row["key"][-3] == "-" for row in rows)
    assert all(row["source_file"] and row["line"] for row in rows)


def test_without_strata_each_sampled_record_names_its_group() -> None:
    drawn = draw_sample(population(), 12, seed=7)
    assert all(row["group"] == f"site={row['site']}" for row in drawn)
    assert [(r["group"], r["key"]) for r in drawn] == sorted((r["group"], r["key"]) for r in drawn)
    ungrouped = [{k: v for k, v in row.items() if k != "site"} for row in population()]
    assert {row["group"] for row in draw_sample(ungrouped, 12, seed=7)} == {""}


def edit_plan(path: Path, **fields: Any) -> Path:
    """Change fields of the plan the sample's sidecar records, as a hand edit would."""
    sidecar = sidecar_path(path)
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    data["plan"].update(fields)
    sidecar.write_text(json.dumps(data), encoding="utf-8")
    return sidecar


def test_a_sidecar_whose_ac_and_re_were_edited_is_refused(tmp_path: Path) -> None:
    """A lot of 300 at level II, AQL 2.5 is H, n = 50, Ac 3, Re 4 (ISO 2859-1 tables 1 and
    2-A): edited to Ac 20, Re 21 the lot was accepted with 11 nonconforming."""
    path, rows = sample_of(tmp_path)
    mark(path, first_bad(rows, 11))
    sidecar = edit_plan(path, accept=20, reject=21)
    with pytest.raises(AuditorError) as caught:
        judge(path)
    assert str(caught.value) == (
        f"{sidecar}: the plan is not ISO 2859-1's for a lot of 300 at level II, AQL 2.5: "
        "accept 20 (the standard gives 3), reject 21 (the standard gives 4); "
        "draw the sample again with 'auditor sample'"
    )
    assert caught.value.exit_code == 2


def test_a_sidecar_whose_lot_size_was_edited_names_the_plan_the_tables_give(
    tmp_path: Path,
) -> None:
    """A lot of 1,000 at level II is code letter J (501 to 1,200), n = 80; at AQL 2.5 the
    master table gives Ac 5, Re 6: the plan kept for 300 records (H, 50, 3, 4) is not it."""
    path, _ = sample_of(tmp_path)
    mark(path, {})
    sidecar = edit_plan(path, lot_size=1000)
    with pytest.raises(AuditorError) as caught:
        judge(path)
    assert str(caught.value) == (
        f"{sidecar}: the plan is not ISO 2859-1's for a lot of 1,000 at level II, AQL 2.5: "
        "table_letter 'H' (the standard gives 'J'), code_letter 'H' (the standard gives 'J'), "
        "sample_size 50 (the standard gives 80), accept 3 (the standard gives 5), "
        "reject 4 (the standard gives 6); draw the sample again with 'auditor sample'"
    )


def test_the_sample_files_order_is_the_one_the_docs_state(tmp_path: Path) -> None:
    """docs/sampling.md said rows are "ordered by stratum, then key"; without --stratify there
    is no stratum, and rows come by the record's group (site=BJ, site=GZ, ...), then key."""
    import csv

    from .conftest import ROOT

    doc = " ".join((ROOT / "docs" / "sampling.md").read_text(encoding="utf-8").split())
    assert (
        "ordered by the `group` column (the stratum with `--stratify`, else the record's "
        "group), then key" in doc
    )
    path = tmp_path / "sample.csv"
    create_sample(population(), path, rule="R", seed=9, size=20)
    with path.open(encoding="utf-8-sig", newline="") as written:
        rows = [(row["group"], row["key"]) for row in csv.DictReader(written)]
    assert rows == sorted(rows) and rows != sorted(rows, key=lambda row: row[1])
    assert [group for group, _ in rows[:1]] == ["site=BJ"]


# ------------------------------------------------------------ a sequence rule's cases

#: complaint events (tests/packs/sequence.yaml, rule HANDLING: acknowledged within 24 h of
#: received, resolved within 5 d of it), each case's events not in one block of lines
SEQUENCE_EVENTS = (
    "complaint_id,event,at,site\n"  # line 1
    "B,acknowledged,2026-02-03 16:00:00,BJ\n"  # 2: B's first line, not its received event
    "A,received,2026-02-02 10:00:00,BJ\n"  # 3: A's received
    "B,received,2026-02-02 10:00:00,BJ\n"  # 4: B's received; acknowledged 30 h on: 6 h late
    "A,acknowledged,2026-02-02 12:00:00,BJ\n"  # 5
    "A,resolved,2026-02-04 10:00:00,BJ\n"  # 6: A in time
    "B,resolved,2026-02-04 10:00:00,BJ\n"  # 7
    "C,received,2026-02-05 10:00:00,SH\n"  # 8: C's received
    "C,acknowledged,2026-02-05 11:00:00,SH\n"  # 9
    "C,resolved,2026-02-06 10:00:00,SH\n"  # 10: C in time
    "G,received,2026-02-27 10:00:00,BJ\n"  # 11: G pending (resolution not due): not judged
    "G,acknowledged,2026-02-27 11:00:00,BJ\n"  # 12
    "X,acknowledged,2026-02-03 10:00:00,SH\n"  # 13: X has no received step: excluded
)


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_a_sampled_sequence_case_names_the_file_and_line_failing_records_give_it(
    tmp_path: Path, engine: str
) -> None:
    """A sequence rule judges cases, not stored records: each sampled case is placed where
    failing-records.csv places a breached one, at its received (first-step) event, conforming
    cases too, as worked out by hand from the lines above; a conforming case has no overrun."""
    import csv

    from auditor.audit import run_audit

    from .conftest import TEST_PACKS

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "complaint_events.csv").write_text(SEQUENCE_EVENTS, encoding="utf-8")
    out = tmp_path / "out"
    run_audit(TEST_PACKS / "sequence.yaml", evidence, out, "2026-02", engine=engine)
    with (out / "failing-records.csv").open(encoding="utf-8-sig", newline="") as listed:
        failing = [
            (r["key"], r["file"], r["line"])
            for r in csv.DictReader(listed)
            if r["rule"] == "HANDLING"
        ]
    assert failing == [("B", "complaint_events.csv", "4")]
    path = tmp_path / "sample.csv"
    lot = sample_audit(out, "HANDLING", path, seed=1, size=3)[3]
    assert lot == 3
    assert path.read_text(encoding="utf-8-sig").splitlines() == [
        "key,group,source_file,line,engine_outcome,value,certifier_mark",
        "A,site=BJ,complaint_events.csv,3,conform,,",
        "B,site=BJ,complaint_events.csv,4,breach,6 h,",
        "C,site=SH,complaint_events.csv,8,conform,,",
    ]
    mark(path, {"B": "nonconform"})
    judged = judge(path)
    assert (judged.agree, judged.disagree, judged.nonconforming) == (3, [], 1)
