"""--engine on audit and verify: the same findings on DuckDB, recorded, and re-checked across engines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from auditor.backends.store import EvidenceStore
from auditor.cli import main

from ..conftest import ROOT, RULES

PACK = str(RULES / "special-service-monitoring.yaml")
DEMO = str(ROOT / "evidence" / "demo" / "special-service-monitoring")


def _findings(folder) -> list[tuple]:
    document = json.loads((folder / "findings.json").read_text(encoding="utf-8"))
    return [
        (f["id"], f["verdict"], f["counts"], f["value"], f["interval"], f["failing"])
        for rule in document["rules"]
        for f in rule["findings"]
    ]


def test_an_audit_on_duckdb_gives_the_sqlite_findings_and_records_its_engine(
    runner, tmp_path
) -> None:
    runs = {}
    for engine in ("sqlite", "duckdb"):
        out = tmp_path / engine
        result = runner.invoke(
            main, ["audit", PACK, DEMO, "--period", "2026-Q3", "--out", str(out), "--format", "json",
                   "--fail-on", "never", "--engine", engine],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        runs[engine] = out
    assert _findings(runs["duckdb"]) == _findings(runs["sqlite"])
    recorded = json.loads((runs["duckdb"] / "findings.json").read_text(encoding="utf-8"))
    assert recorded["manifest"]["parameters"]["engine"] == "duckdb"
    again = runner.invoke(main, ["verify", str(runs["sqlite"]), "--engine", "duckdb"])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1] == (  # the engine it ran on, so the check is on record
        "verified: 52 findings reproduced from 7 files on duckdb (the audit ran on sqlite)"
    )


def test_an_unknown_engine_is_one_line_with_the_closest_name(runner, tmp_path) -> None:
    result = runner.invoke(
        main, ["audit", PACK, DEMO, "--out", str(tmp_path / "x"), "--engine", "duckbd"]
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: unknown engine 'duckbd' (engines: sqlite, duckdb, spark); did you mean 'duckdb'?"
    )
    assert not (tmp_path / "x" / "evidence.db").exists()  # refused before any evidence is read


def test_without_duckdb_the_engine_says_what_to_install(runner, tmp_path, monkeypatch) -> None:
    """One line, exit 2, and no store or output made (it was an internal error, a store left)."""
    import sys

    from ..conftest import ROOT, RULES

    monkeypatch.setitem(sys.modules, "duckdb", None)
    pack = str(RULES / "service-quality.yaml")
    demo = str(ROOT / "evidence/demo/service-quality")
    for command in (
        ["evidence", "ingest", demo, "--pack", pack, "--store", str(tmp_path / "s.db"), "--engine", "duckdb"],
        ["audit", pack, demo, "--out", str(tmp_path / "out"), "--engine", "duckdb"],
    ):  # fmt: skip
        result = runner.invoke(main, command)
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert lines == [
            "error: the duckdb engine needs the duckdb package, which is not installed; "
            "pip install duckdb pyarrow"
        ], result.output
    assert not (tmp_path / "s.db").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("first", "then"), [("sqlite", "duckdb"), ("duckdb", "sqlite")])
def test_an_engine_asked_of_a_store_that_keeps_its_records_elsewhere_is_refused(
    runner, tmp_path, first: str, then: str
) -> None:
    """A store keeps its records where its first ingest put them: a later ingest that names
    another engine is refused in one line (exit 2), one that names none goes on there."""
    store = tmp_path / "s.db"
    folders = []
    for name in ("a", "b"):
        folders.append(tmp_path / name)
        folders[-1].mkdir()
    shutil.copy(Path(DEMO) / "sites.csv", folders[0])
    shutil.copy(Path(DEMO) / "checklist.csv", folders[1])

    def ingest(folder: Path, *engine: str):  # type: ignore[no-untyped-def]
        args = ["evidence", "ingest", str(folder), "--pack", PACK, "--store", str(store)]
        return runner.invoke(main, [*args, *engine])

    assert ingest(folders[0], "--engine", first).exit_code == 0
    refused = ingest(folders[1], "--engine", then)
    assert refused.exit_code == 2, refused.output
    assert refused.output.splitlines() == [
        f"error: {store}: the store holds its records on {first}, where its first ingest put "
        f"them; ingest with --engine {first}, or into a new store"
    ]
    assert ingest(folders[1]).exit_code == 0  # no engine asked: stored where the rest are
    opened = EvidenceStore(store)
    assert opened.engine == first and opened.count("sites") > 0 and opened.count("checklist") > 0
    opened.close()
