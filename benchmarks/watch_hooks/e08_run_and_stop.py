"""Running an unmodified script as __main__ with its own argv, and stopping it at the first
optimizer step from inside a hook: try/except in user code, finally blocks, DataLoader workers."""

import multiprocessing
import runpy
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

SCRIPT = """
import argparse, sys, torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from helpers import WIDTH                      # a sibling module next to the script

class Squares(Dataset):                        # defined in the script: workers must unpickle it
    def __len__(self):
        return 64
    def __getitem__(self, i):
        x = torch.full((WIDTH,), float(i % 7))
        return x, (x.sum() > 20).long()

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--context", default=None)
    p.add_argument("--guard", default="except-exception")
    args = p.parse_args()
    print(f"  script: __name__={__name__} argv={sys.argv[1:]} epochs={args.epochs} file={__file__.rsplit('/', 1)[-1]}")
    model = nn.Linear(WIDTH, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(Squares(), batch_size=8, num_workers=args.workers, multiprocessing_context=args.context)
    try:
        for epoch in range(args.epochs):
            for x, y in loader:
                try:
                    opt.zero_grad()
                    nn.functional.cross_entropy(model(x), y).backward()
                    opt.step()
                except Exception as exc:           # a common "keep going" guard
                    print("  script: caught", type(exc).__name__)
                except BaseException if args.guard == "bare" else ():
                    print("  script: a bare except swallowed the stop")
    finally:
        print("  script: finally block ran")

if __name__ == "__main__":
    main()
"""


class StopTraining(BaseException):
    """Private: not an Exception, so `except Exception` in user code lets it through."""


def run(script, argv, stop_after=1):
    steps = [0]

    def stop(optimizer, args, kwargs):
        steps[0] += 1
        if steps[0] >= stop_after:
            raise StopTraining

    handle = register_optimizer_step_pre_hook(stop)
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [str(script), *argv]
    sys.path.insert(0, str(script.parent))  # what `python script.py` puts in sys.path[0]
    outcome = "ran to the end"
    t0 = time.perf_counter()
    try:
        runpy.run_path(str(script), run_name="__main__")
    except StopTraining:
        outcome = f"stopped at optimizer step {steps[0]}"
    except SystemExit as exc:
        outcome = f"SystemExit({exc.code})"
    finally:
        handle.remove()
        sys.argv, sys.path[:] = saved_argv, saved_path
    elapsed = time.perf_counter() - t0
    return outcome, steps[0], elapsed


with tempfile.TemporaryDirectory() as tmp:
    script = Path(tmp) / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    (Path(tmp) / "helpers.py").write_text("WIDTH = 5\n")

    print("1. `except Exception` guard, no workers:")
    outcome, steps, _ = run(script, ["--epochs", "2"])
    print(f"  runner: {outcome}; sys.argv restored: {sys.argv[0].endswith('e08_run_and_stop.py')}")

    print("2. a bare `except:` (here `except BaseException`) in the loop:")
    outcome, steps, _ = run(script, ["--guard", "bare", "--epochs", "1"], stop_after=1)
    print(f"  runner: {outcome}; the pre-hook ran {steps} times (once per batch: every step raised and was swallowed)")

    print("3. num_workers=2 (fork), stopped mid-epoch:")
    outcome, steps, elapsed = run(script, ["--workers", "2"])
    alive = len(multiprocessing.active_children())
    print(f"  runner: {outcome} after {elapsed:.2f}s; worker processes still alive right after: {alive}")

    print("4. num_workers=2, multiprocessing_context='spawn' (workers re-import the main module):")
    outcome, steps, elapsed = run(script, ["--workers", "2", "--context", "spawn"])
    print(f"  runner: {outcome} after {elapsed:.2f}s")

    print("5. sys.path[0] matters: the same run without inserting the script's folder:")
    sys.modules.pop("helpers", None)  # imported by the runs above
    saved = sys.argv[:]
    sys.argv = [str(script)]
    try:
        runpy.run_path(str(script), run_name="__main__")
    except ModuleNotFoundError as exc:
        print("  runner:", type(exc).__name__, exc)
    finally:
        sys.argv = saved
        sys.modules.pop("helpers", None)
print("6. torch still usable after the stops:", torch.ones(2).sum().item())
