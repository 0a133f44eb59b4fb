"""How much slower are nndoctor's training probes than the plain PyTorch loop they wrap?

For each recipe, `short_run` and `overfit_tiny` run through the engine's probe runner (as
`nndoctor check` runs them, default-profile budgets), and a plain loop makes the same number of
optimizer steps from the same initial weights on the same device-resident batches with the same
optimizer, plus the same evaluation passes the short run makes (eval-mode forward passes over the
same train and validation batches): `zero_grad(set_to_none=True); loss = loss(forward(model,
batch)); loss.backward(); optimizer.step()`, no logging, no host reads. Everything else the probe
does counts as overhead: the reset, building the optimizer, the loss curve, the periodic
NaN/divergence reads, the per-layer tracking, the metric and the final transfer. Pairs alternate
(probe, plain, ...) after one warm-up pair, and the medians are compared. Target: ratio <= 1.10.

The measurement lives in benchmarks/perf.py (its `overhead` section, over every bundled sample);
this script runs it for the recipes given.

    python benchmarks/training_overhead.py                       # digits MLP and CNN, CPU, 1 thread
    python benchmarks/training_overhead.py sample_models/broken/dead_relu.py --repeats 5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf import overhead_rows, table

DEFAULT_RECIPES = ("sample_models/healthy/digits_mlp.py", "sample_models/healthy/digits_cnn.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipes", nargs="*", default=list(DEFAULT_RECIPES))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 = stable timings)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    rows = [row for recipe in args.recipes for row in overhead_rows(recipe, args.repeats)]
    print(table(["sample", "probe", "steps", "probe s", "plain loop + same evals s", "ratio"], rows))


if __name__ == "__main__":
    main()
