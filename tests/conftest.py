"""Shared fixtures: paths, packs, an evidence store per backend, the demo audit, a CLI runner."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

# Property tests judge behaviour, not speed: no per-example deadline (a loaded CI
# machine must not turn a slow example into a failure), a fixed number of examples,
# and no health check that fails on slow data generation.
settings.register_profile(
    "auditor",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=False,
)
settings.load_profile("auditor")

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
STANDARDS = ROOT / "standards"
TEST_PACKS = Path(__file__).resolve().parent / "packs"
#: the shipped rule packs (rules/x.yaml), without their test files (rules/x.tests.yaml)
SHIPPED_PACKS = sorted(p for p in RULES.glob("*.yaml") if not p.name.endswith(".tests.yaml"))


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def standards_dir() -> Path:
    return STANDARDS


@pytest.fixture
def shipped_packs() -> list[Path]:
    return SHIPPED_PACKS


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def write_pack(tmp_path: Path):
    """Write pack text into a temporary rules/ folder and return its path."""

    def write(text: str, name: str = "pack.yaml") -> Path:
        folder = tmp_path / "rules"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


BACKENDS = [
    "sqlite",
    "duckdb",
]  # every engine the store fixture runs on; the same tests run on each


def _spark_missing() -> str | None:
    """Why the spark engine cannot run here (pyspark or a Java runtime absent), or None."""
    import importlib.util
    import os
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (apt-get install openjdk-17-jre-headless)"
    return None


SPARK_MISSING = _spark_missing()
needs_spark = pytest.mark.skipif(SPARK_MISSING is not None, reason=f"spark engine: {SPARK_MISSING}")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The test session's one Spark session (local[2], UI off, two shuffle partitions)."""
    if SPARK_MISSING is not None:
        pytest.skip(f"spark engine: {SPARK_MISSING}")
    from auditor.backends import spark as engine

    session = engine.spark_session()
    for key, value in SPARK_TEST_CONF.items():
        session.conf.set(key, value)
    yield session
    engine.stop_session()


#: Spark settings for the tests' small evidence: about a quarter less time per audit
#: (one shuffle partition, no adaptive re-planning, no whole-stage code generation, each
#: of which pays off only on large data). The audits run by the command line in the
#: tests (its own JVM) keep Spark's defaults, as a user's do.
SPARK_TEST_CONF = {
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that run Spark come first: when the suite runs on several workers (pytest-xdist),
    the longest tests start at once and the others share out the rest beside them."""
    on_spark = {item for item in items if _runs_spark(item)}
    items.sort(key=lambda item: item not in on_spark)  # a stable sort: each part keeps its order


def _runs_spark(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return "spark" in fixtures or any(
        mark == needs_spark.mark for mark in item.iter_markers("skipif")
    )


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    """An empty in-memory evidence store evaluated on each engine, closed after the test."""
    from auditor.backends.store import EvidenceStore

    opened = EvidenceStore(None, engine=request.param)
    yield opened
    opened.close()


@pytest.fixture
def cn_data_to_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    """chinesecalendar with holiday data up to 2026 and no later (a newer release may know 2027)."""
    import chinese_calendar
    from chinese_calendar import utils

    kept = {day: name for day, name in chinese_calendar.holidays.items() if day.year <= 2026}
    monkeypatch.setattr(chinese_calendar, "holidays", kept)
    monkeypatch.setattr(utils, "holidays", kept)


@pytest.fixture
def pack() -> Callable[[str], Any]:
    """Load a pack by name: a test pack (tests/packs/NAME.yaml) or a shipped one (rules/NAME.yaml)."""
    from auditor.pack import load_pack

    def load(name: str) -> Any:
        path = TEST_PACKS / f"{name}.yaml"
        if not path.exists():
            path = RULES / f"{name}.yaml"
        return _cached_pack(str(path), load_pack)

    return load


_PACKS: dict[str, Any] = {}


def _cached_pack(path: str, loader: Callable[..., Any]) -> Any:
    if path not in _PACKS:
        _PACKS[path] = loader(path, [STANDARDS])
    return _PACKS[path]


@pytest.fixture(scope="session")
def demo_audit(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The service-quality demo audited for 2026-Q3 (findings.json and store; no reports)."""
    from auditor.audit import run_audit

    out = tmp_path_factory.mktemp("demo-audit")
    return run_audit(
        RULES / "service-quality.yaml",
        ROOT / "evidence" / "demo" / "service-quality",
        out,
        "2026-Q3",
    )


@pytest.fixture(scope="session")
def monthly_audits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, str, Path]]:
    """The service-quality demo audited for July and for August."""
    import hashlib

    from auditor.audit import run_audit
    from auditor.findings.contract import FindingsDocument

    found = {}
    for month in ("2026-07", "2026-08"):
        out = tmp_path_factory.mktemp(month)
        run_audit(
            RULES / "service-quality.yaml",
            ROOT / "evidence" / "demo" / "service-quality",
            out,
            month,
        )
        path = out / "findings.json"
        found[month] = (
            FindingsDocument.load(path),
            hashlib.sha256(path.read_bytes()).hexdigest(),
            path,
        )
    return found


def json_pairs(node: object, key: str = ""):
    """Every (key, text) in a JSON tree: a string value, or a string in a list, under its key."""
    if isinstance(node, str):
        yield key, node
    elif isinstance(node, dict):
        for name, value in node.items():
            yield from json_pairs(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from json_pairs(value, key)


@pytest.fixture
def local_zone():
    """Set the machine's zone (``TZ``) for the test, and put it back after."""
    before = os.environ.get("TZ")

    def set_zone(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield set_zone
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt during the test, as in a terminal: a test that sends
    itself Ctrl-C must not depend on how it was started (a job started in the background
    of a non-interactive shell begins with SIGINT ignored)."""
    import signal

    earlier = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, earlier)
