"""Wall time of nndoctor's LR range test against torch-lr-finder's `LRFinder.range_test`.

Same model, same DataLoader, same optimizer, same number of steps, in one process, alternating
the two and reporting medians. Both sides are timed end to end as a user runs them:

- nndoctor sweep: build the Context (private model copy, batches moved to the device once), run
  the `lr_range` probe (fresh model and optimizer, the sweep, the suggestion) and leave the
  working copy reset;
- nndoctor lr-find path: what the command runs apart from printing (`run_target` with ND403:
  profile and registry loading, the setup probe, the sweep, the check, the report);
- torch-lr-finder: `LRFinder(model, optimizer, criterion)` (caches model and optimizer state),
  `range_test(loader, ...)` and `reset()` (restores them).

Divergence stops are disabled on both sides and the sweep ends below where these models diverge,
so both take exactly `--steps` optimizer steps. A ratio below 1.0 means nndoctor is faster.

    pip install torch-lr-finder      # the `bench` extra
    python benchmarks/lr_find_speed.py [--steps 100] [--repeats 7] [--device cpu|cuda] [--threads 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nndoctor.target import _import_file  # noqa: E402

from nndoctor.context import Context, Settings  # noqa: E402
from nndoctor.engine import attach_probes  # noqa: E402
from nndoctor.registry import load_registry  # noqa: E402

RECIPES = {
    "digits-mlp": "sample_models/healthy/digits_mlp.py",
    "digits-cnn": "sample_models/healthy/digits_cnn.py",
}
START, END = 1e-7, 1e-2  # below where these models diverge: both sides run every step


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_nndoctor(recipe: Any, device: torch.device, steps: int) -> float:
    model, (train, _) = recipe.build_model(), recipe.build_data()
    _sync(device)
    started = time.perf_counter()
    ctx = Context(
        model=model,
        train_data=train,
        val_data=None,
        loss_fn=recipe.build_loss(),
        optimizer_factory=recipe.build_optimizer,
        forward_fn=None,
        hints={},
        settings=Settings(
            device=str(device),
            probe={"lr_range": {"start": START, "end": END, "steps": steps, "diverge_factor": 1e30}},
        ),
    )
    attach_probes(ctx, load_registry(plugins=False))
    result = ctx.probe("lr_range")
    _sync(device)
    elapsed = time.perf_counter() - started
    assert result.steps == steps, result.stop_reason
    return elapsed


def time_nndoctor_command_path(recipe: Any, device: torch.device, steps: int) -> float:
    """What `nndoctor lr-find` runs, minus printing: profile, registry, context, setup, sweep, ND403."""
    from nndoctor.target import Target

    from nndoctor.api import RunOptions, run_target

    model, (train, _) = recipe.build_model(), recipe.build_data()
    _sync(device)
    started = time.perf_counter()
    target = Target(
        name="bench",
        model=model,
        train_data=train,
        loss_fn=recipe.build_loss(),
        optimizer_factory=recipe.build_optimizer,
    )
    sweep = {"start": START, "end": END, "steps": steps, "diverge_factor": 1e30, "seconds": None}
    options = RunOptions(select=["ND403"], device=str(device), extra_probe_settings={"lr_range": sweep})
    report = run_target(target, options)
    _sync(device)
    elapsed = time.perf_counter() - started
    assert report.artifacts["lr_range"]["steps"] == steps
    return elapsed


def time_torch_lr_finder(recipe: Any, device: torch.device, steps: int) -> float:
    from torch_lr_finder import LRFinder

    model, (train, _) = recipe.build_model(), recipe.build_data()
    _sync(device)
    started = time.perf_counter()
    optimizer = recipe.build_optimizer(model.parameters())
    finder = LRFinder(model, optimizer, recipe.build_loss(), device=device)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        finder.range_test(train, start_lr=START, end_lr=END, num_iter=steps, diverge_th=1e30)
    finder.reset()
    _sync(device)
    elapsed = time.perf_counter() - started
    assert len(finder.history["lr"]) == steps
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads, the same for both sides (1: these small models run fastest on one thread, and "
        "timings stay stable on a shared machine; 0: torch's default)",
    )
    parser.add_argument("--models", default=",".join(RECIPES))
    args = parser.parse_args(argv)
    try:
        import torch_lr_finder  # noqa: F401
    except ImportError:
        print("torch-lr-finder is not installed: pip install torch-lr-finder (the `bench` extra)", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    threads = torch.get_num_threads()
    print(
        f"device {device}, torch {torch.__version__}, {threads} thread(s), {args.steps} steps, median of {args.repeats} runs\n"
    )
    print(
        "| model | nndoctor sweep (s) | nndoctor lr-find path (s) | torch-lr-finder (s) | ratio sweep | ratio lr-find |"
    )
    print("|---|---|---|---|---|---|")
    for name in args.models.split(","):
        recipe = _import_file(ROOT / RECIPES[name])
        # warm-up: first optimizer construction imports torch._dynamo, first CUDA call builds the context
        time_nndoctor(recipe, device, 20)
        time_torch_lr_finder(recipe, device, 20)
        time_nndoctor_command_path(recipe, device, 20)
        ours, path, theirs = [], [], []
        for _ in range(args.repeats):  # interleaved so drifts in machine load hit every side alike
            ours.append(time_nndoctor(recipe, device, args.steps))
            path.append(time_nndoctor_command_path(recipe, device, args.steps))
            theirs.append(time_torch_lr_finder(recipe, device, args.steps))
        a, p, b = statistics.median(ours), statistics.median(path), statistics.median(theirs)
        print(f"| {name} | {a:.3f} | {p:.3f} | {b:.3f} | {a / b:.2f} | {p / b:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
