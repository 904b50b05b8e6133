"""A PDF written where no font prints Chinese gets one warning line, never matplotlib's stream
of glyph warnings (found on a fresh machine that had not run ./run's set-up)."""

from __future__ import annotations

import contextlib
import stat
import warnings
from pathlib import Path

import pytest

from auditor import charts
from auditor.report import fonts


def _fake_fc_list(folder: Path, printed: str, code: int = 0) -> None:
    script = folder / "fc-list"
    script.write_text(f"#!/bin/sh\nprintf '%s' '{printed}'\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize(
    ("printed", "code", "expected"),
    [("Noto Sans CJK SC\n", 0, True), ("", 0, False), ("\n", 0, False), ("x", 1, None)],
)
def test_fontconfig_is_asked_for_a_chinese_font(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, printed: str, code: int, expected: bool | None
) -> None:
    _fake_fc_list(tmp_path, printed, code)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert fonts.chinese_font_installed() is expected
    warning = fonts.missing_font_warning()
    assert (warning is not None) == (expected is False)
    if warning:
        assert "fonts-noto-cjk" in warning and "\n" not in warning


def test_without_fontconfig_nothing_is_claimed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no fc-list
    assert fonts.chinese_font_installed() is None
    assert fonts.missing_font_warning() is None


def test_charts_with_chinese_labels_and_no_chinese_font_raise_no_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(charts.STYLE, "font.sans-serif", ["DejaVu Sans"])  # no CJK glyphs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = charts.pareto_svg([("上海", 5), ("北京", 3)], "帕累托图", "不符合数")
        trend = charts.trend_svg({"上海": [("2026-07", 0.9), ("2026-08", 0.95)]}, 0.95, True,
                                 "趋势", "目标")  # fmt: skip
    assert "上海" in svg and "帕累托图" in svg and "趋势" in trend  # text stays text


def test_other_matplotlib_warnings_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    plt = charts._pyplot()

    def warn_on_save(*args: object, **kwargs: object) -> None:
        warnings.warn("something else", UserWarning, stacklevel=1)

    figure = plt.figure()
    monkeypatch.setattr(figure, "savefig", warn_on_save)
    # nothing is written, so there is no <svg to cut at (ValueError)
    with pytest.warns(UserWarning, match="something else"), contextlib.suppress(ValueError):
        charts._svg(figure)


@pytest.mark.parametrize(
    "message",
    [
        "Glyph 19978 (\\N{CJK UNIFIED IDEOGRAPH-4E0A}) missing from font(s) DejaVu Sans.",
        "Glyph 19978 (\\N{CJK UNIFIED IDEOGRAPH-4E0A}) missing from current font.",
        "Glyph 19978 missing from current font.",
    ],
)
def test_the_glyph_warnings_of_every_matplotlib_wording_are_filtered(
    monkeypatch: pytest.MonkeyPatch, message: str
) -> None:
    plt = charts._pyplot()

    def warn_on_save(*args: object, **kwargs: object) -> None:
        warnings.warn(message, UserWarning, stacklevel=1)

    figure = plt.figure()
    monkeypatch.setattr(figure, "savefig", warn_on_save)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with contextlib.suppress(ValueError):  # nothing written: no <svg to cut at
            charts._svg(figure)
