"""The spark engine: generated evidence gives SQLite's findings, Parquet folders are checked, and a
missing pyspark, Java runtime or cluster stops with one line.

The shipped packs on their demo evidence are compared in tests/test_engines_agree.py
(every engine, spark included). Every test here that runs Spark shares the test
session's one Spark session (the ``spark`` fixture: local[2], UI off, two
shuffle partitions) and skips, saying why, when pyspark or Java is absent.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from auditor import load_pack
from auditor.backends import spark as spark_engine
from auditor.backends.engines import open_backend
from auditor.backends.store import EvidenceStore
from auditor.errors import EngineError, EvidenceError
from auditor.evaluate import evaluate
from auditor.export import export_tables
from auditor.ingest import ingest
from auditor.periods import parse_period

from .conftest import ROOT, RULES, TEST_PACKS, needs_spark
from .test_engines_agree import (
    days_agree_on,
    engines_agree_on,
    figures,
    numbers,
    same_numbers,
    tickets,
)


@needs_spark
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(evidence=tickets())
def test_generated_durations_pauses_and_conditions_agree_on_spark(
    tmp_path_factory, spark, evidence
) -> None:
    """Business-hour durations net of pauses (across a holiday), wall durations, conditions."""
    engines_agree_on(tmp_path_factory, "spark", evidence)


@pytest.fixture(scope="module")
def service_quality() -> tuple[object, EvidenceStore]:
    pack = load_pack(RULES / "service-quality.yaml")
    store = EvidenceStore(None)
    ingest(pack, ROOT / "evidence" / "demo" / "service-quality", store)
    return pack, store


@needs_spark
def test_a_parquet_export_is_evaluated_as_the_store(spark, service_quality, tmp_path) -> None:
    """A folder written by the export is read as it is (no second export) and gives the same findings."""
    pack, store = service_quality
    export_tables(store, tmp_path)
    period = parse_period("2026-Q3")
    reference = evaluate(pack, store, period)
    other = evaluate(pack, spark_engine.SparkBackend(store, parquet=str(tmp_path)), period)
    assert figures(other) == figures(reference)
    assert same_numbers(numbers(other), numbers(reference))


@needs_spark
def test_a_store_rebuilt_from_an_export_is_read_in_place(spark, service_quality, tmp_path) -> None:
    """An audit of an export on Spark reads each kind's records from the export's own files
    (nothing written to this machine's disk for the cluster to read), the manifest and the
    quarantine from the store, and gives the store's findings."""
    from auditor.exported import read_export

    pack, store = service_quality
    export_tables(store, tmp_path / "export")
    rebuilt = EvidenceStore(tmp_path / "rebuilt.db")
    read_export(tmp_path / "export", pack, rebuilt)
    backend = spark_engine.SparkBackend(rebuilt)
    try:
        period = parse_period("2026-Q3")
        other = evaluate(pack, backend, period)
        read_from = spark.table("interactions").inputFiles()
        assert read_from and all("/export/interactions.parquet" in f for f in read_from)
        assert not spark.table("_manifest").inputFiles()  # rows sent from here
        assert backend._folder is None  # no copy of the store made
    finally:
        backend.close()
        rebuilt.close()
    reference = evaluate(pack, store, period)
    assert figures(other) == figures(reference)
    assert same_numbers(numbers(other), numbers(reference))


@needs_spark
def test_a_parquet_column_of_the_wrong_type_is_named(spark, service_quality, tmp_path) -> None:
    _, store = service_quality
    export_tables(store, tmp_path)
    calls = pq.read_table(tmp_path / "interactions.parquet")
    index = calls.schema.get_field_index("received_at")
    wrong = calls.set_column(index, "received_at", calls["received_at"].cast(pa.string()))
    pq.write_table(wrong, tmp_path / "interactions.parquet")
    with pytest.raises(EvidenceError) as caught:
        spark_engine.SparkBackend(store, parquet=str(tmp_path))
    assert "column 'received_at' is string" in str(caught.value)
    assert caught.value.path == str(tmp_path / "interactions.parquet")


@needs_spark
def test_a_float32_time_in_a_parquet_file_is_refused(spark, service_quality, tmp_path) -> None:
    """As an audit of an export refuses it: today's epoch seconds in float32 are rounded."""
    _, store = service_quality
    export_tables(store, tmp_path)
    calls = pq.read_table(tmp_path / "interactions.parquet")
    index = calls.schema.get_field_index("received_at")
    narrow = calls.set_column(index, "received_at", calls["received_at"].cast(pa.float32()))
    pq.write_table(narrow, tmp_path / "interactions.parquet")
    with pytest.raises(EvidenceError, match="column 'received_at' is float in the Parquet file"):
        spark_engine.SparkBackend(store, parquet=str(tmp_path))


@needs_spark
def test_a_parquet_file_missing_a_column_is_named(spark, service_quality, tmp_path) -> None:
    _, store = service_quality
    export_tables(store, tmp_path)
    calls = pq.read_table(tmp_path / "interactions.parquet")
    pq.write_table(calls.drop_columns(["agent_id"]), tmp_path / "interactions.parquet")
    with pytest.raises(EvidenceError, match="column 'agent_id' is missing"):
        spark_engine.SparkBackend(store, parquet=str(tmp_path))


def test_without_pyspark_the_engine_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(spark_engine, "_SESSION", None)
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(EngineError, match="needs pyspark") as caught:
        open_backend(EvidenceStore(None), "spark")
    assert "pip install" in str(caught.value.hint)


@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None, reason="spark engine: pyspark is not installed"
)
def test_without_java_the_engine_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(spark_engine, "_SESSION", None)
    monkeypatch.setattr(spark_engine.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(EngineError, match="needs a Java runtime") as caught:
        open_backend(EvidenceStore(None), "spark")
    assert "openjdk-17-jre-headless" in str(caught.value.hint)


@needs_spark
def test_a_master_that_cannot_be_used_stops_the_audit_with_one_line(tmp_path) -> None:
    """Exit 2, one line, and no output folder (the outputs are staged until complete)."""
    out, temp = tmp_path / "out", tmp_path / "temp"
    temp.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", str(RULES / "service-quality.yaml"),
         str(ROOT / "evidence" / "demo" / "service-quality"), "--period", "2026-Q3",
         "--out", str(out), "--engine", "spark", "--spark-master", "nonsense://nowhere",
         "--format", "json"],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
        env={**os.environ, "TMPDIR": str(temp)},
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot start Spark (master nonsense://nowhere)" in lines[0]
    assert "Traceback" not in done.stderr
    assert not out.exists() or not any(out.iterdir())
    kept = list(temp.glob("auditor-spark-*.log"))  # the log the error names is kept
    assert len(kept) == 1 and f"Spark's log: {kept[0]}" in lines[0]


@needs_spark
def test_a_spark_run_that_ends_well_leaves_no_log_behind(tmp_path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "tickets.csv").write_text(
        "ticket_id,site,opened_at,solved_at,status\nA,BJ,2026-02-02 09:00:00,,closed\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", str(TEST_PACKS / "engine.yaml"),
         str(tmp_path / "ev"), "--period", "2026-02", "--out", str(tmp_path / "out"),
         "--engine", "spark", "--format", "json", "--fail-on", "never"],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
        env={**os.environ, "TMPDIR": str(temp)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "findings.json").is_file()
    assert list(temp.glob("auditor-spark-*.log")) == []


def test_spark_master_goes_with_the_spark_engine(runner, tmp_path) -> None:
    from auditor.cli import main

    result = runner.invoke(
        main,
        ["audit", str(RULES / "service-quality.yaml"),
         str(ROOT / "evidence" / "demo" / "service-quality"), "--out", str(tmp_path / "o"),
         "--engine", "duckdb", "--spark-master", "local[1]"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--spark-master goes with --engine spark" in result.output
    assert not Path(tmp_path / "o").exists()


@needs_spark
def test_a_view_left_by_an_earlier_store_is_not_this_stores_table(spark, tmp_path) -> None:
    """The session's catalog keeps the views of a backend closed before (another store's
    pauses, whose Parquet files are gone): this store has no pauses, so their coverage is
    zero, and its own tickets are counted."""
    from auditor.evidence_span import kind_coverage

    from .test_engine import PAUSES, TICKETS, the_pack

    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "tickets.csv").write_text(TICKETS + "A,BJ,2026-02-02 09:00:00,,open\n")
    (one / "pauses.csv").write_text(PAUSES + "A,2026-02-02 10:00:00,2026-02-02 11:00:00,x\n")
    (two / "tickets.csv").write_text(TICKETS + "B,BJ,2026-02-03 09:00:00,,open\n")
    period = parse_period("2026-02")
    first, second = EvidenceStore(None, engine="spark"), EvidenceStore(None, engine="spark")
    try:
        ingest(the_pack(), one, first)
        ingest(the_pack(), two, second)
        assert kind_coverage(the_pack(), first, period)["pauses"].stored == 1  # opened, closed
        coverage = kind_coverage(the_pack(), second, period)
        assert (coverage["pauses"].stored, coverage["pauses"].in_period) == (0, 0)
        assert (coverage["tickets"].stored, coverage["tickets"].in_period) == (1, 1)
    finally:
        first.close()
        second.close()


@pytest.fixture
def spilling_sorts(spark) -> Iterator[None]:
    """Spark's sorts spill to disk after a few rows, as they do on a big audit in little memory
    (set on the running context, whose settings every sort reads when it starts)."""
    conf = spark.sparkContext._jsc.sc().conf()
    key = "spark.shuffle.spill.numElementsForceSpillThreshold"
    before = conf.getOption(key)
    conf.set(key, "16")
    yield
    if before.isDefined():
        conf.set(key, before.get())
    else:
        conf.remove(key)


@needs_spark
def test_days_of_a_long_period_are_labelled_on_spark_as_on_sqlite(spilling_sorts, tmp_path) -> None:
    """Over more days than a CASE lists, a record's day is looked up in the days table: on
    Spark, whose sorts spill here, it was an arbitrary earlier day of the period (the look-up
    took the first row of a correlated ORDER BY ... LIMIT 1, whose order Spark lost)."""
    days_agree_on(tmp_path, "spark")


def _closed_port() -> int:
    """A local port nothing listens on (one just let go)."""
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        return int(held.getsockname()[1])


def test_a_standalone_master_that_refuses_is_one_line_at_once() -> None:
    """Spark retries an unreachable standalone master for about a minute; its port is tried
    first. One master of several answering is enough; other kinds of master are Spark's."""
    import socket

    port = _closed_port()
    with pytest.raises(EngineError) as refused:
        spark_engine._check_reachable(f"spark://127.0.0.1:{port}")
    assert refused.value.message == (
        f"cannot reach the Spark master spark://127.0.0.1:{port} "
        f"(127.0.0.1:{port}: Connection refused)"
    )
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        open_port = listening.getsockname()[1]
        spark_engine._check_reachable(f"spark://127.0.0.1:{port},127.0.0.1:{open_port}")
    for master in ("local[2]", "yarn", "k8s://https://127.0.0.1:1"):
        spark_engine._check_reachable(master)


@needs_spark
def test_an_audit_on_a_master_that_refuses_stops_before_spark_starts(tmp_path) -> None:
    """In a process of its own (this one's Spark session, once started, is kept)."""
    port = _closed_port()
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", str(RULES / "service-quality.yaml"),
         str(ROOT / "evidence" / "demo" / "service-quality"), "--out", str(tmp_path / "o"),
         "--engine", "spark", "--spark-master", f"spark://127.0.0.1:{port}"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"cannot reach the Spark master spark://127.0.0.1:{port}" in done.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def _child_processes(pid: int) -> list[int]:
    """The processes ``pid`` started (the JVM of its Spark session), as Linux lists them."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(n) for n in children.read_text().split()] if children.exists() else []


def _waited_for(ready: Callable[[int], bool], audit: subprocess.Popen[str]) -> bool:
    """Whether ``ready(its process id)`` came true while the audit ran (within 90 s)."""
    deadline = time.monotonic() + 90
    while audit.poll() is None and time.monotonic() < deadline:
        if ready(audit.pid):
            return True
        time.sleep(0.05)
    return False


def _stopped_spark_audit(tmp_path: Path, signum: int, ready: Callable[[int], bool]) -> list[int]:
    """A Spark audit of the demo in a process of its own, sent ``signum`` once ``ready(pid)``:
    stopped with the signal's one line and code, no output folder; its JVM's process ids."""
    out = tmp_path / "out"
    audit = subprocess.Popen(
        [sys.executable, "-m", "auditor", "audit", str(RULES / "special-service-monitoring.yaml"),
         str(ROOT / "evidence" / "demo" / "special-service-monitoring"), "--period", "2026-Q3",
         "--out", str(out), "--engine", "spark", "--format", "json"],
        cwd=ROOT, env={**os.environ, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert _waited_for(ready, audit), audit.stderr and audit.stderr.read()
        jvm = _child_processes(audit.pid)
        audit.send_signal(signum)
        _, stderr = audit.communicate(timeout=60)
    finally:
        audit.kill()
    name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
    assert stderr == (
        f"error: interrupted ({name}); nothing half-written was kept, run the command again\n"
    )
    assert audit.returncode == 128 + signum
    assert not out.exists()
    return jvm


def _gone(processes: list[int]) -> bool:
    """Whether the processes have all ended (within 30 s: a JVM takes a few to stop); those
    left are killed."""
    deadline = time.monotonic() + 30
    while left := [pid for pid in processes if Path(f"/proc/{pid}").exists()]:
        if time.monotonic() > deadline:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            return False
        time.sleep(0.2)
    return True


@needs_spark
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_spark_audit_stopped_by_a_signal_says_one_line(tmp_path, signum) -> None:
    """A signal taken while Spark runs the audit's statements: py4j logged the call it stopped
    ("ERROR:root:KeyboardInterrupt while sending command." and a traceback), and pyspark's own
    SIGINT handler called the JVM from inside that call (more tracebacks). Now: the one line,
    the exit code of the signal, no output folder, and the JVM gone with the process."""

    def session_up(
        audit: int,
    ) -> bool:  # the backend makes its Parquet folder once the session is up
        if not any(p.is_dir() for p in tmp_path.glob("auditor-spark-*")):
            return False
        time.sleep(1.5)  # the records exported, Spark answering the statements
        return True

    jvm = _stopped_spark_audit(tmp_path, signum, session_up)
    assert jvm
    assert _gone(jvm), "the JVM outlived the audit"


@needs_spark
def test_a_spark_audit_stopped_while_its_jvm_starts_leaves_no_jvm(tmp_path) -> None:
    """SIGTERM as soon as the JVM is there, before it has told pyspark where to reach it: the
    JVM, left with nowhere to write that, ran on after the audit had stopped."""
    jvm = _stopped_spark_audit(
        tmp_path, signal.SIGTERM, lambda audit: bool(_child_processes(audit))
    )
    assert jvm
    assert _gone(jvm), "the JVM outlived the audit"


@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None, reason="spark engine: pyspark is not installed"
)
def test_py4j_s_log_of_a_stopped_call_stays_off_the_root_logger(caplog) -> None:
    """py4j logs a call a signal stopped with ``logging.exception``: on the root logger, which
    printed "ERROR:root:KeyboardInterrupt while sending command." and a traceback. It is made
    on py4j's own logger, kept to critical messages."""
    import logging

    from py4j import java_gateway

    spark_engine._quiet_python_loggers()
    with caplog.at_level(logging.DEBUG):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            java_gateway.logging.exception("KeyboardInterrupt while sending command.")
        java_gateway.logging.info("Exception while sending command.", exc_info=True)
    assert caplog.records == []
    assert java_gateway.logging.DEBUG == logging.DEBUG  # the module's other names as they were
