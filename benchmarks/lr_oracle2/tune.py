"""Offline tuning of the confirmation step on `confirm_sim.json` (TUNING tasks only), scored on both splits.

Each stored call has the curve's reading and held-out scores of 60-step runs at 9 candidates from
-1 to +1 decade around it (quarter decades, capped a factor 2 below the divergence point). A rule
variant picks 3 of them (a centre shift and a spacing), a score (held-out loss, or the task
metric with the loss breaking ties) and a tie tolerance; this prints how each variant would
score on the oracle, ranked on TUNING only by tasks hit + calls hit / 3 + tasks with a seed spread
below 0.3 decades (the three targets, calls weighted as the three seeds of a task). `--rule` shows one variant's per-task table.

    python -m benchmarks.lr_oracle2.tune                      # the grid of variants, best on TUNING first
    python -m benchmarks.lr_oracle2.tune --rule 0,0.5,loss,0.02
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.lr_oracle2.score import score_task
from benchmarks.lr_oracle2.tasks import TASKS, split_of

HERE = Path(__file__).resolve().parent


def pick(
    call: dict[str, Any], shift: float, spacing: float, score: str, tol: float, final: str = "pick"
) -> float | None:
    curve = (call.get("curve_suggestion") or {}).get("lr")
    runs = call.get("confirmations") or []
    if not curve:
        return call.get("suggestion")
    if not runs:
        return curve
    centre = math.log10(curve)
    top = max(math.log10(r["lr"]) for r in runs)
    div = (call.get("curve_suggestion") or {}).get("divergence_lr")
    cap = math.log10(div) - 0.3 if div else math.inf

    def run_at(offset: float) -> dict[str, Any] | None:
        want = min(centre + shift + offset, cap)
        run = min(runs, key=lambda r: abs(math.log10(r["lr"]) - want))
        return run if abs(math.log10(run["lr"]) - want) <= 0.01 else None

    def loss_of(run: dict[str, Any]) -> float:
        return math.inf if run["loss"] is None or run["diverged"] else run["loss"]

    offsets: tuple[float, ...] = (-1, 0, 1)
    if final.startswith("seq"):
        # a line search in 3 runs: the centre and one step up; the third run goes on up when the upper one
        # is clearly better, else one step down
        a, b = run_at(0.0), run_at(spacing)
        if a is None or b is None:
            return None
        third = 2.0 if loss_of(b) < loss_of(a) * (1 - tol) else -1.0
        offsets = (0.0, 1.0, third)
        final = final[3:] or "pick"
    chosen_runs = []
    for k in offsets:
        want = min(centre + shift + k * spacing, cap)
        if want > top + 1e-6 or want < centre - 1.0 - 1e-6:
            return None  # outside the simulated candidates
        run = min(runs, key=lambda r: abs(math.log10(r["lr"]) - want))
        if abs(math.log10(run["lr"]) - want) > 0.01:
            return None
        if run not in chosen_runs:
            chosen_runs.append(run)
    finite = [r for r in chosen_runs if r["loss"] is not None and not r["diverged"]]
    if not finite:
        return min(r["lr"] for r in chosen_runs) / 10
    if score == "metric" and all(r.get("metric") is not None for r in finite):
        best = max(r["metric"] for r in finite)
        tied = [r for r in finite if r["metric"] >= best - tol]
        return min(r["lr"] for r in tied)
    best = min(r["loss"] for r in finite)
    scale = abs(best) or 1.0
    chosen = min(r["lr"] for r in finite if r["loss"] <= best + tol * scale)
    if final == "blend":
        return 10 ** (0.5 * math.log10(chosen) + 0.5 * (centre + shift))
    if final == "parabola" and len(finite) == 3:
        xs = [math.log10(r["lr"]) for r in finite]
        ys = [math.log(r["loss"]) if best > 0 else r["loss"] for r in finite]
        vertex = _vertex(xs, ys)
        if vertex is not None:
            return 10 ** min(max(vertex, min(xs)), max(xs))
    return chosen


def _vertex(xs: list[float], ys: list[float]) -> float | None:
    (x0, x1, x2), (y0, y1, y2) = xs, ys
    d = (x0 - x1) * (x0 - x2) * (x1 - x2)
    if d == 0:
        return None
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / d
    b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / d
    if a <= 0:
        return None
    return -b / (2 * a)


def evaluate(sim: dict[str, Any], gt: dict[str, Any], rule: tuple[Any, ...] | str | None) -> dict[str, Any]:
    grid = gt["grid"]
    out: dict[str, Any] = {}
    for task in TASKS:
        suggestions: dict[int, float | None] = {}
        for seed in (0, 1, 2):
            call = sim.get(f"{task.name}|{seed}")
            if call is None:
                break
            if isinstance(rule, str):
                suggestions[seed] = (call.get("peers") or {}).get(rule)
            elif rule is None:
                suggestions[seed] = (call.get("curve_suggestion") or {}).get("lr")
            else:
                suggestions[seed] = pick(call, *rule)
        if len(suggestions) == 3 and task.name in gt["tasks"]:
            if any(v is None for v in suggestions.values()) and isinstance(rule, tuple):
                return {}
            out[task.name] = score_task(gt["tasks"][task.name], grid, suggestions)
    return out


def totals(scored: dict[str, Any], split: str) -> tuple[int, int, int, int, float, int]:
    names = [n for n in scored if split == "ALL" or split_of(n) == split]
    task_hits = sum(scored[n]["task_hit"] for n in names)
    calls = [v["hit"] for n in names for v in scored[n]["seeds"].values()]
    spreads = [scored[n]["spread"] or 0.0 for n in names]
    return task_hits, len(names), sum(calls), len(calls), statistics.median(spreads), sum(s < 0.3 for s in spreads)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sim", type=Path, default=HERE / "confirm_sim.json")
    parser.add_argument("--rule", help="shift,spacing,score,tolerance (e.g. 0,0.5,loss,0.02)")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--peers", action="store_true", help="the peers' rules on the same (streamed) curves")
    args = parser.parse_args(argv)
    sim = json.loads(args.sim.read_text())
    gt = json.loads((HERE / "ground_truth.json").read_text())
    if args.rule:
        a, b, c, d, *e = args.rule.split(",")
        rule = (float(a), float(b), c, float(d), *(e or ["pick"]))
        scored = evaluate(sim, gt, rule)
        for name, s in scored.items():
            marks = " ".join(
                f"{v['lr']:.2g}{'' if v['hit'] else f'({v[chr(111) + chr(102) + chr(102)]:+d})'}"
                for v in s["seeds"].values()
            )
            print(
                f"{name:28} {split_of(name):8} {'hit ' if s['task_hit'] else 'MISS'} {marks}  spread {s['spread']:.2f}"
            )
        for split in ("TUNING", "HOLDOUT", "ALL"):
            print(split, totals(scored, split))
        return 0
    if args.peers:
        names = sorted({p for call in sim.values() for p in (call.get("peers") or {})})
        print("| method | split | tasks hit | calls hit | median spread | tasks spread < 0.3 |")
        print("|---|---|---|---|---|---|")
        for split in ("TUNING", "HOLDOUT", "ALL"):
            for label, rule in [("nndoctor curve only", None), *[(n, n) for n in names]]:
                t = totals(evaluate(sim, gt, rule), split)
                print(f"| {label} | {split} | {t[0]}/{t[1]} | {t[2]}/{t[3]} | {t[4]:.2f} | {t[5]}/{t[1]} |")
        return 0
    rows = []
    base = evaluate(sim, gt, None)
    print("curve only:", {s: totals(base, s) for s in ("TUNING", "HOLDOUT", "ALL")})
    shifts = [-0.5, -0.25, 0.0, 0.25]
    spacings = [0.25, 0.5, 0.75]
    grid = itertools.product(
        shifts, spacings, ["loss", "metric"], [0.0, 0.02, 0.05, 0.1], ["pick", "blend", "parabola"]
    )
    for shift, spacing, score, tol, final in grid:
        if final != "pick" and score == "metric":
            continue
        scored = evaluate(sim, gt, (shift, spacing, score, tol, final))
        if not scored:
            continue
        t = totals(scored, "TUNING")
        h = totals(scored, "HOLDOUT")
        rows.append((t[0] + t[2] / 3 + t[5], (shift, spacing, score, tol, final), t, h))
    rows.sort(key=lambda r: r[0], reverse=True)
    print("rule (shift, spacing, score, tol) | TUNING tasks, calls, median spread, spread<0.3 | HOLDOUT ...")
    for _, rule, t, h in rows[: args.top]:
        print(
            f"{rule} | {t[0]}/{t[1]} {t[2]}/{t[3]} {t[4]:.2f} {t[5]}/{t[1]} | {h[0]}/{h[1]} {h[2]}/{h[3]} {h[4]:.2f} {h[5]}/{h[1]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
