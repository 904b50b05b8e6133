"""`watch --clock wall`: time moves on while the stream is quiet, and the watch ends at --until."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from auditor import load_pack
from auditor.errors import AuditorError
from auditor.live import timed_lines, watch

from .conftest import ROOT, RULES

PACK = RULES / "service-quality.yaml"
SH = ZoneInfo("Asia/Shanghai")
#: 2026-07-01 10:00:00 in Shanghai
T = datetime(2026, 7, 1, 10, 0, tzinfo=SH).timestamp()


def call(key: str, received: float, answered: float | None = None) -> str:
    def text(moment: float) -> str:
        return datetime.fromtimestamp(moment, SH).strftime("%Y-%m-%d %H:%M:%S")

    item = {
        "kind": "interactions",
        "interaction_id": key,
        "channel": "phone",
        "site": "BJ",
        "agent_id": "A",
        "received_at": text(received),
    }
    if answered is not None:
        item["answered_at"] = text(answered)
    return json.dumps(item)


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, moment: float) -> None:
        self.moment = moment

    def __call__(self) -> float:
        return self.moment


def test_an_open_call_is_alerted_while_the_wall_clock_stream_is_quiet() -> None:
    clock = Clock(T)
    alerts: list[dict] = []
    seen: dict[float, int] = {}

    def stream() -> Iterator[str | None]:
        yield call("I1", T)  # received now, not answered
        for later in (1, 10, 30, 31, 45):  # no input: a tick a while later
            clock.moment = T + later
            yield None
            seen[later] = len(alerts)

    watcher = watch(load_pack(PACK), stream(), alerts.append, clock="wall", now=clock)
    assert seen == {1: 0, 10: 0, 30: 0, 31: 1, 45: 1}  # alerted at the first tick past 30 s
    (alert,) = alerts
    assert alert["rule"] == "RESP-PHONE-30S" and alert["key"] == "I1"
    assert alert["breach"] == "no answered_at yet, 31 s after received_at; limit 30s"
    assert alert["event_time"] == "2026-07-01T10:00:31+08:00"
    assert watcher.verdicts()["RESP-PHONE-30S"] == {"I1": "breach"}


def test_a_wall_clock_alert_shows_the_seconds_over_the_limit_it_is_alerted_for() -> None:
    """A tick 30.375 s after the call read "30 s after received_at; limit 30s" (by_seconds
    0.375): rounded down, the breach read as within the limit."""
    clock = Clock(T)
    alerts: list[dict] = []

    def stream() -> Iterator[str | None]:
        yield call("I1", T)
        clock.moment = T + 30.375
        yield None

    watch(load_pack(PACK), stream(), alerts.append, clock="wall", now=clock)
    assert [(a["breach"], a["by_seconds"]) for a in alerts if a["rule"] == "RESP-PHONE-30S"] == [
        ("no answered_at yet, 30.4 s after received_at; limit 30s", 0.375)
    ]


def test_ticks_do_not_move_event_time() -> None:
    clock = Clock(T + 3600)
    alerts: list[dict] = []
    seen: list[int] = []

    def stream() -> Iterator[str | None]:
        yield call("I1", T)
        for _ in range(3):
            yield None
            seen.append(len(alerts))

    watcher = watch(load_pack(PACK), stream(), alerts.append, clock="event", now=clock)
    assert seen == [0, 0, 0]  # event time is the records' own: still 10:00:00
    assert alerts == []
    assert watcher.verdicts()["RESP-PHONE-30S"] == {"I1": "pending"}


def test_a_wall_clock_watch_ends_at_until() -> None:
    clock = Clock(T)
    alerts: list[dict] = []
    read: list[str] = []

    def stream() -> Iterator[str | None]:
        yield call("I1", T)
        clock.moment = T + 20
        yield None
        clock.moment = T + 120  # past --until (T + 60): the watch is over
        yield None
        read.append("after until")
        yield call("I2", T + 100)

    watcher = watch(load_pack(PACK), stream(), alerts.append, clock="wall", until=T + 60, now=clock)
    assert read == []  # nothing was read after the wall clock passed --until
    assert [(a["key"], a["event_time"]) for a in alerts] == [("I1", "2026-07-01T10:01:00+08:00")]
    assert watcher.verdicts()["RESP-PHONE-30S"] == {"I1": "breach"}


@pytest.mark.parametrize("until", [T - 86_400, T])
def test_a_wall_clock_watch_whose_until_is_past_is_refused_before_any_line(until: float) -> None:
    """On the wall clock a watch ends at --until: one already reached read no line and
    ended as a quiet feed does, with no word."""
    read: list[str] = []

    def stream() -> Iterator[str | None]:
        read.append("a line")
        yield call("I1", T)

    with pytest.raises(AuditorError) as refused:
        watch(load_pack(PACK), stream(), [].append, clock="wall", until=until, now=Clock(T + 0.6))
    assert read == []
    shown = datetime.fromtimestamp(until, SH).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert str(refused.value).startswith(
        f"--until {shown} is already past on the wall clock (now 2026-07-01T10:00:00+08:00)"
    )


def test_a_wall_clock_until_to_come_and_an_event_clock_until_past_are_watched() -> None:
    alerts: list[dict] = []
    watch(load_pack(PACK), iter([call("I1", T)]), alerts.append, clock="wall", until=T + 1,
          now=Clock(T))  # fmt: skip
    watch(load_pack(PACK), iter([call("I2", T - 100, T - 50)]), alerts.append, clock="event",
          until=T - 10, now=Clock(T))  # fmt: skip
    assert [a["key"] for a in alerts] == ["I2"]


def test_timed_lines_gives_lines_as_they_come_and_ticks_between() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as reader:
        lines = timed_lines(reader, tick=0.05)
        os.write(write_end, b'{"a": 1}\n{"b"')
        assert next(lines) == '{"a": 1}\n'
        started = time.monotonic()
        assert next(lines) is None  # half a line waits; the quiet pipe ticks
        assert time.monotonic() - started < 1
        os.write(write_end, b': "\xff"}\n{"c": 3}')
        os.close(write_end)
        rest = [line for line in lines if line is not None]
    assert rest == ['{"b": "\udcff"}\n', '{"c": 3}']  # bytes not UTF-8 kept as escapes


def test_timed_lines_reads_a_stream_without_a_descriptor_as_it_is() -> None:
    assert list(timed_lines(iter(["a\n", "b\n"]), tick=0.01)) == ["a\n", "b\n"]


def test_watch_wall_clock_alerts_while_its_input_stays_open() -> None:
    """End to end: a call received 28 s ago and then silence on an open pipe: the
    alert comes within about a second of its deadline, with no further input; SIGTERM
    while it waits stops it as Ctrl-C does, counts printed."""
    import signal

    watch_process = subprocess.Popen(
        [sys.executable, "-m", "auditor", "watch", str(PACK), "--input", "-", "--clock", "wall"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert watch_process.stdin is not None and watch_process.stdout is not None
    alerts: queue.Queue[dict] = queue.Queue()

    def read_alerts() -> None:
        assert watch_process.stdout is not None
        for line in watch_process.stdout:
            alerts.put(json.loads(line))

    threading.Thread(target=read_alerts, daemon=True).start()
    try:
        now = time.time()
        # a call answered late: alerted on arrival, so the watch is known to be reading
        watch_process.stdin.write(call("LATE", now - 100, now - 50) + "\n")
        watch_process.stdin.flush()
        assert alerts.get(timeout=60)["key"] == "LATE"
        now = time.time()
        watch_process.stdin.write(call("QUIET", int(now) - 28) + "\n")  # due in 1 to 2 s
        watch_process.stdin.flush()
        alert = alerts.get(timeout=10)  # the input stays open: only the clock can bring it
        assert alert["key"] == "QUIET"
        assert alert["breach"].startswith("no answered_at yet")
        assert time.time() - now < 5
        watch_process.send_signal(signal.SIGTERM)
        err = watch_process.stderr.read()  # type: ignore[union-attr]
        assert watch_process.wait(timeout=60) == 143, err
        assert "Traceback" not in err and "interrupted: 2 records read" in err
    finally:
        if watch_process.poll() is None:
            watch_process.kill()
            watch_process.wait()
        watch_process.stdin.close()
        watch_process.stderr.close()  # type: ignore[union-attr]
