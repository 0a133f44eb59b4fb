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

# CPU time of this thread (time.thread_time) is the main measure: other jobs on a shared machine
# inflate wall time by 2-5x at random; wall-clock medians are printed next to it
cpu = {"bare": [], "bare (again)": [], **{name: [] for name in observers}}
wall = {name: [] for name in cpu}
for _round in range(80):
    for name in cpu:
        obs = observers.get(name)
        if obs is not None:
            obs.install()
        for _ in range(20):
            c0, t0 = time.thread_time(), time.perf_counter()
            step()
            cpu[name].append(time.thread_time() - c0)
            wall[name].append(time.perf_counter() - t0)
        if obs is not None:
            obs.uninstall()
bare, bare_wall = statistics.median(cpu["bare"]), statistics.median(wall["bare"])
print(
    f"first observed step (capture): {first_step_ms:.2f} ms wall; captured model={capture['model']} loss={capture['loss']}"
)
print(f"{len(cpu['bare'])} steps per configuration, blocks of 20 interleaved, median per step:")
for name in cpu:
    c, w = statistics.median(cpu[name]), statistics.median(wall[name])
    print(
        f"   {name:22s} CPU {c * 1e6:7.1f} us ({c / bare:.3f}x, {(c - bare) * 1e6:+6.1f} us) | "
        f"wall {w * 1e6:7.1f} us ({w / bare_wall:.3f}x)"
    )
obs = observers["stats every 10 steps"]
print(
    f"   samples taken: every-10 observer {len(obs.samples)}, every-step observer {len(observers['stats every step'].samples)}"
)
