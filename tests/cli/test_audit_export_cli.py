"""`auditor audit PACK EXPORT` as a user runs it: an audit prepared on one machine (ingest,
export) and run on another, then verified."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from auditor.cli import main

from ..conftest import ROOT, RULES

DEMO = ROOT / "evidence" / "demo" / "service-quality"
PACK = str(RULES / "service-quality.yaml")


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    work = tmp_path_factory.mktemp("laptop")
    runner = CliRunner()
    ingested = runner.invoke(
        main, ["evidence", "ingest", str(DEMO), "--pack", PACK, "--store", str(work / "s.db")]
    )
    assert ingested.exit_code == 0, ingested.output
    exported = runner.invoke(
        main, ["evidence", "export", "--store", str(work / "s.db"), "--out", str(work / "pq")]
    )
    assert exported.exit_code == 0, exported.output
    return work / "pq"


def _audit(runner, evidence: Path, out: Path, *options: str):
    return runner.invoke(
        main, ["audit", PACK, str(evidence), "--period", "2026-Q3", "--out", str(out),
               "--format", "json", *options],
    )  # fmt: skip


def test_the_export_audits_as_the_files_it_was_made_from(runner, export, tmp_path) -> None:
    of_files = _audit(runner, DEMO, tmp_path / "files")
    of_export = _audit(runner, export, tmp_path / "export")
    assert of_export.exit_code == of_files.exit_code == 1, of_export.output
    told = of_export.output.splitlines()
    evidence = (
        "evidence: 5,197 rows read = 5,185 stored + 12 quarantined (as the export's manifest "
        "records them, from its 9 Parquet files; not ingested again); 105 stored records are "
        "dated outside 2026-Q3 (training 105)"  # 117 training rows, 12 of them in July-September
    )
    said = of_files.output.splitlines()
    at = told.index(evidence)
    assert told[:at] == said[:at] and said[at].startswith("evidence: 5,197 rows read")
    reasons = said[at + 1 : said.index("quarantine reasons:") + 10]  # the demo's 9 reasons
    assert told[at + 1 : at + 11] == reasons and told[at + 11].startswith("wrote ")
    a = json.loads((tmp_path / "files" / "findings.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "export" / "findings.json").read_text(encoding="utf-8"))
    assert a["rules"] == b["rules"] and a["summary"] == b["summary"]
    assert a["manifest"]["evidence"] == b["manifest"]["evidence"]
    assert a["manifest"]["export"] is None and len(b["manifest"]["export"]) == 9


def test_verify_checks_the_export_s_files(runner, export, tmp_path) -> None:
    folder = tmp_path / "pq"
    shutil.copytree(export, folder)
    assert _audit(runner, folder, tmp_path / "a").exit_code == 1
    verified = runner.invoke(main, ["verify", str(tmp_path / "a")])
    assert verified.exit_code == 0, verified.output
    assert "verified: 47 findings reproduced from 9 files" in verified.output
    assert "note: the audit read an evidence export: its Parquet files were checked" in (
        verified.output
    )
    table = pq.read_table(folder / "surveys.parquet")  # one record's score changed, same rows
    scores = table.column("csat").to_pylist()
    scores[0] = 1 if scores[0] != 1 else 5
    import pyarrow as pa

    at = table.column_names.index("csat")
    pq.write_table(
        table.set_column(at, "csat", pa.array(scores, pa.int64())), folder / "surveys.parquet"
    )
    shutil.copy(folder / "agents.parquet", folder / "staff.parquet")
    changed = runner.invoke(main, ["verify", str(tmp_path / "a")])
    assert changed.exit_code == 1, changed.output
    assert "export file surveys.parquet: different SHA-256" in changed.output
    assert "export file staff.parquet: in the export but not read by the audit" in changed.output


def test_a_mapping_with_an_export_is_refused(runner, export, tmp_path) -> None:
    result = _audit(runner, export, tmp_path / "out", "--preset", "nyc-311")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "a mapping has nothing to read in it" in lines[0], result.output


def test_an_export_of_files_read_with_a_mapping_verifies(runner, tmp_path) -> None:
    """The export's manifest records the mapping its store was ingested with; the audit of
    the export was given none, and verify runs it again with none."""
    import shutil

    folder = tmp_path / "ev"
    folder.mkdir()
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "kind: interactions\ncolumns:\n  interaction_id: 会话编号\n  channel: 渠道\n  site: 站点\n"
        "  agent_id: 坐席工号\n  received_at: 受理时间\n  answered_at: 接通时间\n  ended_at: 结束时间\n",
        encoding="utf-8",
    )
    shutil.copy(DEMO / "interactions-2026Q3.csv", folder / "calls.csv")
    store = tmp_path / "s.db"
    ingested = runner.invoke(
        main, ["evidence", "ingest", str(folder), "--pack", PACK, "--mapping", str(mapping),
               "--store", str(store)],
    )  # fmt: skip
    assert ingested.exit_code == 0, ingested.output
    exported = runner.invoke(
        main, ["evidence", "export", "--store", str(store), "--out", str(tmp_path / "pq")]
    )
    assert exported.exit_code == 0, exported.output
    audited = _audit(runner, tmp_path / "pq", tmp_path / "a")
    assert audited.exit_code in (0, 1), audited.output
    verified = runner.invoke(main, ["verify", str(tmp_path / "a")])
    assert verified.exit_code == 0, verified.output
    assert "verified:" in verified.output


def test_a_combined_audit_of_an_export_is_named_for_what_it_is(runner, export, tmp_path) -> None:
    from ..conftest import RULES

    result = runner.invoke(
        main,
        ["audit", PACK, str(RULES / "special-service-monitoring.yaml"), str(export), "--period",
         "2026-Q3", "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "a combined audit reads evidence files" in lines[0], result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("lang", "read", "made_from"),
    [
        ("en", "Evidence export files this audit read",
         "Files the export was made from (as its manifest records them; not read by this audit)"),
        ("zh", "本次审核读取的证据导出文件",
         "导出所依据的原始证据文件(按导出清单记录,本次审核未读取)"),
    ],
)  # fmt: skip
def test_the_report_names_the_export_s_files_it_read(
    runner, export, tmp_path, lang: str, read: str, made_from: str
) -> None:
    import hashlib

    result = _audit(runner, export, tmp_path / "a", "--format", "json,html", "--lang", lang)
    assert result.exit_code == 1, result.output
    html = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    files = sorted(export.glob("*.parquet"))
    assert len(files) == 9
    assert f"<h3>{read}</h3>" in html and f"<h3>{made_from}</h3>" in html
    listed = html.split(f"<h3>{read}</h3>", 1)[1].split(f"<h3>{made_from}</h3>", 1)[0]
    for path in files:
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        rows = pq.ParquetFile(path).metadata.num_rows
        assert (
            f'<td class="data">{path.name}</td><td class="num">{rows:,}</td>'
            f'<td class="hash">{sha256}</td>'
        ) in listed
    note = {
        "en": "This audit read an evidence export (9 Parquet files written by auditor evidence "
        "export, listed in the appendix), not ingesting the evidence files again",
        "zh": "本次审核读取的是证据导出(auditor evidence export 生成的 9 个 Parquet 文件,见附录),"
        "未重新导入证据文件",
    }[lang]
    assert note in html
    assert "interactions-2026Q3.csv" in html.split(f"<h3>{made_from}</h3>", 1)[1]


def test_every_problem_of_opening_an_export_is_named_in_one_run(runner, export, tmp_path) -> None:
    """A file that is not Parquet and a column the manifest lacks: both named, not the first
    alone, each on a line of its own; exit 2."""
    folder = tmp_path / "pq"
    shutil.copytree(export, folder)
    (folder / "surveys.parquet").write_bytes(b"")
    manifest = folder / "store-manifest.parquet"
    pq.write_table(pq.read_table(manifest).drop_columns(["stored"]), manifest)
    audited = _audit(runner, folder, tmp_path / "out")
    assert audited.exit_code == 2, audited.output
    again = "; export the store again with 'auditor evidence export', whole and unchanged"
    assert audited.output.splitlines() == [
        f"error: {folder / 'surveys.parquet'}: cannot read this Parquet file: Parquet file "
        "size is 0 bytes" + again,
        f"error: {manifest}: column 'stored' is missing from this file of the export" + again,
    ]


def test_every_manifest_text_that_is_not_json_is_named_in_one_run(runner, tmp_path) -> None:
    """A store whose manifest holds a mapping and a reader that are not JSON (edited outside
    the tool), exported, then a kind's file removed: each is a line of its own, not the first
    alone; exit 2, nothing written."""
    import sqlite3

    store = tmp_path / "s.db"
    ingested = runner.invoke(
        main, ["evidence", "ingest", str(DEMO), "--pack", PACK, "--store", str(store)]
    )
    assert ingested.exit_code == 0, ingested.output
    with sqlite3.connect(store) as con:
        con.execute("update _manifest set mapping = '{not json' where id = 1")
        con.execute("update _manifest set reader = '[' where id = 3")
    con.close()
    folder = tmp_path / "pq"
    exported = runner.invoke(
        main, ["evidence", "export", "--store", str(store), "--out", str(folder)]
    )
    assert exported.exit_code == 0, exported.output
    (folder / "surveys.parquet").unlink()
    audited = _audit(runner, folder, tmp_path / "out")
    assert audited.exit_code == 2, audited.output
    again = "; export the store again with 'auditor evidence export', whole and unchanged"
    manifest = folder / "store-manifest.parquet"
    assert audited.output.splitlines() == [
        f"error: {manifest}: the manifest's 'mapping' of file id 1 is not JSON" + again,
        f"error: {manifest}: the manifest's 'reader' of file id 3 is not JSON" + again,
        f"error: {folder}: the export's manifest says 750 records of surveys.jsonl were "
        "stored, and it has no surveys.parquet" + again,
    ]
    assert not (tmp_path / "out" / "findings.json").exists()
