"""Does every zoo3 recipe learn? A plain PyTorch loop, no nndoctor (the zoo3 twin of zoo2/learns.py).

For each recipe in benchmarks/zoo3/ this builds model, data, loss and optimizer exactly as the
recipe defines them (its own `forward`), trains a fixed number of steps cycling through the
shuffled training loader, and prints the first step's training loss, the mean of the last 10,
and the validation metric before and after training next to chance. Metrics, over the whole
validation loader in eval mode without gradients (when a model returns a tuple, its first
element is the prediction):

- accuracy for classifiers (chance: the validation majority class), token accuracy for the
  language models (chance: the most frequent next token);
- ranking accuracy for the two-tower recommender: how often the liked item scores higher
  (chance 0.5, random scores);
- foreground IoU of the VAE's reconstruction (logit > 0 against the mask; chance: predicting
  every pixel foreground, IoU = the foreground share);
- R^2 = 1 - MSE / variance of the target for the denoiser (chance 0: predicting the mean; the
  noisy input itself also scores about 0 at noise std 1).

torch.manual_seed(0) before each recipe is built. "Learns" = finite losses, the loss at least
halved, and the validation metric above (1 + chance) / 2. Loading and the default forward are
`benchmarks/zoo_learns.py`'s.

    OMP_NUM_THREADS=1 python benchmarks/zoo3/learns.py              # every recipe, 300 steps
    OMP_NUM_THREADS=1 python benchmarks/zoo3/learns.py --steps 500 gcn vae
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import zoo_learns

ZOO3 = Path(__file__).resolve().parent
METRIC = {
    "qwen2_lm": "token accuracy",
    "gpt_neox_lm": "token accuracy",
    "two_tower": "ranking accuracy",
    "vae": "IoU",
    "dncnn": "R2",
}
SKIP = {"learns", "nndoctor_runs"}


def recipes() -> list[Path]:
    return sorted(p for p in ZOO3.glob("*.py") if not p.name.startswith("_") and p.stem not in SKIP)


class Metric:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.hits = self.total = 0.0
        self.intersection = self.union = 0.0
        self.sse = self.sum = self.sum_sq = 0.0
        self.labels: list[torch.Tensor] = []

    def add(self, output: Any, target: torch.Tensor) -> None:
        if isinstance(output, tuple):
            output = output[0]
        if self.kind == "IoU":
            pred, truth = output > 0, target > 0.5
            self.intersection += float((pred & truth).sum())
            self.union += float((pred | truth).sum())
            self.labels.append(truth.float().mean().reshape(1))
        elif self.kind == "R2":
            self.sse += float((output - target).pow(2).sum())
            self.sum += float(target.sum())
            self.sum_sq += float(target.pow(2).sum())
            self.total += target.numel()
        else:
            self.hits += float((output.argmax(dim=-1) == target).sum())
            self.total += target.numel()
            self.labels.append(target.reshape(-1))

    def value(self) -> float:
        if self.kind == "IoU":
            return self.intersection / max(self.union, 1.0)
        if self.kind == "R2":
            variance = self.sum_sq / self.total - (self.sum / self.total) ** 2
            return 1.0 - (self.sse / self.total) / variance
        return self.hits / max(self.total, 1.0)

    def chance(self) -> float:
        if self.kind == "IoU":
            return float(torch.cat(self.labels).mean())
        if self.kind == "R2":
            return 0.0
        if self.kind == "ranking accuracy":
            return 0.5
        labels = torch.cat(self.labels)
        return float(torch.bincount(labels).max()) / labels.numel()


def evaluate(model: nn.Module, forward: Any, loader: Any, kind: str) -> Metric:
    metric = Metric(kind)
    was = model.training
    model.eval()
    with torch.no_grad():
        for batch in loader:
            output, target = forward(model, batch)
            metric.add(output, target)
    model.train(was)
    return metric


def train(path: Path, steps: int) -> dict[str, Any]:
    recipe = zoo_learns.load(path)
    torch.manual_seed(0)
    model = recipe.build_model()
    train_loader, val_loader = zoo_learns.split(recipe.build_data())
    loss_fn = recipe.build_loss()
    optimizer = recipe.build_optimizer(model.parameters())
    forward = getattr(recipe, "forward", zoo_learns.default_forward)
    kind = METRIC.get(path.stem, "accuracy")
    before = evaluate(model, forward, val_loader, kind)
    losses: list[float] = []
    model.train()
    started = time.perf_counter()
    while len(losses) < steps:
        for batch in train_loader:
            output, target = forward(model, batch)
            loss = loss_fn(output, target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            if len(losses) >= steps:
                break
    seconds = time.perf_counter() - started
    after = evaluate(model, forward, val_loader, kind)
    return {
        "recipe": path.stem,
        "optimizer": type(optimizer).__name__,
        "lr": optimizer.param_groups[0]["lr"],
        "start_loss": losses[0],
        "end_loss": sum(losses[-10:]) / 10,
        "metric": kind,
        "val_before": before.value(),
        "val_after": after.value(),
        "chance": after.chance(),
        "curve": [sum(losses[i : i + 20]) / len(losses[i : i + 20]) for i in range(0, steps, 20)],
        "ms_per_step": 1000 * seconds / steps,
        "finite": all(math.isfinite(v) for v in losses),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="recipe names (file stems); default: all")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--curve", action="store_true", help="also print the mean loss of every 20 steps")
    args = parser.parse_args()
    torch.set_num_threads(1)
    paths = [p for p in recipes() if not args.names or p.stem in args.names]
    print(f"{args.steps} steps per recipe, torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print(
        f"{'recipe':<14} {'optimizer':<9} {'lr':>7} {'loss start':>10} {'loss end':>9} "
        f"{'metric':<16} {'val before':>10} {'val after':>9} {'chance':>7} {'ms/step':>8}"
    )
    failures = []
    started = time.perf_counter()
    for path in paths:
        r = train(path, args.steps)
        print(
            f"{r['recipe']:<14} {r['optimizer']:<9} {r['lr']:>7.2g} {r['start_loss']:>10.4f} "
            f"{r['end_loss']:>9.4f} {r['metric']:<16} {r['val_before']:>10.3f} {r['val_after']:>9.3f} "
            f"{r['chance']:>7.3f} {r['ms_per_step']:>8.1f}",
            flush=True,
        )
        if args.curve:
            print("    loss per 20 steps:", " ".join(f"{v:.3f}" for v in r["curve"]), flush=True)
        if not (r["finite"] and r["end_loss"] < 0.5 * r["start_loss"] and r["val_after"] > (1 + r["chance"]) / 2):
            failures.append(r["recipe"])
    command = ["python", "benchmarks/zoo3/learns.py", "--steps", str(args.steps), *(["--curve"] if args.curve else [])]
    print("command: OMP_NUM_THREADS=1", shlex.join([*command, *args.names]))
    print(f"wall {time.perf_counter() - started:.1f} s")
    if failures:
        print("DID NOT LEARN:", ", ".join(failures))
        sys.exit(1)
    print("every recipe learned: loss at least halved, validation metric above (1 + chance) / 2")


if __name__ == "__main__":
    main()
