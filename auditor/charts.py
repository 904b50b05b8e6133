"""Charts for the report, drawn by matplotlib into SVG text.

Text in the SVG stays text (``svg.fonttype: none``) in a CJK-capable font
family, so Chinese labels print as glyphs in the PDF and stay searchable.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator, PercentFormatter

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


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(
        buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None}
    )
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def trend_svg(
    series: dict[str, list[tuple[str, float | None]]],
    target: float | None,
    share: bool,
    title: str,
    target_label: str,
) -> str:
    """One line per group across periods, with the target as a dashed line."""
    with plt.rc_context(STYLE):
        figure, axis = plt.subplots(figsize=(5.6, 2.3))
        labels: list[str] = []
        for points in series.values():
            for label, _ in points:
                if label not in labels:
                    labels.append(label)
        for index, (name, points) in enumerate(sorted(series.items())):
            xs = [labels.index(label) for label, value in points if value is not None]
            ys = [value for _, value in points if value is not None]
            axis.plot(
                xs, ys, marker="o", linewidth=1.5, color=COLOURS[index % len(COLOURS)], label=name
            )
        if target is not None:
            axis.axhline(target, linestyle="--", linewidth=1.4, color="#b3261e", label=target_label)
        axis.set_xticks(range(len(labels)), labels)
        if share:
            axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axis.set_title(title, fontsize=9, loc="left")
        axis.legend(fontsize=7, frameon=False, loc="best")
        axis.grid(axis="y", linewidth=0.3)
        return _svg(figure)


def pareto_svg(counts: list[tuple[str, int]], title: str, y_label: str) -> str:
    """Failures per group, largest first, with the cumulative share."""
    ordered = sorted(counts, key=lambda item: (-item[1], item[0]))
    total = sum(c for _, c in ordered) or 1
    with plt.rc_context(STYLE):
        figure, axis = plt.subplots(figsize=(5.6, 2.3))
        names = [name for name, _ in ordered]
        values = [count for _, count in ordered]
        axis.bar(range(len(values)), values, color=COLOURS[0])
        axis.set_xticks(range(len(names)), names)
        axis.set_ylabel(y_label)
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
        cumulative = axis.twinx()
        running, shares = 0, []
        for value in values:
            running += value
            shares.append(running / total)
        cumulative.plot(range(len(values)), shares, color=COLOURS[1], marker="o", linewidth=1.2)
        cumulative.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        cumulative.set_ylim(0, 1.05)
        cumulative.spines["top"].set_visible(False)
        axis.set_title(title, fontsize=9, loc="left")
        return _svg(figure)
