"""Charts for the report, drawn by matplotlib into SVG text.

Text in the SVG stays text (``svg.fonttype: none``) in a CJK-capable font
family, so Chinese labels print as glyphs in the PDF and stay searchable.
Labels never overlap: a Pareto chart with many or long group names turns its
bars horizontal and names at most :data:`PARETO_BARS` groups (the rest in one
bar); legends sit outside the plotted area. Each line of a trend chart has its own colour,
marker and dash (:func:`series_style`), so no two lines of a chart look alike.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

FONT_FAMILY = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans", "sans-serif"]
STYLE: Any = {  # matplotlib rc settings
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": FONT_FAMILY,
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "auditor",
}
COLOURS = ["#1f5f8b", "#c8553d", "#588b5b", "#8c6bb1", "#d4a017", "#4d4d4d"]
#: a trend line's marker; five against six colours, so colour and marker both change from one
#: line to the next and repeat together only after 30 lines
MARKERS = ["o", "s", "^", "D", "v"]
#: a trend line's dash, changed after every 30 lines
DASHES = ["-", "--", ":", "-."]
#: this many lines of one chart are each drawn differently (colour, marker, dash)
SERIES_STYLES = len(COLOURS) * len(MARKERS) * len(DASHES)
#: a control chart's limits, the lower and upper line of each drawn alike: 3-sigma red and
#: solid, 2-sigma orange and dashed, told apart by colour and dash
LIMIT_STYLES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "limit3": ("lcl3", "ucl3", {"color": "#b3261e", "linestyle": "-", "linewidth": 1.1}),
    "limit2": ("lcl2", "ucl2", {"color": "#e08a1e", "linestyle": "--", "linewidth": 1.0}),
}
#: at most this many bars; the remaining groups are added up in one
PARETO_BARS = 15
#: vertical bars only for this many groups with names up to VERTICAL_NAME characters
VERTICAL_BARS = 8
VERTICAL_NAME = 8
NAME_LENGTH = 28


def _pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend, imported when a chart is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _svg(figure: Any) -> str:
    plt = _pyplot()
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # a label's glyph missing from matplotlib's font affects only its measured width; the
        # SVG keeps the text as text, and the PDF's missing font is reported once by the CLI
        # (matplotlib 3.10 on: "missing from font(s) X"; before: "missing from current font")
        warnings.filterwarnings("ignore", r"Glyph \d+ .*missing from (current )?font", UserWarning)
        figure.savefig(
            buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None}
        )
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _short(name: str) -> str:
    """A data value as a chart label: as written (no control characters, ``$`` not read as
    matplotlib's mathematics), and cut when long."""
    text = "".join(c if c.isprintable() else " " for c in str(name)).replace("$", r"\$")
    return text if len(text) <= NAME_LENGTH else text[: NAME_LENGTH - 1] + "…"


def _tick(period: str) -> str:
    """A period's label with its note (the days of a cut week, ``(1 Aug only)``) on a line
    of its own; a period's own name holds no bracket."""
    at = min((i for i in (period.find("("), period.find("（")) if i > 0), default=-1)
    return period if at < 0 else f"{period[:at].rstrip()}\n{period[at:]}"


def tick_decimals(ticks: Sequence[float]) -> int:
    """The fewest decimals of a percent that tell ``ticks`` (shares) apart: those of their
    step (1 % → 0, 0.5 % → 1, 0.02 % → 2)."""
    steps = [round((b - a) * 100, 9) for a, b in pairwise(ticks)]
    step = min((s for s in steps if s > 0), default=1.0)
    return next((d for d in range(6) if math.isclose(step * 10**d, round(step * 10**d))), 6)


def _share_axis(axis: Any) -> None:
    """A share's value axis: ticks a nice step apart (1, 2 or 5 times a power of ten), each
    labelled with the decimals the step needs, so no two read alike (97.5%, 98.0%)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    def label(value: float, _: Any) -> str:
        return f"{value * 100:.{tick_decimals(axis.get_majorticklocs())}f}%"

    axis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10]))
    axis.set_major_formatter(FuncFormatter(label))


def series_style(index: int) -> dict[str, str]:
    """The colour, marker and dash of a chart's line ``index``: different for each of the
    first :data:`SERIES_STYLES` lines (colour and marker by the remainders of the coprime 6 and
    5, the dash by each 30 lines after)."""
    pairs = len(COLOURS) * len(MARKERS)
    return {
        "color": COLOURS[index % len(COLOURS)],
        "marker": MARKERS[index % len(MARKERS)],
        "linestyle": DASHES[index // pairs % len(DASHES)],
    }


def trend_figure(
    series: dict[str, list[tuple[str, float | None]]],
    target: float | None,
    share: bool,
    title: str,
    target_label: str,
    y_label: str = "",
) -> Any:
    """One line per group across periods, each drawn in its own colour, marker and dash
    (:func:`series_style`), the target dashed; the legend right of the plot."""
    plt = _pyplot()
    labels: list[str] = []
    for points in series.values():
        for label, _ in points:
            if label not in labels:
                labels.append(label)
    labels.sort()
    with plt.rc_context(STYLE):
        figure, axis = plt.subplots(figsize=(6.2, 2.4))
        for index, (name, points) in enumerate(sorted(series.items())):
            xs = [labels.index(label) for label, value in points if value is not None]
            ys = [value for _, value in points if value is not None]
            axis.plot(xs, ys, linewidth=1.5, label=_short(name), **series_style(index))
        if target is not None:
            axis.axhline(target, linestyle="--", linewidth=1.4, color="#b3261e", label=target_label)
        axis.set_xticks(range(len(labels)), [_tick(label) for label in labels])
        if len(labels) > 6:
            plt.setp(axis.get_xticklabels(), rotation=90)
        if share:
            _share_axis(axis.yaxis)
        if y_label:
            axis.set_ylabel(y_label)
        axis.set_title(title, fontsize=9, loc="left")
        axis.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        axis.grid(axis="y", linewidth=0.3)
    return figure


def trend_svg(
    series: dict[str, list[tuple[str, float | None]]],
    target: float | None,
    share: bool,
    title: str,
    target_label: str,
    y_label: str = "",
) -> str:
    plt = _pyplot()
    with plt.rc_context(STYLE):
        return _svg(trend_figure(series, target, share, title, target_label, y_label))


def pareto_bars(counts: list[tuple[str, int]], other_label: str) -> list[tuple[str, int]]:
    """Groups with failures, largest first; beyond :data:`PARETO_BARS` added up in one bar."""
    ordered = sorted(((n, c) for n, c in counts if c > 0), key=lambda item: (-item[1], item[0]))
    if len(ordered) <= PARETO_BARS:
        return ordered
    head, rest = ordered[: PARETO_BARS - 1], ordered[PARETO_BARS - 1 :]
    return [*head, (other_label.format(n=len(rest)), sum(c for _, c in rest))]


def pareto_figure(
    counts: list[tuple[str, int]],
    title: str,
    y_label: str,
    cumulative_label: str = "cumulative share",
    other_label: str = "{n} other groups",
) -> Any:
    """Failures per group, largest first, with the cumulative share; groups without failures left out."""
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    plt = _pyplot()
    bars = pareto_bars(counts, other_label)
    total = sum(c for _, c in bars) or 1
    names = [_short(name) for name, _ in bars]
    values = [count for _, count in bars]
    shares, running = [], 0
    for value in values:
        running += value
        shares.append(running / total)
    vertical = (
        len(bars) <= VERTICAL_BARS and max((len(n) for n in names), default=0) <= VERTICAL_NAME
    )
    with plt.rc_context(STYLE):
        if vertical:
            figure, axis = plt.subplots(figsize=(6.2, 2.4))
            axis.bar(range(len(values)), values, color=COLOURS[0])
            axis.set_xticks(range(len(names)), names)
            axis.set_ylabel(y_label)
            axis.yaxis.set_major_locator(MaxNLocator(integer=True))
            cumulative = axis.twinx()
            cumulative.plot(range(len(values)), shares, color=COLOURS[1], marker="o", linewidth=1.2)
            cumulative.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            cumulative.set_ylim(0, 1.05)
            cumulative.set_ylabel(cumulative_label)
            cumulative.spines["top"].set_visible(False)
        else:
            figure, axis = _horizontal(names, values, shares, y_label)
        axis.set_title(title, fontsize=9, loc="left")
    return figure


def _horizontal(names: list[str], values: list[int], shares: list[float], x_label: str) -> Any:
    """Horizontal bars, largest on top, each labelled with its count and cumulative share."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    height = max(1.6, 0.22 * len(names) + 0.8)
    figure, axis = plt.subplots(figsize=(6.2, height))
    positions = list(range(len(names)))[::-1]
    axis.barh(positions, values, color=COLOURS[0], height=0.7)
    axis.set_yticks(positions, names)
    axis.set_xlabel(x_label)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    top = max(values, default=1)
    axis.set_xlim(0, top * 1.3)
    for y, value, share in zip(positions, values, shares, strict=True):
        axis.text(
            value + top * 0.02, y, f"{value:,} · {share_text(share)}", va="center", fontsize=7
        )
    return figure, axis


def share_text(share: float) -> str:
    """A cumulative share as a bar's label: whole percent, but never 100 % before the total;
    a share that would round to it shows one decimal (99.6 %), and 99.9 % past that."""
    for text in (f"{share:.0%}", f"{share:.1%}"):
        if share >= 1 or not text.startswith("100"):
            return text
    return "99.9%"


def pareto_svg(
    counts: list[tuple[str, int]],
    title: str,
    y_label: str,
    cumulative_label: str = "cumulative share",
    other_label: str = "{n} other groups",
) -> str:
    plt = _pyplot()
    with plt.rc_context(STYLE):
        return _svg(pareto_figure(counts, title, y_label, cumulative_label, other_label))


def control_figure(
    points: list[dict[str, Any]],
    signals: list[int],
    share: bool,
    labels: dict[str, str],
    scale: float = 1.0,
) -> Any:
    """A control chart: each day's point, the centre line, 2- and 3-sigma limits (steps, as they
    vary with each day's n; :data:`LIMIT_STYLES`), the points of a signal ringed; the legend
    right of the plot.

    ``points`` carry ``day``, ``value``, ``centre``, ``lcl2``/``ucl2``, ``lcl3``/``ucl3``;
    ``signals`` are indexes of the points making a signal; ``labels`` name the title, the
    centre, the two limits, the signal points and the value axis.
    """
    plt = _pyplot()
    xs = list(range(len(points)))

    def line(name: str) -> list[float]:
        values = [p[name] / scale for p in points]
        if share and name != "value":  # a share's limits stop at 0 % and 100 %
            values = [min(1.0, max(0.0, v)) for v in values]
        return values

    with plt.rc_context(STYLE):
        figure, axis = plt.subplots(figsize=(6.2, 2.6))
        axis.plot(
            xs,
            line("value"),
            marker="o",
            markersize=3,
            linewidth=1.2,
            color=COLOURS[0],
            label=labels["value"],
        )
        axis.step(
            xs, line("centre"), where="mid", linewidth=1.0, color="#4d4d4d", label=labels["centre"]
        )
        for name, (low, high, style) in LIMIT_STYLES.items():
            axis.step(xs, line(low), where="mid", label=labels[name], **style)
            axis.step(xs, line(high), where="mid", **style)
        if signals:
            axis.scatter(
                [xs[i] for i in signals],
                [points[i]["value"] / scale for i in signals],
                s=46,
                facecolors="none",
                edgecolors="#b3261e",
                linewidths=1.4,
                zorder=3,
                label=labels["signal"],
            )
        step = max(1, len(points) // 12)
        axis.set_xticks(
            xs[::step], [p["day"][5:] if len(p["day"]) == 10 else p["day"] for p in points[::step]]
        )
        plt.setp(axis.get_xticklabels(), rotation=90)
        if share:
            _share_axis(axis.yaxis)
        if labels.get("y"):
            axis.set_ylabel(labels["y"])
        axis.set_title(labels["title"], fontsize=9, loc="left")
        axis.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        axis.grid(axis="y", linewidth=0.3)
    return figure


def control_svg(
    points: list[dict[str, Any]],
    signals: list[int],
    share: bool,
    labels: dict[str, str],
    scale: float = 1.0,
) -> str:
    plt = _pyplot()
    with plt.rc_context(STYLE):
        return _svg(control_figure(points, signals, share, labels, scale))
