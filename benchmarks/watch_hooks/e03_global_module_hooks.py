"""Global module hooks: the outermost module, loss modules, per-call cost on a 400-module model,
full backward hooks and in-place ops, and the Transformer fast path."""

# Timings are CPU time of this thread (time.thread_time): on a shared machine wall time is inflated
# at random by other jobs, CPU time much less so.

import statistics
import time
import warnings

import torch
from torch import nn
from torch.nn.modules import module as module_hooks

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.fc(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(*[Block(8) for _ in range(3)])
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.blocks(x))


# 1. depth counting in global pre/post hooks finds the outermost calls; _Loss tells the loss apart
depth = [0]
top_level = []


def pre(module, args):
    if depth[0] == 0:
        kind = "loss" if isinstance(module, nn.modules.loss._Loss) else "model"
        top_level.append((type(module).__name__, kind, torch.is_grad_enabled(), module.training))
    depth[0] += 1


def post(module, args, output):
    depth[0] -= 1


h1 = module_hooks.register_module_forward_pre_hook(pre)
h2 = module_hooks.register_module_forward_hook(post)
net, criterion = Net(), nn.CrossEntropyLoss()
x, y = torch.randn(4, 8), torch.tensor([0, 1, 0, 1])
loss = criterion(net(x), y)
net.eval()
with torch.no_grad():
    net(x)
print("1. outermost calls (class, kind, grad enabled, training):", top_level)
print(
    "   loss classes:",
    [c.__name__ for c in (nn.CrossEntropyLoss, nn.MSELoss, nn.BCEWithLogitsLoss)],
    "are _Loss:",
    [issubclass(c, nn.modules.loss._Loss) for c in (nn.CrossEntropyLoss, nn.MSELoss, nn.BCEWithLogitsLoss)],
)
h1.remove()
h2.remove()

# 2. cost per module call: a 400-module model (200 Linear(64, 64) + 200 ReLU in one Sequential)
deep = nn.Sequential(*[m for _ in range(200) for m in (nn.Linear(64, 64), nn.ReLU())])
n_modules = sum(1 for _ in deep.modules())
inp = torch.randn(32, 64)


def noop_pre(m, a):
    return None


def noop_post(m, a, o):
    return None


def noop_backward(m, gi, go):
    return None


configs = {
    "no hooks": [],
    "global pre+post (no-op)": [("pre", noop_pre), ("post", noop_post)],
    "global pre+post (depth counter)": [("pre", pre), ("post", post)],
    "+ global full backward (no-op)": [("pre", pre), ("post", post), ("bwd", noop_backward)],
}
register = {
    "pre": module_hooks.register_module_forward_pre_hook,
    "post": module_hooks.register_module_forward_hook,
    "bwd": module_hooks.register_module_full_backward_hook,
}
forward_times = {name: [] for name in configs}
step_times = {name: [] for name in configs}
warnings.filterwarnings("ignore", message="Full backward hook is firing")
# each round: 3 forward and 3 forward+backward passes per configuration, back to back; the cost of a
# configuration is the median over rounds of (its round median - the no-hooks round median)
for _round in range(60):
    for name, hooks in configs.items():
        handles = [register[kind](fn) for kind, fn in hooks]
        depth[0] = 0
        fwd, both = [], []
        for _ in range(3):
            t0 = time.thread_time()
            deep(inp)
            t1 = time.thread_time()
            deep(inp).sum().backward()
            t2 = time.thread_time()
            fwd.append(t1 - t0)
            both.append(t2 - t1)
        forward_times[name].append(statistics.median(fwd))
        step_times[name].append(statistics.median(both))
        for h in handles:
            h.remove()


def paired(times, name):
    return statistics.median(a - b for a, b in zip(times[name], times["no hooks"], strict=True))


base_f = statistics.median(forward_times["no hooks"])
base_t = statistics.median(step_times["no hooks"])
calls = n_modules  # every module's forward runs once per model call
print(f"2. {n_modules} modules, batch 32, 1 thread, 60 rounds, cost = median of paired differences:")
print(f"   no hooks: forward {base_f * 1e3:.2f} ms, forward+backward {base_t * 1e3:.2f} ms")
for name in list(configs)[1:]:
    f, t = paired(forward_times, name), paired(step_times, name)
    print(
        f"   {name:33s} forward {f * 1e3:+6.2f} ms ({f / calls * 1e6:+6.2f} us/module call, {f / base_f:+.0%}) | "
        f"forward+backward {t * 1e3:+6.2f} ms ({t / calls * 1e6:+6.2f} us/module, {t / base_t:+.0%})"
    )

# 3. a global full backward hook and an in-place ReLU right after a hooked module
cnn = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(inplace=True))
hb = module_hooks.register_module_full_backward_hook(noop_backward)
phase = "forward"
try:
    out = cnn(torch.randn(2, 1, 6, 6))
    phase = "backward"
    out.sum().backward()
    print("3. full backward hook + ReLU(inplace=True): ok")
except RuntimeError as exc:
    print(
        f"3. full backward hook + ReLU(inplace=True), in the {phase}:", type(exc).__name__, str(exc).split(".")[0][:140]
    )
hb.remove()
cnn(torch.randn(2, 1, 6, 6)).sum().backward()
print("   same model without the global backward hook: ok")

# 4. the fused Transformer fast path (eval + no_grad) skips the submodules' hooks
layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, batch_first=True)
encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
called = []
hp = module_hooks.register_module_forward_pre_hook(lambda m, a: called.append(type(m).__name__))
src = torch.randn(3, 5, 16)
encoder.train()
encoder(src)
train_calls = sorted(set(called))
called.clear()
encoder.eval()
with torch.no_grad():
    encoder(src)
print("4. modules whose forward ran, train():", train_calls)
print("   eval()+no_grad (fast path):        ", sorted(set(called)))
hp.remove()
