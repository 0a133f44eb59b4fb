"""Ground truth for the LR oracle: which constant learning rates really train each task well?

For every task of `tasks.py` and seed in {0, 1, 2}: build the model after `torch.manual_seed(seed)`
(the seed's initial weights, exactly what `nndoctor lr-find RECIPE --seed SEED` starts from), then
for each lr of the grid 10**linspace(-5, 0.5, 16) train for the task's fixed budget with a plain
loop (the task's shuffled training loader, a fresh optimizer) and measure the *validation* metric:
accuracy for classification (argmax, or logit > 0 per output for BCE), the task's loss otherwise.
A run whose training loss turns non-finite is "diverged" (metric null, never good).

Good set, per seed and on the seed average (an lr where any seed diverged has no average):
- accuracy: within 2 accuracy points of the best lr's (value >= best - 0.02);
- loss: within 10% of the best lr's (value <= 1.1 * best).

    OMP_NUM_THREADS=1 python -m benchmarks.lr_oracle2.ground_truth            # all tasks, resumes
    python -m benchmarks.lr_oracle2.ground_truth --tasks lstm,cnn --seeds 0   # a subset
    python -m benchmarks.lr_oracle2.ground_truth --good-only                  # recompute good sets

Results go to benchmarks/lr_oracle2/ground_truth.json after every (task, seed), so an interrupted
run resumes where it stopped; a stored entry is reused only if the task's fingerprint (lr, batch
size, budget, metric, data, initial weights) is unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.lr_oracle2.tasks import TASKS, Task, split_of

HERE = Path(__file__).resolve().parent
OUT = HERE / "ground_truth.json"
GRID = [10 ** (-5 + 5.5 * k / 15) for k in range(16)]  # 10**linspace(-5, 0.5, 16)
SEEDS = (0, 1, 2)
ACC_TOL = 0.02  # accuracy points (as a fraction)
LOSS_TOL = 0.10  # relative to the best loss


def initial_model(task: Task, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return task.build_model()


def weights_sha(model: torch.nn.Module) -> str:
    h = hashlib.sha1()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def data_summary(task: Task) -> list[list[Any]]:
    """Shape, dtype, sum and absolute sum of each data tensor. Not a hash of the bytes: the tasks'
    data goes through matmuls whose last bits differ between CPUs (16 of 31 tasks' byte hashes
    changed on another Xeon), so `same_fingerprint` compares the sums with a tolerance."""
    return [
        [list(t.shape), str(t.dtype).removeprefix("torch."), float(t.double().sum()), float(t.double().abs().sum())]
        for t in task.tensors()
    ]


def same_fingerprint(stored: Any, current: dict[str, Any]) -> bool:
    """The stored fingerprint is the current one, the data's sums within 1e-5 of their absolute sum."""
    if not isinstance(stored, dict) or stored.keys() != current.keys():
        return False
    if any(stored[k] != current[k] for k in current if k != "data"):
        return False
    old, new = stored["data"], current["data"]
    if not isinstance(old, list) or len(old) != len(new):
        return False
    for a, b in zip(old, new, strict=True):
        scale = 1e-5 * max(1.0, abs(b[3]))  # relative to the absolute sum: a sum near 0 is all rounding
        if a[:2] != b[:2] or any(abs(x - y) > scale for x, y in zip(a[2:], b[2:], strict=True)):
            return False
    return True


def fingerprint(task: Task) -> dict[str, Any]:
    return {
        "lr": task.lr,
        "batch_size": task.batch_size,
        "budget_steps": task.budget_steps,
        "metric": task.metric,
        "data": data_summary(task),
        "optimizer": type(task.build_optimizer([torch.nn.Parameter(torch.zeros(1))])).__name__,
        "loss": type(task.build_loss()).__name__,
    }


def evaluate(task: Task, model: torch.nn.Module, loader: Any, loss_fn: Any) -> float | None:
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            n = len(y)
            if task.metric == "accuracy":
                if out.shape == y.shape and y.is_floating_point():  # BCE: one logit per label
                    correct = ((out > 0).float() == y).float().mean(dim=tuple(range(1, y.dim())))
                    total += float(correct.sum())
                else:
                    total += float((out.argmax(1) == y).float().sum())
            else:
                total += float(loss_fn(out, y)) * n
            count += n
    model.train()
    value = total / count
    return value if math.isfinite(value) else None


def train_and_measure(task: Task, seed: int, lr: float) -> tuple[float | None, dict[str, Any]]:
    """Train from the seed's initial weights at a constant lr for the budget; the validation metric."""
    model = initial_model(task, seed)
    train, val = task.build_data(seed)
    loss_fn = task.build_loss()
    optimizer = task.build_optimizer(model.parameters(), lr)
    torch.manual_seed(seed)  # dropout masks: the same stream at every lr
    step, recent, diverged = 0, [], False
    while step < task.budget_steps and not diverged:
        for x, y in train:
            loss = loss_fn(model(x), y)
            value = float(loss.detach())
            if not math.isfinite(value):
                diverged = True
                break
            recent = [*recent[-19:], value]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            if step >= task.budget_steps:
                break
    info: dict[str, Any] = {"steps": step, "diverged": diverged, "train_loss": None}
    if diverged:
        return None, info
    info["train_loss"] = sum(recent) / len(recent) if recent else None
    return evaluate(task, model, val, loss_fn), info


def good_indices(values: list[float | None], metric: str) -> tuple[list[int], int | None]:
    """Grid indices within the tolerance of the best value, and the best index."""
    finite = [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if not finite:
        return [], None
    if metric == "accuracy":
        best_i, best = max(finite, key=lambda p: p[1])
        return [i for i, v in finite if v >= best - ACC_TOL - 1e-12], best_i
    best_i, best = min(finite, key=lambda p: p[1])
    return [i for i, v in finite if v <= best * (1 + LOSS_TOL) + 1e-12], best_i


def summarize(record: dict[str, Any]) -> None:
    """Good sets per seed and on the seed average, in place."""
    metric = record["metric"]
    seeds = record["seeds"]
    good: dict[str, Any] = {}
    for s, entry in seeds.items():
        idx, best = good_indices(entry["metric"], metric)
        good[s] = {"indices": idx, "best": best, "lrs": [GRID[i] for i in idx]}
    if seeds:
        mean = []
        for i in range(len(GRID)):
            vals = [entry["metric"][i] for entry in seeds.values()]
            mean.append(None if any(v is None for v in vals) else sum(vals) / len(vals))
        idx, best = good_indices(mean, metric)
        record["mean_metric"] = mean
        good["mean"] = {"indices": idx, "best": best, "lrs": [GRID[i] for i in idx]}
    record["good"] = good


def load(path: Path = OUT) -> dict[str, Any]:
    if path.exists():
        return json.loads(path.read_text())
    return {}


def save(data: dict[str, Any], path: Path = OUT) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def header() -> dict[str, Any]:
    return {
        "grid": GRID,
        "seeds": list(SEEDS),
        "definition": {
            "accuracy": f"good if val accuracy >= best - {ACC_TOL}",
            "loss": f"good if val loss <= (1 + {LOSS_TOL}) * best",
            "training": "plain loop: seed's initial weights, shuffled loader, fresh optimizer, constant lr, "
            "budget_steps optimizer steps; diverged (non-finite train loss) = null",
        },
    }


def run(names: list[str], seeds: list[int], path: Path = OUT) -> dict[str, Any]:
    data = load(path)
    data.update(header())
    records = data.setdefault("tasks", {})
    for task in TASKS:
        if task.name not in names:
            continue
        fp = fingerprint(task)
        record = records.get(task.name)
        if record is None or not same_fingerprint(record.get("fingerprint"), fp):
            record = {"seeds": {}}
        record.update(
            {
                "family": task.family,
                "kind": task.kind,
                "metric": task.metric,
                "split": split_of(task.name),
                "configured_lr": task.lr,
                "batch_size": task.batch_size,
                "budget_steps": task.budget_steps,
                "batches_per_epoch": task.batches_per_epoch,
                "epochs": round(task.epochs, 2),
                "n_train": len(task.tensors()[0]),
                "n_val": len(task.tensors()[2]),
                "notes": task.notes,
                "fingerprint": fp,
            }
        )
        records[task.name] = record
        for seed in seeds:
            sha = weights_sha(initial_model(task, seed))
            entry = record["seeds"].get(str(seed))
            if entry is not None and entry.get("init_sha") == sha and len(entry["metric"]) == len(GRID):
                continue
            t0 = time.perf_counter()
            metrics, train_losses, seconds = [], [], []
            for lr in GRID:
                t1 = time.perf_counter()
                value, info = train_and_measure(task, seed, lr)
                metrics.append(value)
                train_losses.append(info["train_loss"])
                seconds.append(round(time.perf_counter() - t1, 3))
            record["seeds"][str(seed)] = {
                "init_sha": sha,
                "metric": metrics,
                "train_loss": train_losses,
                "seconds": seconds,
            }
            record["seeds"] = dict(sorted(record["seeds"].items()))
            summarize(record)
            save(data, path)
            best = record["good"][str(seed)]["best"]
            print(
                f"{task.name:30} seed {seed}: {time.perf_counter() - t0:5.1f}s  best lr "
                f"{GRID[best] if best is not None else float('nan'):.2g}  good "
                f"{[f'{GRID[i]:.2g}' for i in record['good'][str(seed)]['indices']]}",
                flush=True,
            )
    for record in records.values():
        summarize(record)
    save(data, path)
    return data


def describe() -> None:
    print(f"{'task':30} {'split':8} {'kind':14} {'b/ep':>5} {'epochs':>6} {'s/run':>6} metric at configured lr")
    for task in TASKS:
        task.tensors()
        t0 = time.perf_counter()
        value, _ = train_and_measure(task, 0, task.lr)
        print(
            f"{task.name:30} {split_of(task.name):8} {task.kind:14} {task.batches_per_epoch:5d} "
            f"{task.epochs:6.1f} {time.perf_counter() - t0:6.2f} {value}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="", help="comma-separated substrings of task names (default: all)")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--good-only", action="store_true", help="only recompute the good sets of the stored runs")
    parser.add_argument("--describe", action="store_true", help="time one run per task at its configured lr")
    args = parser.parse_args(argv)
    if os.environ.get("OMP_NUM_THREADS") != "1":
        print("note: set OMP_NUM_THREADS=1; using torch.set_num_threads(1)", file=sys.stderr)
    torch.set_num_threads(1)
    if args.describe:
        describe()
        return 0
    if args.good_only:
        data = load(args.out)
        for record in data.get("tasks", {}).values():
            summarize(record)
        save(data, args.out)
        return 0
    wanted = [w.strip() for w in args.tasks.split(",") if w.strip()]
    names = [t.name for t in TASKS if not wanted or any(w in t.name for w in wanted)]
    run(names, [int(s) for s in args.seeds.split(",")], args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
