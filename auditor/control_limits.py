"""Control-chart arithmetic: centre, limits and the Western Electric run rules over daily points.

Pure functions on numbers, shared by the batch ``control_chart`` measure and its
live rule, so both reach the same signal on the same day.

- p-chart (a share of conforming records): centre p̄ = conforming / judged over
  the baseline; a point of n records has sigma sqrt(p̄(1 - p̄) / n).
- X-bar chart (a mean): centre = the baseline's grand mean; s = the pooled
  within-period standard deviation sqrt(Σ(nᵢ - 1)sᵢ² / Σ(nᵢ - 1)); a point
  of n records has sigma s / sqrt(n).

Western Electric rules, on the adverse side only (``adverse`` -1: low points are
bad, +1: high points are bad):

1. one point beyond 3 sigma;
2. two of three consecutive points beyond 2 sigma (the point completing the
   pair is one of them);
3. eight consecutive points on the adverse side of the centre.

A rule fires at the point that completes its pattern; the signal names that
point and the points making the pattern (the first of them is where the drift
shows from). Points are read in order, so a live watch that adds one point as
each day closes reaches each signal on the day the batch audit names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

RUN_LENGTH = 8


@dataclass(frozen=True)
class Baseline:
    """The centre line and the sigma of a single record (a point of n has ``unit / sqrt(n)``)."""

    chart: str  # "p" or "xbar"
    centre: float
    unit: float
    n: int  # judged records in the baseline


@dataclass(frozen=True)
class Point:
    label: str
    n: int
    value: float
    centre: float
    sigma: float

    @property
    def z(self) -> float:
        """How many sigmas the point lies from the centre (±inf off a zero-width chart)."""
        gap = self.value - self.centre
        if self.sigma > 0:
            return gap / self.sigma
        return 0.0 if abs(gap) < 1e-12 else math.copysign(math.inf, gap)

    def limits(self, k: float) -> tuple[float, float]:
        return self.centre - k * self.sigma, self.centre + k * self.sigma

    def as_dict(self) -> dict[str, object]:
        lcl2, ucl2 = self.limits(2)
        lcl3, ucl3 = self.limits(3)
        return {
            "day": self.label,
            "n": self.n,
            "value": self.value,
            "centre": self.centre,
            "sigma": self.sigma,
            "lcl3": lcl3,
            "ucl3": ucl3,
            "lcl2": lcl2,
            "ucl2": ucl2,
        }


@dataclass(frozen=True)
class Signal:
    rule: int  # 1, 2 or 3
    at: int  # index of the point completing the pattern
    points: tuple[int, ...]  # indexes of the points making it, oldest first


def p_baseline(conforming: int, n: int) -> Baseline:
    p = conforming / n
    return Baseline("p", p, math.sqrt(p * (1 - p)), n)


def xbar_baseline(cells: list[tuple[int, float, float]]) -> Baseline:
    """From each baseline period's (n, mean, standard deviation)."""
    n = sum(c for c, _, _ in cells)
    grand = sum(c * mean for c, mean, _ in cells) / n
    freedom = sum(c - 1 for c, _, _ in cells)
    squares = sum((c - 1) * sd * sd for c, _, sd in cells)
    return Baseline("xbar", grand, math.sqrt(squares / freedom) if freedom > 0 else 0.0, n)


def point(baseline: Baseline, label: str, n: int, value: float) -> Point:
    return Point(label, n, value, baseline.centre, baseline.unit / math.sqrt(n))


def _beyond(z: float, adverse: int, k: float) -> bool:
    return z * adverse > k


def signals(points: list[Point], adverse: int) -> list[Signal]:
    """Every signal of the three rules, in the order of the points that complete them.

    A run of adverse points signals once under rule 3, when it reaches eight; rule 2
    does not signal again on the point right after one of its own signals.
    """
    zs = [p.z for p in points]
    found: list[Signal] = []
    run, last_two = 0, -2
    for i, z in enumerate(zs):
        run = run + 1 if _beyond(z, adverse, 0) else 0
        if _beyond(z, adverse, 3):
            found.append(Signal(1, i, (i,)))
        if _beyond(z, adverse, 2) and last_two != i - 1:
            beyond = tuple(j for j in range(max(0, i - 2), i + 1) if _beyond(zs[j], adverse, 2))
            if len(beyond) >= 2:
                found.append(Signal(2, i, beyond))
                last_two = i
        if run == RUN_LENGTH:
            found.append(Signal(3, i, tuple(range(i + 1 - RUN_LENGTH, i + 1))))
    return found


def first_signal(points: list[Point], adverse: int) -> Signal | None:
    found = signals(points, adverse)
    return found[0] if found else None
