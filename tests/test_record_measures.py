"""fresh at each record's time, repeat_contact, matched and availability, against hand-worked values.

Every expected figure is worked out by hand in the comments, or by an independent
computation (pandas, or plain Python over the same hand-made records).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.backends.store import EvidenceStore
from auditor.evaluate.driver import Evaluation, evaluate
from auditor.ingest import ingest
from auditor.pack import load_pack
from auditor.periods import parse_period

from .conftest import STANDARDS, TEST_PACKS

PACK = TEST_PACKS / "record-measures.yaml"
ZONE = ZoneInfo("Asia/Shanghai")
MARCH = parse_period("2026-03")

INTERACTIONS = "interaction_id,customer_id,category,channel,agent_id,received_at\n"
TRAINING = "agent_id,completed_on\n"
INVITATIONS = "invitation_id,interaction_id,channel,sent_at\n"
RESPONSES = "response_id,invitation_id,status,answered_at\n"
OUTAGES = "outage_id,channel,started_at,ended_at\n"


def the_pack():
    return load_pack(PACK, [STANDARDS])


def run(folder: Path, files: dict[str, str]) -> dict:
    """Write the files, ingest them into a fresh store and evaluate March 2026."""
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    store = EvidenceStore(None)
    try:
        ingest(the_pack(), folder, store)
        evaluation = Evaluation(the_pack(), store_backend(store), MARCH)
        results = {r.rule: r for r in evaluation.run()}
        outcomes = {rule.id: evaluation.record_outcomes(rule) for rule in the_pack().rules}
    finally:
        store.close()
    return {"results": results, "outcomes": outcomes}


def store_backend(store):
    from auditor.evaluate.driver import backend_for

    return backend_for(store)


# ------------------------------------------------------------ fresh, at each record's time

CALLS = INTERACTIONS + (
    # G1 trained on 2026-03-15: a call before it breaches, one after conforms
    "K1,,,phone,G1,2026-03-10 10:00:00\n"
    "K2,,,phone,G1,2026-03-20 10:00:00\n"
    # G2 trained on 2025-03-12, so valid (365 d) up to 2026-03-12 00:00: 03-05 yes, 03-20 no
    "K3,,,phone,G2,2026-03-05 10:00:00\n"
    "K4,,,phone,G2,2026-03-20 10:00:00\n"
    # G3 never trained
    "K5,,,web,G3,2026-03-06 10:00:00\n"
)
TRAINED = TRAINING + "G1,2026-03-15\nG2,2025-03-12\n"


def test_fresh_at_each_records_time(tmp_path: Path) -> None:
    got = run(tmp_path, {"interactions": CALLS, "training": TRAINED})
    assert got["outcomes"]["TRAINED-AT-CALL"] == {
        "K1": "breach",
        "K2": "conform",
        "K3": "conform",
        "K4": "breach",
        "K5": "breach",
    }
    pooled = got["results"]["TRAINED-AT-CALL"].findings[0]
    assert (pooled.counts.n, pooled.counts.conforming) == (5, 2)
    assert pooled.failing == ["K1", "K4", "K5"]
    assert pooled.failing_notes[0]["problem"] == "no matching record within the window"


def test_fresh_without_at_record_still_judges_at_the_period_end(tmp_path: Path) -> None:
    # window [2025-04-01, 2026-04-01): G1's training counts for every call, G2's for none
    got = run(tmp_path, {"interactions": CALLS, "training": TRAINED})
    assert got["outcomes"]["TRAINED-AT-END"] == {
        "K1": "conform",
        "K2": "conform",
        "K3": "breach",
        "K4": "breach",
        "K5": "breach",
    }


def test_fresh_at_record_on_the_training_day_and_at_the_edge_of_the_window(tmp_path: Path) -> None:
    calls = INTERACTIONS + (
        "E1,,,phone,G1,2026-03-15 00:00:00\n"  # the training day's midnight: counts
        "E2,,,phone,G1,2026-03-14 23:59:59\n"  # a second before: no
        "E3,,,phone,G2,2026-03-12 00:00:00\n"  # exactly 365 d after 2025-03-12: still counts
        "E4,,,phone,G2,2026-03-12 00:00:01\n"  # a second later: no
    )
    got = run(tmp_path, {"interactions": calls, "training": TRAINED})
    assert got["outcomes"]["TRAINED-AT-CALL"] == {
        "E1": "conform",
        "E2": "breach",
        "E3": "conform",
        "E4": "breach",
    }
