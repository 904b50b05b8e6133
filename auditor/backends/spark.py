"""The Spark backend: the same statements, run by Apache Spark over the evidence as Parquet.

The evidence store stays the record of what was ingested. This backend
exports each of its tables as Parquet into a temporary folder (or reads a
folder the user exported earlier with ``auditor evidence export``), registers
every file as a temporary view named after its table, and answers every
statement an evaluation composes, rendered for Spark SQL by sqlglot. Nothing
about a rule is written twice.

Spark runs in local mode (``local[2]``) unless a master is given (the
``--spark-master`` option, or ``spark.master`` in Spark's own configuration:
``spark-defaults.conf``, ``PYSPARK_SUBMIT_ARGS``). pyspark is imported here
only, when the engine is chosen; Spark's logging is kept to errors and its
progress bars off, so that the console shows the audit's own lines.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import warnings
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, EvidenceError, Location
from ..expression import quote_identifier as q
from ..interrupts import handlers_kept, held
from .base import HelperTable
from .facts import StatementFacts
from .statement import Statement

if TYPE_CHECKING:
    from .store import EvidenceStore

#: the master of a session started without one in the options or Spark's configuration
DEFAULT_MASTER = "local[2]"
#: how long a cluster's executors may take to run a first tiny job before the master counts as down
CLUSTER_TIMEOUT_SECONDS = 120
INSTALL_HINT = (
    "pip install 'auditor[spark]' (pyspark) and a Java 17 runtime "
    "(Debian: apt-get install openjdk-17-jre-headless)"
)
#: Spark's own logging: errors only, on stderr, and no banner
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark: %p %c{1}: %m%n
"""
_SQL_TYPES = {"REAL": "DOUBLE", "FLOAT": "DOUBLE", "INTEGER": "BIGINT", "TEXT": "STRING"}


class SparkBackend(StatementFacts):
    """Evaluation in Spark SQL over Parquet copies of an evidence store's tables."""

    dialect = "spark"

    def __init__(
        self, store: EvidenceStore, master: str | None = None, parquet: str | None = None
    ) -> None:
        self.store = store
        self.spark = spark_session(master)
        self._folder: Path | None = None
        #: the views this backend registered: the session's catalog also holds those of
        #: backends before it (another store's tables, whose files may be gone)
        self._views: set[str] = set()
        if parquet is None and store.export_folder is not None:
            # a store rebuilt from an export: its records read where they are, its own small
            # tables from the store (their file names are those the findings give)
            self._register(store.export_folder, own_tables_from_store=True)
            return
        if parquet is None:
            from ..export import export_tables

            self._folder = Path(tempfile.mkdtemp(prefix="auditor-spark-"))
            weakref.finalize(self, shutil.rmtree, self._folder, True)
            export_tables(store, self._folder)
            source = self._folder
        else:
            source = Path(parquet)
        self._register(source)

    def _register(self, folder: Path, own_tables_from_store: bool = False) -> None:
        """Every table of the store as a temporary view of its Parquet file in ``folder`` (the
        manifest and the quarantine from the store's rows, if ``own_tables_from_store``)."""
        from ..export import META_FILES, file_stem

        for table in self.store.table_names():
            if own_tables_from_store and table in META_FILES:
                self._register_rows(table)
                continue
            path = folder / f"{file_stem(table)}.parquet"
            if not path.is_file():
                raise EvidenceError(
                    f"no Parquet file for table '{table}'",
                    location=Location(str(path)),
                    hint="export the store with 'auditor evidence export --format parquet'",
                )
            frame = self.spark.read.parquet(str(path.resolve()))
            _check_schema(frame, self.store.arrow_schema(table), path)
            frame.createOrReplaceTempView(table)
            self._views.add(table)

    def _register_rows(self, table: str) -> None:
        """A small table of the store as a view of its rows, sent from here (nothing for the
        cluster to read from this machine's disk)."""
        schema = self.store.arrow_schema(table)
        kinds = {"int64": "INTEGER", "double": "REAL"}
        columns = tuple((f.name, kinds.get(str(f.type), "TEXT")) for f in schema)
        rows = tuple(tuple(row[f.name] for f in schema) for row in self.store.db[table].rows)
        self.create_helper(HelperTable(table, columns, rows))

    # ------------------------------------------------------------ Backend

    def query(self, statement: Statement) -> list[tuple[Any, ...]]:
        text = statement.render(self.dialect)
        rows = self.spark.sql(text, args=statement.params or None).collect()
        return [tuple(row) for row in rows]

    def create_helper(self, table: HelperTable) -> None:
        schema = ", ".join(
            f"{q(column)} {_SQL_TYPES.get(kind.upper(), kind)}" for column, kind in table.columns
        )
        rows = [
            tuple(_typed(v, kind) for v, (_, kind) in zip(row, table.columns, strict=True))
            for row in table.rows
        ]
        frame = self.spark.createDataFrame(rows, schema=schema.replace('"', "`"))
        frame.createOrReplaceTempView(table.name)
        self._views.add(table.name)

    def has_table(self, name: str) -> bool:
        """Whether this backend registered a view ``name`` (the session may hold another
        backend's view of that name, left when it closed)."""
        return name in self._views

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def _typed(value: Any, kind: str) -> Any:
    """A helper table's value as the Python type Spark expects for its column type."""
    if value is None:
        return None
    upper = kind.upper()
    if upper in ("REAL", "FLOAT"):
        return float(value)
    if upper == "INTEGER":
        return int(value)
    return value


def _check_schema(frame: Any, wanted: Any, path: Path) -> None:
    """Stop, naming the column, when a Parquet file's columns do not fit its table."""

    spark_names = {"int64": "bigint", "double": "double", "string": "string"}
    have = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
    for field in wanted:
        expected = spark_names.get(str(field.type), str(field.type))
        if field.name not in have:
            raise EvidenceError(
                f"column '{field.name}' is missing from the Parquet file",
                location=Location(str(path)),
                hint="export the store again with 'auditor evidence export'",
            )
        found = have[field.name]
        fits = found == expected or (
            expected == "bigint" and found in ("int", "smallint", "tinyint")
        )
        if not fits:  # a float (float32) time is rounded by up to a minute: refused too
            raise EvidenceError(
                f"column '{field.name}' is {found} in the Parquet file, the evidence kind needs "
                f"{expected}",
                location=Location(str(path)),
                hint="export the store again with 'auditor evidence export'",
            )


_SESSION: Any = None
#: the Java side's log of each session started in this process, removed when it stops
_LOGS: list[Path] = []


def spark_session(master: str | None = None) -> Any:
    """The process's one Spark session, started on first use (quiet, UI off, few partitions).

    ``master`` wins; then Spark's own configuration (``spark.master`` in
    ``spark-defaults.conf``, ``--master`` in ``PYSPARK_SUBMIT_ARGS``); then ``local[2]``.
    The JVM's own console output goes to a log file, not to the audit's console.
    """
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    try:
        from pyspark import SparkConf
    except ImportError:
        raise EngineError(
            "the spark engine needs pyspark, which is not installed", hint=INSTALL_HINT
        ) from None
    if shutil.which("java") is None and not _java_home():
        raise EngineError(
            "the spark engine needs a Java runtime (17 or later), none was found",
            hint=INSTALL_HINT,
        )
    if master:
        _check_reachable(master)
    _quiet_python_loggers()
    folder = Path(tempfile.gettempdir())
    log_file = folder / f"auditor-spark-{os.getpid()}.log"
    chosen = master or ("" if _configured_master() else DEFAULT_MASTER)
    conf = _spark_conf(SparkConf(), chosen, folder)
    where = chosen or "as configured"
    try:
        session = _started_session(conf, log_file)
        session.sparkContext.setLogLevel("ERROR")
        _check_cluster(session)
    except Exception as exc:  # the JVM did not start, the master did not answer
        _stop_context()
        raise EngineError(
            f"cannot start Spark (master {where}): {_logged_reason(log_file) or _first_line(exc)}",
            hint=f"check --spark-master and that the cluster is reachable; Spark's log: {log_file}",
        ) from None
    _SESSION = session
    _LOGS.append(log_file)
    atexit.register(stop_session)
    return session


def _started_session(conf: Any, log_file: Path) -> Any:
    """A session on a JVM started for it, its console output in ``log_file``; Ctrl-C and
    SIGTERM stop the start with no more than the command's one line, and no JVM left running.

    The JVM ends when this process does once it has told pyspark where to reach it
    (it then waits for the end of its input, a pipe from here); a signal is held until
    then, or the JVM, told nowhere, would run on. The SparkContext's SIGINT
    handler, made for an interactive shell, is not kept, and the warning pyspark
    gives when the context an interrupt stopped half-made cannot stop cleanly is not
    shown.
    """
    from pyspark import SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    with handlers_kept(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unable to cleanly shutdown Spark JVM", RuntimeWarning)
        with held(), log_file.open("wb") as log:
            gateway = launch_gateway(conf, popen_kwargs={"stdout": log, "stderr": log})
        SparkContext._ensure_initialized(gateway=gateway, conf=conf)
        return SparkSession.builder.config(conf=conf).getOrCreate()


def _spark_conf(conf: Any, master: str, folder: Path) -> Any:
    """``conf`` for the audit's session: ``master`` (none: Spark's own configuration), UI off,
    two shuffle partitions, UTC, and the JVM's logging set by a file written in ``folder``."""
    log_config = folder / "auditor-spark-log4j2.properties"
    log_config.write_text(_LOG4J2, encoding="utf-8")
    if master:
        conf.setMaster(master)
    conf.setAppName("auditor")
    for key, value in {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{log_config}",
    }.items():
        conf.set(key, value)
    return conf


#: how long a standalone master's port is given to accept a connection before Spark is started
REACH_TIMEOUT_SECONDS = 5


def _check_reachable(master: str) -> None:
    """A standalone master (``spark://host:port``, or several for high availability) of which
    no port accepts a connection is one line at once: Spark itself retries for about a
    minute before giving up. Other masters (local, YARN, Kubernetes) are left to Spark."""
    import socket
    from urllib.parse import urlsplit

    if not master.startswith("spark://"):
        return
    places = master.removeprefix("spark://").split(",")
    reasons = []
    for place in places:
        parts = urlsplit(f"spark://{place}")
        try:
            host, port = parts.hostname, parts.port or 7077
        except ValueError:  # a port that is not a number: Spark says so itself
            return
        try:
            with socket.create_connection((host or "", port), timeout=REACH_TIMEOUT_SECONDS):
                return
        except OSError as exc:
            reasons.append(f"{host}:{port}: {exc.strerror or exc}")
    raise EngineError(
        f"cannot reach the Spark master {master} ({'; '.join(reasons)})",
        hint="check --spark-master (spark://host:port) and that the master is running and "
        "reachable from here",
    )


def _check_cluster(session: Any) -> None:
    """A tiny job on the executors, so that a master that does not answer fails here, not mid-audit."""
    import threading

    context = session.sparkContext
    if context.master.startswith("local"):
        return
    outcome: list[BaseException | None] = []

    def job() -> None:
        try:
            context.setJobGroup("auditor-check", "is the cluster there", True)
            context.parallelize([1], 1).count()
            outcome.append(None)
        except Exception as exc:
            outcome.append(exc)

    runner = threading.Thread(target=job, daemon=True)
    runner.start()
    runner.join(CLUSTER_TIMEOUT_SECONDS)
    if not outcome:
        context.cancelJobGroup("auditor-check")
        raise TimeoutError(f"no executor answered within {CLUSTER_TIMEOUT_SECONDS} s")
    if outcome[0] is not None:
        raise outcome[0]


def _quiet_python_loggers() -> None:
    """pyspark's own loggers print every failed query's plan, py4j's every call a signal stopped;
    the audit reports its errors, and its interrupts, itself."""
    from py4j import java_gateway
    from pyspark.logger import PySparkLogger

    logging.getLogger("py4j").setLevel(logging.CRITICAL)
    if not isinstance(java_gateway.logging, _LoggingOnLogger):
        java_gateway.logging = _LoggingOnLogger(java_gateway.logger)
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


#: the logging module's functions that log on the root logger
_ROOT_LOGGER_CALLS = frozenset(
    {"debug", "info", "warning", "error", "exception", "critical", "log"}
)


class _LoggingOnLogger:
    """The ``logging`` module as py4j's ``java_gateway`` sees it, its root-logger calls made on
    its own logger.

    py4j logs a call that Ctrl-C or SIGTERM stopped with ``logging.exception``, on
    the root logger: with no handler there, that call first sets one up on stderr
    (``logging.basicConfig``) and prints "ERROR:root:..." and a traceback, which
    no level on py4j's loggers holds back. Made on ``py4j.java_gateway``'s logger
    instead, it is held back by that logger's level, and the root logger is left
    as it was.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def __getattr__(self, name: str) -> Any:
        return getattr(self.logger if name in _ROOT_LOGGER_CALLS else logging, name)


def _configured_master() -> bool:
    """Whether Spark's own configuration names a master (spark-defaults.conf, PYSPARK_SUBMIT_ARGS)."""
    if "--master" in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        return True
    for folder in (os.environ.get("SPARK_CONF_DIR"), _spark_home_conf()):
        if folder is None:
            continue
        defaults = Path(folder, "spark-defaults.conf")
        if defaults.is_file():
            for line in defaults.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.split() and line.split()[0] == "spark.master":
                    return True
    return False


def _spark_home_conf() -> str | None:
    home = os.environ.get("SPARK_HOME")
    return str(Path(home, "conf")) if home else None


def stop_session() -> None:
    """Stop the process's Spark session (a later backend starts a new one), and remove the
    log of a session that started (that of one that did not is named in its error, and kept)."""
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None
    while _LOGS:
        _LOGS.pop().unlink(missing_ok=True)


def _stop_context() -> None:
    """Stop a half-started context, so that a later attempt starts afresh."""
    try:
        from pyspark import SparkContext

        if SparkContext._active_spark_context is not None:
            SparkContext._active_spark_context.stop()
    except Exception:  # pragma: no cover - nothing more to clean up
        pass


def _java_home() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(home) and Path(str(home), "bin", "java").exists()


def _logged_reason(log_file: Path) -> str | None:
    """Why Spark gave up, as its log says (e.g. "All masters are unresponsive! Giving up.")."""
    try:
        lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    reasons = [line.split("Reason: ", 1)[1].strip() for line in lines if "Reason: " in line]
    return reasons[-1] if reasons else None


def _first_line(exc: BaseException) -> str:
    """The gist of an error from Spark: the Java exception's message when there is one."""
    import re

    lines = str(exc).strip().splitlines()
    for line in lines:
        found = re.match(r"[\s:]*(?:[\w$]+\.)+[\w$]+(?:Exception|Error): (.+)", line)
        if found:
            return found.group(1).strip()
    return lines[0] if lines else type(exc).__name__
