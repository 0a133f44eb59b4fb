"""The pictures as standalone SVG, written with the standard library only.

The HTML report and the notebook display embed these inline, and `--plots DIR` writes them as
.svg files, so the pictures need no optional dependency (matplotlib only adds the PNG copies).
Every text that comes from a report is XML-escaped; each bar and point carries a `<title>`, so
hovering shows the exact value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

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

WIDTH = 760
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
COLORS = {
    "bar": "#2f6fd6",
    "flag": "#d23c3c",
    "muted": "#6b7280",
    "grid": "#e5e7eb",
    "axis": "#9ca3af",
    "text": "#111827",
    "line": "#2f6fd6",
    "scatter": "#9aa5b8",
    "good": "#168a46",
    "bad": "#d23c3c",
    "warn": "#d97706",
    "info": "#6b7280",
}
MARK_COLORS = ("#168a46", "#d97706", "#7c3aed")
ROW = 20
BAR = 13


def _t(value: object) -> str:
    return escape(visible(value), quote=True)


def _text(
    x: float, y: float, text: str, *, size: int = 12, anchor: str = "start", color: str = "", bold: bool = False
) -> str:
    fill = color or COLORS["text"]
    weight = ' font-weight="600"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{weight}>'
        f"{_t(text)}</text>"
    )


def _wrap(text: str, chars: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _document(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" font-family="{FONT}" role="img" aria-label="{_t(title)}">'
        f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(body) + "</svg>\n"
    )


def _caption(lines: list[str], body: list[str], y: float) -> float:
    for line in lines:
        body.append(_text(12, y, line, size=11, color=COLORS["muted"]))
        y += 15
    return y


# -- per-layer bars -----------------------------------------------------------------------------
def layer_chart(chart: LayerChart) -> str:
    label_w = min(170, 12 + 7 * max(len(visible(label)) for label in chart.labels))
    value_w = 96
    panels = len(chart.series)
    panel_w = (WIDTH - label_w - 16 - panels * value_w - (panels - 1) * 24) / panels
    top = 64
    body = [_text(12, 22, chart.title, size=15, bold=True)]
    height_rows = len(chart.labels) * ROW
    for index, label in enumerate(chart.labels):
        y = top + index * ROW + ROW / 2 + 4
        body.append(_text(label_w, y, label, anchor="end"))
    x0: float = label_w + 10
    for series in chart.series:
        body += _series_panel(series, x0, top, panel_w, value_w, chart.labels)
        x0 += panel_w + value_w + 24
    y = top + height_rows + 14
    notes = [f"{s.name}: {_scale_text(s)}" for s in chart.series]
    notes += [
        f"dashed line: {s.reference_label}" for s in chart.series if s.reference is not None and s.reference_label
    ]
    if any(any(s.flagged) for s in chart.series):
        notes.append("red: past the check's threshold")
    lines = _wrap("; ".join(notes), 120) + (_wrap(chart.caption, 120) if chart.caption else [])
    y = _caption(lines, body, y + 6)
    return _document(WIDTH, y + 6, body, chart.title)


def _scale_text(series: Series) -> str:
    if series.scale == SHARE:
        return "share of units, 0 to 100%"
    low, high = log_range([*series.values, series.reference])
    return f"log scale, 1e{int(low)} to 1e{int(high)}"


def _series_panel(
    series: Series, x0: float, top: float, width: float, value_w: float, labels: Sequence[str]
) -> list[str]:
    body: list[str] = []
    bottom = top + len(labels) * ROW
    body.append(_text(x0, top - 26, series.name, size=12, bold=True, color=COLORS["muted"]))
    low, high = log_range([*series.values, series.reference])

    def position(v: float | None) -> float:
        fraction = (v or 0.0) if series.scale == SHARE else log_fraction(v, low, high)
        return x0 + min(1.0, max(0.0, fraction)) * width

    if series.scale == SHARE:
        ticks = [(t / 100, f"{t}%") for t in (0, 25, 50, 75, 100)]
    else:
        ticks = [(t, f"1e{round(math.log10(t))}") for t in decades(low, high, 8)]
    for tick, label in ticks:
        x = position(tick)
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="{COLORS["grid"]}"/>')
        body.append(_text(x, top - 8, label, size=10, anchor="middle", color=COLORS["muted"]))
    for index, value in enumerate(series.values):
        y = top + index * ROW + (ROW - BAR) / 2
        color = COLORS["flag"] if series.flagged[index] else COLORS["bar"]
        end = position(value) if value else x0
        if value and end - x0 < 1.5:
            end = x0 + 1.5
        tip = f"{labels[index]}: {series.name} {series.text(index)}"
        if end > x0:
            body.append(
                f'<rect x="{x0:.1f}" y="{y:.1f}" width="{end - x0:.1f}" height="{BAR}" rx="2" fill="{color}">'
                f"<title>{_t(tip)}</title></rect>"
            )
        shown = series.text(index)
        body.append(
            _text(
                x0 + width + 6,
                y + BAR - 2,
                shown,
                size=11,
                color=COLORS["flag"] if series.flagged[index] else COLORS["muted"],
            )
        )
    if series.reference is not None and series.scale == LOG:
        x = position(series.reference)
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="{COLORS["text"]}" '
            f'stroke-dasharray="4 3" stroke-width="1.2"><title>{_t(series.reference_label)}</title></line>'
        )
    body.append(f'<line x1="{x0:.1f}" y1="{top - 4}" x2="{x0:.1f}" y2="{bottom}" stroke="{COLORS["axis"]}"/>')
    return body


# -- curves -------------------------------------------------------------------------------------
def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 times a power of ten) covering low..high."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def decades(low: float, high: float, count: int) -> list[float]:
    """Powers of ten between 10**low and 10**high, every k-th so that at most about `count` remain."""
    first, last = math.ceil(low - 1e-9), math.floor(high + 1e-9)
    step = max(1, math.ceil((last - first) / count))
    return [10.0**e for e in range(first, last + 1, step)]


def _tick_text(value: float) -> str:
    return f"{value:g}" if 1e-3 <= abs(value) < 1e5 or value == 0 else f"{value:.0e}"


def _curve_legend(chart: CurveChart) -> list[tuple[str, str, str]]:
    """(key kind, colour, label) per line and marker, in drawing order."""
    legend: list[tuple[str, str, str]] = []
    marks = 0
    for line in chart.lines:
        if not line.points:
            continue
        if line.style == "line":
            legend.append(("line", COLORS["line"], line.name))
        elif line.style == "scatter":
            legend.append(("dot", COLORS["scatter"], line.name))
        else:
            legend.append(("mark", MARK_COLORS[marks % len(MARK_COLORS)], line.name))
            marks += 1
    for marker in chart.markers:
        kind = "band" if marker.x_end is not None else "rule"
        legend.append((kind, COLORS.get(marker.kind, COLORS["info"]), marker.label))
    return legend


def _legend_rows(legend: list[tuple[str, str, str]]) -> list[list[tuple[float, tuple[str, str, str]]]]:
    rows: list[list[tuple[float, tuple[str, str, str]]]] = [[]]
    x = 12.0
    for item in legend:
        width = 26 + 6.6 * len(visible(item[2]))
        if rows[-1] and x + width > WIDTH - 12:
            rows.append([])
            x = 12.0
        rows[-1].append((x, item))
        x += width + 10
    return rows


def curve_chart(chart: CurveChart) -> str:
    legend_rows = _legend_rows(_curve_legend(chart))
    left, right, plot_h = 64, 24, 230
    top = 50 + 16 * len(legend_rows)
    plot_w = WIDTH - left - right
    xs = [x for line in chart.lines for x, _ in line.points if not chart.x_log or x > 0]
    xs += [m.x for m in chart.markers if not chart.x_log or m.x > 0]
    body = [_text(12, 22, chart.title, size=15, bold=True)]
    if not xs:
        body.append(_text(12, 50, "no finite points to draw", color=COLORS["muted"]))
        return _document(WIDTH, 70, body, chart.title)
    fx = (lambda v: math.log10(v)) if chart.x_log else (lambda v: v)
    x_lo, x_hi = min(fx(x) for x in xs), max(fx(x) for x in xs)
    if x_hi <= x_lo:
        x_hi = x_lo + 1
    y_lo, y_hi = chart.y_limits()
    if not chart.y_log and chart.y_range is None:  # round the top up to a tick, so the curve has headroom
        ticks = nice_ticks(y_lo, y_hi, 5)
        if len(ticks) > 1 and ticks[-1] < y_hi:
            y_hi = ticks[-1] + (ticks[-1] - ticks[-2])
    fy = (lambda v: math.log10(max(v, y_lo))) if chart.y_log else (lambda v: v)
    sy_lo, sy_hi = fy(y_lo), fy(y_hi)
    if sy_hi <= sy_lo:
        sy_hi = sy_lo + 1

    def px(x: float) -> float:
        return left + (fx(x) - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        value = min(max(fy(y), sy_lo), sy_hi)
        return top + (sy_hi - value) / (sy_hi - sy_lo) * plot_h

    bottom = top + plot_h
    # grid and ticks
    x_ticks = decades(x_lo, x_hi, 9) if chart.x_log else nice_ticks(x_lo, x_hi, 6)
    for tick in x_ticks:
        x = px(tick)
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{COLORS["grid"]}"/>')
        label = f"1e{round(math.log10(tick))}" if chart.x_log else _tick_text(tick)
        body.append(_text(x, bottom + 16, label, size=10, anchor="middle", color=COLORS["muted"]))
    y_ticks = decades(sy_lo, sy_hi, 6) if chart.y_log else nice_ticks(y_lo, y_hi, 5)
    for tick in y_ticks:
        y = py(tick)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{COLORS["grid"]}"/>')
        label = f"1e{round(math.log10(tick))}" if chart.y_log else _tick_text(tick)
        body.append(_text(left - 6, y + 4, label, size=10, anchor="end", color=COLORS["muted"]))
    body.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="{COLORS["axis"]}"/>'
    )
    # markers under the lines
    for marker in chart.markers:
        color = COLORS.get(marker.kind, COLORS["info"])
        if marker.x_end is not None:
            x1, x2 = px(marker.x), px(marker.x_end)
            body.append(
                f'<rect x="{x1:.1f}" y="{top}" width="{max(1.0, x2 - x1):.1f}" height="{plot_h}" fill="{color}" '
                f'fill-opacity="0.12"><title>{_t(marker.label)}</title></rect>'
            )
        else:
            x = px(marker.x)
            body.append(
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{color}" stroke-width="1.5" '
                f'stroke-dasharray="5 3"><title>{_t(marker.label)}</title></line>'
            )
    marks = 0
    for line in chart.lines:
        usable = [(x, y) for x, y in line.points if not chart.x_log or x > 0]
        if not usable:
            continue
        if line.style == "line":
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in usable)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{COLORS["line"]}" stroke-width="1.6" '
                'stroke-linejoin="round"/>'
            )
        elif line.style == "scatter":
            body += [
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="1.8" fill="{COLORS["scatter"]}"/>' for x, y in usable
            ]
        else:
            color = MARK_COLORS[marks % len(MARK_COLORS)]
            marks += 1
            for x, y in usable:
                tip = f"{line.name} at {_tick_text(x)}: {y:.4g}"
                body.append(
                    f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4.5" fill="{color}" stroke="#fff" '
                    f'stroke-width="1.2"><title>{_t(tip)}</title></circle>'
                )
    for row, items in enumerate(legend_rows):
        y = 44.0 + 16 * row
        for x, (kind, color, label) in items:
            body.append(_legend_key(kind, color, x, y))
            body.append(_text(x + 20, y + 4, label, size=11, color=COLORS["muted"]))
    axis_label = chart.x_label + ("; loss on a log scale" if chart.y_log else "")
    body.append(_text(left + plot_w / 2, bottom + 34, axis_label, size=11, anchor="middle", color=COLORS["muted"]))
    body.append(
        f'<text x="16" y="{top + plot_h / 2:.1f}" font-size="11" fill="{COLORS["muted"]}" text-anchor="middle" '
        f'transform="rotate(-90 16 {top + plot_h / 2:.1f})">{_t(chart.y_label)}</text>'
    )
    end = _caption(_wrap(chart.caption, 120), body, bottom + 54) if chart.caption else bottom + 46
    return _document(WIDTH, end + 4, body, chart.title)


def _legend_key(kind: str, color: str, x: float, y: float) -> str:
    if kind == "line":
        return f'<line x1="{x}" y1="{y}" x2="{x + 14}" y2="{y}" stroke="{color}" stroke-width="2"/>'
    if kind == "dot":
        return f'<circle cx="{x + 7}" cy="{y}" r="2" fill="{color}"/>'
    if kind == "mark":
        return f'<circle cx="{x + 7}" cy="{y}" r="4.5" fill="{color}"/>'
    if kind == "band":
        return f'<rect x="{x}" y="{y - 5}" width="14" height="10" fill="{color}" fill-opacity="0.25"/>'
    return f'<line x1="{x + 7}" y1="{y - 6}" x2="{x + 7}" y2="{y + 6}" stroke="{color}" stroke-width="1.5" stroke-dasharray="3 2"/>'


def render_svg(picture: Picture) -> str:
    """One picture as an SVG document."""
    if isinstance(picture, LayerChart):
        return layer_chart(picture)
    return curve_chart(picture)


__all__ = ["format_value", "nice_ticks", "render_svg"]
