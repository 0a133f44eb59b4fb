"""Work the watcher adds to a step that is not sampled, counted instead of timed.

On a shared machine a cost of ~20-30 us in a ~0.3-1 ms step is below what per-step timings resolve
(`watch_step_ab.py` reads p5 differences that move by tens of us between two runs of the same
code). The Python-level work is deterministic, so this counts it: the same tiny training step as
`watch_step_ab.py` (4-8-1 MLP, batch 4, Adam, a DataLoader) runs 20 steps plain and 20 steps under
`Watcher` + `observing` with no sampling after the first step, once under `sys.settrace` with
opcode events (bytecodes executed) and once under `sys.setprofile` (Python calls and C calls).
Printed: per step, plain, watched and the difference, then the opcodes of each watcher / hooks
function per step. `--labels` uses integer class labels and CrossEntropyLoss (the watcher keeps the
labels of the first pass) instead of float targets and BCEWithLogitsLoss.

    OMP_NUM_THREADS=1 python benchmarks/watch_step_count.py [--labels]
"""

from __future__ import annotations

import argparse
import collections
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nndoctor.observe.hooks import observing  # noqa: E402
from nndoctor.observe.watcher import Watcher  # noqa: E402

STEPS = 20
OWN_FILES = ("hooks.py", "watcher.py")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels", action="store_true", help="integer labels and CrossEntropyLoss")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    n = 4 * 10**4
    targets = torch.randint(0, 2, (n,)) if args.labels else (torch.rand(n, 1) > 0.5).float()
    loader = DataLoader(TensorDataset(torch.randn(n, 4), targets), batch_size=4, shuffle=True)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2 if args.labels else 1))
    loss_fn: nn.Module = nn.CrossEntropyLoss() if args.labels else nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(it: Iterator[Any]) -> None:
        x, y = next(it)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()

    counts: collections.Counter[str] = collections.Counter()
    where: collections.Counter[str] = collections.Counter()

    def tracer(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        frame.f_trace_opcodes = True
        if event == "opcode":
            counts["opcodes"] += 1
            code = frame.f_code
            name = Path(code.co_filename).name
            if name in OWN_FILES:
                where[f"{name}:{code.co_name}"] += 1
        return tracer

    def profiler(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            counts["python calls"] += 1
        elif event == "c_call":
            counts["C calls"] += 1

    def measure(it: Iterator[Any]) -> dict[str, float]:
        counts.clear()
        where.clear()
        sys.settrace(tracer)
        for _ in range(STEPS):
            step(it)
        sys.settrace(None)
        sys.setprofile(profiler)
        for _ in range(STEPS):
            step(it)
        sys.setprofile(None)
        return {k: v / STEPS for k, v in counts.items()}

    it = iter(loader)
    for _ in range(3):
        step(it)
    plain = measure(it)
    watcher = Watcher(10**9, script="watch_step_count")
    with observing(watcher) as observation:
        watcher.attach(observation)
        it = iter(loader)  # made under observation, as a script's loop makes it
        for _ in range(3):  # the first one is sampled; the later ones are not
            step(it)
        watched = measure(it)
    watcher.finish()
    kind = "integer labels, CrossEntropyLoss" if args.labels else "float targets, BCEWithLogitsLoss"
    print(f"torch {torch.__version__}, a step that is not sampled ({kind}), per step:")
    print("| Count | Plain | Watched | Watched - plain |")
    print("|---|---|---|---|")
    for key in ("opcodes", "python calls", "C calls"):
        p, w = plain.get(key, 0.0), watched.get(key, 0.0)
        print(f"| {key} | {p:.0f} | {w:.0f} | {w - p:+.0f} |")
    print()
    print("opcodes per step by function: " + ", ".join(f"{k} {v / STEPS:.0f}" for k, v in where.most_common()))


if __name__ == "__main__":
    main()
