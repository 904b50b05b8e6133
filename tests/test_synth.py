from __future__ import annotations

import openpyxl

from auditor import load_pack
from auditor.backends.store import EvidenceStore
from auditor.ingest import ingest
from auditor.synth import SynthOptions, synthesise

from .conftest import RULES


def _content(folder):
    out = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path, read_only=True)
            out[path.name] = [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]
            book.close()
        else:
            out[path.name] = path.read_bytes()
    return out


def test_same_seed_same_evidence(tmp_path) -> None:
    pack = load_pack(RULES / "service-quality.yaml")
    synthesise(pack, tmp_path / "a", SynthOptions(seed=3, records=400))
    synthesise(pack, tmp_path / "b", SynthOptions(seed=3, records=400))
    synthesise(pack, tmp_path / "c", SynthOptions(seed=4, records=400))
    assert _content(tmp_path / "a") == _content(tmp_path / "b")
    assert _content(tmp_path / "a") != _content(tmp_path / "c")


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
