"""The pictures as text: log-scale bars per layer and a braille loss curve, for the terminal panels
and Markdown code blocks.

Bars are drawn with eighth blocks, so a bar's length resolves an eighth of a character; on a log
axis of whole decades its length reads as an order of magnitude. Bars past a check's threshold get
the `nndoctor.bar.flag` style and a `◀` after the value, so they stand out without colour too (CI
logs, NO_COLOR). Everything fits the width it is given, down to 60 columns.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from nndoctor.report.pictures import (
    LOG,
    SHARE,
    CurveChart,
    LayerChart,
    Picture,
    Series,
    format_value,
    log_fraction,
    log_range,
)
from nndoctor.report.text import visible

EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"
FLAG = "◀"
MAX_LABEL = 22
MAX_BAR = 56  # wider bars only push the numbers away from them


def bar(fraction: float, width: int, *, minimum: bool = False) -> str:
    """`fraction` of `width` characters as eighth blocks, padded with spaces to `width`."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    if minimum and eighths == 0:
        eighths = 1  # a positive value below the axis start still shows
    full, rest = divmod(eighths, 8)
    text = FULL * full + (EIGHTHS[rest] if rest else "")
    return text.ljust(width)[:width]


def _axis(series: Series) -> tuple[float, float]:
    return log_range([*series.values, series.reference])


def _fraction(series: Series, value: float | None, axis: tuple[float, float]) -> float:
    if value is None:
        return 0.0
    if series.scale == SHARE:
        return value
    return log_fraction(value, *axis)


def _range_text(series: Series, axis: tuple[float, float]) -> str:
    if series.scale == SHARE:
        return "0 to 100%"
    return f"log scale, 1e{int(axis[0])} to 1e{int(axis[1])}"


def _short(label: str, width: int) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def layer_bars(chart: LayerChart, width: int) -> Text:
    """The chart as lines of text: a header per series, one row per layer, a legend, the caption."""
    width = max(40, width)
    label_w = min(MAX_LABEL, max(len(visible(label)) for label in chart.labels))
    texts = [[s.text(i) for i in range(len(chart.labels))] for s in chart.series]
    value_ws = [max(len(t) for t in column) + 2 for column in texts]  # +2: " ◀"
    gaps = 1 + 2 * len(chart.series)
    bar_w = max(6, min(MAX_BAR, (width - label_w - sum(value_ws) - gaps) // len(chart.series)))
    axes = [_axis(s) for s in chart.series]
    out = Text()
    out.append_text(_caption(chart.title, width, "nndoctor.header"))
    out.append(" " * (label_w + 1))
    for series, value_w in zip(chart.series, value_ws, strict=True):
        out.append(_short(series.name, bar_w + value_w).ljust(bar_w + value_w + 2), style="nndoctor.muted")
    out.rstrip()
    out.append("\n")
    for row, label in enumerate(chart.labels):
        out.append(_short(visible(label), label_w).rjust(label_w) + " ")
        for series, axis, column, value_w in zip(chart.series, axes, texts, value_ws, strict=True):
            value = series.values[row]
            flagged = series.flagged[row]
            style = "nndoctor.bar.flag" if flagged else "nndoctor.bar"
            drawn = bar(_fraction(series, value, axis), bar_w, minimum=bool(value))
            if series.reference is not None and series.scale == LOG:
                at = min(bar_w - 1, int(log_fraction(series.reference, *axis) * bar_w))
                if drawn[at] == " ":
                    drawn = drawn[:at] + "┊" + drawn[at + 1 :]
            for char in drawn:
                out.append(char, style="nndoctor.muted" if char == "┊" else style)
            shown = column[row] + (f" {FLAG}" if flagged else "")
            out.append(" " + shown.ljust(value_w) + " ", style="nndoctor.bar.flag" if flagged else "")
        out.rstrip()
        out.append("\n")
    legend = [f"{s.name}: {_range_text(s, axis)}" for s, axis in zip(chart.series, axes, strict=True)]
    legend += [f"┊ {s.reference_label}" for s in chart.series if s.reference is not None and s.reference_label]
    if any(any(s.flagged) for s in chart.series):
        legend.append(f"{FLAG} past the check's threshold")
    out.append_text(_flow([(f"{item};", "nndoctor.muted") for item in legend], width, strip=";"))
    out.append_text(_caption(chart.caption, width))
    out.rstrip()
    return out


def _flow(items: list[tuple[str, str]], width: int, strip: str = "") -> Text:
    """Legend items on as few lines of at most `width` as they fit (never split inside one)."""
    out = Text()
    column = 0
    gap = " " if strip else "  "
    for index, (text, style) in enumerate(items):
        if index == len(items) - 1 and strip:
            text = text.rstrip(strip)
        if column and column + len(gap) + len(text) > width:
            out.append("\n")
            column = 0
        elif column:
            out.append(gap)
            column += len(gap)
        out.append(text, style=style)
        column += len(text)
    out.append("\n")
    return out


def _caption(caption: str, width: int, style: str = "nndoctor.muted") -> Text:
    """`caption` wrapped to `width` between words, ending with a newline (nothing when empty)."""
    if not caption:
        return Text()
    return Text("\n".join(textwrap.wrap(visible(caption), width)) + "\n", style=style)


# -- braille curves -----------------------------------------------------------------------------
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][col] bits of a braille cell


def _scale(values: Sequence[float], log: bool) -> list[float]:
    return [math.log10(v) if log else v for v in values]


def curve_plot(chart: CurveChart, width: int, height: int = 8) -> Text:
    """Lines as braille dots (2x4 per character) with y labels, an x axis carrying the markers,
    and a legend."""
    width = max(40, width)
    label_w = 10
    plot_w = width - label_w - 1
    lines = [line for line in chart.lines if line.points]
    xs = [x for line in lines for x, _ in line.points if not chart.x_log or x > 0]
    xs += [m.x for m in chart.markers if not chart.x_log or m.x > 0]
    out = Text()
    out.append_text(_caption(chart.title, width, "nndoctor.header"))
    if not xs or not any(line.points for line in lines):
        out.append("(no finite points to draw)", style="nndoctor.muted")
        return out
    x_lo, x_hi = min(_scale(xs, chart.x_log)), max(_scale(xs, chart.x_log))
    y_lo, y_hi = chart.y_limits()
    if x_hi <= x_lo:
        x_hi = x_lo + 1
    y_scale = (math.log10(y_lo), math.log10(y_hi)) if chart.y_log else (y_lo, y_hi)
    dots_w, dots_h = plot_w * 2, height * 4

    def dot_x(x: float) -> int:
        value = math.log10(x) if chart.x_log else x
        return max(0, min(dots_w - 1, round((value - x_lo) / (x_hi - x_lo) * (dots_w - 1))))

    def dot_y(y: float) -> int:
        value = math.log10(max(y, y_lo)) if chart.y_log else y
        return max(0, min(dots_h - 1, round((y_scale[1] - value) / (y_scale[1] - y_scale[0]) * (dots_h - 1))))

    cells = [[0] * plot_w for _ in range(height)]
    styles: dict[tuple[int, int], str] = {}
    marks: dict[tuple[int, int], tuple[str, str]] = {}
    legend: list[tuple[str, str]] = []
    mark_index = 0
    for index, line in enumerate(lines):
        points = [(dot_x(x), dot_y(y)) for x, y in line.points if not chart.x_log or x > 0]
        if line.style == "marks":
            mark, style = MARK_STYLES[mark_index % len(MARK_STYLES)]
            mark_index += 1
            for px, py in points:
                marks[(py // 4, px // 2)] = (mark, style)
            legend.append((f"{mark} {line.name}", style))
            continue
        style = "nndoctor.muted" if line.style == "scatter" and index < len(lines) - 1 else "nndoctor.bar"
        for px, py in _joined(points) if line.style == "line" else points:
            cells[py // 4][px // 2] |= _DOTS[py % 4][px % 2]
            styles[(py // 4, px // 2)] = style
        legend.append((f"{'⠒⠒' if line.style == 'line' else '⠂⠄'} {line.name}", style))
    axis: list[tuple[str, str]] = [("─", "nndoctor.muted")] * plot_w
    for marker in chart.markers:
        style = _MARKER_STYLE.get(marker.kind, "nndoctor.muted")
        if marker.x_end is not None:
            for column in range(dot_x(marker.x) // 2, dot_x(marker.x_end) // 2 + 1):
                axis[column] = ("━", style)
            legend.append((f"━ {marker.label}", style))
        else:
            char = _MARKER_CHAR.get(marker.kind, "┴")
            axis[dot_x(marker.x) // 2] = (char, style)
            legend.append((f"{char} {marker.label}", style))
    for row in range(height):
        value = y_scale[1] - (y_scale[1] - y_scale[0]) * row / (height - 1)
        value = 10**value if chart.y_log else value
        labelled = row in (0, height // 2, height - 1)
        out.append((f"{value:{label_w - 1}.4g} " if labelled else " " * label_w)[-label_w:], style="nndoctor.muted")
        out.append("┤" if labelled else "│", style="nndoctor.muted")
        for column in range(plot_w):
            if (row, column) in marks:
                char, style = marks[(row, column)]
                out.append(char, style=style)
            elif cells[row][column]:
                out.append(chr(0x2800 + cells[row][column]), style=styles[(row, column)])
            else:
                out.append(" ")
        out.rstrip()
        out.append("\n")
    out.append(" " * label_w + "└", style="nndoctor.muted")
    for char, style in axis:
        out.append(char, style=style)
    out.append("\n")
    low_text, high_text = _x_text(xs, chart.x_log, False), _x_text(xs, chart.x_log, True)
    room = plot_w - len(low_text) - len(high_text)
    x_label = visible(chart.x_label) + (", loss on a log scale" if chart.y_log else "")
    middle = x_label.center(max(0, room))[: max(0, room)]
    out.append(" " * (label_w + 1) + low_text + middle + high_text + "\n", style="nndoctor.muted")
    out.append_text(_flow(legend, width))
    out.append_text(_caption(chart.caption, width))
    out.rstrip()
    return out


def _joined(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The dots of a line through `points` (sorted by x): each column spans from the previous
    column's value to its own, so a steep drop is a vertical run of dots, not a gap."""
    columns: dict[int, list[int]] = {}
    for px, py in points:
        columns.setdefault(px, []).append(py)
    out = []
    previous: int | None = None
    for px in sorted(columns):
        low, high = min(columns[px]), max(columns[px])
        if previous is not None:
            low, high = min(low, previous), max(high, previous)
        out += [(px, py) for py in range(low, high + 1)]
        previous = columns[px][-1]
    return out


MARK_STYLES = (("●", "nndoctor.pass"), ("◆", "nndoctor.warn"), ("▲", "nndoctor.fix"))
_MARKER_CHAR = {"good": "┼", "bad": "✕", "warn": "▲", "info": "┴"}
_MARKER_STYLE = {"good": "nndoctor.pass", "bad": "nndoctor.fail", "warn": "nndoctor.warn", "info": "nndoctor.muted"}


def _x_text(xs: Sequence[float], log: bool, highest: bool) -> str:
    usable = [x for x in xs if not log or x > 0]
    value = max(usable) if highest else min(usable)
    return f"{value:.0e}" if log else f"{value:g}"


def draw(picture: Picture, width: int) -> Text:
    if isinstance(picture, LayerChart):
        return layer_bars(picture, width)
    return curve_plot(picture, width)


class PictureView:
    """A picture as a Rich renderable that fits whatever width it is given."""

    def __init__(self, picture: Picture) -> None:
        self.picture = picture

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield draw(self.picture, options.max_width)


__all__ = ["PictureView", "bar", "curve_plot", "draw", "format_value", "layer_bars"]
