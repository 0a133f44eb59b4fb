"""Wall time of nndoctor's LR range test against torch-lr-finder's `LRFinder.range_test`, side by side.

Same model, same DataLoader, same optimizer class and settings, same number of steps, one process,
interleaved rounds (nndoctor, torch-lr-finder, nndoctor, ...), medians and their ratio. Timed end
to end as a user calls them:

- nndoctor: `nndoctor.lr_find(model, loader, loss_fn, optimizer, confirm=0)`: settings, the
  private model copy, the setup probe, the sweep on fresh batches of the loader, the reading of
  the curve, ND403, the result; the user's model and optimizer are left untouched;
- nndoctor + confirmation: the same with the default 3 confirmation runs (the whole ND403 cost,
  allowed up to 3x a plain range test);
- torch-lr-finder: `LRFinder(model, optimizer, criterion)` (it caches the model's and the
  optimizer's state), `range_test(loader, end_lr, num_iter)` and `reset()` (restores them).

Divergence stops are disabled on both sides and the sweep ends below where these models diverge,
so both take exactly `--steps` optimizer steps. A ratio at or below 1.0 means nndoctor's range test
costs no more than torch-lr-finder's. `ratio` is the ratio of the medians; `paired` is the median
of the per-round ratios (each nndoctor run over the torch-lr-finder run right after it) with their
range: on a shared machine a burst of load hits one round's pair together, so the paired ratio
moves less than either median, and its range shows how reliably the ratio stays below 1.

    pip install torch-lr-finder          # benchmark only, not a dependency of nndoctor
    OMP_NUM_THREADS=1 python benchmarks/lr_find_speed.py [--steps 100] [--rounds 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nndoctor

START, END = 1e-7, 1e-2  # below where these models diverge: both sides run every step


def _mlp_case() -> tuple[nn.Module, DataLoader, nn.Module]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8192, 64, generator=g)
    y = (x[:, :8].sum(1) * 2).long().clamp(-4, 5) + 4
    torch.manual_seed(0)  # the same initial weights in every process: the same curve, reading and runs
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(1))
    return model, loader, nn.CrossEntropyLoss()


def _cnn_case() -> tuple[nn.Module, DataLoader, nn.Module]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4096, 1, 16, 16, generator=g)
    y = (x[:, 0, :8].mean((1, 2)) > 0).long() + 2 * (x[:, 0, :, :8].mean((1, 2)) > 0).long()
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 4),
    )
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(1))
    return model, loader, nn.CrossEntropyLoss()


CASES: dict[str, Callable[[], tuple[nn.Module, DataLoader, nn.Module]]] = {"mlp": _mlp_case, "cnn": _cnn_case}


def run_nndoctor(model: nn.Module, loader: DataLoader, loss: nn.Module, steps: int, confirm: int) -> float:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    result = nndoctor.lr_find(
        model, loader, loss, optimizer, start=START, end=END, steps=steps, confirm=confirm, device="cpu"
    )
    seconds = time.perf_counter() - t0
    assert result.steps == steps, (result.steps, result.stop_reason)
    return seconds


def run_peer(model: nn.Module, loader: DataLoader, loss: nn.Module, steps: int) -> float:
    from torch_lr_finder import LRFinder

    optimizer = torch.optim.AdamW(model.parameters(), lr=START)
    t0 = time.perf_counter()
    finder = LRFinder(model, optimizer, loss, device="cpu")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        finder.range_test(loader, end_lr=END, num_iter=steps, step_mode="exp", diverge_th=1e30)
    finder.reset()
    seconds = time.perf_counter() - t0
    assert len(finder.history["lr"]) == steps
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cases", default="mlp,cnn")
    args = parser.parse_args(argv)
    try:
        import torch_lr_finder  # noqa: F401
    except ImportError:
        print("needs torch-lr-finder: pip install torch-lr-finder", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.steps} steps, {args.rounds} rounds, cpu")
    print(
        f"{'case':6} {'nndoctor':>10} {'+confirm':>10} {'torch-lr-finder':>16} {'ratio':>7} {'ratio+confirm':>14}"
        f" {'paired [min..max]':>20}"
    )
    for name in args.cases.split(","):
        model, loader, loss = CASES[name]()
        run_nndoctor(model, loader, loss, args.steps, 0)  # warm-up: imports, allocator
        run_peer(model, loader, loss, args.steps)
        ours: list[float] = []
        full: list[float] = []
        peer: list[float] = []
        for _ in range(args.rounds):
            ours.append(run_nndoctor(model, loader, loss, args.steps, 0))
            peer.append(run_peer(model, loader, loss, args.steps))
            full.append(run_nndoctor(model, loader, loss, args.steps, 3))
        a, b, c = statistics.median(ours), statistics.median(peer), statistics.median(full)
        paired = [x / y for x, y in zip(ours, peer, strict=True)]
        spread = f"{statistics.median(paired):.2f} [{min(paired):.2f}..{max(paired):.2f}]"
        print(f"{name:6} {a:9.3f}s {c:9.3f}s {b:15.3f}s {a / b:7.2f} {c / b:14.2f} {spread:>20}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
