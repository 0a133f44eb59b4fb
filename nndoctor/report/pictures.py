"""The pictures of a network's health, as plain data taken from a report.

Each picture is read from what the report already holds: the per-layer tables of ND301 (gradient
RMS at init), ND203 (activation scale and dead/saturated share) and ND303 (update/weight ratio of
one step), the short run's loss curve and the LR range test in the artifacts. So a report loaded
back from JSON draws the same pictures as the run that made it, on a machine without torch.

The pictures are drawn three ways from these specs: text bars inside the terminal panels
(`text_charts`), SVG for the HTML report and notebooks (`svg`), PNG with matplotlib (`png`).
Nothing here draws or imports anything heavy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nndoctor.report.model import Finding, Report, Table

LOG = "log"
SHARE = "share"  # a fraction 0..1 on a linear axis, shown as a percentage


@dataclass(frozen=True)
class Series:
    """One quantity per layer, on a log axis or as a share."""

    name: str
    scale: str  # LOG | SHARE
    values: list[float | None]  # None: not measured for that layer (shown as "-")
    flagged: list[bool]  # values past the check's threshold, drawn in the warning colour
    notes: list[str] = field(default_factory=list)  # per-value text instead of the number (e.g. "sat 40%")
    reference: float | None = None  # a threshold line (e.g. where gradients count as vanishing)
    reference_label: str = ""

    def text(self, index: int) -> str:
        if self.notes and self.notes[index]:
            return self.notes[index]
        return format_value(self.values[index], self.scale)


@dataclass(frozen=True)
class LayerChart:
    """Bars, one row per layer in forward order, for one or two quantities."""

    key: str  # file stem: gradient_flow, activations, update_ratio
    check_id: str  # the finding it illustrates
    title: str
    labels: list[str]
    series: list[Series]
    caption: str = ""


@dataclass(frozen=True)
class Line:
    name: str
    points: list[tuple[float, float]]  # finite (x, y) only
    style: str = "line"  # line (joined) | scatter (small dots) | marks (a few big marks, e.g. evaluations)


@dataclass(frozen=True)
class Marker:
    """A vertical line (x) or band (x to x_end) with a label."""

    x: float
    label: str
    kind: str = "info"  # info | good | bad | warn
    x_end: float | None = None


@dataclass(frozen=True)
class CurveChart:
    """A curve: the short run's loss by step, or the LR range test's loss by learning rate."""

    key: str  # loss_curve, lr_range
    check_id: str
    title: str
    x_label: str
    y_label: str
    lines: list[Line]
    x_log: bool = False
    markers: list[Marker] = field(default_factory=list)
    caption: str = ""
    y_range: tuple[float, float] | None = None  # clip (e.g. a blow-up) instead of fitting every point
    y_log: bool = False  # a loss that blew up by orders of magnitude

    def y_limits(self) -> tuple[float, float]:
        """The y axis: `y_range` when set; else from 0 (or the lowest value, when negative or on a log
        axis) to the highest, so a flat loss looks flat rather than like magnified noise."""
        if self.y_range is not None:
            return self.y_range
        ys = [y for line in self.lines for _, y in line.points if not self.y_log or y > 0]
        if not ys:
            return 0.0, 1.0
        low, high = (min(ys) if self.y_log or min(ys) < 0 else 0.0), max(ys)
        if high <= low:
            high = low + max(abs(low) * 0.1, 1e-6)
        return low, high


Picture = LayerChart | CurveChart


def format_value(value: float | None, scale: str = LOG) -> str:
    if value is None:
        return "-"
    if scale == SHARE:
        return f"{value * 100:.0f}%"
    if value == 0:
        return "0"
    return f"{value:.2g}"


def number(value: Any) -> float | None:
    """A table cell or artifact value as a float; "-", "nan", None and text become None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


def _table(finding: Finding | None, *columns: str) -> Table | None:
    """The finding's first table that has all of `columns` (tables are found by content, not title)."""
    if finding is None:
        return None
    return next((t for t in finding.tables if all(c in t.columns for c in columns)), None)


def _column(table: Table, name: str) -> list[Any]:
    index = table.columns.index(name)
    return [row[index] if index < len(row) else None for row in table.rows]


def _limit(report: Report, check_id: str, name: str, default: float) -> float:
    value = ((report.settings.get("thresholds") or {}).get(check_id) or {}).get(name)
    parsed = number(value)
    return parsed if parsed is not None else default


def gradient_flow(report: Report) -> LayerChart | None:
    """ND301's gradient RMS per weighted layer at init; layers more than `min_ratio` below the last
    layer's are flagged (vanishing), as are layers more than `max_ratio` above it (exploding)."""
    finding = report.finding("ND301")
    table = _table(finding, "layer", "grad rms")
    if table is None or not table.rows:
        return None
    values = [number(v) for v in _column(table, "grad rms")]
    last = next((v for v in reversed(values) if v), None)
    low, high = _limit(report, "ND301", "min_ratio", 1e-3), _limit(report, "ND301", "max_ratio", 1e3)
    flagged = [bool(last and v is not None and not low <= v / last <= high) for v in values]
    caption = ""
    if finding is not None and number(finding.evidence.get("ratio")) is not None:
        caption = (
            f"first layer / last layer = {format_value(number(finding.evidence['ratio']))} "
            f"(healthy between {low:g} and {high:g})"
        )
    series = Series(
        "gradient RMS",
        LOG,
        values,
        flagged,
        reference=last * low if last else None,
        reference_label=f"{low:g} x the last layer's",
    )
    return LayerChart(
        "gradient_flow",
        "ND301",
        "Gradient flow at init: gradient RMS per layer",
        [str(v) for v in _column(table, "layer")],
        [series],
        caption,
    )


def activations(report: Report) -> LayerChart | None:
    """ND203's activation std per layer (log) and the share of dead or saturated units (linear)."""
    finding = report.finding("ND203")
    table = _table(finding, "layer", "std")
    if table is None or not table.rows:
        return None
    stds = [number(v) for v in _column(table, "std")]
    saturated = [number(v) for v in _column(table, "saturated")] if "saturated" in table.columns else []
    dead = [number(v) for v in _column(table, "dead inputs")] if "dead inputs" in table.columns else []
    max_saturated = _limit(report, "ND203", "max_saturated", 0.3)
    max_dead = _limit(report, "ND203", "max_dead", 0.5)
    shares: list[float | None] = []
    notes: list[str] = []
    flags: list[bool] = []
    for index in range(len(table.rows)):
        sat = saturated[index] if saturated else None
        gone = dead[index] if dead else None
        if sat is not None:
            shares.append(sat)
            notes.append(f"saturated {sat * 100:.0f}%")
            flags.append(sat > max_saturated)
        elif gone is not None:
            shares.append(gone)
            notes.append(f"dead in {gone * 100:.0f}%")
            flags.append(gone > max_dead)
        else:
            shares.append(None)
            notes.append("-")
            flags.append(False)
    series = [Series("output std", LOG, stds, [v == 0 for v in stds])]
    if any(v is not None for v in shares):
        series.append(Series("dead or saturated units", SHARE, shares, flags, notes))
    caption = (
        f"dead: units feeding the layer that are zero for every sample (warn above {max_dead:.0%}); "
        f"saturated: tanh/sigmoid outputs in their flat tails (warn above {max_saturated:.0%})"
    )
    return LayerChart(
        "activations",
        "ND203",
        "Activations at init: output scale and dead or saturated units",
        [str(v) for v in _column(table, "layer")],
        series,
        caption,
    )


def update_ratio(report: Report) -> LayerChart | None:
    """ND303's |update| / |weight| per layer after one optimizer step; healthy is about 1e-3."""
    finding = report.finding("ND303")
    table = _table(finding, "layer", "ratio")
    if table is None or not table.rows:
        return None
    values = [number(v) for v in _column(table, "ratio")]
    low, high = _limit(report, "ND303", "min_ratio", 1e-5), _limit(report, "ND303", "max_ratio", 0.1)
    flagged = [v is not None and not low <= v <= high for v in values]
    series = Series("update / weight", LOG, values, flagged, reference=1e-3, reference_label="healthy ~1e-3")
    optimizer = finding.evidence.get("optimizer") if finding is not None else None
    lr = number(finding.evidence.get("lr")) if finding is not None else None
    step = f" of {optimizer}" + (f" at lr {lr:g}" if lr is not None else "") if optimizer else ""
    return LayerChart(
        "update_ratio",
        "ND303",
        f"One optimizer step{step}: update / weight per layer",
        [str(v) for v in _column(table, "layer")],
        [series],
        f"healthy is about 1e-3; warn outside {low:g} to {high:g} (median over layers)",
    )


def loss_curve(report: Report) -> CurveChart | None:
    """The short run's training loss per step, with the eval-mode train/validation points."""
    run = report.artifacts.get("short_run")
    if not isinstance(run, dict):
        return None
    losses = run.get("losses") or []
    points = [(float(step), v) for step, raw in enumerate(losses) if (v := number(raw)) is not None]
    if len(points) < 2:
        return None
    lines = [Line("training loss (each step)", points)]
    evals = [e for e in run.get("evals") or [] if isinstance(e, dict)]
    for key, name in (("train_loss", "train, eval mode"), ("val_loss", "validation")):
        series = [(float(e["step"]), v) for e in evals if (v := number(e.get(key))) is not None]
        if series:
            lines.append(Line(name, series, "marks"))
    markers = []
    bad = next((step for step, raw in enumerate(losses) if number(raw) is None), None)
    if bad is not None:
        markers.append(Marker(float(bad), f"non-finite at step {bad}", "bad"))
    what = run.get("optimizer") or "the optimizer"
    lr = number(run.get("lr"))
    stop = run.get("stop_reason")
    caption = f"{len(losses)} of {run.get('steps_planned', len(losses))} steps with {what}" + (
        f" (lr {lr:g})" if lr is not None else ""
    )
    if stop and stop != "completed":
        caption += f"; stopped: {stop}"
    values = [y for _, y in points]
    return CurveChart(
        "loss_curve",
        "ND404",
        "Short training run: loss by step",
        "step",
        "loss",
        lines,
        markers=markers,
        caption=caption,
        y_log=min(values) > 0 and max(values) / min(values) > 1e3,
    )


def lr_range(report: Report) -> CurveChart | None:
    """The LR range test (ND403): loss against the learning rate on a log axis, with its reading."""
    curve = report.artifacts.get("lr_curve")
    summary = report.artifacts.get("lr_range") or {}
    if not isinstance(curve, list) or not isinstance(summary, dict):
        return None
    from nndoctor.report.lr_plot import _y_range as loss_axis  # the LR plot's axis, so both read alike

    def pairs(key: str) -> list[tuple[float, float]]:
        out = []
        for point in curve:
            lr, value = number(point.get("lr")), number(point.get(key))
            if lr is not None and lr > 0 and value is not None:
                out.append((lr, value))
        return out

    raw = pairs("loss")
    if len(raw) < 2:
        return None
    lines = [Line("loss", raw, "scatter")]
    trend = pairs("trend") or pairs("smoothed")
    if trend:
        lines.append(Line("trend", trend))
    markers = []
    suggestion = summary.get("suggestion") or {}
    low, high, best = number(suggestion.get("low")), number(suggestion.get("high")), number(suggestion.get("lr"))
    if low and high:
        markers.append(Marker(low, "recommended range", "good", x_end=high))
    if best:
        markers.append(Marker(best, f"suggested {best:.2g}", "good"))
    divergence = number(suggestion.get("divergence_lr"))
    if divergence and divergence <= raw[-1][0]:
        markers.append(Marker(divergence, "diverges", "bad"))
    configured = number(summary.get("configured_lr"))
    if configured:
        markers.append(Marker(configured, f"configured {configured:.2g}", "warn"))
    return CurveChart(
        "lr_range",
        "ND403",
        "LR range test: loss by learning rate",
        "learning rate (log scale)",
        "loss",
        lines,
        x_log=True,
        markers=markers,
        caption=str(summary.get("message") or ""),
        y_range=loss_axis([y for _, y in raw]),
    )


BUILDERS = (gradient_flow, activations, update_ratio, loss_curve, lr_range)


def pictures(report: Report) -> list[Picture]:
    """Every picture the report has the data for, in the order a reader follows the signal."""
    return [picture for build in BUILDERS if (picture := build(report)) is not None]


def pictures_of(report: Report, check_id: str) -> list[Picture]:
    return [p for p in pictures(report) if p.check_id == check_id]


def log_range(values: Sequence[float | None]) -> tuple[float, float]:
    """Whole decades around the positive values, so bar lengths read as orders of magnitude."""
    positive = [v for v in values if v is not None and v > 0]
    if not positive:
        return -1.0, 0.0
    low, high = math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))
    if high <= low:
        high = low + 1
    return float(low), float(high)


def log_fraction(value: float | None, low: float, high: float) -> float:
    """Where `value` sits between 10**low and 10**high, as 0..1 (0 for zero or missing values)."""
    if value is None or value <= 0:
        return 0.0
    return min(1.0, max(0.0, (math.log10(value) - low) / (high - low)))
