"""DataLoader iteration: patching DataLoader.__iter__ and _BaseDataLoaderIter.__next__, telling the
training loader from the validation loader, reading labels cheaply."""

# Timings are CPU time of this thread (time.thread_time): on a shared machine wall time is inflated
# at random by other jobs, CPU time much less so.

import statistics
import time

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.utils.data import DataLoader, RandomSampler, SequentialSampler, TensorDataset
from torch.utils.data import dataloader as dl

torch.manual_seed(0)
events = []
orig_iter = DataLoader.__iter__
orig_next = dl._BaseDataLoaderIter.__next__


def traced_iter(self):
    iterator = orig_iter(self)
    iterator._observed_loader = self  # the iterator keeps no reference to its DataLoader
    events.append(("iter", self.name))
    return iterator


def traced_next(self):
    batch = orig_next(self)  # StopIteration passes through
    loader = getattr(self, "_observed_loader", None)
    labels = batch[1] if isinstance(batch, (list, tuple)) and len(batch) > 1 else None
    events.append(
        (
            "batch",
            loader.name if loader else "?",
            torch.is_grad_enabled(),
            labels.tolist()[:4] if labels is not None else None,
        )
    )
    return batch


DataLoader.__iter__ = traced_iter
dl._BaseDataLoaderIter.__next__ = traced_next
step_handle = register_optimizer_step_pre_hook(lambda o, a, k: events.append(("optimizer.step",)))

x = torch.randn(40, 3)
y = torch.arange(40) // 10  # sorted by class: 10 of each
train = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
val = DataLoader(TensorDataset(x, y), batch_size=20)
train.name, val.name = "train", "val"
print(
    "1. samplers: train",
    type(train.sampler).__name__,
    "| val",
    type(val.sampler).__name__,
    "| RandomSampler means shuffle=True:",
    isinstance(train.sampler, RandomSampler),
    isinstance(val.sampler, SequentialSampler),
)

model = nn.Linear(3, 4)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for xb, yb in train:
    opt.zero_grad()
    nn.functional.cross_entropy(model(xb), yb).backward()
    opt.step()
    if len([e for e in events if e[0] == "optimizer.step"]) == 2:
        break  # leaves the iterator half consumed
model.eval()
with torch.no_grad():
    for xb, _ in val:
        model(xb)
print("2. event order (kind, loader, grad enabled, first labels):")
for e in events:
    print("  ", e)

# 3. workers: __next__ runs in the main process, so the patch sees worker batches too
events.clear()
workers = DataLoader(TensorDataset(x, y), batch_size=10, num_workers=2)
workers.name = "workers"
worker_labels = [b[1][:4].tolist() for b in workers]
seen_batches = [e for e in events if e[0] == "batch"]
print("3. num_workers=2: labels of the batches", worker_labels)
print("   seen by the patch:", [e[3] for e in seen_batches], [e for e in events if e[0] == "iter"])

# 4. cost of the __next__ patch per batch, and of reading labels (tolist on 64 labels; bincount)
DataLoader.__iter__, dl._BaseDataLoaderIter.__next__ = orig_iter, orig_next
big = DataLoader(TensorDataset(torch.randn(6400, 20), torch.randint(0, 10, (6400,))), batch_size=64, shuffle=True)


def epoch_us_per_batch():
    t0 = time.thread_time()
    n = sum(1 for _ in big)
    return (time.thread_time() - t0) / n * 1e6


def light_next(self):
    batch = orig_next(self)
    self._observed_count = getattr(self, "_observed_count", 0) + 1
    return batch


def label_next(self):
    batch = orig_next(self)
    self._labels = batch[1].tolist()
    return batch


timings = {"plain": [], "counting patch": [], "patch + labels.tolist()": []}
for _ in range(30):
    for name, fn in (("plain", orig_next), ("counting patch", light_next), ("patch + labels.tolist()", label_next)):
        dl._BaseDataLoaderIter.__next__ = fn
        timings[name].append(epoch_us_per_batch())
dl._BaseDataLoaderIter.__next__ = orig_next
labels = torch.randint(0, 10, (64,))
t0 = time.thread_time()
for _ in range(1000):
    torch.bincount(labels, minlength=10)
bincount_us = (time.thread_time() - t0) / 1000 * 1e6
print(
    "4. per batch of 64 (median of 30 interleaved epochs of 100 batches):",
    {k: f"{statistics.median(v):.1f} us" for k, v in timings.items()},
    f"| bincount {bincount_us:.1f} us",
)
step_handle.remove()

# 4b. the same on a loader whose batches cost almost nothing (pre-built batches, batch_size=None),
#     so the wrapper's own cost is not hidden under TensorDataset indexing and collation
prebuilt = [(torch.randn(64, 20), torch.randint(0, 10, (64,))) for _ in range(100)]
cheap = DataLoader(prebuilt, batch_size=None)


def cheap_us_per_batch():
    t0 = time.thread_time()
    n = sum(1 for _ in cheap)
    return (time.thread_time() - t0) / n * 1e6


timings = {"plain": [], "counting patch": [], "patch + labels.tolist()": []}
for _ in range(50):
    for name, fn in (("plain", orig_next), ("counting patch", light_next), ("patch + labels.tolist()", label_next)):
        dl._BaseDataLoaderIter.__next__ = fn
        timings[name].append(cheap_us_per_batch())
dl._BaseDataLoaderIter.__next__ = orig_next
print(
    "4b. pre-built batches, per batch (median of 50 interleaved epochs):",
    {k: f"{statistics.median(v):.2f} us" for k, v in timings.items()},
)
