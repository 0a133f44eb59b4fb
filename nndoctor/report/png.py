"""`--plots DIR`: every picture of the report as an SVG file, and as PNG when matplotlib is there.

The SVG files need nothing beyond the standard library; the PNG copies are drawn with matplotlib
(the optional `plot` extra) from the same picture specs, so both show the same data, thresholds
and flags. Without matplotlib the SVG files are still written and the caller is told how to get
the PNG ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nndoctor.errors import UsageError
from nndoctor.report.pictures import LOG, SHARE, CurveChart, LayerChart, Picture, log_range, pictures
from nndoctor.report.svg import COLORS, MARK_COLORS, render_svg

if TYPE_CHECKING:
    from nndoctor.report.model import Report

PNG_HINT = "pip install 'nndoctor[plot]' (or pip install matplotlib)"


@dataclass
class PlotFiles:
    """What `write_plots` wrote, and why PNG files are missing when they are."""

    written: list[Path] = field(default_factory=list)
    png_missing: str | None = None


def write_plots(report: Report, folder: Path, *, png: bool = True) -> PlotFiles:
    """Write `<key>.svg` (and `<key>.png`) for each picture into `folder` (created if needed)."""
    from nndoctor.report.formats import write_atomic  # formats imports this module while it discovers

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"Cannot create the plots folder {folder}: {exc.strerror or exc}.") from exc
    if not folder.is_dir():
        raise UsageError(f"--plots {folder} is a file; pass a folder for the picture files.")
    result = PlotFiles()
    drawn = pictures(report)
    plt = _pyplot() if png and drawn else None
    if png and drawn and plt is None:
        result.png_missing = (
            f"PNG pictures need matplotlib, which is not installed: {PNG_HINT}. SVG files were written."
        )
    for picture in drawn:
        path = folder / f"{picture.key}.svg"
        try:
            write_atomic(path, render_svg(picture))
        except OSError as exc:
            raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
        result.written.append(path)
        if plt is not None:
            png_path = folder / f"{picture.key}.png"
            draw_png(plt, picture, png_path)
            result.written.append(png_path)
    return result


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def draw_png(plt: Any, picture: Picture, path: Path) -> None:
    """One picture with matplotlib, saved to `path`."""
    if isinstance(picture, LayerChart):
        fig = _layer_figure(plt, picture)
    else:
        fig = _curve_figure(plt, picture)
    try:
        fig.savefig(path, dpi=110)
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    finally:
        plt.close(fig)


def _layer_figure(plt: Any, chart: LayerChart) -> Any:
    rows = len(chart.labels)
    fig, axes = plt.subplots(
        1, len(chart.series), figsize=(7.6, 1.4 + 0.26 * rows), sharey=True, squeeze=False, constrained_layout=True
    )
    positions = list(range(rows))
    for ax, series in zip(axes[0], chart.series, strict=True):
        colors = [COLORS["flag"] if flag else COLORS["bar"] for flag in series.flagged]
        if series.scale == SHARE:
            values = [v or 0.0 for v in series.values]
            ax.barh(positions, [v * 100 for v in values], color=colors, height=0.65)
            ax.set_xlim(0, 100)
            ax.set_xlabel(f"{series.name} (%)", fontsize=8)
        else:
            low, high = log_range([*series.values, series.reference])
            floor = 10**low
            values = [v if v and v > 0 else floor for v in series.values]
            ax.barh(positions, [v - floor for v in values], left=floor, color=colors, height=0.65)
            ax.set_xscale("log")
            ax.set_xlim(floor, 10**high)
            ax.set_xlabel(f"{series.name} (log scale)", fontsize=8)
            if series.reference is not None:
                ax.axvline(series.reference, color="black", ls="--", lw=1, label=series.reference_label)
                ax.legend(fontsize=7, loc="lower right")
        for y, index in zip(positions, range(rows), strict=True):
            ax.annotate(
                series.text(index),
                (1.0, y),
                xycoords=("axes fraction", "data"),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                color=COLORS["flag"] if series.flagged[index] else COLORS["muted"],
            )
        ax.grid(axis="x", color=COLORS["grid"], lw=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=7)
    axes[0][0].set_yticks(positions, chart.labels)
    axes[0][0].invert_yaxis()
    fig.suptitle(chart.title, fontsize=10, x=0.02, ha="left")
    if chart.caption:
        fig.supxlabel(chart.caption, fontsize=7, color=COLORS["muted"], wrap=True)
    return fig


def _curve_figure(plt: Any, chart: CurveChart) -> Any:
    fig, ax = plt.subplots(figsize=(7.6, 3.8), constrained_layout=True)
    marks = 0
    for line in chart.lines:
        xs = [x for x, _ in line.points if not chart.x_log or x > 0]
        ys = [y for x, y in line.points if not chart.x_log or x > 0]
        if not xs:
            continue
        if line.style == "line":
            ax.plot(xs, ys, color=COLORS["line"], lw=1.4, label=line.name)
        elif line.style == "scatter":
            ax.scatter(xs, ys, s=5, color=COLORS["scatter"], label=line.name)
        else:
            ax.scatter(xs, ys, s=36, color=MARK_COLORS[marks % len(MARK_COLORS)], zorder=3, label=line.name)
            marks += 1
    for marker in chart.markers:
        color = COLORS.get(marker.kind, COLORS["info"])
        if marker.x_end is not None:
            ax.axvspan(marker.x, marker.x_end, color=color, alpha=0.12, label=marker.label)
        else:
            ax.axvline(marker.x, color=color, ls="--", lw=1.2, label=marker.label)
    if chart.x_log:
        ax.set_xscale("log")
    if chart.y_log:
        ax.set_yscale("log")
    low, high = chart.y_limits()
    if not chart.y_log:
        pad = 0.04 * (high - low)
        ax.set_ylim(low - (pad if low < 0 else 0), high + pad)
    elif low > 0 and math.isfinite(high):
        ax.set_ylim(low, high)
    ax.set_xlabel(chart.x_label, fontsize=8)
    ax.set_ylabel(chart.y_label, fontsize=8)
    ax.grid(color=COLORS["grid"], lw=0.6)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="best")
    ax.set_title(chart.title, fontsize=10, loc="left")
    if chart.caption:
        fig.supxlabel(chart.caption, fontsize=7, color=COLORS["muted"], wrap=True)
    return fig


__all__ = ["LOG", "PNG_HINT", "PlotFiles", "draw_png", "write_plots"]
