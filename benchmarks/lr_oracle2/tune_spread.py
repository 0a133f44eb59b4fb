"""More confirmation-rule variants, aimed at the seed spread (issue 11), scored on `confirm_sim.json`.

`tune.py` ranks its grid on TUNING but prints HOLDOUT beside every row; this one prints TUNING only
while searching, so that HOLDOUT is looked at once, for the rule chosen (`--check`). Families, each
on the 3 runs a real call would make (offsets -1, 0, +1 spacings, or a line search: 0, +1, then +2
when the upper run is clearly better, else -1):

- `final`: `pick` (the lowest lr within `tol` of the best held-out loss), `vertex` (the vertex of
  the parabola through the 3 runs in log lr / log loss, clamped to them), `softmin` (an average of
  the runs' log lrs weighted by exp(-(loss - best) / tol));
- `w`: the share of that choice in the suggestion (the rest is the curve's reading; shipped 0.5);
- `edge`: a larger share `w_edge` when the winner is the top run and beats the next one by more than
  `margin` (the loss is still falling steeply there);
- `peer`: a third term, a peer's reading of the same curve, with share `c`.

Ranked as tune.py does: tasks hit + calls hit / 3 + tasks with a spread below 0.3 decades.

    python -m benchmarks.lr_oracle2.tune_spread                 # the ranked variants, TUNING only
    python -m benchmarks.lr_oracle2.tune_spread --check "0,0.5,0.05,vertex,0.5,seq"   # both splits, per task
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.lr_oracle2.score import score_task
from benchmarks.lr_oracle2.tasks import TASKS, split_of

HERE = Path(__file__).resolve().parent
Call = dict[str, Any]


class OffGrid(Exception):
    """A variant needs a run the simulation did not store (beyond -1..+1 decade)."""


def _loss(run: Call) -> float:
    return math.inf if run["loss"] is None or run["diverged"] else float(run["loss"])


def _vertex(xs: list[float], ys: list[float]) -> float | None:
    (x0, x1, x2), (y0, y1, y2) = xs, ys
    d = (x0 - x1) * (x0 - x2) * (x1 - x2)
    if d == 0:
        return None
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / d
    b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / d
    return -b / (2 * a) if a > 0 else None


def suggestion(
    call: Call,
    shift: float = 0.0,
    spacing: float = 0.5,
    tol: float = 0.05,
    final: str = "pick",
    w: float = 0.5,
    seq: bool = False,
    w_edge: float | None = None,
    margin: float = 0.3,
    peer: str = "",
    c: float = 0.0,
) -> float | None:
    """What a 3-run rule variant suggests for one stored call (shipped: the defaults)."""
    curve = (call.get("curve_suggestion") or {}).get("lr")
    runs = call.get("confirmations") or []
    if not curve:
        return call.get("suggestion")
    if not runs:
        return curve
    centre = math.log10(curve)
    div = (call.get("curve_suggestion") or {}).get("divergence_lr")
    cap = math.log10(div) - 0.3 if div else math.inf
    top = max(math.log10(r["lr"]) for r in runs)

    def at(k: float) -> Call:
        want = min(centre + shift + k * spacing, cap)
        if want > top + 1e-6 or want < centre - 1 - 1e-6:
            raise OffGrid
        run = min(runs, key=lambda r: abs(math.log10(r["lr"]) - want))
        if abs(math.log10(run["lr"]) - want) > 0.01:
            raise OffGrid
        return run

    ks: tuple[float, ...] = (-1, 0, 1)
    if seq:
        a, b = at(0), at(1)
        ks = (0, 1, 2 if _loss(b) < _loss(a) - tol * abs(_loss(a)) else -1)
    chosen: list[Call] = []
    for k in ks:
        run = at(k)
        if run not in chosen:
            chosen.append(run)
    finite = sorted((r for r in chosen if _loss(r) < math.inf), key=lambda r: r["lr"])
    if not finite:
        return min(r["lr"] for r in chosen) / 10
    best = min(_loss(r) for r in finite)
    scale = abs(best) or 1.0
    winner = min(r["lr"] for r in finite if _loss(r) <= best + tol * scale)
    log_pick = math.log10(winner)
    if final == "vertex" and len(finite) == 3:
        xs = [math.log10(r["lr"]) for r in finite]
        ys = [math.log(_loss(r)) if best > 0 else _loss(r) for r in finite]
        v = _vertex(xs, ys)
        if v is not None:
            log_pick = min(max(v, xs[0]), xs[-1])
    elif final == "softmin":
        weights = [math.exp(-(_loss(r) - best) / (tol * scale + 1e-12)) for r in finite]
        log_pick = sum(q * math.log10(r["lr"]) for q, r in zip(weights, finite, strict=True)) / sum(weights)
    share = w
    steep = len(finite) >= 2 and _loss(finite[-2]) > _loss(finite[-1]) * (1 + margin)
    if w_edge is not None and winner == finite[-1]["lr"] and steep:
        share = w_edge
    other = (call.get("peers") or {}).get(peer) if peer else None
    if other and c > 0:
        return 10 ** (share * log_pick + (1 - share - c) * (centre + shift) + c * math.log10(other))
    return 10 ** (share * log_pick + (1 - share) * (centre + shift))


def scored(
    sim: dict[str, Call], gt: dict[str, Any], rule: Callable[[Call], float | None], split: str
) -> dict[str, Any]:
    out = {}
    for task in TASKS:
        if split_of(task.name) != split or task.name not in gt["tasks"]:
            continue
        picks = {seed: rule(sim[f"{task.name}|{seed}"]) for seed in (0, 1, 2)}
        out[task.name] = score_task(gt["tasks"][task.name], gt["grid"], picks)
    return out


def totals(by_task: dict[str, Any]) -> tuple[int, int, int, int, float, float]:
    spreads = [s["spread"] or 0.0 for s in by_task.values()]
    return (
        sum(s["task_hit"] for s in by_task.values()),
        sum(v["hit"] for s in by_task.values() for v in s["seeds"].values()),
        sum(x < 0.3 for x in spreads),
        len(by_task),
        statistics.median(spreads),
        max(spreads),
    )


def _parse(text: str) -> dict[str, Any]:
    """`shift,spacing,tol,final,w[,seq][,edge=W:MARGIN][,peer=NAME:C]`"""
    parts = text.split(",")
    rule: dict[str, Any] = {
        "shift": float(parts[0]),
        "spacing": float(parts[1]),
        "tol": float(parts[2]),
        "final": parts[3],
        "w": float(parts[4]),
    }
    for extra in parts[5:]:
        if extra == "seq":
            rule["seq"] = True
        elif extra.startswith("edge="):
            a, b = extra[5:].split(":")
            rule["w_edge"], rule["margin"] = float(a), float(b)
        elif extra.startswith("peer="):
            a, b = extra[5:].rsplit(":", 1)
            rule["peer"], rule["c"] = a, float(b)
    return rule


def _row(by_task: dict[str, Any]) -> str:
    t = totals(by_task)
    return f"tasks {t[0]}/{t[3]}, calls {t[1]}/{3 * t[3]}, spread<0.3 {t[2]}/{t[3]}, median {t[4]:.2f}, max {t[5]:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sim", type=Path, default=HERE / "confirm_sim.json")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--check", help="one rule on both splits, per task, against the shipped one")
    args = parser.parse_args(argv)
    sim = json.loads(args.sim.read_text())
    gt = json.loads((HERE / "ground_truth.json").read_text())
    shipped: dict[str, Any] = {}
    if args.check:
        rule = _parse(args.check)
        for split in ("TUNING", "HOLDOUT"):
            a = scored(sim, gt, lambda call: suggestion(call, **shipped), split)
            b = scored(sim, gt, lambda call: suggestion(call, **rule), split)
            for name in a:
                print(f"{name:28} {split:8} {_marks(a[name])}  ->  {_marks(b[name])}")
            print(f"{split}: shipped {_row(a)}\n{split}: {args.check} {_row(b)}")
        return 0
    grids: list[dict[str, Any]] = []
    for shift, spacing, tol, final, w, seq in itertools.product(
        [-0.25, 0.0, 0.25], [0.25, 0.5, 0.75, 1.0], [0.0, 0.02, 0.05, 0.1], ["pick", "vertex", "softmin"],
        [0.33, 0.5, 0.67, 0.75, 1.0], [False, True],
    ):  # fmt: skip
        if not (final == "softmin" and tol == 0):
            grids.append({"shift": shift, "spacing": spacing, "tol": tol, "final": final, "w": w, "seq": seq})
    for tol, w_edge, margin in itertools.product([0.05, 0.1], [0.67, 0.75, 1.0], [0.1, 0.2, 0.3, 0.5]):
        grids.append({"tol": tol, "w_edge": w_edge, "margin": margin})
    peers = sorted({p for call in sim.values() for p in (call.get("peers") or {})})
    for peer, c in itertools.product(peers, [0.1, 0.2, 0.25, 0.33]):
        grids.append({"peer": peer, "c": c, "w": 0.5 - c / 2})
    rows = []
    for rule in grids:
        try:
            t = totals(scored(sim, gt, lambda call, rule=rule: suggestion(call, **rule), "TUNING"))
        except OffGrid:
            continue
        rows.append((t[0] + t[1] / 3 + t[2], t, rule))
    rows.sort(key=lambda r: -r[0])
    base = totals(scored(sim, gt, lambda call: suggestion(call), "TUNING"))
    print(f"{len(rows)} variants on TUNING; shipped: score {base[0] + base[1] / 3 + base[2]:.2f} {base}")
    for score, t, rule in rows[: args.top]:
        print(f"{score:.2f} tasks {t[0]} calls {t[1]} spread<0.3 {t[2]} median {t[4]:.2f} max {t[5]:.2f}  {rule}")
    return 0


def _marks(s: dict[str, Any]) -> str:
    seeds = " ".join(f"{v['lr']:.2g}" + ("" if v["hit"] else f"({v['off']:+d})") for v in s["seeds"].values())
    return f"{'hit ' if s['task_hit'] else 'MISS'} {seeds} spread {s['spread']:.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
