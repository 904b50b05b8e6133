"""An evidence export audited as it is: the findings of the folder it was made from, checked
first against its manifest and the pack's kinds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import load_pack
from auditor.audit import run_audit
from auditor.backends.store import EvidenceStore
from auditor.errors import AuditorError, EvidenceError
from auditor.export import export_store
from auditor.exported import is_export, read_export
from auditor.ingest import ingest
from auditor.synth import SynthOptions, synthesise

from .conftest import ROOT, RULES, needs_spark

PACK = RULES / "service-quality.yaml"
DEMO = ROOT / "evidence" / "demo" / "service-quality"
#: what an audit of an export records differently from one of the files: when it ran, what it
#: was given, and the export's own files
OWN = ("generated_at",)


@pytest.fixture(scope="module")
def export(demo_audit: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exported") / "parquet"
    export_store(demo_audit.out / "evidence.db", out)
    return out


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(json.dumps(document))
    for name in OWN:
        data.pop(name)
    data["manifest"].pop("export")
    data["manifest"]["parameters"].pop("evidence_root")
    data["manifest"]["parameters"].pop("engine")
    return data


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_an_audit_of_the_export_gives_the_folder_audit_s_findings(
    demo_audit: Any, export: Path, tmp_path: Path, engine: str
) -> None:
    again = run_audit(PACK, export, tmp_path / "out", "2026-Q3", engine=engine)
    assert _comparable(again.document) == _comparable(demo_audit.document)
    written = (tmp_path / "out" / "failing-records.csv").read_bytes()
    assert written == (demo_audit.out / "failing-records.csv").read_bytes()
    listed = again.document["manifest"]["export"]
    assert [f["file"] for f in listed] == sorted(p.name for p in export.glob("*.parquet"))
    assert {f["file"]: f["rows"] for f in listed}["interactions.parquet"] == 3_000
    assert all(len(f["sha256"]) == 64 for f in listed)


def test_the_ingest_report_is_the_manifest_s(demo_audit: Any, export: Path, tmp_path: Path) -> None:
    """Each file's counts, quarantine reasons and where each was first given: as the ingest
    of the files reported them."""
    store = EvidenceStore(tmp_path / "s.db")
    try:
        read = read_export(export, load_pack(PACK), store)
    finally:
        store.close()
    ingested = {f.path.rsplit("/", 1)[-1]: f for f in demo_audit.ingest.files}
    assert [f.path for f in read.report.files] == sorted(ingested)
    for got in read.report.files:
        was = ingested[got.path]
        assert (got.kind, got.sha256, got.rows_read, got.stored, got.quarantined) == (
            was.kind, was.sha256, was.rows_read, was.stored, was.quarantined,
        )  # fmt: skip
        assert got.reasons == was.reasons
        assert got.first_seen == was.first_seen
        assert (got.reader, got.mapping, got.warnings) == (was.reader, was.mapping, was.warnings)
    assert read.notes == []


def test_a_folder_of_evidence_files_is_not_an_export(export: Path, tmp_path: Path) -> None:
    assert is_export(export)
    assert not is_export(DEMO)
    mixed = tmp_path / "mixed"
    shutil.copytree(export, mixed)
    shutil.copy(DEMO / "agents.csv", mixed)  # evidence beside a stray manifest: evidence
    assert not is_export(mixed)


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), records=st.integers(40, 300))
def test_export_read_back_exports_the_same_tables(tmp_path: Path, seed: int, records: int) -> None:
    """Generated evidence (with its planted bad rows) ingested, exported, read back into a new
    store and exported again: every table holds the same rows, the files named alike."""
    work = tmp_path / f"{seed}-{records}"
    pack = load_pack(PACK)
    synthesise(pack, work / "evidence", SynthOptions(seed=seed, records=records))
    store = EvidenceStore(work / "a.db")
    ingest(pack, work / "evidence", store)
    store.close()
    first = {e.table: e.path for e in export_store(work / "a.db", work / "one")}
    rebuilt = EvidenceStore(work / "b.db")
    read_export(work / "one", pack, rebuilt)
    rebuilt.close()
    second = {e.table: e.path for e in export_store(work / "b.db", work / "two")}
    assert second.keys() == first.keys()
    for table, path in first.items():
        before, after = pq.read_table(path), pq.read_table(second[table])
        if "file" in before.column_names:  # named relative to the folder of the files
            names = [Path(n).name if n else n for n in before.column("file").to_pylist()]
            before = before.set_column(
                before.column_names.index("file"), "file", pa.array(names, pa.string())
            )
        assert after.equals(before), table


def _broken(export: Path, tmp_path: Path, change: Any) -> Path:
    folder = tmp_path / "broken"
    shutil.copytree(export, folder)
    change(folder)
    return folder


def _rewrite(folder: Path, name: str, edit: Any) -> None:
    path = folder / name
    pq.write_table(edit(pq.read_table(path)), path)


def _text_times(table: pa.Table) -> pa.Table:
    at = table.column_names.index("received_at")
    return table.set_column(at, "received_at", table.column(at).cast(pa.string()))


def _alien_source(table: pa.Table) -> pa.Table:
    sources = table.column("_source").to_pylist()
    sources[0] = 99
    at = table.column_names.index("_source")
    return table.set_column(at, "_source", pa.array(sources, pa.int64()))


def _float32_times(table: pa.Table) -> pa.Table:
    at = table.column_names.index("received_at")
    return table.set_column(at, "received_at", table.column(at).cast(pa.float32()))


def _uint64_scores(table: pa.Table) -> pa.Table:
    scores = table.column("csat").to_pylist()
    scores[0] = 2**63 + 5
    at = table.column_names.index("csat")
    return table.set_column(at, "csat", pa.array(scores, pa.uint64()))


def _emptied(column: str, kind: pa.DataType):
    def change(table: pa.Table) -> pa.Table:
        values = table.column(column).to_pylist()
        values[3] = None
        at = table.column_names.index(column)
        return table.set_column(at, column, pa.array(values, kind))

    return change


def _agents_as_checklist(folder: Path) -> None:
    """A checklist file whose records claim the agents file (a stale file of another export)."""
    agents = pq.read_table(folder / "agents.parquet")
    checklist = pq.read_table(folder / "checklist.parquet")
    sources = pa.array([agents.column("_source")[0].as_py()] * checklist.num_rows, pa.int64())
    at = checklist.column_names.index("_source")
    pq.write_table(checklist.set_column(at, "_source", sources), folder / "checklist.parquet")


def _repeated_keys(table: pa.Table) -> pa.Table:
    """The first rows again in place of the last: the count per file stays the manifest's."""
    return pa.concat_tables([table.slice(0, table.num_rows - 10), table.slice(0, 10)])


def _without_fingerprint(table: pa.Table) -> pa.Table:
    return table.replace_schema_metadata(None)


def _null_id(table: pa.Table) -> pa.Table:
    ids = table.column("id").to_pylist()
    ids[0] = None
    return table.set_column(table.column_names.index("id"), "id", pa.array(ids, pa.int64()))


BROKEN = {
    "a file of another export": (
        lambda f: _rewrite(f, "tickets.parquet", _without_fingerprint),
        "tickets.parquet: this file was not exported with this export's manifest",
    ),
    "repeated keys": (
        lambda f: _rewrite(f, "tickets.parquet", _repeated_keys),
        "tickets.parquet: 10 records repeat a key (ticket_id) of another record in this file",
    ),
    "quarantined rows cut": (
        lambda f: _rewrite(f, "store-quarantine.parquet", lambda t: t.slice(0, 3)),
        "quarantined rows of interactions-2026Q3.csv are in the export, where its manifest says",
    ),
    "an empty file id": (
        lambda f: _rewrite(f, "store-manifest.parquet", _null_id),
        "store-manifest.parquet: column 'id' is int64 with 1 empty, where the store keeps an "
        "integer on every row",
    ),
    "float32 times": (
        lambda f: _rewrite(f, "interactions.parquet", _float32_times),
        "interactions.parquet: column 'received_at' is float in the export, evidence kind "
        "'interactions' needs double",
    ),
    "unsigned 64-bit scores": (
        lambda f: _rewrite(f, "surveys.parquet", _uint64_scores),
        "surveys.parquet: column 'csat' is uint64 in the export, evidence kind 'surveys' "
        "needs int64",
    ),
    "an empty key": (
        lambda f: _rewrite(f, "tickets.parquet", _emptied("ticket_id", pa.string())),
        "tickets.parquet: column 'ticket_id' is empty on 1 record, where evidence kind "
        "'tickets' needs a value (key field)",
    ),
    "an empty required field": (
        lambda f: _rewrite(f, "tickets.parquet", _emptied("opened_at", pa.float64())),
        "tickets.parquet: column 'opened_at' is empty on 1 record, where evidence kind "
        "'tickets' needs a value (required field)",
    ),
    "records of a file of another kind": (
        _agents_as_checklist,
        "checklist.parquet: 12 checklist records come from file id 1, which the export's "
        "manifest lists as agents.csv of kind agents",
    ),
    "a kind's column missing": (
        lambda f: _rewrite(f, "interactions.parquet", lambda t: t.drop_columns(["site"])),
        "interactions.parquet: column 'site' of evidence kind 'interactions' is missing from the export",
    ),
    "a column of another type": (
        lambda f: _rewrite(f, "interactions.parquet", _text_times),
        "interactions.parquet: column 'received_at' is string in the export, evidence kind "
        "'interactions' needs double",
    ),
    "a record less than the manifest stored": (
        lambda f: _rewrite(f, "tickets.parquet", lambda t: t.slice(1)),
        "tickets.parquet: 599 records of tickets-2026Q3.xlsx are in the export, where its "
        "manifest says 600 were stored",
    ),
    "a record of no file of the manifest": (
        lambda f: _rewrite(f, "agents.parquet", _alien_source),
        "agents.parquet: 1 record of file id 99, which the export's manifest does not list",
    ),
    "a kind's file missing": (
        lambda f: (f / "surveys.parquet").unlink(),
        "the export's manifest says 750 records of surveys.jsonl were stored, and it has no "
        "surveys.parquet",
    ),
    "the quarantine missing": (
        lambda f: (f / "store-quarantine.parquet").unlink(),
        "the export has no store-quarantine.parquet beside its manifest",
    ),
    "a manifest column missing": (
        lambda f: _rewrite(f, "store-manifest.parquet", lambda t: t.drop_columns(["stored"])),
        "store-manifest.parquet: column 'stored' is missing from this file of the export",
    ),
    "a file that is not Parquet": (
        lambda f: (f / "surveys.parquet").write_bytes(b"not parquet"),
        "surveys.parquet: cannot read this Parquet file",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_export_is_one_line_naming_what_is_wrong(
    export: Path, tmp_path: Path, case: str
) -> None:
    change, message = BROKEN[case]
    folder = _broken(export, tmp_path, change)
    with pytest.raises(AuditorError) as raised:  # several problems: one line each
        run_audit(PACK, folder, tmp_path / "out", "2026-Q3")
    assert message in str(raised.value).splitlines()[0]
    assert "export the store again with 'auditor evidence export'" in str(raised.value)
    assert not (tmp_path / "out" / "findings.json").exists()


def _statuses_not_allowed(table: pa.Table) -> pa.Table:
    """Two records 'Closed' (the ingest would have stored 'closed'), one 'bogus'."""
    statuses = table.column("status").to_pylist()
    statuses[0:3] = ["Closed", "bogus", "Closed"]
    at = table.column_names.index("status")
    return table.set_column(at, "status", pa.array(statuses, pa.string()))


@pytest.mark.parametrize("engine", ["sqlite", "duckdb", pytest.param("spark", marks=needs_spark)])
def test_an_enum_value_the_kind_does_not_allow_is_refused(
    export: Path, tmp_path: Path, engine: str
) -> None:
    folder = _broken(
        export, tmp_path, lambda f: _rewrite(f, "tickets.parquet", _statuses_not_allowed)
    )
    with pytest.raises(EvidenceError) as raised:
        run_audit(PACK, folder, tmp_path / "out", "2026-Q3", engine=engine)
    assert str(raised.value).splitlines() == [
        f"{folder / 'tickets.parquet'}: column 'status' holds 'Closed' on 2 records (and 1 more "
        "value not allowed), where evidence kind 'tickets' needs one of its values (open, "
        "waiting_customer, resolved, closed), which the ingest would have quarantined; export "
        "the store again with 'auditor evidence export', whole and unchanged"
    ]
    assert not (tmp_path / "out" / "findings.json").exists()


def _tickets_with_four_problems(table: pa.Table) -> pa.Table:
    """The first record again in place of the last (the file's count stays the manifest's),
    and the 4th, 5th and 6th records without a key, without an opening time and 'bogus'."""
    table = pa.concat_tables([table.slice(0, table.num_rows - 1), table.slice(0, 1)])
    for column, row, value in (
        ("ticket_id", 3, None),
        ("opened_at", 4, None),
        ("status", 5, "bogus"),
    ):
        values = table.column(column).to_pylist()
        values[row] = value
        at = table.column_names.index(column)
        table = table.set_column(at, column, pa.array(values, table.schema.field(column).type))
    return table


def _two_files_broken(folder: Path) -> None:
    _rewrite(folder, "surveys.parquet", _uint64_scores)
    _rewrite(folder, "tickets.parquet", _tickets_with_four_problems)


@pytest.mark.parametrize("engine", ["sqlite", "duckdb", pytest.param("spark", marks=needs_spark)])
def test_every_problem_of_an_export_is_a_line_of_its_own(
    export: Path, tmp_path: Path, engine: str
) -> None:
    """Not only the first: a repeated key and an empty one in the same column, an empty
    required field, an enum value and a column of another type in another file."""
    folder = _broken(export, tmp_path, _two_files_broken)
    with pytest.raises(AuditorError) as raised:
        run_audit(PACK, folder, tmp_path / "out", "2026-Q3", engine=engine)
    again = "; export the store again with 'auditor evidence export', whole and unchanged"
    tickets = folder / "tickets.parquet"
    quarantined = "which the ingest would have quarantined" + again
    assert str(raised.value).splitlines() == [
        f"{folder / 'surveys.parquet'}: column 'csat' is uint64 in the export, evidence kind "
        f"'surveys' needs int64{again} (with the pack it was made for)",
        f"{tickets}: 1 record repeats a key (ticket_id) of another record in this file, "
        + quarantined,
        f"{tickets}: column 'ticket_id' is empty on 1 record, where evidence kind 'tickets' "
        "needs a value (key field), " + quarantined,
        f"{tickets}: column 'opened_at' is empty on 1 record, where evidence kind 'tickets' "
        "needs a value (required field), " + quarantined,
        f"{tickets}: column 'status' holds 'bogus' on 1 record, where evidence kind 'tickets' "
        "needs one of its values (open, waiting_customer, resolved, closed), " + quarantined,
    ]
    assert raised.value.exit_code == 2
    assert not (tmp_path / "out" / "findings.json").exists()


def test_every_count_the_manifest_does_not_agree_with_is_a_line_of_its_own(
    export: Path, tmp_path: Path
) -> None:
    """A record moved to a file id the manifest does not list: that file id, and the file it
    left one record short."""
    folder = _broken(export, tmp_path, lambda f: _rewrite(f, "agents.parquet", _alien_source))
    with pytest.raises(AuditorError) as raised:
        run_audit(PACK, folder, tmp_path / "out", "2026-Q3")
    again = "; export the store again with 'auditor evidence export', whole and unchanged"
    assert str(raised.value).splitlines() == [
        f"{folder / 'agents.parquet'}: 1 record of file id 99, which the export's manifest "
        "does not list" + again,
        f"{folder / 'agents.parquet'}: 59 records of agents.csv are in the export, where its "
        "manifest says 60 were stored" + again,
    ]


def test_a_count_of_one_is_said_in_the_singular(tmp_path: Path) -> None:
    """ "1 records of agents.csv are in the export", "1 agents records come from": each count
    agrees with its noun and verb."""
    from collections import Counter

    from auditor.exported import _count_problems

    files = {
        1: {"kind": "agents", "file": "agents.csv", "stored": 2},
        2: {"kind": "tickets", "file": "tickets.csv", "stored": 1},
    }
    path = tmp_path / "agents.parquet"
    lines = [
        str(e).split(";")[0] for e in _count_problems(Counter({1: 1, 2: 1}), files, "agents", path)
    ]
    assert lines == [
        f"{path}: 1 agents record comes from file id 2, which the export's manifest lists as "
        "tickets.csv of kind tickets",
        f"{path}: 1 record of agents.csv is in the export, where its manifest says 2 were stored",
    ]


def test_a_kind_the_pack_lacks_is_named_not_read(export: Path, tmp_path: Path) -> None:
    folder = _broken(
        export, tmp_path, lambda f: shutil.copy(f / "agents.parquet", f / "staff.parquet")
    )
    result = run_audit(PACK, folder, tmp_path / "out", "2026-Q3")
    assert "staff.parquet: not read, the pack has no evidence kind 'staff'" in result.notes
    assert "staff.parquet" in [f["file"] for f in result.document["manifest"]["export"]]


def test_an_export_into_a_folder_of_another_export_s_files_is_refused(
    demo_audit: Any, tmp_path: Path
) -> None:
    """Files left by another export would be read as part of this one by an audit."""
    from auditor.errors import StoreError

    out = tmp_path / "pq"
    out.mkdir()
    (out / "staff.parquet").write_bytes(b"PAR1")
    with pytest.raises(
        StoreError, match=r"holds Parquet files this export would not replace \(staff"
    ):
        export_store(demo_audit.out / "evidence.db", out)
    assert sorted(p.name for p in out.iterdir()) == ["staff.parquet"]
    again = export_store(
        demo_audit.out / "evidence.db", tmp_path / "pq2"
    )  # the same names: replaced
    assert len(export_store(demo_audit.out / "evidence.db", tmp_path / "pq2")) == len(again)


def _four_problems_of_opening(folder: Path) -> None:
    """Two files that are not Parquet, the manifest and the quarantine each lacking columns."""
    (folder / "surveys.parquet").write_bytes(b"not parquet")
    (folder / "tickets.parquet").write_bytes(b"")
    _rewrite(folder, "store-manifest.parquet", lambda t: t.drop_columns(["stored", "status"]))
    _rewrite(folder, "store-quarantine.parquet", lambda t: t.drop_columns(["reason"]))


def test_every_file_that_cannot_be_read_and_every_column_missing_is_a_line_of_its_own(
    export: Path, tmp_path: Path
) -> None:
    """Not only the first: each unreadable Parquet file, and each column the manifest and
    the quarantine lack."""
    folder = _broken(export, tmp_path, _four_problems_of_opening)
    with pytest.raises(AuditorError) as raised:
        run_audit(PACK, folder, tmp_path / "out", "2026-Q3")
    again = "; export the store again with 'auditor evidence export', whole and unchanged"
    missing = "is missing from this file of the export" + again
    assert str(raised.value).splitlines() == [
        f"{folder / 'surveys.parquet'}: cannot read this Parquet file: Parquet magic bytes "
        "not found in footer. Either the file is corrupted or this is not a parquet file." + again,
        f"{folder / 'tickets.parquet'}: cannot read this Parquet file: Parquet file size is 0 "
        "bytes" + again,
        f"{folder / 'store-manifest.parquet'}: column 'stored' " + missing,
        f"{folder / 'store-manifest.parquet'}: column 'status' " + missing,
        f"{folder / 'store-quarantine.parquet'}: column 'reason' " + missing,
    ]
    assert raised.value.exit_code == 2
    assert not (tmp_path / "out" / "findings.json").exists()


def test_every_file_of_another_export_is_a_line_of_its_own(export: Path, tmp_path: Path) -> None:
    def two_files_of_another_export(folder: Path) -> None:
        for name in ("agents.parquet", "tickets.parquet"):
            _rewrite(folder, name, _without_fingerprint)

    folder = _broken(export, tmp_path, two_files_of_another_export)
    with pytest.raises(AuditorError) as raised:
        run_audit(PACK, folder, tmp_path / "out", "2026-Q3")
    assert str(raised.value).splitlines() == [
        f"{folder / name}: this file was not exported with this export's manifest (another "
        "store's export, or a file changed outside the tool); export the store again with "
        "'auditor evidence export', whole and unchanged (into an empty folder)"
        for name in ("agents.parquet", "tickets.parquet")
    ]


def test_the_manifest_and_the_quarantine_are_each_read_once(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening an export's files reads each once: the manifest's and the quarantine's rows are
    read from the file opened to check it, not from a second read of it."""
    reads: list[str] = []

    class Counted(pq.ParquetFile):
        def __init__(self, source: Any, *args: Any, **kwargs: Any) -> None:
            reads.append(Path(source).name)
            super().__init__(source, *args, **kwargs)

    def read_table(source: Any, *args: Any, **kwargs: Any) -> pa.Table:
        reads.append(Path(source).name)
        return whole(source, *args, **kwargs)

    whole = pq.read_table
    monkeypatch.setattr(pq, "ParquetFile", Counted)
    monkeypatch.setattr(pq, "read_table", read_table)
    store = EvidenceStore(tmp_path / "s.db")
    try:
        read = read_export(export, load_pack(PACK), store)
        held = len(store.quarantine())
    finally:
        store.close()
    assert reads.count("store-manifest.parquet") == 1
    assert reads.count("store-quarantine.parquet") == 1
    assert sum(f.quarantined for f in read.report.files) == held > 0
