"""Where one audit's time goes: ingest, opening the engine, evaluation, files.

Runs ``run_audit`` once in this process on an evidence folder (one that
``benchmarks/engines.py --keep`` wrote, say) and prints the wall seconds of
each phase, timed by wrapping the library's own functions, and the peak RSS.
Run it for two checkouts in turn (``PYTHONPATH``) to compare them phase by
phase; the machine's spread from run to run is several seconds at 10M, so
interleave a few runs of each.

    PYTHONPATH=. .venv/bin/python benchmarks/audit_phases.py /tmp/bench/10m [--engine duckdb]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import auditor.audit as audit
from auditor.backends import duckdb as duckdb_backend

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "rules" / "service-quality.yaml"
PERIOD = "2026-Q3"


def timed(seconds: dict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("evidence", type=Path)
    parser.add_argument("--engine", default="duckdb")
    args = parser.parse_args()
    seconds: dict[str, float] = {}
    audit.ingest = timed(seconds, "ingest", audit.ingest)
    backend = duckdb_backend.DuckdbBackend
    # opening the DuckDB backend: the manifest beside the records (a copy of a store that
    # keeps its records in SQLite)
    backend.__init__ = timed(seconds, "open", backend.__init__)  # type: ignore[method-assign]
    audit.evaluate = timed(seconds, "evaluate", audit.evaluate)
    with tempfile.TemporaryDirectory(prefix="audit-phases-") as out:
        started = time.perf_counter()
        audit.run_audit(
            PACK, args.evidence, out, period=PERIOD, engine=args.engine, max_quarantine=1.0
        )
        seconds["total"] = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shown = ", ".join(f"{name} {value:.2f} s" for name, value in seconds.items())
    print(f"{args.engine}: {shown}; peak {peak:.0f} MB")


if __name__ == "__main__":
    main()
