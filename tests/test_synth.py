from __future__ import annotations

import time

import pytest

from auditor import load_pack
from auditor.backends.store import EvidenceStore
from auditor.ingest import ingest
from auditor.synth import SynthOptions, synthesise

from .conftest import ROOT, RULES


def _content(folder):
    """Each file's bytes (a workbook's too: the same seed gives the same bytes)."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_same_seed_same_evidence(tmp_path) -> None:
    """Byte for byte, workbooks included: openpyxl writes the clock's time into a workbook,
    which made two runs' tickets-2026Q3.xlsx differ (and an audit of one not verify
    against the other)."""
    pack = load_pack(RULES / "service-quality.yaml")
    synthesise(pack, tmp_path / "a", SynthOptions(seed=3, records=400))
    time.sleep(2.1)  # a zip's times have a resolution of two seconds
    synthesise(pack, tmp_path / "b", SynthOptions(seed=3, records=400))
    synthesise(pack, tmp_path / "c", SynthOptions(seed=4, records=400))
    assert _content(tmp_path / "a") == _content(tmp_path / "b")
    assert _content(tmp_path / "a") != _content(tmp_path / "c")


#: the seed each shipped demo set was written with (docs/packs.md says so)
DEMO_SEEDS = {
    "service-quality": 7,
    "special-service-monitoring": 7,
    "customer-service-evaluation": 1,
    "service-quality-management": 1,
    "touchpoint-monitoring": 1,
}


@pytest.mark.parametrize("name", sorted(DEMO_SEEDS))
def test_each_shipped_demo_set_is_what_synth_writes_with_its_seed(name: str, tmp_path) -> None:
    pack = load_pack(RULES / f"{name}.yaml")
    synthesise(pack, tmp_path, SynthOptions(seed=DEMO_SEEDS[name]))
    assert _content(tmp_path) == _content(ROOT / "evidence" / "demo" / name)
    said = " ".join((ROOT / "docs" / "packs.md").read_text(encoding="utf-8").split())
    assert f"`{name}` (seed {DEMO_SEEDS[name]})" in said


def test_synthesised_evidence_ingests_with_only_the_planted_bad_rows(tmp_path) -> None:
    for name in ("service-quality", "special-service-monitoring"):
        pack = load_pack(RULES / f"{name}.yaml")
        written = synthesise(pack, tmp_path / name, SynthOptions(seed=1, records=600))
        store = EvidenceStore(None)
        report = ingest(pack, tmp_path / name, store)
        assert not report.errors
        assert report.rows_read == sum(written.values())
        assert {f.kind for f in report.files} == set(pack.evidence)
        assert 0 < report.quarantined <= 16
        assert report.rows_read == report.stored + report.quarantined


def test_slow_site_breaks_the_phone_target_in_its_month(tmp_path) -> None:
    pack = load_pack(RULES / "service-quality.yaml")
    synthesise(pack, tmp_path, SynthOptions(seed=2, records=3000, bad_rows=False))
    store = EvidenceStore(None)
    ingest(pack, tmp_path, store)
    rows = store.db.execute(
        "SELECT site, strftime('%m', received_at, 'unixepoch', '+8 hours') AS month, "
        "AVG(answered_at - received_at <= 30) FROM interactions "
        "WHERE channel = 'phone' AND answered_at IS NOT NULL GROUP BY site, month"
    ).fetchall()
    share = {(site, month): value for site, month, value in rows}
    assert share[("SH", "08")] < 0.8
    assert all(v > 0.85 for k, v in share.items() if k != ("SH", "08"))
