"""Does every zoo2 recipe learn? A plain PyTorch loop, no nndoctor (the zoo2 twin of zoo_learns).

For each recipe in benchmarks/zoo2/ this builds model, data, loss and optimizer exactly as the
recipe defines them (its own `forward`), trains a fixed number of steps cycling through the
shuffled training loader, and prints the first step's training loss, the mean of the last 10,
and the validation metric before and after training next to chance: accuracy for classifiers
(chance: the validation majority class), token accuracy for the language and sequence-to-sequence
models (chance: the most frequent target token), foreground IoU for segmentation (chance:
predicting every pixel foreground). Evaluation is over the whole validation loader in eval mode
without gradients; torch.manual_seed(0) before each recipe is built. The metric and training
helpers are `benchmarks/zoo_learns.py`'s.

    OMP_NUM_THREADS=1 python benchmarks/zoo2/learns.py              # every recipe, 300 steps
    OMP_NUM_THREADS=1 python benchmarks/zoo2/learns.py --steps 500 swin segformer
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import zoo_learns

ZOO2 = Path(__file__).resolve().parent
METRIC = {
    "segformer": "IoU",
    "llama_lm": "token accuracy",
}


def recipes() -> list[Path]:
    return sorted(p for p in ZOO2.glob("*.py") if not p.name.startswith("_") and p.name != "learns.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="recipe names (file stems); default: all")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--curve", action="store_true", help="also print the mean loss of every 20 steps")
    args = parser.parse_args()
    torch.set_num_threads(1)
    zoo_learns.METRIC.update(METRIC)  # train() picks the metric by recipe stem
    paths = [p for p in recipes() if not args.names or p.stem in args.names]
    print(f"{args.steps} steps per recipe, torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print(
        f"{'recipe':<20} {'optimizer':<9} {'lr':>7} {'loss start':>10} {'loss end':>9} "
        f"{'metric':<15} {'val before':>10} {'val after':>9} {'chance':>7} {'ms/step':>8}"
    )
    failures = []
    started = time.perf_counter()
    for path in paths:
        r = zoo_learns.train(path, args.steps)
        print(
            f"{r['recipe']:<20} {r['optimizer']:<9} {r['lr']:>7.2g} {r['start_loss']:>10.4f} "
            f"{r['end_loss']:>9.4f} {r['metric']:<15} {r['val_before']:>10.3f} {r['val_after']:>9.3f} "
            f"{r['chance']:>7.3f} {r['ms_per_step']:>8.1f}",
            flush=True,
        )
        if args.curve:
            print("    loss per 20 steps:", " ".join(f"{v:.3f}" for v in r["curve"]), flush=True)
        if not (r["finite"] and r["end_loss"] < 0.5 * r["start_loss"] and r["val_after"] > (1 + r["chance"]) / 2):
            failures.append(r["recipe"])
    command = ["python", "benchmarks/zoo2/learns.py", "--steps", str(args.steps), *(["--curve"] if args.curve else [])]
    print("command: OMP_NUM_THREADS=1", shlex.join([*command, *args.names]))
    print(f"wall {time.perf_counter() - started:.1f} s")
    if failures:
        print("DID NOT LEARN:", ", ".join(failures))
        sys.exit(1)
    print("every recipe learned: loss at least halved, validation metric above (1 + chance) / 2")


if __name__ == "__main__":
    main()
