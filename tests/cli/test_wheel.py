"""The built wheel carries the presets, and a preset works from an installed wheel outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from ..conftest import ROOT, RULES, STANDARDS

NYC_HEADER = "Unique Key,Created Date,Closed Date,Agency,Status,Due Date,Open Data Channel Type\n"


def test_a_preset_works_from_the_installed_wheel(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("auditor-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "auditor/presets/nyc-311.yaml" in names
        assert "auditor/findings/schema.json" in names and "auditor/py.typed" in names
        archive.extractall(tmp_path / "site")
    # A user's folder: a copy of the pack and standards, an NYC-shaped export; no checkout.
    work = tmp_path / "work"
    (work / "rules").mkdir(parents=True)
    (work / "rules" / "sq.yaml").write_text(
        (RULES / "service-quality.yaml").read_text("utf-8"), "utf-8"
    )
    (work / "standards").mkdir()
    for path in STANDARDS.glob("*.yaml"):
        (work / "standards" / path.name).write_text(path.read_text("utf-8"), "utf-8")
    (work / "nyc.csv").write_text(
        NYC_HEADER + "1,07/01/2026 09:30:00 AM,07/02/2026 10:00:00 AM,NYPD,Closed,,PHONE\n", "utf-8"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "evidence",
            "ingest",
            "nyc.csv",
            "--pack",
            "rules/sq.yaml",
            "--preset",
            "nyc-311",
            "--store",
            "audit.db",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 = stored 1 + quarantined 0" in done.stdout.replace(",", "")
    located = subprocess.run(
        [sys.executable, "-c", "import auditor.mapping as m; print(m.PRESETS_DIR)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert located.stdout.strip().startswith(str(tmp_path / "site"))
