"""Learning-rate suggestions from an LR range test curve: nndoctor's rule and the peers' rules.

Pure Python over the recorded (lr, loss) points, with no torch or NumPy, so every rule can be unit
tested on synthetic curves and the benchmark can score them all on the same sweep.

The peers' rules are reimplemented from their documented behaviour, each with its own smoothing
and trimming, so that they are scored as their users would get them:

- torch-lr-finder `plot(suggest_lr=True)`: EMA with factor 0.05 (no debiasing), drop 10 points at
  the start and 5 at the end, steepest descent per *index* (`np.gradient`).
- Lightning `lr_find().suggestion()`: debiased EMA with beta 0.98, drop 10 points at the start and 1
  at the end, keep the finite ones, steepest descent per unit of *lr* (non-uniform spacing).
- fastai `lr_find`: debiased EMA with beta 0.98, drop the first num_it/10 and the last 5 points,
  cut at the first NaN; `valley` (middle of the longest decreasing subsequence), `slide`
  (interval slide rule on the loss gradient), `minimum` (a tenth of the minimum's lr) and `steep`
  (steepest descent per unit of log lr).

Known weaknesses they share, which nndoctor's rule is built against: a derivative of a noisy curve
picks spikes; an EMA lags, so everything it finds is shifted towards higher learning rates; a fixed
number of skipped points is a different share of the sweep for every step count; and steepness per
unit of *lr* (not log lr) favours the noisy first points.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nndoctor.declare import setting
from nndoctor.errors import SettingsError

MIN_STEPS = 20  # fewer recorded points cannot separate a descent from noise


@dataclass(frozen=True)
class LRRangeSettings:
    """The range test's settings (profile `probes: lr_range:` or the `nndoctor lr-find` options)."""

    start: float = setting(1e-7, above=0, help="smallest learning rate of the sweep")
    end: float = setting(10.0, above=0, help="largest learning rate of the sweep")
    steps: int = setting(100, minimum=MIN_STEPS, help="optimizer steps in the sweep")
    mode: str = setting("exp", choices=("exp", "linear"), help="geometric (exp) or even (linear) lr steps")
    accumulate: int = setting(1, minimum=1, help="batches of gradient accumulated per step")
    loss: str = setting("train", choices=("train", "val"), help="record the training or the validation loss")
    val_every: int = setting(1, minimum=1, help="with loss=val: evaluate every N steps")
    val_batches: int = setting(4, minimum=1, help="with loss=val: batches per evaluation")
    smooth: float = setting(0.9, minimum=0, maximum=0.999, help="EMA factor of the smoothed loss (0: none)")
    diverge_factor: float = setting(4.0, above=1, help="stop when the smoothed loss exceeds this many times its best")
    check_every: int | None = setting(None, minimum=1, help="steps per divergence test (null: 1 on CPU, 8 on GPU)")
    confirm: int = setting(
        3, minimum=0, maximum=9, help="confirmation runs at candidate lrs around the curve's reading (0: none)"
    )
    confirm_steps: int = setting(60, minimum=1, help="optimizer steps of each confirmation run")
    confirm_spread: float = setting(0.5, above=0, help="decades between the confirmation candidates")
    held_batches: int = setting(
        4, minimum=1, help="batches the confirmation runs are scored on (validation, else held-out training)"
    )

    def __post_init__(self) -> None:
        if not self.end > self.start:
            raise SettingsError(
                f"The range test's end lr ({self.end:g}) must be above its start lr ({self.start:g}): the sweep "
                "raises the learning rate from start to end (e.g. --start 1e-7 --end 10)."
            )


@dataclass(frozen=True)
class Suggestion:
    """nndoctor's reading of a range-test curve; every lr is the first param group's."""

    lr: float | None  # the suggested learning rate (None: the curve gives no reliable one)
    low: float | None  # recommended range: learning rates that train about as well
    high: float | None
    divergence_lr: float | None  # where the loss blows up (None: not reached in the sweep)
    min_loss_lr: float | None  # where the trend of the loss is lowest
    method: str  # which rule produced the suggestion
    reason: str  # one sentence on how the curve was read (or why there is no suggestion)
    confident: bool = True  # False: the curve shows only a small descent and no clear blow-up
    noise: float | None = None  # batch-to-batch noise of the loss, relative (0.1: 10% per point)
    drop: float | None = None  # how far the loss's trend falls, relative

    def to_dict(self) -> dict[str, float | str | bool | None]:
        return {
            "noise": self.noise,
            "drop": self.drop,
            "lr": self.lr,
            "low": self.low,
            "high": self.high,
            "divergence_lr": self.divergence_lr,
            "min_loss_lr": self.min_loss_lr,
            "method": self.method,
            "reason": self.reason,
            "confident": self.confident,
        }


# -- small numeric helpers ---------------------------------------------------------------------
def _finite_prefix(lrs: Sequence[float], losses: Sequence[float]) -> tuple[list[float], list[float]]:
    """The points before the first non-finite loss (or non-positive lr)."""
    out_lr: list[float] = []
    out_loss: list[float] = []
    for lr, loss in zip(lrs, losses, strict=False):
        if not (math.isfinite(loss) and math.isfinite(lr) and lr > 0):
            break
        out_lr.append(float(lr))
        out_loss.append(float(loss))
    return out_lr, out_loss


def ema(values: Sequence[float], beta: float, debias: bool = True) -> list[float]:
    """Exponential moving average; with `debias` the early values are not pulled towards 0."""
    out: list[float] = []
    avg = 0.0
    for i, value in enumerate(values):
        avg = beta * avg + (1.0 - beta) * value
        out.append(avg / (1.0 - beta ** (i + 1)) if debias and beta > 0 else avg)
    return out


def gradient(values: Sequence[float], spacing: Sequence[float] | None = None) -> list[float]:
    """Like `np.gradient`: central differences inside, one-sided at the ends.

    With `spacing` (the sample coordinates) it uses the second-order formula for uneven steps,
    as `torch.gradient(values, spacing=[coords])` does.
    """
    n = len(values)
    if n < 2:
        return [0.0] * n
    x = list(spacing) if spacing is not None else [float(i) for i in range(n)]
    out = [0.0] * n
    out[0] = (values[1] - values[0]) / (x[1] - x[0])
    out[-1] = (values[-1] - values[-2]) / (x[-1] - x[-2])
    for i in range(1, n - 1):
        hl, hr = x[i] - x[i - 1], x[i + 1] - x[i]
        out[i] = (hl * hl * values[i + 1] - hr * hr * values[i - 1] + (hr * hr - hl * hl) * values[i]) / (
            hl * hr * (hl + hr)
        )
    return out


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


def _running_median(values: Sequence[float], half: int) -> list[float]:
    n = len(values)
    return [_median(values[max(0, i - half) : min(n, i + half + 1)]) for i in range(n)]


def _gaussian_smooth(values: Sequence[float], x: Sequence[float], width: float) -> list[float]:
    """Kernel smoothing in coordinate space: centred, so features are not shifted (unlike an EMA).

    `x` is increasing; only points within three widths are weighted.
    """
    n = len(values)
    if width <= 0 or n < 3:
        return list(values)
    out = []
    for i in range(n):
        lo, hi = bisect.bisect_left(x, x[i] - 3 * width), bisect.bisect_right(x, x[i] + 3 * width)
        num = den = 0.0
        for j in range(lo, hi):
            d = (x[j] - x[i]) / width
            w = math.exp(-0.5 * d * d)
            num += w * values[j]
            den += w
        out.append(num / den)
    return out


# -- nndoctor's rule ---------------------------------------------------------------------------
# Each reading of the curve, turned into an estimate of the best constant lr by a fixed offset (in
# decades). Calibrated with benchmarks/lr_oracle.py against fixed-budget training on a log grid.
READINGS = {
    "descent": 0.05,  # where the trend of the loss has fallen halfway from its start to its minimum
    "edge": -0.75,  # where, past the minimum, it has climbed back a fifth of the way: training turns unstable
    "blow-up": -1.0,  # where it is back above its starting level: the loss diverges
}
LAG_STEPS = 3.0  # the loss answers an lr change a few optimizer steps late, so readings sit that far right
MIN_DROP = 0.02  # a descent smaller than 2% of the loss is not evidence of learning
SURE_DROP = 0.1  # one of 10% is, even when the sweep shows no blow-up after it
NOISE_FACTOR = 4.0  # a drop of the trend below 4x the trend's own noise is not evidence of learning
RANGE_BELOW = 0.3  # the recommended range, in decades around the suggestion: each end lands in the
RANGE_ABOVE = 0.2  # oracle's good set about 85% of the time in benchmarks/lr_oracle.py


def _trend(x: Sequence[float], y: Sequence[float]) -> list[float]:
    """Spike-proof, lag-free trend: a short running median, then a centred Gaussian in log lr."""
    n = len(y)
    span = x[-1] - x[0]
    return _gaussian_smooth(_running_median(y, max(1, n // 40)), x, max(span / 40.0, 1e-12))


def _loss_scale(losses: Sequence[float]) -> tuple[list[float], bool]:
    """log(loss) when losses are non-negative (a 10% drop means the same at any scale), else as is."""
    if min(losses) < 0:
        return list(losses), False
    floor = max(1e-8 * _median(losses[: max(3, len(losses) // 20)]), 1e-30)  # a loss of exactly 0 stays finite
    return [math.log(max(v, floor)) for v in losses], True


def _trend_noise(x: Sequence[float], y: Sequence[float]) -> float:
    """The noise of the trend, measured: the trends of the even and of the odd points are two
    independent measurements of the same curve (every other batch), so half the robust spread of
    their difference estimates the full trend's noise."""
    if len(y) < 12:
        return 0.0
    even = _trend(x[0::2], y[0::2])
    odd = _trend(x[1::2], y[1::2])
    diffs = [a - b for a, b in zip(even, odd, strict=False)]
    centre = _median(diffs)
    return 1.4826 * _median([abs(d - centre) for d in diffs]) / 2


def loss_trend(lrs: Sequence[float], losses: Sequence[float]) -> list[float]:
    """The lag-free trend the suggestion reads, in loss units (NaN past the first non-finite loss)."""
    finite_lrs, finite_losses = _finite_prefix(lrs, losses)
    if len(finite_lrs) < 3:
        return [math.nan] * len(losses)
    y, logged = _loss_scale(finite_losses)
    trend = _trend([math.log10(lr) for lr in finite_lrs], y)
    values = [math.exp(v) for v in trend] if logged else trend
    return values + [math.nan] * (len(losses) - len(values))


def _at(x: Sequence[float], index: float) -> float:
    """x at a fractional index; before the first point, extrapolated with the first spacing."""
    if index <= 0:
        return x[0] + index * (x[1] - x[0])
    lo = min(math.floor(index), len(x) - 2)
    t = index - lo
    return (1 - t) * x[lo] + t * x[lo + 1]


def suggest(
    lrs: Sequence[float],
    losses: Sequence[float],
    *,
    points_per_step: float = 1.0,
    stopped_on_divergence: bool = False,
    min_points: int = MIN_STEPS,
) -> Suggestion:
    """nndoctor's suggestion, recommended range and divergence point from a raw range-test curve.

    `losses` are the raw (unsmoothed) losses recorded at `lrs` (increasing); a non-finite loss ends
    the usable curve and marks the divergence point. `points_per_step` is how many points the curve
    has per optimizer step (1/k when a validation loss was recorded every k steps);
    `stopped_on_divergence` says the sweep ended because its last point diverged (not on a budget).

    Three readings of a lag-free trend of log(loss) are each mapped to an estimate of the best
    constant learning rate (offsets in READINGS) after moving them LAG_STEPS optimizer steps back,
    and the suggestion is their geometric mean. Only the readings the curve shows are used.
    """
    finite_lrs, finite_losses = _finite_prefix(lrs, losses)
    nonfinite_lr = lrs[len(finite_lrs)] if len(finite_lrs) < len(lrs) else None
    if nonfinite_lr is None and stopped_on_divergence and finite_lrs:
        nonfinite_lr = finite_lrs[-1]  # the sweep's last point is where it blew up
    if not finite_lrs:
        return Suggestion(None, None, None, nonfinite_lr, None, "none", "the loss is not finite from the first step")
    if len(finite_lrs) < min_points:
        why = "before the loss diverged" if nonfinite_lr is not None else "in the curve"
        return Suggestion(
            None,
            None,
            None,
            nonfinite_lr,
            None,
            "none",
            f"only {len(finite_lrs)} finite points {why}; the rule needs at least {min_points}",
        )
    n = len(finite_lrs)
    x = [math.log10(lr) for lr in finite_lrs]
    y, _ = _loss_scale(finite_losses)
    trend = _trend(x, y)
    head = max(3, n // 20)
    start_level = _median(trend[:head])
    i_min = min(range(n), key=lambda i: trend[i])
    drop = start_level - trend[i_min]
    noise = _median([abs(y[i + 1] - y[i]) for i in range(n - 1)]) * 1.4826 / math.sqrt(2)
    # a clear blow-up: non-finite, or the trend well above where it started (10%, or 3x the batch noise)
    margin = max(0.1, 3 * noise)
    i_clear = next((i for i in range(i_min + 1, n) if trend[i] > start_level + margin), None)
    clear_blow_up = i_clear is not None or nonfinite_lr is not None
    descent = drop >= max(MIN_DROP, noise)
    # a small descent with no clear blow-up after it is weak evidence: a sweep cut short, or a loss that
    # barely responds, dips by noise alone. It still gets a suggestion, marked tentative, and no
    # divergence point unless the loss clearly blew up.
    confident = not descent or drop >= SURE_DROP or clear_blow_up
    # the trend's own noise, measured by a split-half re-measurement; a drop within NOISE_FACTOR of
    # it may be batch noise and nothing else
    trend_noise = _trend_noise(x, y)
    noise_dominated = descent and nonfinite_lr is None and drop < NOISE_FACTOR * trend_noise
    if noise_dominated:
        confident = False
    # blow-up: back above the starting level after the minimum (clearly above when nothing descended)
    i_blow = next((i for i in range(i_min + 1, n) if trend[i] > start_level), None) if descent else i_clear
    diverged = i_blow is not None or nonfinite_lr is not None
    if confident:
        divergence_lr = finite_lrs[i_blow] if i_blow is not None else nonfinite_lr
    else:
        divergence_lr = nonfinite_lr
    if not descent and not diverged:
        if noise > max(MIN_DROP, 0.5 * drop) and drop > MIN_DROP:
            return Suggestion(
                None,
                None,
                None,
                None,
                None,
                "none",
                f"not confident: the loss's batch-to-batch noise ({100 * noise:.0f}% per point) is as large as its "
                f"drop ({100 * (1 - math.exp(-drop)):.0f}%), so the curve is dominated by noise; sweep with more steps "
                "(--steps) or larger batches",
                confident=False,
                noise=noise,
                drop=drop,
            )
        return Suggestion(
            None,
            None,
            None,
            None,
            None,
            "none",
            f"the loss neither falls nor blows up between {finite_lrs[0]:.2g} and {finite_lrs[-1]:.2g}, so the "
            "curve shows no learning rate that trains",
            noise=noise,
            drop=drop,
        )
    lag = LAG_STEPS * points_per_step
    readings: dict[str, float] = {}
    if descent:
        i_half = next(i for i in range(n) if trend[i] <= start_level - 0.5 * drop)
        readings["descent"] = i_half
        i_edge = next((i for i in range(i_min, n) if trend[i] > trend[i_min] + 0.2 * drop), None)
    else:
        i_edge = i_blow
    ended_falling = i_edge is None and not diverged
    last = n - 1 if nonfinite_lr is None else n - 0.5  # a NaN right after the last point: in between
    readings["edge"] = i_edge if i_edge is not None else last
    readings["blow-up"] = i_blow if i_blow is not None else last
    estimates = {name: _at(x, index - lag) + READINGS[name] for name, index in readings.items()}
    log_lr = sum(estimates.values()) / len(estimates)
    log_lr = min(max(log_lr, x[0]), x[-1])
    lr = 10**log_lr
    low = 10 ** (log_lr - RANGE_BELOW)
    high_log = log_lr + RANGE_ABOVE
    if divergence_lr is not None:  # never recommend within a factor 2 of where the loss blows up
        high_log = min(high_log, math.log10(divergence_lr) - 0.3)
    high = 10 ** max(high_log, log_lr)
    used = ", ".join(readings)
    if noise_dominated:
        reason = (
            f"not confident: the loss's trend falls {100 * (1 - math.exp(-drop)):.0f}%, within "
            f"{NOISE_FACTOR:g}x its own noise (batch-to-batch noise {100 * noise:.0f}% per point), so the curve "
            "may show batch noise rather than learning; sweep with more steps (--steps) or larger batches"
        )
    elif not confident:
        reason = (
            f"tentative: the loss falls only {100 * (1 - math.exp(-drop)):.0f}% over the sweep and does not clearly "
            "blow up after it; sweep further (--end) or with more steps before trusting it"
        )
    elif ended_falling:
        reason = (
            f"the loss was still falling at the end of the sweep ({finite_lrs[-1]:.2g}), so it shows no instability "
            "yet; the suggestion is conservative: sweep to a higher --end to see where it diverges"
        )
    elif not descent:
        reason = "the loss hardly falls before it blows up; the suggestion comes from where it blows up"
    else:
        reason = (
            "geometric mean of three lag-corrected readings: where the loss is halfway down, where it turns "
            "back up and where it is back above its start"
        )
    return Suggestion(
        lr=lr,
        low=low,
        high=high,
        divergence_lr=divergence_lr,
        min_loss_lr=finite_lrs[i_min] if descent else None,
        method=f"nndoctor ({used}; lag-corrected)",
        reason=reason,
        confident=confident,
        noise=noise,
        drop=drop,
    )


# -- confirmation runs ----------------------------------------------------------------------------
# The curve's reading is checked by short constant-lr runs from the initial weights at candidates
# around it, all on the same training batches and scored on the same held-out batches (paired).
CHOICE_TOLERANCE = 0.05  # candidates within 5% of the best held-out loss count as tied: the lowest lr wins
BLEND = 0.5  # the suggestion: this share (in log lr) from the confirmed candidate, the rest from the curve
# (tuned on the TUNING tasks of benchmarks/lr_oracle2 with tune.py: see RESULTS.md)


def confirmation_candidates(curve: Suggestion, count: int, spread: float) -> list[float]:
    """`count` lrs `spread` decades apart, centred on the curve's suggestion, none within a factor
    2 of where the loss blew up (those are moved below it, and duplicates dropped)."""
    assert curve.lr is not None
    centre = math.log10(curve.lr)
    top = math.log10(curve.divergence_lr) - 0.3 if curve.divergence_lr is not None else math.inf
    logs: list[float] = []
    for k in range(count):
        value = min(centre + (k - (count - 1) / 2) * spread, top)
        if all(abs(value - v) > 1e-9 for v in logs):
            logs.append(value)
    return [10**v for v in sorted(logs)]


def choose(curve: Suggestion, results: Sequence[tuple[float, float, Sequence[float]]], held: str) -> Suggestion:
    """The suggestion after confirmation runs: `results` are (lr, held-out loss, per-batch losses).

    The candidate with the lowest held-out loss wins; candidates within CHOICE_TOLERANCE of it are
    tied and the lowest lr among them is taken (a lower lr that trains as well is the safer choice,
    and a rule with a tolerance gives the same answer when the losses move by float noise, e.g.
    between thread counts). The suggestion is the geometric mean of that candidate and the curve's
    reading (BLEND): a short run favours larger lrs than a full training budget does, and the mean
    halves the jump between seeds that pick different candidates. The recommended range is
    RANGE_BELOW/RANGE_ABOVE decades around it, below the divergence point. When every candidate
    diverged the curve's reading is not trusted.
    """
    finite = [(lr, loss) for lr, loss, _ in results if math.isfinite(loss)]
    if not finite:
        low = min(lr for lr, _, _ in results)
        return Suggestion(
            lr=low / 10,
            low=None,
            high=None,
            divergence_lr=curve.divergence_lr,
            min_loss_lr=curve.min_loss_lr,
            method="nndoctor (confirmation runs all diverged)",
            reason=f"not confident: every confirmation run diverged (the lowest at {low:.2g}), so the curve's reading "
            "is not trusted; try a lower --start or fewer --steps per decade",
            confident=False,
            noise=curve.noise,
            drop=curve.drop,
        )
    best = min(loss for _, loss in finite)
    scale = abs(best) if best != 0 else 1.0
    chosen = min(lr for lr, loss in finite if loss <= best + CHOICE_TOLERANCE * scale)
    centre = math.log10(curve.lr) if curve.lr is not None else math.log10(chosen)
    log_lr = BLEND * math.log10(chosen) + (1 - BLEND) * centre
    high_log = log_lr + RANGE_ABOVE
    if curve.divergence_lr is not None:
        high_log = min(high_log, math.log10(curve.divergence_lr) - 0.3)
    scores = ", ".join(f"{lr:.2g}: {loss:.4g}" for lr, loss, _ in results)
    return Suggestion(
        lr=10**log_lr,
        low=10 ** (log_lr - RANGE_BELOW),
        high=10 ** max(high_log, log_lr),
        divergence_lr=curve.divergence_lr,
        min_loss_lr=curve.min_loss_lr,
        method="nndoctor (curve reading, then confirmation runs)",
        reason=f"{len(results)} short runs around the curve's reading {curve.lr:.2g}, scored on {held} batches "
        f"(loss {scores}): the lowest lr within {100 * CHOICE_TOLERANCE:g}% of the best, {chosen:.2g}, "
        f"averaged with the curve's reading (geometric mean)",
        confident=curve.confident,
        noise=curve.noise,
        drop=curve.drop,
    )


# -- the peers, reimplemented from their descriptions -------------------------------------------
def _cut_at_divergence(losses: Sequence[float], factor: float, min_step: int = 0) -> int:
    """How many smoothed points a peer keeps: it stops once a loss exceeds factor x the best so far."""
    best = math.inf
    for i, value in enumerate(losses):
        if not math.isfinite(value):
            return i + 1
        if i >= min_step and value > factor * best:
            return i + 1
        best = min(best, value)
    return len(losses)


def torch_lr_finder_steepest(lrs: Sequence[float], losses: Sequence[float]) -> float | None:
    """torch-lr-finder: smooth_f=0.05, diverge_th=5, skip 10 / 5, steepest per index."""
    smoothed: list[float] = []
    for value in losses:
        smoothed.append(value if not smoothed else 0.05 * value + 0.95 * smoothed[-1])
    keep = _cut_at_divergence(smoothed, 5.0)
    lrs_k, sm = list(lrs[:keep])[10:-5], smoothed[:keep][10:-5]
    if len(sm) < 2 or not all(math.isfinite(v) for v in sm):
        sm_f = [(lr, v) for lr, v in zip(lrs_k, sm, strict=True) if math.isfinite(v)]
        if len(sm_f) < 2:
            return None
        lrs_k, sm = [a for a, _ in sm_f], [b for _, b in sm_f]
    grads = gradient(sm)
    return lrs_k[min(range(len(grads)), key=lambda i: grads[i])]


def lightning_steepest(lrs: Sequence[float], losses: Sequence[float]) -> float | None:
    """Lightning: debiased EMA 0.98, stop at 4x best, skip 10 / 1, steepest per unit of lr."""
    smoothed = ema([v if math.isfinite(v) else math.inf for v in losses], 0.98)
    keep = _cut_at_divergence(smoothed, 4.0, min_step=2)
    pts = [(lr, v) for lr, v in zip(lrs[:keep][10:-1], smoothed[:keep][10:-1], strict=True) if math.isfinite(v)]
    if len(pts) < 2:
        return None
    grads = gradient([v for _, v in pts], [lr for lr, _ in pts])
    return pts[min(range(len(grads)), key=lambda i: grads[i])][0]


def _fastai_curve(lrs: Sequence[float], losses: Sequence[float], num_it: int | None) -> tuple[list[float], list[float]]:
    smoothed = ema([v if math.isfinite(v) else math.nan for v in losses], 0.98)
    keep = _cut_at_divergence(smoothed, 4.0)
    num_it = len(lrs) if num_it is None else num_it
    lrs_k, sm = list(lrs[:keep])[num_it // 10 : -5], smoothed[:keep][num_it // 10 : -5]
    for i, value in enumerate(sm):
        if math.isnan(value):
            return lrs_k[:i], sm[:i]
    return lrs_k, sm


def fastai_valley(lrs: Sequence[float], losses: Sequence[float], num_it: int | None = None) -> float | None:
    """fastai valley: the middle of the longest strictly decreasing run of (smoothed) losses."""
    lrs_k, sm = _fastai_curve(lrs, losses, num_it)
    n = len(sm)
    if n == 0:
        return None
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if sm[i] < sm[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return lrs_k[max_start + int(sections) + int(sections / 2)]


def fastai_slide(
    lrs: Sequence[float], losses: Sequence[float], num_it: int | None = None, lr_diff: int = 15, thresh: float = 0.005
) -> float | None:
    """fastai slide: walk left until the loss gradient over a `lr_diff` window stops changing."""
    lrs_k, sm = _fastai_curve(lrs, losses, num_it)
    n = len(sm)
    if n <= lr_diff:
        return None
    grads = gradient(sm)
    r_idx, l_idx = n - 1, n - 1 - lr_diff
    found = lrs_k[l_idx]
    while l_idx >= 0 and abs(grads[r_idx] - grads[l_idx]) > thresh:
        found = lrs_k[l_idx]
        r_idx -= 1
        l_idx -= 1
    return found


def fastai_minimum(lrs: Sequence[float], losses: Sequence[float], num_it: int | None = None) -> float | None:
    """fastai minimum: a tenth of the lr at the lowest smoothed loss."""
    lrs_k, sm = _fastai_curve(lrs, losses, num_it)
    if not sm:
        return None
    return lrs_k[min(range(len(sm)), key=lambda i: sm[i])] / 10.0


def fastai_steep(lrs: Sequence[float], losses: Sequence[float], num_it: int | None = None) -> float | None:
    """fastai steep: the steepest descent per unit of log lr."""
    lrs_k, sm = _fastai_curve(lrs, losses, num_it)
    if len(sm) < 2:
        return None
    grads = [(sm[i + 1] - sm[i]) / (math.log(lrs_k[i + 1]) - math.log(lrs_k[i])) for i in range(len(sm) - 1)]
    return lrs_k[min(range(len(grads)), key=lambda i: grads[i])]


PEERS: dict[str, Callable[[Sequence[float], Sequence[float]], float | None]] = {
    "torch-lr-finder steepest": torch_lr_finder_steepest,
    "lightning steepest": lightning_steepest,
    "fastai valley": fastai_valley,
    "fastai slide": fastai_slide,
    "fastai minimum": fastai_minimum,
    "fastai steep": fastai_steep,
}


PEER_MAX_POINTS = 3000  # fastai's valley is quadratic in the number of points


def peer_suggestions(lrs: Sequence[float], losses: Sequence[float]) -> dict[str, float | None]:
    """Every peer's suggestion on the same raw curve (None where a rule finds none)."""
    out: dict[str, float | None] = {}
    if len(lrs) > PEER_MAX_POINTS:
        return dict.fromkeys(PEERS)
    for name, rule in PEERS.items():
        try:
            out[name] = rule(lrs, losses)
        except (ValueError, ZeroDivisionError, IndexError):
            out[name] = None
    return out
