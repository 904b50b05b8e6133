"""A reproducible random sample of a rule's records for a certifier to re-check by hand.

``draw_sample`` picks the records: the population is sorted by record key
first, so the order rows arrive in never matters, and the draw uses only
``random.Random(seed).random()``, the one part of Python's generator whose
sequence for an integer seed is promised not to change. With a stratum field
the sample is split over the strata in proportion to their sizes (largest
remainder), each stratum drawn in the order of its name.

``write_sample`` writes the sample as a CSV for the certifier (with an empty
``certifier_mark`` column) and, beside it, a JSON sidecar with the plan, the
seed and the engine's outcome of every sampled record. ``judge`` reads the
marks back and compares them with the sidecar: the lot is accepted or
rejected by the plan, and every record where the certifier and the engine
disagree is listed.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import write_text
from ..errors import AuditorError, Location, closest_name, shown
from ..findings import group_text
from ..findings.combined import read_json
from ..formatting import value_text
from .iso2859 import Plan, single_plan
from .unjudged import Unjudged, no_rule, unjudged_findings, unjudged_for

if TYPE_CHECKING:
    from ..backends.store import EvidenceStore
    from ..model import Pack, Rule
    from ..periods import Period

#: the sample file's columns, in order
COLUMNS = ("key", "group", "source_file", "line", "engine_outcome", "value", "certifier_mark")
#: the fields of a population row (``key`` is required; any other field can name a stratum)
POPULATION_FIELDS = ("key", "source_file", "line", "engine_outcome", "value")
#: the certifier's marks, and the engine outcome each one agrees with
MARKS = {"conform": ("conform", "valid"), "nonconform": ("breach",)}
SIDECAR_FORMAT = "auditor-sample"
SIDECAR_VERSION = 1
#: unmarked keys named in the summary lines (all of them are in ``Judgement.unmarked``)
UNMARKED_SHOWN = 10


# ---------------------------------------------------------------- drawing


def draw_sample(
    population: list[dict[str, Any]], size: int, seed: int, stratify: str | None = None
) -> list[dict[str, Any]]:
    """``size`` records of ``population``, the same ones for the same rows and seed on any machine.

    Each row needs a unique ``key``. The rows returned are copies with a
    ``group`` field (the stratum; without ``stratify`` the record's group, its
    fields beyond :data:`POPULATION_FIELDS` as ``site=SH``), ordered by group,
    then key. A ``size`` at least the population's takes every row.
    """
    _check_seed(seed)
    if size < 1:
        raise AuditorError(f"a sample needs at least one record, not {size}")
    ordered = _sorted_population(population)
    strata: dict[str, list[dict[str, Any]]] = {}
    for row in ordered:
        strata.setdefault(_stratum(row, stratify), []).append(row)
    quotas = allocate({name: len(rows) for name, rows in strata.items()}, size)
    rng = random.Random(seed)
    picked = []
    for name in sorted(strata):
        for row in _pick(strata[name], quotas[name], rng):
            group = name if stratify else _record_group(row)
            picked.append({**row, "key": str(row["key"]), "group": group})
    return sorted(picked, key=lambda row: (row["group"], row["key"]))


def allocate(strata: dict[str, int], size: int) -> dict[str, int]:
    """Split ``size`` over strata in proportion to their sizes, by largest remainder.

    Each stratum first gets the whole part of its share; the records left over
    go one each to the strata with the largest remainders (ties: the larger
    stratum, then the name). The result sums to ``size`` (or to the
    population, when the sample would hold every record).
    """
    total = sum(strata.values())
    size = min(size, total)
    if not total:
        return dict.fromkeys(strata, 0)
    quotas = {name: size * count // total for name, count in strata.items()}
    left = size - sum(quotas.values())
    order = sorted(strata, key=lambda name: (-(size * strata[name] % total), -strata[name], name))
    for name in order[:left]:
        quotas[name] += 1
    return quotas


def _check_seed(seed: int) -> None:
    # Random(-s) is Random(s): a negative seed would repeat another's sample.
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise AuditorError(f"the seed is a whole number of 0 or more, not {seed!r}")


def _sorted_population(population: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    rows = []
    for row in population:
        if row.get("key") is None:
            raise AuditorError(f"a population row has no key: {row!r}")
        key = str(row["key"])
        if key in seen:
            raise AuditorError(f"record key '{key}' appears twice in the population")
        seen.add(key)
        rows.append(row)
    return sorted(rows, key=lambda row: str(row["key"]))


def _stratum(row: dict[str, Any], stratify: str | None) -> str:
    if stratify is None:
        return ""
    if stratify not in row:
        strata = sorted(name for name in row if name not in ("key", "line", "value"))
        raise AuditorError(
            f"cannot stratify by '{stratify}': a sample is drawn in strata of a group_by "
            f"field of its rule, engine_outcome or source_file ({', '.join(strata)})",
            suggestion=closest_name(stratify, strata),
        )
    value = row[stratify]
    return "" if value is None else str(value)


def _record_group(row: dict[str, Any]) -> str:
    """``site=SH``: the row's fields that are not a population row's own (the rule's groups)."""
    return group_text({k: v for k, v in row.items() if k not in POPULATION_FIELDS})


def _pick(rows: list[dict[str, Any]], count: int, rng: random.Random) -> list[dict[str, Any]]:
    """The first ``count`` places of a Fisher-Yates shuffle driven by ``rng.random()`` only."""
    items = list(rows)
    for i in range(count):
        j = i + int(rng.random() * (len(items) - i))
        items[i], items[j] = items[j], items[i]
    return items[:count]


# ---------------------------------------------------------------- writing


def sidecar_path(path: Path) -> Path:
    """The JSON sidecar of a sample file: ``sample.csv`` -> ``sample.json``."""
    path = Path(path)
    side = path.with_suffix(".json")
    return side if side != path else path.with_name(path.name + ".json")


def write_sample(
    rows: Sequence[dict[str, Any]],
    path: Path,
    plan: Plan | None,
    *,
    rule: str,
    seed: int,
    lot_size: int,
    stratify: str | None = None,
) -> Path:
    """Write the sample CSV at ``path`` and its sidecar (returned); both atomically, no timestamps."""
    path = Path(path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in COLUMNS[:-1]] + [""])
    groups = Counter(str(row.get("group", "")) for row in rows)
    sidecar = {
        "format": SIDECAR_FORMAT,
        "version": SIDECAR_VERSION,
        "rule": rule,
        "seed": seed,
        "lot_size": lot_size,
        "sample_size": len(rows),
        "stratify": stratify,
        "allocation": dict(sorted(groups.items())) if stratify else None,
        "plan": plan.as_dict() if plan is not None else None,
        "sample_file": path.name,
        "records": [
            {"key": str(row["key"]), "engine_outcome": _cell(row.get("engine_outcome"))}
            for row in rows
        ],
    }
    side = sidecar_path(path)
    write_text(side, json.dumps(sidecar, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    # A byte-order mark, as failing-records.csv has, so spreadsheet programs read UTF-8.
    write_text(path, "\ufeff" + buffer.getvalue())
    return side


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def create_sample(
    population: list[dict[str, Any]],
    path: Path,
    *,
    rule: str,
    seed: int,
    size: int | None = None,
    level: str | None = None,
    aql: float | str | None = None,
    stratify: str | None = None,
) -> tuple[Plan | None, list[dict[str, Any]], Path]:
    """Plan, draw and write a sample: either ``size`` records, or the plan for ``level`` and ``aql``.

    Returns the plan (``None`` with ``size``), the sampled rows and the sidecar's path.
    """
    if (size is None) == (aql is None):
        raise AuditorError("give either a sample size or an ISO 2859-1 plan (level and AQL)")
    if not population:
        raise AuditorError(f"rule {rule} has no judged records to sample", rule_id=rule)
    lot = len(population)
    plan = None if aql is None else single_plan(lot, level or "II", aql)
    count = plan.sample_size if plan is not None else int(size or 0)
    rows = draw_sample(population, count, seed, stratify)
    side = write_sample(rows, path, plan, rule=rule, seed=seed, lot_size=lot, stratify=stratify)
    return plan, rows, side


# ---------------------------------------------------------------- judging


@dataclass
class Judgement:
    """What the certifier's marks say about the lot, and where they differ from the engine.

    ``accept`` is ``None`` while it cannot be told: the sample was drawn
    without a plan, or records are still unmarked and their marks could still
    change the decision.
    """

    nonconforming: int
    accept: bool | None
    agree: int
    disagree: list[str] = field(default_factory=list)
    unmarked: list[str] = field(default_factory=list)
    plan: Plan | None = None
    rule: str = ""
    marked: int = 0

    @property
    def decision(self) -> str:
        return {True: "accept", False: "reject", None: "undecided"}[self.accept]

    def lines(self) -> list[str]:
        """The judgement in a few sentences, for the command line."""
        out = [
            f"rule {self.rule}: {self.marked} of {self.marked + len(self.unmarked)} marked, "
            f"{self.nonconforming} nonconforming"
        ]
        if self.plan is not None:
            out.append(
                f"plan: code letter {self.plan.code_letter}, n = {self.plan.sample_size}, "
                f"Ac {self.plan.accept}, Re {self.plan.reject}: {self.decision}"
            )
        out.append(f"certifier and engine agree on {self.agree}, disagree on {len(self.disagree)}")
        out.extend(f"  disagree: {key}" for key in self.disagree)
        if self.unmarked:
            shown = ", ".join(self.unmarked[:UNMARKED_SHOWN])
            more = ", ..." if len(self.unmarked) > UNMARKED_SHOWN else ""
            out.append(f"  unmarked: {len(self.unmarked)} ({shown}{more})")
        return out


def judge(path: Path) -> Judgement:
    """Read the certifier's marks in a sample file (and its sidecar) and judge the lot."""
    path = Path(path)
    sidecar = _load_sidecar(path)
    outcomes = {str(r["key"]): str(r.get("engine_outcome") or "") for r in sidecar["records"]}
    marks = _read_marks(path, outcomes)
    missing = [key for key in outcomes if key not in marks]
    if missing:
        raise AuditorError(
            f"{len(missing)} sampled record(s) have no row in the file, first '{missing[0]}'",
            location=Location(str(path)),
        )
    plan = _recorded_plan(sidecar["plan"], sidecar_path(path)) if sidecar.get("plan") else None
    judged = {key: mark for key, mark in marks.items() if mark}
    bad = sum(1 for mark in judged.values() if mark == "nonconform")
    disagree = [key for key, mark in judged.items() if outcomes[key] not in MARKS[mark]]
    unmarked = [key for key, mark in marks.items() if not mark]
    return Judgement(
        nonconforming=bad,
        accept=_decide(plan, bad, len(unmarked)),
        agree=len(judged) - len(disagree),
        disagree=disagree,
        unmarked=unmarked,
        plan=plan,
        rule=str(sidecar.get("rule", "")),
        marked=len(judged),
    )


def _decide(plan: Plan | None, nonconforming: int, unmarked: int) -> bool | None:
    if plan is None:
        return None
    if nonconforming >= plan.reject:
        return False
    if nonconforming + unmarked <= plan.accept:
        return True
    return None


def _load_sidecar(path: Path) -> dict[str, Any]:
    side = sidecar_path(path)
    if not side.is_file():
        raise AuditorError(
            f"no sidecar {side.name} beside the sample: it holds the plan and the engine's outcomes",
            location=Location(str(path)),
        )
    data = read_json(side, "a sample sidecar")
    if not isinstance(data, dict) or data.get("format") != SIDECAR_FORMAT:
        raise AuditorError("not a sample sidecar written by auditor", location=Location(str(side)))
    if data.get("version") != SIDECAR_VERSION or not isinstance(data.get("records"), list):
        raise AuditorError(
            f"sidecar version {data.get('version')!r} is not {SIDECAR_VERSION}",
            location=Location(str(side)),
        )
    return data


def _recorded_plan(recorded: dict[str, Any], side: Path) -> Plan:
    """The ISO 2859-1 plan for the lot size, level and AQL the sidecar records, computed
    again; a sidecar whose plan is not that one (its Ac or Re edited, say) is refused."""
    lot, level, aql = recorded.get("lot_size"), recorded.get("level"), recorded.get("aql")
    if not isinstance(lot, int) or isinstance(lot, bool):
        raise AuditorError(
            f"the plan's lot size {lot!r} is not a number", location=Location(str(side))
        )
    plan = single_plan(lot, str(level), str(aql))
    differs = [
        f"{name} {shown(recorded.get(name, 'absent'))} (the standard gives {shown(value)})"
        for name, value in plan.as_dict().items()
        if recorded.get(name, "absent") != value
    ]
    if differs:
        raise AuditorError(
            f"the plan is not ISO 2859-1's for a lot of {lot:,} at level {plan.level}, AQL "
            f"{plan.aql}: {', '.join(differs)}",
            location=Location(str(side)),
            hint="draw the sample again with 'auditor sample'",
        )
    return plan


def _read_marks(path: Path, outcomes: dict[str, str]) -> dict[str, str]:
    """Each row's key and mark (``""`` when unmarked), in file order; a bad row stops with its line."""
    text = _sample_text(path)
    if not text.lstrip("\ufeff").strip():  # nothing, or a byte order mark or blank lines only
        raise AuditorError(
            "the sample file is empty",
            location=Location(str(path)),
            hint="give the file 'auditor sample' wrote, its certifier_mark column filled in",
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = [name.strip() for name in next(reader, [])]
    for needed in ("key", "certifier_mark"):
        if needed not in header:
            raise AuditorError(
                f"the sample has no '{needed}' column",
                location=Location(str(path), 1),
                suggestion=closest_name(needed, header),
            )
    key_at, mark_at = header.index("key"), header.index("certifier_mark")
    marks: dict[str, str] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        where = Location(str(path), reader.line_num)
        key = row[key_at].strip() if key_at < len(row) else ""
        if key not in outcomes:
            raise AuditorError(f"record '{key}' is not in the sample drawn", location=where)
        if key in marks:
            raise AuditorError(f"record '{key}' appears twice", location=where)
        marks[key] = _mark(row[mark_at] if mark_at < len(row) else "", where)
    return marks


def _sample_text(path: Path) -> str:
    """The sample file's text, in the encoding a spreadsheet saved it in (as evidence is read)."""
    from ..readers import data_encoding

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AuditorError(
            f"cannot read the sample: {exc.strerror}", location=Location(str(path))
        ) from None
    encoding = data_encoding(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AuditorError(
            f"the sample is not valid {encoding} text (mixed encodings in one file?)",
            location=Location(str(path), line),
            hint="save it as CSV UTF-8",
        ) from None


def _mark(text: str, where: Location) -> str:
    mark = text.strip().lower()
    if mark and mark not in MARKS:
        raise AuditorError(
            f"certifier_mark '{text.strip()}' is neither conform nor nonconform",
            location=where,
            suggestion=closest_name(mark, MARKS),
            hint="leave it empty for a record not checked yet",
        )
    return mark


def _delimiter(text: str) -> str:
    """The header line's separator: a comma, or the semicolon or tab a spreadsheet may save with."""
    header = text.split("\n", 1)[0]
    for candidate in (",", ";", "\t"):
        if "certifier_mark" in [cell.strip().strip('"') for cell in header.split(candidate)]:
            return candidate
    return ","


# ---------------------------------------------------------------- the population


def population_from_store(
    store_path: Path,
    rule_id: str,
    pack_path: Path,
    period: str | Period,
    standards_dirs: list[Path] | None = None,
    evidence_root: str | None = None,
) -> list[dict[str, Any]]:
    """The records a per-record rule judged (conform or breach) in a period, as population rows.

    Each row has the record's ``key`` (as findings.json shows it: a date part
    as a date), ``engine_outcome``, the ``source_file`` and ``line`` failing-records.csv
    gives it (the record's own; a sequence case's, its first-step event's; relative to
    ``evidence_root`` when the audit's root is given), its ``value`` as the engine
    computed it, in the rule's unit as the report writes it (a sequence case has one, its
    overrun, only in breach), and the value of each of the rule's ``group_by`` fields, to
    stratify by.
    """
    from ..pack import load_pack

    pack = load_pack(pack_path, standards_dirs)
    with _store_read(store_path) as store:
        return _population(store, pack, _per_record_rule(pack, rule_id), period, evidence_root)


@contextmanager
def _store_read(store_path: Path) -> Iterator[EvidenceStore]:
    """The evidence store at ``store_path`` opened to read, closed after."""
    from ..backends.store import EvidenceStore

    if not Path(store_path).is_file():
        raise AuditorError("no evidence store here", location=Location(str(store_path)))
    store = EvidenceStore(store_path, read_only=True)
    try:
        yield store
    finally:
        store.close()


def _population(
    store: EvidenceStore, pack: Pack, rule: Rule, period: str | Period, evidence_root: str | None
) -> list[dict[str, Any]]:
    """The population rows of ``rule`` in ``store`` (see :func:`population_from_store`)."""
    from ..evaluate.driver import Evaluation, backend_for
    from ..periods import parse_period

    store.check_kinds(pack.evidence.values())
    if isinstance(period, str):
        period = parse_period(period)
    evaluation = Evaluation(pack, backend_for(store), period, (rule,))  # its calendar only
    details = evaluation.record_details(rule)
    unit = rule.measure.failing_unit(pack.evidence[rule.evidence])
    judged = [(k, d) for k, d in sorted(details.items()) if d["outcome"] in ("conform", "breach")]
    shown = evaluation.plan(rule).scope.display_keys(
        [key for key, _ in judged]
    )  # once, not per key
    return [
        {
            "key": key,
            "engine_outcome": detail["outcome"],
            "source_file": _file_cell(detail["source_file"], evidence_root),
            "line": detail["line"],
            "value": _value_cell(detail["value"], unit, rule),
            **{g: detail[g] for g in rule.group_by},
        }
        for key, (_, detail) in zip(shown, judged, strict=True)
    ]


def _file_cell(name: str | None, evidence_root: str | None) -> str | None:
    """A record's file as failing-records.csv names it (relative to the audit's evidence root)."""
    from ..paths import recorded_relative

    return None if name is None else recorded_relative(name, evidence_root)


def _value_cell(value: Any, unit: str | None, rule: Rule) -> str | None:
    """A record's value as the report writes it (``45 s``, ``3.2 business hours``)."""
    if value is None:
        return None
    calendar = getattr(rule.measure, "calendar", None)
    limit = getattr(rule.measure, "limit", None)  # decimals enough to keep the limit's side
    reference = getattr(limit, "seconds", None)
    text = value_text(float(value), unit, reference, lang="en", calendar=calendar)
    return text.replace("\N{NO-BREAK SPACE}", " ")  # a spreadsheet cell needs no wrapping hints


def _per_record_rule(pack: Pack, rule_id: str) -> Rule:
    rules = {rule.id: rule for rule in pack.rules}
    if rule_id not in rules:
        raise no_rule(rule_id, rules, " in the pack")
    rule = rules[rule_id]
    if not rule.measure.per_record:
        raise AuditorError(
            f"rule {rule_id} is judged on an aggregate, not record by record: no records to sample",
            rule_id=rule_id,
        )
    return rule


def sample_audit(
    audit_dir: Path,
    rule_id: str,
    out: Path,
    *,
    seed: int,
    size: int | None = None,
    level: str | None = None,
    aql: float | str | None = None,
    stratify: str | None = None,
    pack_path: Path | None = None,
) -> tuple[Plan | None, list[dict[str, Any]], Path, int, list[str]]:
    """Draw a sample of a rule's judged records from an audit folder (its store and findings.json).

    The pack and period are those the audit recorded unless ``pack_path`` is given.
    Returns the plan, the sampled rows, the sidecar's path, the lot size and what a reader
    must know of the audit's store (files whose columns were not recorded).
    """
    from ..pack import load_pack
    from .verify import columns_not_recorded_warnings, load_audit, recorded_pack, recorded_period

    document, folder = load_audit(Path(audit_dir))
    pack = load_pack(recorded_pack(document, pack_path, folder))
    rule = _per_record_rule(pack, rule_id)
    if stratify is not None:  # a field may be named by its alias (站点 for site)
        stratify = pack.evidence[rule.evidence].field_named(stratify)
    unjudged = unjudged_findings(document, rule_id)
    _refuse_a_rule_not_judged(unjudged, rule_id)
    root = document.manifest.parameters.evidence_root
    with _store_read(folder / "evidence.db") as store:
        population = _population(store, pack, rule, recorded_period(document), root)
        warnings = columns_not_recorded_warnings(pack, store, root)
    population, left_out = _judged_by_the_audit(population, unjudged, rule_id)
    warnings = left_out + warnings
    plan, rows, side = create_sample(
        population,
        Path(out),
        rule=rule_id,
        seed=seed,
        size=size,
        level=level,
        aql=aql,
        stratify=stratify,
    )
    return plan, rows, side, len(population), warnings


def _refuse_a_rule_not_judged(unjudged: list[Unjudged], rule_id: str) -> None:
    """An error when the audit found the whole rule not evaluable: it judged none of its
    records (though the engine could work out an outcome for each)."""
    whole = next((u for u in unjudged if not u.group), None)
    if whole is not None:
        raise AuditorError(
            f"the audit found rule {rule_id} not evaluable ({whole.reason}): it judged none of "
            "its records, so there is nothing to sample",
            rule_id=rule_id,
        )


def _judged_by_the_audit(
    population: list[dict[str, Any]], unjudged: list[Unjudged], rule_id: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """The population without the records of the groups the audit found not evaluable and
    judged none of, and a line for each group left out."""
    kept = [row for row in population if unjudged_for(unjudged, row) is None]
    left_out = [
        f"the audit found group {group_text(u.group)} of rule {rule_id} not evaluable "
        f"({u.reason}): it judged none of its records, they are left out of the sample"
        for u in unjudged
    ]
    return kept, left_out
