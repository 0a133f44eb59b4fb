"""Per-step overhead of the prototype observer on a small MLP training step (DataLoader batch,
forward, CrossEntropyLoss, backward, Adam step, zero_grad): bare vs observed, interleaved blocks."""

import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from observer import Observer

torch.manual_seed(0)
data = TensorDataset(torch.randn(64 * 400, 20), torch.randint(0, 10, (64 * 400,)))
loader = DataLoader(data, batch_size=64, shuffle=True)
model = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
batches = iter(loader)


def step():
    global batches
    try:
        x, y = next(batches)
    except StopIteration:
        batches = iter(loader)
        x, y = next(batches)
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


# the first observed step takes the capture (TorchFunctionMode on until then, snapshot of the objects)
first = Observer(every=10).install()
t0 = time.perf_counter()
step()
first_step_ms = (time.perf_counter() - t0) * 1e3
capture = first.capture
first.uninstall()

observers = {
    "global module hooks kept": Observer(every=10**9, narrow=False),
    "hooks, no stats": Observer(every=10**9),
    "stats every 10 steps": Observer(every=10),
    "stats every step": Observer(every=1),
}
for obs in observers.values():  # take their captures outside the timed blocks
    obs.install()
    step()
    obs.uninstall()

# CPU time of this thread (time.thread_time): other jobs on a shared machine inflate wall time by
# 2-5x at random. Each round runs a block of 20 steps per configuration, back to back; the overhead
# of a configuration is the median over rounds of (its block median - the bare block median of the
# same round), so a slow phase of the machine hits both sides of each difference.
names = ["bare", "bare (again)", *observers]
blocks = {name: [] for name in names}
for _round in range(100):
    for name in names:
        obs = observers.get(name)
        if obs is not None:
            obs.install()
        times = []
        for _ in range(20):
            c0 = time.thread_time()
            step()
            times.append(time.thread_time() - c0)
        if obs is not None:
            obs.uninstall()
        blocks[name].append(statistics.median(times))
bare = statistics.median(blocks["bare"])
print(
    f"first observed step (capture): {first_step_ms:.2f} ms wall; captured model={capture['model']} loss={capture['loss']}"
)
print(f"100 rounds x 20 steps per configuration; bare step {bare * 1e6:.0f} us CPU (median of block medians)")
print("   configuration            overhead per step: median of paired differences [25th, 75th percentile]")
for name in names[1:]:
    diffs = sorted((a - b) * 1e6 for a, b in zip(blocks[name], blocks["bare"], strict=True))
    q1, med, q3 = diffs[len(diffs) // 4], statistics.median(diffs), diffs[3 * len(diffs) // 4]
    print(f"   {name:24s} {med:+7.1f} us ({med / (bare * 1e6) * 100:+5.1f}%)  [{q1:+7.1f}, {q3:+7.1f}]")
obs = observers["stats every 10 steps"]
print(
    f"   samples taken: every-10 observer {len(obs.samples)}, every-step observer {len(observers['stats every step'].samples)}"
)
