"""Why did the rule suggest what it did? Re-read the cached lr-find curves next to the ground truth.

For each task x seed in lr_find_runs.json (written by score.py): the readings nndoctor's rule takes
from the curve (start level, minimum, halfway-down point, edge, blow-up, each as an lr and as the
estimate it turns into), the suggestion, the seed's good range and the grid lr whose ground-truth run ends with the
lowest *training* loss (mean of its last 20 steps). Uses nndoctor.lr_suggest's internals read-only, so it
follows the rule as it is today; if the rule changes, this is only an approximation.

    python -m benchmarks.lr_oracle2.explain --tasks noisy-wide,linreg
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.lr_oracle2.score import GROUND_TRUTH, RUNS, good_range
from benchmarks.lr_oracle2.tasks import TASKS
from nndoctor import lr_suggest as ls


def readings(lrs: list[float], losses: list[float], diverged: bool) -> dict[str, Any]:
    """The rule's internal readings, recomputed step by step as `lr_suggest.suggest` computes them."""
    finite_lrs, finite_losses = ls._finite_prefix(lrs, losses)
    nonfinite = len(finite_lrs) < len(lrs) or diverged
    n = len(finite_lrs)
    x = [math.log10(v) for v in finite_lrs]
    y, _ = ls._loss_scale(finite_losses)
    trend = ls._trend(x, y)
    start = ls._median(trend[: max(3, n // 20)])
    i_min = min(range(n), key=lambda i: trend[i])
    drop = start - trend[i_min]
    noise = ls._median([abs(y[i + 1] - y[i]) for i in range(n - 1)]) * 1.4826 / math.sqrt(2)
    margin = max(0.1, 3 * noise)
    i_clear = next((i for i in range(i_min + 1, n) if trend[i] > start + margin), None)
    descent = drop >= max(ls.MIN_DROP, noise)
    i_blow = next((i for i in range(i_min + 1, n) if trend[i] > start), None) if descent else i_clear
    found: dict[str, float | None] = {"descent": None}
    if descent:
        found["descent"] = next(i for i in range(n) if trend[i] <= start - 0.5 * drop)
        i_edge = next((i for i in range(i_min, n) if trend[i] > trend[i_min] + 0.2 * drop), None)
    else:
        i_edge = i_blow
    last = n - 1 if not nonfinite or len(finite_lrs) == len(lrs) else n - 0.5
    found["edge"] = i_edge if i_edge is not None else last
    found["blow-up"] = i_blow if i_blow is not None else last
    out: dict[str, Any] = {
        "points": n,
        "drop_%": 100 * (1 - math.exp(-drop)),
        "noise_%": 100 * noise,
        "descent": descent,
        "min_lr": finite_lrs[i_min],
    }
    for key, idx in found.items():
        if idx is None:
            out[key] = out[key + "_est"] = None
            continue
        out[key] = 10 ** ls._at(x, idx)
        out[key + "_est"] = 10 ** (ls._at(x, idx - ls.LAG_STEPS) + ls.READINGS[key])
        out[key + "_fallback"] = (key == "edge" and i_edge is None) or (key == "blow-up" and i_blow is None)
    out["suggest"] = ls.suggest(lrs, losses, stopped_on_divergence=diverged).lr
    return out


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(math.log10(a) - math.log10(b)) < 1e-6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="")
    parser.add_argument("--runs", type=Path, default=RUNS)
    args = parser.parse_args(argv)
    gt = json.loads(GROUND_TRUTH.read_text())
    runs = json.loads(args.runs.read_text())
    grid = gt["grid"]
    wanted = [w for w in args.tasks.split(",") if w]
    fmt = lambda v: "-" if v is None else f"{v:.2g}"  # noqa: E731
    print(
        "| task | seed | drop % | noise % | min at | half-down -> est | edge -> est | blow-up -> est | nndoctor | "
        "good (seed) | lowest final train loss at |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for task in TASKS:
        if wanted and not any(w in task.name for w in wanted):
            continue
        rec = gt["tasks"][task.name]
        for seed in ("0", "1", "2"):
            run = runs.get(f"{task.name}|{seed}")
            if not run or not run.get("lrs"):
                continue
            r = readings(run["lrs"], run["losses"], run.get("stop_reason") == "diverged")
            tl = rec["seeds"][seed]["train_loss"]
            finite = [(i, v) for i, v in enumerate(tl) if v is not None]
            best_train = min(finite, key=lambda p: p[1])[0] if finite else None
            cells = []
            for key in ("descent", "edge", "blow-up"):
                mark = " (end)" if r.get(key + "_fallback") else ""
                cells.append(f"{fmt(r[key])}{mark} -> {fmt(r[key + '_est'])}" if r[key] is not None else "-")
            agree = "" if _close(r["suggest"], run.get("suggestion")) else f" (re-derived {fmt(r['suggest'])})"
            print(
                f"| {task.name} | {seed} | {r['drop_%']:.0f} | {r['noise_%']:.1f} | {fmt(r['min_lr'])} | "
                + " | ".join(cells)
                + f" | {fmt(run.get('suggestion'))}{agree} | {good_range(rec, grid, seed)} | "
                f"{fmt(grid[best_train]) if best_train is not None else '-'} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
