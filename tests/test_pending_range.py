"""Records still open at the period end (pending) are not in a rate: each finding with some
says how many, the range its rate will lie in once they end, and when the verdict may then
change, in findings.json, the report (zh and en) and on the console. Every figure by hand.

Period 2026-02 ends at 2026-03-01 00:00 (Asia/Shanghai). A call unanswered, received at
2026-02-28 23:59:50, is open 10 s by then, within its 30 s: pending.
"""

from __future__ import annotations

import json

from auditor.cli import main
from auditor.findings import Counts
from auditor.i18n import translate_reason

from .conftest import TEST_PACKS

ON_TIME = "2026-02-02 10:00:00,2026-02-02 10:00:10"  # answered in 10 s: conforming
LATE = "2026-02-02 10:00:00,2026-02-02 10:01:00"  # answered in 60 s: breached
OPEN = "2026-02-28 23:59:50,"  # unanswered, 10 s by the period end: pending

#: phone: 3 conforming, 1 breached, 6 pending; chat: 4 conforming, none pending
CALLS = [
    *(("phone", ON_TIME),) * 3,
    ("phone", LATE),
    *(("phone", OPEN),) * 6,
    *(("chat", ON_TIME),) * 4,
]

#: phone: 3 / 4 = 75.0 % in the rate; once the 6 end, 3 / 10 = 30.0 % to 9 / 10 = 90.0 %:
#: ≥ 80 % fails at the one end and holds at the other
PHONE = (
    "6 records still open at the period end are not in the rate: once they end, the rate "
    "will lie between 30.0 % and 90.0 %, and the verdict may change"
)
#: pooled: 7 / 8 = 87.5 %; once the 6 end, 7 / 14 = 50.0 % to 13 / 14 = 92.857 % (92.9 %)
POOLED = (
    "6 records still open at the period end are not in the rate: once they end, the rate "
    "will lie between 50.0 % and 92.9 %, and the verdict may change"
)
PHONE_ZH = (
    "期末仍未结束的 6 条记录未计入比率:待其结束后,比率将介于 30.0 % 与 90.0 % 之间,结论可能改变"
)


def _pack_and_evidence(write_pack, tmp_path):
    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    rule = '    where: channel == "phone"\n'
    assert rule in text and "    target: 90%\n" in text
    text = text.replace(rule, "    group_by: [channel]\n    judge: each-group\n")
    text = text.replace("    target: 90%\n", "    target: 80%\n    min_records: 1\n")
    folder = tmp_path / "evidence"
    folder.mkdir()
    rows = "".join(f"C{i},{channel},{times}\n" for i, (channel, times) in enumerate(CALLS))
    (folder / "interactions.csv").write_text(
        "interaction_id,channel,received_at,answered_at\n" + rows, encoding="utf-8"
    )
    return write_pack(text), folder


def test_a_finding_with_pending_records_says_the_range_its_rate_will_lie_in(
    runner, write_pack, tmp_path
) -> None:
    pack, folder = _pack_and_evidence(write_pack, tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["audit", str(pack), str(folder), "--period", "2026-02", "--out", str(out),
               "--format", "json,html", "--lang", "en", "--fail-on", "never"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    pooled, chat, phone = document["rules"][0]["findings"]
    assert (pooled["counts"]["pending"], phone["id"], chat["id"]) == (
        6,
        "RESP-PHONE-30S@channel=phone",
        "RESP-PHONE-30S@channel=chat",
    )
    # after the verdict's reason: 7 / 8's Wilson lower bound, (0.875 + 0.2401 - 1.96 ×
    # √(0.013672 + 0.015006)) / 1.4802 = 0.529
    assert pooled["reasons"] == [
        "meets the target but the 95 % lower bound 52.9 % is below it",
        POOLED,
    ]
    assert phone["reasons"] == [PHONE]
    # none pending: the verdict's reason alone (4 / 4's Wilson lower bound, 1.96² / (4 + 1.96²)
    # = 0.510), no note
    assert (chat["counts"]["pending"], chat["reasons"]) == (
        0,
        ["meets the target but the 95 % lower bound 51.0 % is below it"],
    )
    # 3 / 4's Wilson interval 0.6275 ± 0.3269; ⌈0.8 × 4⌉ - 3 = 1 more needed
    assert phone["explanation"] == (
        "75.0 % (3 of 4; 6 pending at period end; 95 % CI 30.1 %–95.4 %) against ≥ 80 %: "
        f"minor nonconformity ({PHONE}); 1 more conforming record was needed"
    )
    # the console: the finding the summary shows (the deciding cell, phone)
    assert f"warning: RESP-PHONE-30S (clause 3.1.2, channel=phone): {PHONE}\n" in result.stderr, (
        result.stderr
    )
    html = (out / "report.html").read_text(encoding="utf-8")
    assert PHONE in html
    zh = tmp_path / "zh"
    assert runner.invoke(
        main, ["audit", str(pack), str(folder), "--period", "2026-02", "--out", str(zh),
               "--format", "html", "--lang", "zh", "--fail-on", "never"],
    ).exit_code == 0  # fmt: skip
    assert PHONE_ZH in (zh / "report.html").read_text(encoding="utf-8")


def _judged(write_pack, target: str, counts: Counts) -> list[str]:
    """The reasons judge_share gives ``counts`` under valid-minimal's rule with ``target``
    (its lines in place of ``target: 90%``; one record is enough)."""
    from auditor.evaluate.verdicts import judge_share
    from auditor.findings import Finding
    from auditor.pack import load_pack

    from .conftest import STANDARDS

    text = (TEST_PACKS / "valid-minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("    target: 90%\n", f"{target}    min_records: 1\n")
    (rule, *_) = load_pack(write_pack(text), [STANDARDS]).rules
    finding = Finding("x", rule.id, rule.clause, "duration", {}, "2026-02", True, counts=counts)
    judge_share(rule, finding, False)
    return finding.reasons


def test_the_verdict_may_change_only_when_it_differs_at_an_end_of_the_range(write_pack) -> None:
    """Judged at each end (none of the pending records conforming, all of them) as the rate
    is judged: the target, the major level, the warn band, the 95 % bound."""
    # 80 %: 9 of 9 now (Wilson low 70.1 %: observation); 9/10 (low 59.6 %) and 10/10 (low
    # 72.2 %) both observations too: the verdict stays
    held = _judged(write_pack, "    target: 80%\n", Counts(n=9, conforming=9, pending=1))
    assert held[-1] == (
        "1 record still open at the period end is not in the rate: once it ends, the rate "
        "will lie between 90.0 % and 100.0 %"
    )
    # 1 of 4 now; 1 / 6 = 16.7 % to 3 / 6 = 50.0 %: a minor nonconformity at both ends
    failed = _judged(
        write_pack, "    target: 80%\n", Counts(n=4, conforming=1, breached=3, pending=2)
    )
    assert failed[-1] == (
        "2 records still open at the period end are not in the rate: once they end, the "
        "rate will lie between 16.7 % and 50.0 %"
    )
    # 90 %, major below 80 %: 85 of 100 is a minor nonconformity; 85 / 120 = 70.8 % is
    # major: the target fails at both ends, but the severity may change
    major = "    target: 90%\n    major_below: 80%\n"
    assert _judged(write_pack, major, Counts(n=100, conforming=85, breached=15, pending=20))[
        -1
    ].endswith("between 70.8 % and 87.5 %, and the verdict may change")
    # 90 %, warn below 95 %: 96 of 100 conforms (Wilson low 90.2 %); 96 / 103 = 93.2 % is
    # in the warn band: an observation at that end
    warn = "    target: 90%\n    warn: 95%\n"
    assert _judged(write_pack, warn, Counts(n=100, conforming=96, breached=4, pending=3))[
        -1
    ].endswith("between 93.2 % and 96.1 %, and the verdict may change")
    assert translate_reason(held[-1], "zh") == (
        "期末仍未结束的 1 条记录未计入比率:待其结束后,比率将介于 90.0 % 与 100.0 % 之间"
    )
    assert translate_reason(PHONE, "zh") == PHONE_ZH
    assert not any(
        "still open" in r
        for r in _judged(write_pack, "    target: 80%\n", Counts(n=4, conforming=3, breached=1))
    )
