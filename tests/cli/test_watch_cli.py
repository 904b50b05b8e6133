"""`auditor watch` as a user runs it."""

from __future__ import annotations

import json
import zipfile

import pytest

from auditor.cli import main

from ..conftest import ROOT, RULES, STANDARDS, TEST_PACKS

PACK = str(RULES / "service-quality.yaml")


def test_watch_writes_alerts_and_counts(runner, tmp_path) -> None:
    records = [
        {
            "kind": "interactions",
            "interaction_id": "I1",
            "channel": "phone",
            "site": "BJ",
            "received_at": "2026-07-01 10:00:00",
            "answered_at": "2026-07-01 10:00:50",
            "agent_id": "A",
        },
        {
            "kind": "interactions",
            "interaction_id": "I2",
            "channel": "phone",
            "site": "BJ",
            "received_at": "2026-07-01 10:01:00",
            "answered_at": "2026-07-01 10:01:05",
            "agent_id": "A",
        },
        "not json",
    ]
    text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"
    result = runner.invoke(main, ["watch", PACK, "--input", "-"], input=text)
    assert result.exit_code == 0, result.output + result.stderr
    alerts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["rule"], a["key"], a["by_seconds"]) for a in alerts] == [
        ("RESP-PHONE-30S", "I1", 20.0)
    ]
    assert (
        "3 records read" in result.stderr
        and "1 alerts" in result.stderr
        and "1 rejected" in result.stderr
    )
    assert "batch-only rules not watched" in result.stderr


def test_watch_until_judges_open_records(runner, tmp_path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_text(
        json.dumps(
            {
                "kind": "complaint_events",
                "complaint_id": "C1",
                "event": "received",
                "at": "2026-02-02 10:00:00",
                "site": "BJ",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "alerts.jsonl"
    pack = str(TEST_PACKS / "sequence.yaml")
    # the test pack's standard lives in the repository's standards/ folder, found from the working directory
    result = runner.invoke(
        main, ["watch", pack, "--input", str(source), "--alerts", str(out), "--until", "2026-02-10"]
    )
    assert result.exit_code == 0, result.output + result.stderr
    alerts = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {(a["rule"], a["breach"]) for a in alerts} == {
        ("HANDLING", "acknowledged: missing"),
        ("HANDLING", "resolved: missing"),
        ("HANDLING-BUSINESS", "acknowledged: missing"),
    }
    assert STANDARDS.exists()


def test_bad_until_is_one_line(runner) -> None:
    result = runner.invoke(main, ["watch", PACK, "--until", "someday"], input="")
    assert result.exit_code == 2
    assert "not an ISO date" in result.stderr


def test_a_wall_clock_until_already_past_is_refused_before_any_input(runner) -> None:
    """--until 2012-04-05 on the wall clock (a mistyped year) read nothing and ended with
    "0 records read" and exit 0, as a quiet healthy feed does."""
    late = json.dumps({"kind": "interactions", "interaction_id": "I1", "channel": "phone",
                       "site": "BJ", "received_at": "2012-04-01 10:00:00"})  # fmt: skip
    result = runner.invoke(
        main, ["watch", PACK, "--clock", "wall", "--until", "2012-04-05"], input=late + "\n"
    )
    assert (result.exit_code, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    # midnight of 5 April 2012 in the pack's zone, Asia/Shanghai (UTC+8, no summer time)
    assert line.startswith(
        "error: --until 2012-04-05T00:00:00+08:00 is already past on the wall clock (now 20"
    )
    assert "records read" not in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "what"),
    [
        ("--until", "", "a date or time"),
        ("--alerts", "", "a file name"),
        ("--alerts", " ", "a file name"),
    ],
)
def test_a_blank_until_or_alerts_is_refused_before_any_input(runner, option, value, what) -> None:
    """A blank --until was taken as no --until, a blank --alerts as a file that cannot be
    opened (named by no name): each is one line, as a blank --out of keygen is."""
    record = json.dumps({"kind": "interactions", "interaction_id": "I1", "channel": "phone",
                         "site": "BJ", "received_at": "2026-07-01 10:00:00"})  # fmt: skip
    result = runner.invoke(
        main, ["watch", PACK, option, value], input=record + "\n", prog_name="auditor"
    )
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"error: Invalid value for '{option}': give {what}, not a blank (see 'auditor watch --help')"
    ]


def test_a_workbook_or_csv_input_is_refused_once_before_any_line(runner, tmp_path) -> None:
    """A workbook given as --input had each of its lines rejected one by one ("contains NUL
    bytes", "text is not valid UTF-8"), exit 0, with no word of what to give instead."""
    workbook = ROOT / "evidence" / "demo" / "service-quality" / "tickets-2026Q3.xlsx"
    renamed = tmp_path / "tickets.jsonl"  # a workbook is told by its bytes, whatever its name
    renamed.write_bytes(workbook.read_bytes())
    table = tmp_path / "tickets.csv"
    table.write_text("ticket_id,site\nT1,BJ\n", encoding="utf-8")
    archive = tmp_path / "calls.jsonl"  # a zip of JSON lines, not a workbook: called a zip
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("calls.jsonl", '{"kind": "interactions"}\n')
    advice = (
        'not JSON lines: watch reads one JSON record a line, with its "kind"; '
        "audit the file with 'auditor audit', or write its records as JSON lines"
    )
    alerts = tmp_path / "alerts.jsonl"
    for path, what in [(workbook, "an Excel workbook (.xlsx)"),
                       (renamed, "an Excel workbook (.xlsx)"), (table, "a CSV file"),
                       (archive, "a zip archive with no Excel workbook in it")]:  # fmt: skip
        result = runner.invoke(main, ["watch", PACK, "--input", str(path), "--alerts", str(alerts)])
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr.splitlines() == [f"error: {path}: is {what}, {advice}"]
    assert not alerts.exists()  # refused before the alerts file is opened


@pytest.mark.parametrize("launcher", ["python -m auditor", "console script"])
def test_sigterm_stops_the_watch_like_ctrl_c_with_its_counts(tmp_path, launcher) -> None:
    """Killed by SIGTERM (a service manager stopping it): it finishes as after Ctrl-C, counts
    printed, exit 143, whether started as ``python -m auditor`` or as the ``auditor`` script."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from ..conftest import ROOT

    command = [sys.executable, "-m", "auditor"]
    if launcher == "console script":
        script = Path(sys.executable).parent / "auditor"
        if not script.exists():
            pytest.skip("the package is not installed with its console script here")
        command = [str(script)]

    record = {
        "kind": "interactions",
        "interaction_id": "I1",
        "channel": "phone",
        "site": "BJ",
        "received_at": "2026-07-01 10:00:00",
    }
    watch = subprocess.Popen(
        [*command, "watch", PACK, "--input", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert watch.stdin is not None
    watch.stdin.write(json.dumps(record) + "\n")
    watch.stdin.flush()
    time.sleep(8)  # durable_rules starts and reads the record; the input stays open
    os.kill(watch.pid, signal.SIGTERM)
    out, err = watch.communicate(timeout=60)
    assert watch.returncode == 143, err
    assert "Traceback" not in err
    assert "interrupted: 1 records read" in err
    assert out == ""  # 10:00:00 is the latest moment seen: nothing is late yet


def test_bytes_that_are_not_utf8_and_lone_surrogates_are_rejected_lines(runner, tmp_path) -> None:
    stream = tmp_path / "live.jsonl"
    stream.write_bytes(
        b'{"kind": "interactions", "interaction_id": "I1", "channel": "phone", "site": "B\xff",'
        b' "received_at": "2026-07-01 10:00:00"}\n'
        b'{"kind": "interactions", "interaction_id": "I2", "channel": "phone", "site": "\\ud800",'
        b' "received_at": "2026-07-01 10:00:00"}\n'
        b'{"kind": "interactions", "interaction_id": "I3", "channel": "phone", "site": "BJ",'
        b' "received_at": "2026-07-01 10:00:00", "answered_at": "2026-07-01 10:00:05"}\n'
    )
    result = runner.invoke(main, ["watch", PACK, "--input", str(stream)])
    assert result.exit_code == 0, result.output
    assert "3 records read" in result.stderr and "2 rejected" in result.stderr
    assert "1 rejected: line 1: text is not valid UTF-8" in result.stderr
    assert "1 rejected: line 2: a lone surrogate escape (\\ud800 ...) is not text" in result.stderr


def test_a_duration_net_of_pauses_is_left_to_the_batch_audit_and_said_so(runner) -> None:
    """TECH-INITIAL-4H subtracts the ticket's waiting_customer pauses (ticket_status): a
    stream may bring a pause at any time after the ticket, so the watch does not judge the
    rule (it alerted 26543 s against 4 h where the batch audit, 6.59 h of pause subtracted,
    finds the ticket conform); it says so once, at the start, naming the rule."""
    lines = [
        {"kind": "ticket_status", "ticket_id": "T000001", "status": "waiting_customer",
         "entered_at": "2026-07-09 11:24:37", "left_at": "2026-07-09 19:56:49"},
        {"kind": "ticket_status", "ticket_id": "T000001", "status": "open",
         "entered_at": "2026-07-09 10:37:37", "left_at": "2026-07-09 23:07:41"},
        {"kind": "tickets", "ticket_id": "T000001", "category": "technical", "site": "SH",
         "opened_at": "2026-07-09 10:37:37", "first_solution_at": "2026-07-09 23:07:41",
         "closed_at": "2026-07-10 18:59:32", "status": "closed", "channel": "phone",
         "due_at": "2026-07-12 10:37:37"},
    ]  # fmt: skip
    text = "".join(json.dumps(line) + "\n" for line in lines)
    result = runner.invoke(main, ["watch", PACK, "--until", "2026-10-01"], input=text)
    assert result.exit_code == 0, result.output + result.stderr
    assert [json.loads(line)["rule"] for line in result.stdout.splitlines()] == []
    said = [line for line in result.stderr.splitlines() if line.startswith("TECH-INITIAL-4H")]
    assert said == [
        "TECH-INITIAL-4H is not watched: its durations are net of pauses read from "
        "ticket_status, which may arrive at any time after the record, so no moment of the "
        "stream makes a breach certain; the batch audit (auditor audit) judges it"
    ]
    assert result.stderr.index(said[0]) < result.stderr.index("records read")
    batch_only = next(line for line in result.stderr.splitlines() if line.startswith("batch-only"))
    assert "TECH-INITIAL-4H" in batch_only


def test_an_alerts_file_that_cannot_be_written_stops_the_watch_before_any_input(
    runner, tmp_path
) -> None:
    """It read the input, counted an alert and then failed in the engine's action without
    naming the file (the alert lost): now one line naming the path, exit 2, nothing read."""
    target = tmp_path / "missing" / "a.jsonl"
    record = {
        "kind": "interactions", "interaction_id": "I1", "channel": "phone", "site": "BJ",
        "received_at": "2026-07-01 10:00:00", "answered_at": "2026-07-01 10:00:50",
    }  # fmt: skip
    result = runner.invoke(
        main, ["watch", PACK, "--alerts", str(target)], input=json.dumps(record) + "\n"
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: cannot write the alerts file {target}: No such file or directory"
    ]


def test_a_reader_that_closes_the_alerts_pipe_ends_the_watch_with_141_and_no_line(
    tmp_path,
) -> None:
    """``watch ... | head -1``: exit 141 and no error line, as docs/cli.md promises (it
    exited 2 with 'an action of ... failed: [Errno 32] Broken pipe')."""
    import subprocess
    import sys

    from ..conftest import ROOT

    stream = tmp_path / "calls.jsonl"
    with stream.open("w", encoding="utf-8") as handle:
        for n in range(3000):  # each a breach: an alert written (and flushed) for each
            record = {
                "kind": "interactions",
                "interaction_id": f"I{n}",
                "channel": "phone",
                "site": "BJ",
                "received_at": "2026-07-01 10:00:00",
                "answered_at": "2026-07-01 10:00:50",
                "agent_id": "A",
            }  # fmt: skip (with its agent: no condition is left to alert at the end)
            handle.write(json.dumps(record) + "\n")
    script = (
        f"{sys.executable} -m auditor watch {PACK} --input {stream} | head -1 >/dev/null; "
        'echo "exit ${PIPESTATUS[0]}" >&2'
    )
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    lines = [line for line in done.stderr.splitlines() if "is not watched" not in line]
    assert lines == ["exit 141"], done.stderr


def test_a_rejected_line_names_its_line_and_an_unknown_kind_the_closest(runner) -> None:
    """A line of an unknown kind suggests the pack's closest kind ('interaction' is not
    'interactions'), and every rejected line carries its line number, not only JSON errors;
    the same reason on several lines is counted once, with its first lines."""
    call = {
        "kind": "interactions", "interaction_id": "I1", "channel": "phone", "site": "BJ",
        "received_at": "2026-07-01 10:00:00", "answered_at": "2026-07-01 10:00:05",
        "agent_id": "A",
    }  # fmt: skip
    lines = [
        {**call, "kind": "interaction"},
        call,
        {**call, "interaction_id": "I2", "channel": "fax"},
        {**call, "kind": "interaction", "interaction_id": "I3"},
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    result = runner.invoke(main, ["watch", PACK], input=text)
    assert result.exit_code == 0, result.output + result.stderr
    summed = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert summed == [
        "2 rejected: lines 1, 4: unknown kind 'interaction'; did you mean 'interactions'?",
        "1 rejected: line 3: interactions.channel: 'fax' is not one of phone, chat, email",
    ]


def test_a_whole_number_rejected_is_told_as_the_line_writes_it(runner) -> None:
    """received_at 20260813 (a day written as a number): told as 20260813, not 20260813.0."""
    call = {
        "kind": "interactions", "interaction_id": "I1", "channel": "phone", "site": "BJ",
        "received_at": 20260813, "answered_at": "2026-07-01 10:00:05", "agent_id": "A",
    }  # fmt: skip
    result = runner.invoke(main, ["watch", PACK], input=json.dumps(call) + "\n")
    assert result.exit_code == 0, result.output + result.stderr
    told = "interactions.received_at: '20260813' is not a plausible Excel date serial (1954-2119)"
    assert f"1 rejected: line 1: {told}" in [line.strip() for line in result.stderr.splitlines()]


def test_a_time_in_no_known_format_is_told_what_watch_reads_not_a_mapping(runner) -> None:
    """received_at 'yesterday' was told to "give format: for this column in the mapping";
    watch has no mapping, so it is told the form it reads."""
    call = {
        "kind": "interactions", "interaction_id": "I1", "channel": "phone", "site": "BJ",
        "received_at": "yesterday", "agent_id": "A",
    }  # fmt: skip
    result = runner.invoke(main, ["watch", PACK], input=json.dumps(call) + "\n")
    assert result.exit_code == 0, result.output + result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("-:")] == [
        "-:1: rejected: interactions.received_at: 'yesterday' is not a date/time in a known "
        "format; write it as an ISO 8601 date/time, e.g. 2026-07-01 10:00:00 or "
        "2026-07-01T10:00:00+08:00"
    ]
    assert "mapping" not in result.stderr


def test_records_at_or_after_until_are_read_not_judged(runner, tmp_path) -> None:
    """--until ends the watch's period as a batch audit's ends: a record received at or after
    it is judged by no rule, a condition's not even at the end (AGENT-KNOWN alerted only B, the
    call received before it), and is counted apart."""
    call = {"kind": "calls", "channel": "phone", "score": 4}
    lines = [
        {**call, "call_id": "B", "received_at": "2026-02-28 23:59:00",
         "answered_at": "2026-02-28 23:59:10"},
        {**call, "call_id": "A", "received_at": "2026-03-01 00:00:00",
         "answered_at": "2026-03-01 00:00:10"},
        {**call, "call_id": "L", "received_at": "2026-03-02 10:00:00",
         "answered_at": "2026-03-02 10:01:00"},
    ]  # fmt: skip
    text = "".join(json.dumps(line) + "\n" for line in lines)
    live = str(TEST_PACKS / "live.yaml")
    result = runner.invoke(main, ["watch", live, "--until", "2026-03-01"], input=text)
    assert result.exit_code == 0, result.output + result.stderr
    alerts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["rule"], a["key"], a["event_time"]) for a in alerts] == [
        ("AGENT-KNOWN", "B", "2026-03-01T00:00:00+08:00")
    ]
    assert result.stderr.splitlines()[0] == (
        "3 records read, 3 judgements, 1 alerts, 0 updates, 0 duplicates, 0 rejected, "
        "2 at or after --until, not judged"
    )


def test_a_rejected_value_s_control_characters_reach_no_terminal(runner) -> None:
    """A value holding an escape sequence is quoted with it escaped, in the line told as it
    comes and in the summary at the end alike."""
    record = {
        "kind": "interactions", "interaction_id": "I1", "channel": "fax\x1b[2J",
        "site": "BJ", "received_at": "2026-07-01 10:00:00",
    }  # fmt: skip
    result = runner.invoke(main, ["watch", PACK], input=json.dumps(record) + "\n")
    assert result.exit_code == 0, result.output + result.stderr
    assert "\x1b" not in result.stderr
    told = [line for line in result.stderr.splitlines() if "fax" in line]
    assert len(told) == 2 and all("fax\\x1b[2J" in line for line in told), result.stderr


def test_an_alert_is_not_joined_onto_a_line_a_killed_watch_left_unfinished(
    runner, tmp_path
) -> None:
    """A watch killed while writing (SIGKILL) leaves its last line without an end: the next
    watch's first alert starts a line of its own, so each line stays one JSON object or the
    broken part alone."""
    late = {
        "kind": "interactions", "interaction_id": "I1", "channel": "phone", "site": "BJ",
        "received_at": "2026-07-01 10:00:00", "answered_at": "2026-07-01 10:00:50",
        "agent_id": "A",
    }  # fmt: skip
    alerts = tmp_path / "alerts.jsonl"
    alerts.write_text('{"rule": "RESP-PHONE-30S", "key": "I0", "bre', encoding="utf-8")
    result = runner.invoke(
        main, ["watch", PACK, "--alerts", str(alerts)], input=json.dumps(late) + "\n"
    )
    assert result.exit_code == 0, result.output + result.stderr
    broken, written = alerts.read_text(encoding="utf-8").splitlines()
    assert broken == '{"rule": "RESP-PHONE-30S", "key": "I0", "bre'
    assert (json.loads(written)["rule"], json.loads(written)["key"]) == ("RESP-PHONE-30S", "I1")


def test_a_stopped_watch_restarts_from_the_line_it_names_and_appends_its_alerts(
    runner, tmp_path, monkeypatch
) -> None:
    """Restarting with the same --alerts file emptied it (the alert history lost): the file is
    now appended to, and a stopped watch names the line to go on from."""
    from auditor.live.watcher import Watcher

    late = {
        "kind": "interactions", "interaction_id": "I1", "channel": "phone", "site": "BJ",
        "received_at": "2026-07-01 10:00:00", "answered_at": "2026-07-01 10:00:50",
        "agent_id": "A",
    }  # fmt: skip
    lines = [late, {**late, "interaction_id": "I2"}, {**late, "interaction_id": "I3"}]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    alerts = tmp_path / "alerts.jsonl"
    feed = Watcher.feed

    def stopped_at_line_2(self, item, line=None):
        if line == 2:
            raise KeyboardInterrupt  # Ctrl-C as the second line is read
        feed(self, item, line)

    monkeypatch.setattr(Watcher, "feed", stopped_at_line_2)
    args = ["watch", PACK, "--alerts", str(alerts)]
    result = runner.invoke(main, args, input=text)
    assert result.exit_code == 130, result.output + result.stderr
    assert result.stderr.splitlines()[-1] == (
        "stopped after line 1 of the input: to go on, watch its lines from 2 on with the same "
        "--alerts file (docs/watch.md)"
    )
    monkeypatch.setattr(Watcher, "feed", feed)
    again = runner.invoke(main, args, input="".join(text.splitlines(keepends=True)[1:]))
    assert again.exit_code == 0, again.output + again.stderr
    written = [json.loads(line) for line in alerts.read_text(encoding="utf-8").splitlines()]
    assert [(a["rule"], a["key"]) for a in written] == [
        ("RESP-PHONE-30S", "I1"),
        ("RESP-PHONE-30S", "I2"),
        ("RESP-PHONE-30S", "I3"),
    ]


def test_each_rejected_line_is_told_as_it_comes_with_its_file_and_line(runner, tmp_path) -> None:
    """Rejected lines were only summed up at the end (five reasons, no file): each is now one
    line on stderr when it is rejected, and the end says how many the five reasons leave out."""
    call = {
        "kind": "interactions", "interaction_id": "I1", "channel": "phone", "site": "BJ",
        "received_at": "2026-07-01 10:00:00", "answered_at": "2026-07-01 10:00:05",
        "agent_id": "A",
    }  # fmt: skip
    bad = [{**call, "kind": f"k{n}"} for n in range(1, 8)]
    text = "".join(json.dumps(line) + "\n" for line in [call, *bad])
    stream = tmp_path / "in.jsonl"
    stream.write_text(text, encoding="utf-8")
    told = [f"{stream}:{n}: rejected: unknown kind 'k{n - 1}'" for n in range(2, 9)]
    result = runner.invoke(main, ["watch", PACK, "--input", str(stream)])
    assert result.exit_code == 0, result.output + result.stderr
    lines = result.stderr.splitlines()
    assert [line for line in lines if ": rejected: " in line] == told
    assert lines[lines.index(told[-1]) + 1].startswith("8 records read,")
    assert "2 rejected for 2 other reasons (each line above)" in [line.strip() for line in lines]
    piped = runner.invoke(main, ["watch", PACK], input=text)
    assert [line for line in piped.stderr.splitlines() if ": rejected: " in line] == [
        line.replace(str(stream), "-") for line in told
    ]


def test_a_stream_of_rejected_lines_only_exits_0_as_the_ingest_does(runner) -> None:
    result = runner.invoke(main, ["watch", PACK], input="not json\n[1]\n")
    assert result.exit_code == 0, result.output + result.stderr
    lines = [line for line in result.stderr.splitlines() if "is not watched" not in line]
    assert lines[:3] == [
        "-:1: rejected: not valid JSON: Expecting value: line 1 column 1 (char 0)",
        "-:2: rejected: line is JSON but not an object",
        "2 records read, 0 judgements, 0 alerts, 0 updates, 0 duplicates, 2 rejected",
    ]
