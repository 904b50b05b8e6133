"""Start-up time of the command line: ``auditor --help`` beside ``python -c pass``.

Run: .venv/bin/python benchmarks/startup.py [--runs 10]

Prints the median wall time of each over the runs, interleaved, and the ratio.
The target is ``auditor --help`` under 0.3 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "auditor --help": [str(BIN / "auditor"), "--help"],
        "python -m auditor --help": [sys.executable, "-m", "auditor", "--help"],
        "import auditor (lazy)": [sys.executable, "-c", "import auditor"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(wall(command))
    baseline = statistics.median(times["python -c pass"])
    print(f"median of {runs} runs (interleaved)")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<26} {median * 1000:7.1f} ms   {median / baseline:5.1f}x python -c pass")
    verdict = "meets" if statistics.median(times["auditor --help"]) < 0.3 else "misses"
    print(f"auditor --help {verdict} the 0.3 s target")


if __name__ == "__main__":
    main()
