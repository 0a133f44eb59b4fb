"""`nndoctor.lr_find`: the learning-rate range test as a Python function, with a typed result.

    result = nndoctor.lr_find(model, train_loader, loss_fn, optimizer, val_loader=val_loader)
    result.suggestion, result.good_range, result.confident, result.reason
    result.plot()        # in a notebook: the curve with its reading (SVG); .plot("lr.png") saves it

It runs exactly what `nndoctor lr-find` and ND403 run (the `lr_range` probe and the ND403 check,
through `run_target`), so the three agree. The model is deep-copied and the optimizer only read
(nndoctor builds its own over the copy, with the same class and per-group settings); the loaders'
shuffling and the global RNG state are put back afterwards; torch's thread settings are left as
they are (the sweep gives the same suggestion at 1 and 2 threads). Importing this module is cheap:
torch is imported when `lr_find` runs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nndoctor.errors import UsageError

if TYPE_CHECKING:
    from nndoctor.report.model import Report


@dataclass(frozen=True)
class LRFindResult:
    """What the range test found; every lr is the first param group's (the others keep their ratios).

    `suggestion` is None when the curve shows no learning rate that trains (`reason` says why).
    `confident` is False when the reading should not be trusted (the curve is dominated by batch
    noise, the descent is small without a blow-up, or every confirmation run diverged); ND403 does
    not judge the configured lr from such a reading.
    """

    suggestion: float | None
    low: float | None  # the recommended range: learning rates that train about as well
    high: float | None
    divergence_lr: float | None  # where the loss blows up (None: not reached in the sweep)
    min_loss_lr: float | None  # where the trend of the loss is lowest
    confident: bool
    reason: str
    method: str
    noise: float | None  # batch-to-batch noise of the recorded loss, relative (0.1: 10% per point)
    curve_suggestion: float | None  # the curve's own reading, before the confirmation runs
    confirmations: tuple[dict[str, Any], ...]  # the confirmation runs: lr, held-out loss, metric
    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    smoothed: tuple[float, ...]
    trend: tuple[float, ...]
    configured_lr: float | None
    optimizer: str
    status: str  # ok | no_lr | nonfinite_at_start
    stop_reason: str  # completed | diverged | budget | nonfinite_at_start | no_lr
    steps: int
    skipped_steps: int  # steps the GradScaler skipped in fp16 (not recorded as points)
    verdict: str | None  # ND403's outcome on the configured lr (pass, warn, fail, skip, ...)
    verdict_message: str
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def good_range(self) -> tuple[float, float] | None:
        return (self.low, self.high) if self.low is not None and self.high is not None else None

    def curve(self) -> list[dict[str, float]]:
        """The recorded points: lr, raw loss, EMA-smoothed loss and the lag-free trend."""
        return [
            {"lr": a, "loss": b, "smoothed": c, "trend": d}
            for a, b, c, d in zip(self.lrs, self.losses, self.smoothed, self.trend, strict=True)
        ]

    def _summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "mode": self.settings.get("mode", "exp"),
            "configured_lr": self.configured_lr,
            "message": self.reason,
            "suggestion": {
                "lr": self.suggestion,
                "low": self.low,
                "high": self.high,
                "divergence_lr": self.divergence_lr,
                "min_loss_lr": self.min_loss_lr,
            },
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: the reading, the confirmation runs and the curve (non-finite losses as None)."""

        def clean(value: float) -> float | None:
            return value if math.isfinite(value) else None

        return {
            "suggestion": self.suggestion,
            "low": self.low,
            "high": self.high,
            "divergence_lr": self.divergence_lr,
            "min_loss_lr": self.min_loss_lr,
            "confident": self.confident,
            "reason": self.reason,
            "method": self.method,
            "noise": self.noise,
            "curve_suggestion": self.curve_suggestion,
            "confirmations": [dict(c) for c in self.confirmations],
            "configured_lr": self.configured_lr,
            "optimizer": self.optimizer,
            "status": self.status,
            "stop_reason": self.stop_reason,
            "steps": self.steps,
            "skipped_steps": self.skipped_steps,
            "verdict": self.verdict,
            "verdict_message": self.verdict_message,
            "settings": dict(self.settings),
            "curve": [{k: clean(v) for k, v in point.items()} for point in self.curve()],
        }

    def plot(self, path: str | Path | None = None, title: str = "") -> LRPlot:
        """The curve with the suggestion, the range, the divergence point and the configured lr.

        In a notebook the returned object displays itself (SVG); with `path` it is also written:
        `.svg` as SVG, anything else as PNG (needs matplotlib).
        """
        picture = LRPlot(self.curve(), self._summary(), title or f"LR range test ({self.optimizer})")
        if path is not None:
            picture.save(Path(path))
        return picture

    def __repr__(self) -> str:
        if self.suggestion is None:
            return f"<LRFindResult: no suggestion ({self.reason})>"
        rng = f", range {self.low:.2g}..{self.high:.2g}" if self.good_range else ""
        sure = "" if self.confident else ", not confident"
        return f"<LRFindResult: suggested lr {self.suggestion:.3g}{rng}{sure}>"

    @classmethod
    def from_report(cls, report: Report) -> LRFindResult:
        """The result from a report that ran ND403 (what `nndoctor lr-find` and `lr_find` run)."""
        summary = report.artifacts.get("lr_range")
        finding = report.finding("ND403")
        if not isinstance(summary, dict):
            message = finding.message if finding is not None else "the LR range test did not run"
            raise UsageError(f"The LR range test could not run: {message}")
        curve = report.artifacts.get("lr_curve") or []
        s = summary.get("suggestion") or {}
        first = summary.get("curve_suggestion") or {}

        def column(key: str) -> tuple[float, ...]:
            return tuple(math.nan if p.get(key) is None else float(p[key]) for p in curve)

        return cls(
            suggestion=s.get("lr"),
            low=s.get("low"),
            high=s.get("high"),
            divergence_lr=s.get("divergence_lr"),
            min_loss_lr=s.get("min_loss_lr"),
            confident=bool(s.get("confident", False)) and s.get("lr") is not None,
            reason=str(s.get("reason") or summary.get("message") or ""),
            method=str(s.get("method") or ""),
            noise=s.get("noise"),
            curve_suggestion=first.get("lr"),
            confirmations=tuple(summary.get("confirmations") or ()),
            lrs=column("lr"),
            losses=column("loss"),
            smoothed=column("smoothed"),
            trend=column("trend"),
            configured_lr=summary.get("configured_lr"),
            optimizer=str(summary.get("optimizer") or ""),
            status=str(summary.get("status")),
            stop_reason=str(summary.get("stop_reason")),
            steps=int(summary.get("steps") or 0),
            skipped_steps=int(summary.get("skipped_steps") or 0),
            verdict=finding.outcome.value if finding is not None else None,
            verdict_message=finding.message if finding is not None else "",
            settings={
                k: summary.get(k) for k in ("start", "end", "requested_steps", "mode", "loss_source", "accumulate")
            },
        )


LR_FIND_BATCHES = 8  # batches loaded up front; the sweep streams the loader (nndoctor check loads 32)


def _streams_afresh(loader: Any) -> bool:
    """A DataLoader whose every pass starts over from its sampler (map-style dataset, torch's own
    samplers): the batches taken up front cannot change what the sweep's stream draws from it."""
    from torch.utils.data import BatchSampler, DataLoader, IterableDataset, RandomSampler, SequentialSampler

    return (
        isinstance(loader, DataLoader)
        and not isinstance(loader.dataset, IterableDataset)
        and type(loader.sampler) in (RandomSampler, SequentialSampler)
        and type(loader.batch_sampler) is BatchSampler
    )


def _needed_batches(train_loader: Any, has_val: bool, sweep: Any) -> int:
    """Batches to take up front when the caller leaves `max_batches` open: the first training batch
    (the setup probe's forward) and the validation batches the run scores on. A loader that may not
    start over on a second pass keeps LR_FIND_BATCHES: its stream falls back to cycling them."""
    if not _streams_afresh(train_loader):
        return LR_FIND_BATCHES
    if not has_val:
        return 1  # held-out batches then come from the training stream itself
    scored = [sweep.held_batches if sweep.confirm else 0, sweep.val_batches if sweep.loss == "val" else 0]
    return max(1, *scored)


class _Artifacts:
    """The part of a Report the picture builder reads."""

    def __init__(self, curve: Sequence[dict[str, Any]], summary: dict[str, Any]) -> None:
        self.artifacts = {"lr_curve": list(curve), "lr_range": summary}


class LRPlot:
    """The range-test picture of an `LRFindResult`: shows itself in a notebook (SVG), saves to a file."""

    def __init__(self, curve: Sequence[dict[str, Any]], summary: dict[str, Any], title: str = "") -> None:
        self.curve, self.summary, self.title = list(curve), summary, title

    def svg(self) -> str:
        from typing import cast

        from nndoctor.report.model import Report
        from nndoctor.report.pictures import lr_range
        from nndoctor.report.svg import render_svg

        chart = lr_range(cast(Report, _Artifacts(self.curve, self.summary)))
        if chart is None:
            return '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="40"><text x="8" y="24">no curve</text></svg>'
        return render_svg(chart)

    def _repr_svg_(self) -> str:
        return self.svg()

    def save(self, path: Path) -> None:
        """`.svg`: the SVG; anything else: a PNG with matplotlib."""
        if path.suffix.lower() == ".svg":
            try:
                path.write_text(self.svg(), encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"Cannot write the plot to {path}: {exc.strerror or exc}.") from exc
            return
        from nndoctor.report.lr_plot import write_png

        write_png(path, self.curve, self.summary, title=self.title)


SWEEP_KEYS = (
    "start",
    "end",
    "steps",
    "mode",
    "accumulate",
    "loss",
    "val_every",
    "val_batches",
    "smooth",
    "diverge_factor",
    "confirm",
    "confirm_steps",
    "confirm_spread",
    "held_batches",
)


def lr_find(
    model: Any,
    train_loader: Iterable[Any],
    loss_fn: Callable[..., Any] | None = None,
    optimizer: Any = None,
    *,
    val_loader: Iterable[Any] | None = None,
    forward_fn: Callable[..., Any] | None = None,
    start: float | None = None,
    end: float | None = None,
    steps: int | None = None,
    mode: str | None = None,
    accumulate: int | None = None,
    loss: str | None = None,
    confirm: int | None = None,
    confirm_steps: int | None = None,
    held_batches: int | None = None,
    device: str | None = None,
    seed: int | None = None,
    precision: str | None = None,
    hints: Mapping[str, Any] | None = None,
    profile: str | None = None,
    budget_s: float | None = None,
    max_batches: int | None = None,
    name: str | None = None,
) -> LRFindResult:
    """Run the learning-rate range test on `model` and its data; see `nndoctor explain ND403`.

    Args:
        model: the `nn.Module`; it is deep-copied, never changed.
        train_loader: a DataLoader or any iterable of batches (`(inputs, targets)` by default). The
            sweep draws fresh batches from it as training would, re-iterating it only when the
            steps exceed an epoch.
        loss_fn: `loss(output, target) -> scalar`; inferred from the targets when None.
        optimizer: any torch.optim optimizer instance (only read: class and per-group settings;
            groups with different lrs keep their ratios) or a callable `params -> Optimizer`;
            Adam at 1e-3 when None.
        val_loader: validation batches; the confirmation runs are scored on them (else on
            training batches held out of the sweep).
        start, end, steps, mode, accumulate, loss, confirm, confirm_steps, held_batches: the
            sweep's settings (`nndoctor lr-find --help`); None keeps the profile's.
        device, seed, precision ("fp32", "bf16", "fp16"), hints, profile: as for `diagnose`.
        budget_s: an optional wall-clock cap; none by default (the sweep is bounded by steps).
        max_batches: batches taken up front (setup inference, validation/held-out scoring, and
            the batches cycled when the loader is a one-shot iterator); the sweep itself streams.
            None takes what the run uses: one training batch and the validation batches scored
            (LR_FIND_BATCHES for loaders other than a DataLoader over a map-style dataset).

    Returns an `LRFindResult`; ND403's verdict on the configured lr is in `verdict`.
    """
    from nndoctor.api import _request, optimizer_factory_from, run_target
    from nndoctor.settings import resolve_settings
    from nndoctor.targets import Target
    from nndoctor.targets.model import validate_hints

    given = {
        "start": start,
        "end": end,
        "steps": steps,
        "mode": mode,
        "accumulate": accumulate,
        "loss": loss,
        "confirm": confirm,
        "confirm_steps": confirm_steps,
        "held_batches": held_batches,
    }
    sweep = {k: v for k, v in given.items() if v is not None}
    target = Target(
        name=name or f"{type(model).__name__} (python api)",
        model=model,
        train_data=train_loader,
        val_data=val_loader,
        loss_fn=loss_fn,
        optimizer_factory=optimizer_factory_from(optimizer, model, "optimizer"),
        forward_fn=forward_fn,
        hints=validate_hints(dict(hints or {}), "the hints passed to lr_find"),
    )
    if sweep.get("loss") == "val" and val_loader is None:
        raise UsageError("lr_find(loss='val') records the validation loss, but no val_loader was passed.")
    request = dataclasses.replace(
        _request(profile, ["ND403"], None, device, seed, precision, budget_s, None, {"lr_range": sweep}),
        max_batches=LR_FIND_BATCHES if max_batches is None else max_batches,
    )
    settings = resolve_settings(request)
    if max_batches is None:  # loading batches the run never reads is a fixed cost of every call
        needed = _needed_batches(train_loader, val_loader is not None, settings.probe("lr_range"))
        settings = dataclasses.replace(settings, max_batches=min(needed, settings.max_batches))
    return LRFindResult.from_report(run_target(target, settings))


__all__ = ["LRFindResult", "lr_find"]
