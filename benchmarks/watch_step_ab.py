"""Per-step cost of the watcher on a tiny training step, plain and watched in alternating short chunks.

`watch_overhead.py` compares whole script runs; on a shared machine whose speed drifts by up to 2x
within seconds, a run-level ratio cannot resolve a cost of ~20 us. Here one tiny model (4-8-1 MLP,
batch 4, Adam; a step of ~0.3 ms where the watcher's fixed per-step cost is what shows) trains in
chunks of 60 steps, alternately plain and under a fresh `Watcher` + `observing` (the order flips
each chunk), so that both modes see the same drift. Every step is timed with `time.thread_time`;
the first 4 steps of a chunk are dropped. Printed per mode: low quantiles (p5, p25: contention only
adds time, so these are the least disturbed) and the mean, and watched - plain for each.

`--every N` is the watcher's sampling (default 10, as `nndoctor watch`); `--every 0` samples the
first step only, which gives the cost of a step that is not sampled.

    OMP_NUM_THREADS=1 python benchmarks/watch_step_ab.py [--every 10] [--chunks 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nndoctor.observe.hooks import observing  # noqa: E402
from nndoctor.observe.watcher import Watcher  # noqa: E402

CHUNK = 60
SKIP = 4


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--every", type=int, default=10, help="the watcher's sampling; 0: the first step only")
    ap.add_argument("--chunks", type=int, default=40, help="chunks per mode")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    n = 4 * 10**5
    data = TensorDataset(torch.randn(n, 4), (torch.rand(n, 1) > 0.5).float())
    loader = DataLoader(data, batch_size=4, shuffle=True)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    clock = time.thread_time

    def chunk(out: list[float]) -> None:
        it = iter(loader)
        last = clock()
        for i in range(CHUNK):
            x, y = next(it)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            loss.item()
            now = clock()
            if i >= SKIP:
                out.append(now - last)
            last = now

    times: dict[bool, list[float]] = {False: [], True: []}
    for k in range(args.chunks):
        for watched in (False, True) if k % 2 == 0 else (True, False):
            if not watched:
                chunk(times[False])
                continue
            watcher = Watcher(args.every or 10**9, script="watch_step_ab")
            with observing(watcher) as observation:
                watcher.attach(observation)
                chunk(times[True])
            watcher.finish()

    def quantile(values: list[float], q: float) -> float:
        return sorted(values)[int(len(values) * q)]

    plain, watched_times = times[False], times[True]
    every = f"every {args.every} steps" if args.every else "the first step only"
    print(
        f"torch {torch.__version__}, 1 thread, {args.chunks} chunks of {CHUNK} steps per mode, sampling {every}, "
        "CPU time per step (thread_time), in us"
    )
    print("| Statistic | Plain | Watched | Watched - plain |")
    print("|---|---|---|---|")
    for name, stat in (
        ("p5", lambda v: quantile(v, 0.05)),
        ("p25", lambda v: quantile(v, 0.25)),
        ("median", statistics.median),
        ("mean", statistics.mean),
    ):
        p, w = stat(plain) * 1e6, stat(watched_times) * 1e6
        print(f"| {name} | {p:.1f} | {w:.1f} | {w - p:+.1f} |")


if __name__ == "__main__":
    main()
