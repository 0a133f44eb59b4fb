"""Score LR suggestions against an oracle: which learning rates really train best?

For every task (benchmarks/lr_tasks.py) and seed:
1. the oracle trains the model from the seed's initial weights for the task's fixed step budget at
   every lr of a log grid (1/3-decade steps from 1e-5 to ~2) and measures the final training loss
   over the whole training set;
2. nndoctor's LR range test runs from the same initial weights (100 steps, 1e-7 to 10, the
   `lr-find` defaults) and every rule turns the same curve into a suggestion: nndoctor's and the
   peers' (torch-lr-finder, Lightning, fastai valley/slide/minimum/steep, reimplemented in
   `nndoctor.lr_suggest`); with torch-lr-finder installed its own `range_test` + steepest-gradient
   suggestion runs too ("torch-lr-finder (package)").

The oracle's loss per lr is averaged over the seeds; its good set is every grid lr whose loss is
within the tolerance of the best: loss - best <= TOL * (initial - best), i.e. it achieves at least
95% of the best run's loss reduction. A suggestion scores a hit when the grid lr
nearest to it (in log space) is in the good set. Prints a Markdown table of hits per task and the
hit rate per method.

    python benchmarks/lr_oracle.py                   # all tasks, 3 seeds (a few minutes on 2 cores)
    python benchmarks/lr_oracle.py --seeds 2 --tasks digits --dump /tmp/oracle.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lr_tasks import Task, all_tasks
from nndoctor.target import _import_file

from nndoctor.context import Context, Settings
from nndoctor.engine import attach_probes
from nndoctor.lr_suggest import suggest
from nndoctor.registry import load_registry

GRID = [10 ** (k / 3) for k in range(-15, 2)]  # 1e-5 .. 2.15 in 1/3-decade steps
TOL = 0.05
SWEEP = {"start": 1e-7, "end": 10.0, "steps": 100}


def make_context(task: Task, seed: int) -> Context:
    torch.manual_seed(seed)
    model = task.model()
    train, val = task.data()
    return Context(
        model=model,
        train_data=train,
        val_data=val,
        loss_fn=task.loss(),
        optimizer_factory=task.optimizer_factory(),
        forward_fn=None,
        hints={},
        settings=Settings(device="cpu", seed=seed, probe={"lr_range": dict(SWEEP)}),
        target_name=task.name,
    )


def train_final_loss(ctx: Context, task: Task, lr: float) -> float:
    """Train from the initial weights for the task's budget at a constant lr; final train loss."""
    model = ctx.fresh_model()
    optimizer = task.optimizer(model.parameters(), lr)
    batches = ctx.train_batches()
    for step in range(task.budget):
        output, target = ctx.forward(model, batches[step % len(batches)])
        loss = ctx.loss(output, target)
        if step % 25 == 0 and not math.isfinite(float(loss.detach())):
            return math.inf
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        total = sum(float(ctx.loss(*ctx.forward(model, b))) for b in batches) / len(batches)
    model.train()
    return total if math.isfinite(total) else math.inf


def initial_loss(ctx: Context) -> float:
    model = ctx.fresh_model()
    model.eval()
    with torch.no_grad():
        batches = ctx.train_batches()
        value = sum(float(ctx.loss(*ctx.forward(model, b))) for b in batches) / len(batches)
    model.train()
    return value


def package_suggestion(ctx: Context, task: Task) -> float | None:
    """torch-lr-finder's own range_test and steepest-gradient suggestion, on the same batches."""
    try:
        from torch_lr_finder import LRFinder
    except ImportError:
        return None
    import contextlib
    import io

    from torch.utils.data import DataLoader

    model = ctx.fresh_model()
    optimizer = task.optimizer(model.parameters(), SWEEP["start"])
    loader = DataLoader(ctx.train_batches(), batch_size=None, shuffle=False)
    finder = LRFinder(model, optimizer, ctx.loss_fn, device=ctx.device)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        finder.range_test(loader, start_lr=SWEEP["start"], end_lr=SWEEP["end"], num_iter=SWEEP["steps"])
    lrs, losses = finder.history["lr"][10:-5], finder.history["loss"][10:-5]
    if len(losses) < 2:
        return None
    import numpy as np

    return float(lrs[int(np.gradient(np.array(losses)).argmin())])


def run_task(task: Task, seeds: int, with_package: bool) -> dict[str, Any]:
    registry = load_registry(plugins=False)
    per_seed = []
    for seed in range(seeds):
        ctx = make_context(task, seed)
        attach_probes(ctx, registry)
        result = ctx.probe("lr_range")
        oracle = [train_final_loss(ctx, task, lr) for lr in GRID]
        suggestions = {"nndoctor": result.suggestion.lr if result.suggestion else None, **result.peers}
        if with_package:
            suggestions["torch-lr-finder (package)"] = package_suggestion(ctx, task)
        per_seed.append(
            {
                "seed": seed,
                "initial": initial_loss(ctx),
                "oracle": oracle,
                "lrs": result.lrs,
                "losses": result.losses,
                "stop_reason": result.stop_reason,
                "suggestions": suggestions,
            }
        )
    return {"task": task.name, "sample": task.sample, "budget": task.budget, "grid": GRID, "seeds": per_seed}


def good_set(record: dict[str, Any], tol: float = TOL) -> tuple[list[int], int]:
    """Grid indices whose mean final loss is within `tol` of the best run's loss reduction, and the best.

    Good: loss - best <= tol * (initial - best). Scale-free (MSE or cross-entropy alike) and not
    fooled by near-zero training losses, where a ratio to the best would split hairs.
    """
    grid = record["grid"]
    mean = []
    for i in range(len(grid)):
        values = [s["oracle"][i] for s in record["seeds"]]
        mean.append(sum(values) / len(values) if all(math.isfinite(v) for v in values) else math.inf)
    best = min(range(len(grid)), key=lambda i: mean[i])
    initial = sum(s["initial"] for s in record["seeds"]) / len(record["seeds"])
    limit = mean[best] + tol * max(initial - mean[best], 0.0)
    good = [i for i, v in enumerate(mean) if v <= limit]
    return good, best


def nndoctor_rule(seed: dict[str, Any]) -> float | None:
    """nndoctor's suggestion re-derived from a stored curve, called as the probe calls it."""
    stopped = seed.get("stop_reason") == "diverged"
    return suggest(seed["lrs"], seed["losses"], stopped_on_divergence=stopped).lr


def nearest(grid: list[float], lr: float) -> int:
    return min(range(len(grid)), key=lambda i: abs(math.log(grid[i]) - math.log(lr)))


def score(records: list[dict[str, Any]], rules: dict[str, Any] | None = None) -> dict[str, dict[str, int]]:
    """Hits per (method, task); `rules` (seed record -> lr) re-derive suggestions from the stored curves."""
    table: dict[str, dict[str, int]] = {}
    for record in records:
        good, _ = good_set(record)
        for seed in record["seeds"]:
            found = dict(seed["suggestions"])
            for name, rule in (rules or {}).items():
                found[name] = rule(seed)
            for method, lr in found.items():
                hit = lr is not None and math.isfinite(lr) and lr > 0 and nearest(record["grid"], lr) in good
                table.setdefault(method, {}).setdefault(record["task"], 0)
                table[method][record["task"]] += int(hit)
    return table


def markdown(records: list[dict[str, Any]], table: dict[str, dict[str, int]]) -> str:
    tasks = [r["task"] for r in records]
    seeds = {r["task"]: len(r["seeds"]) for r in records}
    total = sum(seeds.values())
    lines = ["| method | " + " | ".join(tasks) + " | hit rate |", "|---" * (len(tasks) + 2) + "|"]
    order = sorted(table, key=lambda m: -sum(table[m].values()))
    for method in order:
        hits = table[method]
        cells = [f"{hits.get(t, 0)}/{seeds[t]}" for t in tasks]
        rate = sum(hits.values()) / total
        lines.append(f"| {method} | " + " | ".join(cells) + f" | **{rate:.0%}** ({sum(hits.values())}/{total}) |")
    lines.append("")
    lines.append("| task | in sample_models | budget | oracle best lr | good set (lowest .. highest lr) |")
    lines.append("|---|---|---|---|---|")
    for record in records:
        good, best = good_set(record)
        grid = record["grid"]
        span = f"{grid[min(good)]:.2g} .. {grid[max(good)]:.2g}" if good else "-"
        sample = "yes" if record["sample"] else "no"
        lines.append(f"| {record['task']} | {sample} | {record['budget']} | {grid[best]:.2g} | {span} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tasks", default="", help="comma-separated substrings of task names (default: all)")
    parser.add_argument(
        "--task-file", type=Path, action="append", default=[], help="a .py file defining TASKS (list of Task) to add"
    )
    parser.add_argument("--only-task-files", action="store_true", help="run only the tasks of --task-file")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest for these tiny models)")
    parser.add_argument("--no-package", action="store_true", help="skip torch-lr-finder's own range test")
    parser.add_argument("--dump", type=Path, help="write the curves, oracle losses and suggestions as JSON")
    parser.add_argument("--load", type=Path, help="score a previous --dump instead of training")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    if args.load:
        records = json.loads(args.load.read_text())
    else:
        wanted = [w.strip().lower() for w in args.tasks.split(",") if w.strip()]
        pool = [] if args.only_task_files else all_tasks()
        for path in args.task_file:
            pool.extend(_import_file(path.resolve()).TASKS)
        tasks = [t for t in pool if not wanted or any(w in t.name.lower() for w in wanted)]
        records = []
        for task in tasks:
            t0 = time.perf_counter()
            records.append(run_task(task, args.seeds, not args.no_package))
            print(f"{task.name}: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        if args.dump:
            args.dump.write_text(json.dumps(records))
    table = score(records, {"nndoctor": nndoctor_rule})
    sys.stdout.write(markdown(records, table))
    print(f"\n{time.perf_counter() - started:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
