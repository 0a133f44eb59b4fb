"""Functional losses (F.cross_entropy ...): a TorchFunctionMode sees them without patching; cost and
whether results change; what patching the torch.nn.functional attribute sees instead."""

# Timings are CPU time of this thread (time.thread_time): on a shared machine wall time is inflated
# at random by other jobs, CPU time much less so.

import statistics
import time

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.overrides import TorchFunctionMode

LOSSES = {
    F.cross_entropy,
    F.nll_loss,
    F.mse_loss,
    F.l1_loss,
    F.binary_cross_entropy,
    F.binary_cross_entropy_with_logits,
    F.smooth_l1_loss,
    F.huber_loss,
    F.kl_div,
}


class LossSpy(TorchFunctionMode):
    """Records functional loss calls; everything else passes straight through."""

    def __init__(self):
        super().__init__()
        self.seen = []
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls += 1
        if func in LOSSES:
            self.seen.append(func.__name__)
        return func(*args, **(kwargs or {}))


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))
x, y = torch.randn(64, 20), torch.randint(0, 10, (64,))

# 1. what the mode sees: a functional loss, a loss module (which calls F.cross_entropy itself), and
#    a loss written by hand
with LossSpy() as spy:
    F.cross_entropy(model(x), y)
    nn.CrossEntropyLoss()(model(x), y)
    -(torch.log_softmax(model(x), 1).gather(1, y[:, None])).mean()
print("1. functional losses seen:", spy.seen, f"| torch-function calls in total: {spy.calls}")


# 2. results bit for bit: 20 Adam steps with and without the mode
def train(use_mode, steps=20):
    torch.manual_seed(1)
    m = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 10))
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        ctx = LossSpy() if use_mode else torch.enable_grad()
        with ctx:
            opt.zero_grad()
            loss = F.cross_entropy(m(x), y)
            loss.backward()
            opt.step()
        losses.append(loss.item())
    return losses, [p.detach().clone() for p in m.parameters()]


plain_losses, plain_params = train(False)
spy_losses, spy_params = train(True)
print(
    "2. identical losses:",
    plain_losses == spy_losses,
    "| identical weights:",
    all(torch.equal(a, b) for a, b in zip(plain_params, spy_params, strict=True)),
)

# 3. cost per training step (forward, F.cross_entropy, backward, Adam step), interleaved rounds
m = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))
opt = torch.optim.Adam(m.parameters(), lr=1e-3)


def step():
    opt.zero_grad()
    F.cross_entropy(m(x), y).backward()
    opt.step()


times = {"plain": [], "TorchFunctionMode": []}
for _ in range(300):
    t0 = time.thread_time()
    step()
    t1 = time.thread_time()
    with LossSpy() as s:
        step()
    t2 = time.thread_time()
    times["plain"].append(t1 - t0)
    times["TorchFunctionMode"].append(t2 - t1)
calls_per_step = s.calls
plain, spied = (statistics.median(v) * 1e6 for v in times.values())
print(
    f"3. MLP step: plain {plain:.0f} us, under the mode {spied:.0f} us ({spied / plain:.2f}x); "
    f"{calls_per_step} torch-function calls per step, {(spied - plain) / calls_per_step:.2f} us each"
)

# 4. patching the attribute instead: seen through `F.cross_entropy` and `nn.CrossEntropyLoss`, missed
#    by a name bound before the patch (`from torch.nn.functional import cross_entropy` at import time)
from torch.nn.functional import cross_entropy as bound_early  # noqa: E402

original = F.cross_entropy
patched_calls = []


def patched(*args, **kwargs):
    patched_calls.append("called")
    return original(*args, **kwargs)


F.cross_entropy = patched
F.cross_entropy(model(x), y)
nn.CrossEntropyLoss()(model(x), y)
bound_early(model(x), y)
print(f"4. attribute patch saw {len(patched_calls)} of 3 calls (F.cross_entropy, CrossEntropyLoss, early-bound name)")
F.cross_entropy = original


# 5. activations applied as functions (torch.relu in forward) are torch functions too
class FunctionalReLU(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(20, 16), nn.Linear(16, 10)

    def forward(self, inp):
        return self.fc2(torch.relu(self.fc1(inp)))


class NameSpy(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.names = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.append(getattr(func, "__name__", str(func)))
        return func(*args, **(kwargs or {}))


functional_relu = FunctionalReLU()
with NameSpy() as names:
    functional_relu(x)
print("5. torch functions seen in a forward with torch.relu:", names.names)
