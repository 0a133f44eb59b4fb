"""Text plot of an LR range test (loss against lr on a log axis) and the optional PNG.

Works on the plain data in a report's artifacts (`lr_curve` and `lr_range`), so it needs neither
torch nor a terminal that draws images: the suggestion, the recommended range, the divergence
point and the configured lr are marked with characters and theme styles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.text import Text

from nndoctor.errors import UsageError

MARKS = {"suggested": "│", "range": "━", "divergence": "✕", "configured": "▲"}


def _log(v: float) -> float:
    return math.log10(v)


def _finite(points: Sequence[dict[str, Any]], key: str) -> list[tuple[float, float]]:
    out = []
    for p in points:
        lr, value = p.get("lr"), p.get(key)
        if isinstance(lr, (int, float)) and isinstance(value, (int, float)) and lr > 0 and math.isfinite(value):
            out.append((float(lr), float(value)))
    return out


def _y_range(values: list[float]) -> tuple[float, float]:
    """Loss axis: from the lowest loss to a cap above the starting level, so a blow-up stays on screen."""
    low = min(values)
    head = sorted(values[: max(3, len(values) // 10)])
    start = head[len(head) // 2]
    high = min(max(values), start + 1.5 * max(start - low, 1e-12))
    if high <= low:
        high = low + max(abs(low) * 0.1, 1e-6)
    return low, high


def _fmt_lr(lr: float) -> str:
    exp = math.floor(math.log10(lr))
    mant = lr / 10**exp
    return f"1e{exp}" if abs(mant - 1) < 1e-6 else f"{lr:.0e}".replace("e-0", "e-").replace("e+0", "e")


def text_plot(curve: Sequence[dict[str, Any]], summary: dict[str, Any], width: int = 72, height: int = 16) -> Text:
    """Loss (dots) and smoothed loss (line) against lr, log-x, with the reading marked."""
    raw = _finite(curve, "loss")
    smooth = _finite(curve, "trend") or _finite(curve, "smoothed")
    if len(raw) < 2:
        return Text("(not enough finite points to plot)", style="nndoctor.muted")
    lo_x, hi_x = _log(raw[0][0]), _log(raw[-1][0])
    if hi_x <= lo_x:
        hi_x = lo_x + 1
    y_lo, y_hi = _y_range([v for _, v in raw])
    plot_w = max(20, width - 10)

    def col(lr: float) -> int:
        return max(0, min(plot_w - 1, round((_log(lr) - lo_x) / (hi_x - lo_x) * (plot_w - 1))))

    def row(value: float) -> int:
        frac = (min(max(value, y_lo), y_hi) - y_lo) / (y_hi - y_lo)
        return max(0, min(height - 1, round((1 - frac) * (height - 1))))

    grid: list[list[tuple[str, str]]] = [[(" ", "")] * plot_w for _ in range(height)]
    for lr, value in raw:
        grid[row(value)][col(lr)] = ("·", "nndoctor.muted")
    for lr, value in smooth:
        grid[row(value)][col(lr)] = ("•", "nndoctor.header")
    suggestion = summary.get("suggestion") or {}
    suggested = suggestion.get("lr")
    if suggested:
        c = col(suggested)
        for r in range(height):
            if grid[r][c][0] == " ":
                grid[r][c] = (MARKS["suggested"], "nndoctor.pass")
    lines = Text()
    for r in range(height):
        value = y_hi - (y_hi - y_lo) * r / (height - 1)
        label = f"{value:8.3g} " if r in (0, height // 2, height - 1) else " " * 9
        lines.append(label, style="nndoctor.muted")
        lines.append("┤" if r in (0, height // 2, height - 1) else "│", style="nndoctor.muted")
        for char, style in grid[r]:
            lines.append(char, style=style)
        lines.append("\n")
    # the axis row carries the range, the divergence point and the configured lr
    axis: list[tuple[str, str]] = [("─", "nndoctor.muted")] * plot_w
    low, high = suggestion.get("low"), suggestion.get("high")
    if low and high:
        for c in range(col(low), col(high) + 1):
            axis[c] = (MARKS["range"], "nndoctor.pass")
    if suggested:
        axis[col(suggested)] = ("┼", "nndoctor.pass")
    divergence = suggestion.get("divergence_lr")
    if divergence and _log(divergence) <= hi_x + 1e-9:
        axis[col(divergence)] = (MARKS["divergence"], "nndoctor.fail")
    configured = summary.get("configured_lr")
    if configured and lo_x <= _log(configured) <= hi_x:
        axis[col(configured)] = (MARKS["configured"], "nndoctor.warn")
    lines.append(" " * 9 + "└", style="nndoctor.muted")
    for char, style in axis:
        lines.append(char, style=style)
    lines.append("\n")
    # decade ticks under the axis
    ticks = [" "] * (plot_w + 12)
    for exp in range(math.ceil(lo_x), math.floor(hi_x) + 1):
        step = max(1, math.ceil((hi_x - lo_x) / 6))
        if (exp - math.ceil(lo_x)) % step:
            continue
        label = _fmt_lr(10.0**exp)
        start = 10 + col(10.0**exp) - len(label) // 2
        if start >= 0 and all(ch == " " for ch in ticks[max(0, start - 1) : start + len(label) + 1]):
            ticks[start : start + len(label)] = list(label)
    lines.append("".join(ticks).rstrip() + "\n", style="nndoctor.muted")
    lines.append(" " * 10 + "learning rate (log scale)\n", style="nndoctor.muted")
    lines.append(" " * 10 + "• trend  · loss  ", style="nndoctor.muted")
    if suggested:
        lines.append(f"{MARKS['suggested']} suggested  {MARKS['range']} range  ", style="nndoctor.pass")
    if divergence:
        lines.append(f"{MARKS['divergence']} diverges  ", style="nndoctor.fail")
    if configured:
        lines.append(f"{MARKS['configured']} configured", style="nndoctor.warn")
    return lines


def write_png(path: Path, curve: Sequence[dict[str, Any]], summary: dict[str, Any], title: str = "") -> None:
    """The same plot with matplotlib (the optional `plot` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise UsageError(
            "--plot needs matplotlib, which is not installed. Install the optional extra: "
            "pip install 'nndoctor[plot]' (or pip install matplotlib)."
        ) from exc
    raw = _finite(curve, "loss")
    trend = _finite(curve, "trend")
    ema = _finite(curve, "smoothed")
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    try:
        if raw:
            ax.plot([a for a, _ in raw], [b for _, b in raw], color="0.7", lw=0.8, label="loss")
            y_lo, y_hi = _y_range([b for _, b in raw])
            pad = 0.05 * (y_hi - y_lo)
            ax.set_ylim(y_lo - pad, y_hi + pad)
        if ema:
            ax.plot([a for a, _ in ema], [b for _, b in ema], color="C0", lw=0.8, ls="--", alpha=0.6, label="EMA")
        if trend:
            ax.plot([a for a, _ in trend], [b for _, b in trend], color="C0", lw=1.8, label="trend (lag-free)")
        ax.set_xscale("log" if summary.get("mode", "exp") == "exp" else "linear")
        suggestion = summary.get("suggestion") or {}
        if suggestion.get("low") and suggestion.get("high"):
            ax.axvspan(suggestion["low"], suggestion["high"], color="C2", alpha=0.15, label="recommended range")
        if suggestion.get("lr"):
            ax.axvline(suggestion["lr"], color="C2", lw=1.5, label=f"suggested {suggestion['lr']:.2g}")
        if suggestion.get("divergence_lr"):
            ax.axvline(suggestion["divergence_lr"], color="C3", ls="--", lw=1, label="diverges")
        if summary.get("configured_lr"):
            ax.axvline(summary["configured_lr"], color="C1", ls=":", lw=1.2, label="configured")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title(title or "LR range test", fontsize=10)
        ax.legend(fontsize=8, loc="best")
        fig.tight_layout()
        try:
            fig.savefig(path)
        except OSError as exc:
            raise UsageError(f"Cannot write the plot to {path}: {exc.strerror or exc}.") from exc
    finally:
        plt.close(fig)
