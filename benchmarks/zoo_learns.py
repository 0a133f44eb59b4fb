"""Does every zoo recipe really learn? A plain PyTorch training loop, no nndoctor involved.

For each recipe in sample_models/zoo/ this builds the model, data, loss and optimizer exactly as
the recipe defines them (its own `forward` for HF ModelOutput models), trains for a fixed number
of steps cycling through the shuffled training loader, and reports the training loss at the start
and the end (the first step's loss, and the mean of the last 10 steps) and the validation metric before and after
training, next to what chance gives:

- accuracy for the classifiers (chance: always predicting the validation set's majority class),
- token accuracy for the GPT-2 language model (chance: the most frequent next token),
- intersection over union of the foreground for the U-Net (chance: predicting every pixel as
  foreground, whose IoU is the foreground share).

The validation metric is computed over the whole validation loader in eval() mode without
gradients. Everything is seeded (torch.manual_seed(0) before each recipe is built), so reruns
give the same numbers up to floating-point noise.

Run (one thread, as the project's benchmarks do):

    OMP_NUM_THREADS=1 python benchmarks/zoo_learns.py            # every recipe, 300 steps
    OMP_NUM_THREADS=1 python benchmarks/zoo_learns.py --steps 500 vit_tiny unet

Recorded output (transformers 5.24.0, torch 2.13.0 CPU; a 2-core machine shared with other jobs,
load average about 4, so ms/step is about twice the uncontended time; the script took 185 s wall,
111 s CPU):

    300 steps per recipe, torch 2.13.0+cpu, 1 thread(s)
    recipe           optimizer      lr loss start  loss end metric          val before val after  chance  ms/step
    bert_classifier  AdamW     0.0005     0.6926    0.0005 accuracy             0.504     1.000   0.504    129.8
    gpt2_lm          AdamW      0.001     4.2238    0.7063 token accuracy       0.003     0.903   0.019     70.9
    lstm_classifier  Adam       0.003     1.0959    0.0006 accuracy             0.352     1.000   0.365      7.7
    mobilenet_v2     RMSprop   0.0003     2.4086    0.4327 accuracy             0.102     0.881   0.123     81.9
    resnet18         SGD         0.05     2.6626    0.0002 accuracy             0.072     1.000   0.123     55.9
    unet             Adam       0.001     0.7159    0.0646 IoU                  0.168     0.910   0.168     86.3
    vit_tiny         AdamW      0.001     2.2020    0.1503 accuracy             0.146     0.947   0.123    125.6
    command: OMP_NUM_THREADS=1 python benchmarks/zoo_learns.py --steps 300
    every recipe learned: loss at least halved, validation metric above (1 + chance) / 2
    wall 185.23 s user 110.94 s
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

ZOO = Path(__file__).resolve().parent.parent / "sample_models" / "zoo"
METRIC = {"unet": "IoU", "gpt2_lm": "token accuracy"}  # everything else: accuracy


def recipes() -> list[Path]:
    return sorted(p for p in ZOO.glob("*.py") if not p.name.startswith("_"))


def load(path: Path) -> ModuleType:
    """Import a recipe file as its own module (with its folder on sys.path, as nndoctor does)."""
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(f"zoo_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def split(data: Any) -> tuple[Any, Any]:
    if isinstance(data, dict):
        return data["train"], data.get("val")
    if isinstance(data, tuple) and len(data) == 2:
        return data
    return data, None


def default_forward(model: nn.Module, batch: Any) -> tuple[Any, Any]:
    x, y = batch
    return model(x), y


class Metric:
    """Accumulates accuracy (argmax against labels) or foreground IoU (logit > 0 against mask > 0.5)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.hits = self.total = 0.0
        self.intersection = self.union = 0.0
        self.labels: list[torch.Tensor] = []

    def add(self, output: torch.Tensor, target: torch.Tensor) -> None:
        if self.kind == "IoU":
            pred, truth = output > 0, target > 0.5
            self.intersection += float((pred & truth).sum())
            self.union += float((pred | truth).sum())
            self.labels.append(truth.float().mean().reshape(1))
        else:
            self.hits += float((output.argmax(dim=-1) == target).sum())
            self.total += target.numel()
            self.labels.append(target.reshape(-1))

    def value(self) -> float:
        if self.kind == "IoU":
            return self.intersection / max(self.union, 1.0)
        return self.hits / max(self.total, 1.0)

    def chance(self) -> float:
        if self.kind == "IoU":  # predict every pixel foreground: IoU = foreground share
            return float(torch.cat(self.labels).mean())
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


def train(
    path: Path,
    steps: int,
    build_model: Callable[[], nn.Module] | None = None,
    build_optimizer: Callable[[Any], torch.optim.Optimizer] | None = None,
) -> dict[str, Any]:
    """Train the recipe at `path` for `steps` steps; `build_model`/`build_optimizer` replace the recipe's."""
    recipe = load(path)
    torch.manual_seed(0)
    model = (build_model or recipe.build_model)()
    train_loader, val_loader = split(recipe.build_data())
    loss_fn = recipe.build_loss() if hasattr(recipe, "build_loss") else nn.CrossEntropyLoss()
    make_optimizer = build_optimizer or getattr(
        recipe, "build_optimizer", lambda params: torch.optim.Adam(params, lr=1e-3)
    )
    optimizer = make_optimizer(model.parameters())
    forward = getattr(recipe, "forward", default_forward)
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
    header = (
        f"{'recipe':<16} {'optimizer':<8} {'lr':>7} {'loss start':>10} {'loss end':>9} "
        f"{'metric':<15} {'val before':>10} {'val after':>9} {'chance':>7} {'ms/step':>8}"
    )
    print(f"{args.steps} steps per recipe, torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print(header)
    failures = []
    for path in paths:
        r = train(path, args.steps)
        print(
            f"{r['recipe']:<16} {r['optimizer']:<8} {r['lr']:>7.2g} {r['start_loss']:>10.4f} {r['end_loss']:>9.4f} "
            f"{r['metric']:<15} {r['val_before']:>10.3f} {r['val_after']:>9.3f} {r['chance']:>7.3f} "
            f"{r['ms_per_step']:>8.1f}",
            flush=True,
        )
        if args.curve:
            print("    loss per 20 steps:", " ".join(f"{v:.3f}" for v in r["curve"]), flush=True)
        # "learns": the loss fell by half and the validation metric closed at least half the gap to perfect
        if not (r["finite"] and r["end_loss"] < 0.5 * r["start_loss"] and r["val_after"] > (1 + r["chance"]) / 2):
            failures.append(r["recipe"])
    command = ["python", "benchmarks/zoo_learns.py", "--steps", str(args.steps), *(["--curve"] if args.curve else [])]
    print("command: OMP_NUM_THREADS=1", shlex.join([*command, *args.names]))
    if failures:
        print("DID NOT LEARN:", ", ".join(failures))
        sys.exit(1)
    print("every recipe learned: loss at least halved, validation metric above (1 + chance) / 2")


if __name__ == "__main__":
    main()
