"""How much slower are nndoctor's training probes than the plain PyTorch loop they wrap?

For each recipe, the `short_run` and `overfit_tiny` probes run through the engine's probe cache (as
`nndoctor check` runs them), and a plain loop does the same number of optimizer steps on the same
model (a copy of nndoctor's working copy at its initial state), the same device-resident batches
(`ctx.train_batches()`, already materialized from the user's loader before any timing, for both
sides) and the same optimizer class and settings. The plain loop is the bare minimum:
`zero_grad(set_to_none=True); loss = loss_fn(model(x), y); loss.backward(); optimizer.step()`, no
logging, no host reads. A second baseline adds the evaluation passes the short run makes (the same
number of eval-mode forward passes over the same train and validation batches), the honest
comparison for a user who validates along the way.

Everything the probe does beyond the bare loop counts as overhead: resetting the model, building
the optimizer, recording the loss curve, the periodic NaN/divergence reads, tracking per-layer
gradient norms and update ratios, the evaluations and the final host transfer. Runs alternate
(probe, plain, probe, plain, ...) and the median of each is compared, so slow phases of a shared
machine hit both sides. Target: ratio <= 1.15.

    python benchmarks/training_overhead.py                       # digits MLP and CNN, CPU, 1 thread
    python benchmarks/training_overhead.py --device cuda --repeats 7
    python benchmarks/training_overhead.py sample_models/healthy/deep_residual_mlp.py --threads 2
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nndoctor.target import load_recipe  # noqa: E402

from nndoctor.context import Context, Settings  # noqa: E402
from nndoctor.engine import attach_probes  # noqa: E402
from nndoctor.probes.training import take_samples  # noqa: E402
from nndoctor.profiles import load_profile  # noqa: E402

DEFAULT_RECIPES = ("sample_models/healthy/digits_mlp.py", "sample_models/healthy/digits_cnn.py")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def make_context(recipe: str, device: str, probes: dict[str, dict[str, Any]]) -> Context:
    target = load_recipe(recipe)
    settings = Settings(device=device, seed=0, probe=probes)
    ctx = Context.from_target(target, settings)
    attach_probes(ctx)
    ctx.probe("setup")  # materializes the batches and resolves the loss, outside every timing
    ctx.val_batches()
    return ctx


def time_probe(ctx: Context, name: str) -> tuple[float, Any]:
    """Wall time of one fresh run of a probe (its cached result dropped first)."""
    cache = ctx.probe.__self__  # type: ignore[attr-defined]
    cache.results.pop(name, None)
    _sync(ctx.device)
    started = time.perf_counter()
    result = ctx.probe(name)
    _sync(ctx.device)
    return time.perf_counter() - started, result


def plain_loop(ctx: Context, batches: list[Any], steps: int, evals: int = 0, eval_batches: list[Any] = ()) -> float:
    """The bare training loop over the same batches, plus `evals` eval passes if asked."""
    model = copy.deepcopy(ctx.fresh_model())
    optimizer = ctx.make_optimizer(model)
    loss_fn = ctx.loss_fn
    _sync(ctx.device)
    started = time.perf_counter()
    for step in range(steps):
        x, y = batches[step % len(batches)]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    if evals:
        model.eval()
        with torch.no_grad():
            for _ in range(evals):
                for x, y in eval_batches:
                    loss_fn(model(x), y)
        model.train()
    _sync(ctx.device)
    return time.perf_counter() - started


def bench(recipe: str, device: str, repeats: int, probes: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    ctx = make_context(recipe, device, probes)
    rows = []
    eval_count = int(ctx.settings.probe_setting("short_run", "eval_batches", 8))
    evaluated = ctx.train_batches()[:eval_count] + (ctx.val_batches() or [])[:eval_count]
    for name in ("short_run", "overfit_tiny"):
        time_probe(ctx, name)  # warm-up (allocator, autograd graph caches)
        probe_times, plain_times, plain_eval_times = [], [], []
        steps = evals = 0
        for _ in range(repeats):
            seconds, result = time_probe(ctx, name)
            probe_times.append(seconds)
            steps = result.steps_run
            if name == "short_run":
                batches = ctx.train_batches()
                evals = len(result.evals)
            else:
                batches = [take_samples(ctx.train_batches(), result.samples)]
            plain_times.append(plain_loop(ctx, batches, steps))
            if name == "short_run":
                plain_eval_times.append(plain_loop(ctx, batches, steps, evals, evaluated))
        probe_s = statistics.median(probe_times)
        plain_s = statistics.median(plain_times)
        row = {
            "recipe": Path(recipe).stem,
            "probe": name,
            "steps": steps,
            "probe_s": probe_s,
            "plain_s": plain_s,
            "ratio": probe_s / plain_s,
        }
        if plain_eval_times:
            plain_eval_s = statistics.median(plain_eval_times)
            row.update(plain_eval_s=plain_eval_s, ratio_vs_eval=probe_s / plain_eval_s, evals=evals)
        rows.append(row)
    ctx.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipes", nargs="*", default=list(DEFAULT_RECIPES))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 = stable timings)")
    parser.add_argument("--profile", default="default", help="profile whose probe budgets to use")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    probes = load_profile(args.profile).probes
    for settings in probes.values():
        settings.pop("seconds", None)  # time the step budget, not a wall-clock cut-off
    print(f"device {args.device}, torch {torch.__version__}, {args.threads} thread(s), median of {args.repeats}")
    print(
        "| recipe | probe | steps | probe s | plain loop s | ratio | plain loop + same evals s | ratio vs that |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    worst = 0.0
    for recipe in args.recipes:
        for row in bench(recipe, args.device, args.repeats, probes):
            worst = max(worst, row["ratio"])
            extra = f"{row['plain_eval_s']:.3f} | {row['ratio_vs_eval']:.3f}" if "plain_eval_s" in row else "- | -"
            print(
                f"| {row['recipe']} | {row['probe']} | {row['steps']} | {row['probe_s']:.3f} | "
                f"{row['plain_s']:.3f} | {row['ratio']:.3f} | {extra} |"
            )
    print(f"worst ratio vs the bare loop: {worst:.3f} (target <= 1.15)")


if __name__ == "__main__":
    main()
