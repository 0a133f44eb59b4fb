"""Per-optimizer hooks, state_dict hooks, and three ways to see zero_grad() (or its absence)."""

import functools
import weakref

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(3, 1)
x, y = torch.randn(6, 3), torch.randn(6, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)

# 1. per-optimizer hooks: step pre/post, state_dict and load_state_dict pre/post
log = []
opt.register_step_pre_hook(lambda o, a, k: log.append("step_pre"))
opt.register_step_post_hook(lambda o, a, k: log.append("step_post"))
opt.register_state_dict_pre_hook(lambda o: log.append("state_dict_pre"))
opt.register_state_dict_post_hook(lambda o, sd: log.append(f"state_dict_post keys={sorted(sd)}"))
opt.register_load_state_dict_pre_hook(lambda o, sd: log.append("load_pre"))
opt.register_load_state_dict_post_hook(lambda o: log.append("load_post"))
nn.functional.mse_loss(model(x), y).backward()
opt.step()
opt.load_state_dict(opt.state_dict())
print("1. per-optimizer hooks:", log)
print("   hook dicts on the instance:", sorted(k for k in vars(opt) if "hook" in k))

# 2. zero_grad(set_to_none=...) and .grad
model.zero_grad()
nn.functional.mse_loss(model(x), y).backward()
g = model.weight.grad
opt.zero_grad(set_to_none=False)
print("2. set_to_none=False: same tensor:", model.weight.grad is g, "| all zero:", bool((g == 0).all()))
opt.zero_grad()  # default set_to_none=True
print("   default zero_grad(): grad is", model.weight.grad)

# 3a. wrapping the bound method of one instance (only that instance, only if we know it)
calls = []
original = opt.zero_grad


@functools.wraps(original)
def wrapped(*args, **kwargs):
    calls.append(("instance", kwargs.get("set_to_none", True)))
    return original(*args, **kwargs)


opt.zero_grad = wrapped
opt.zero_grad()
other = torch.optim.SGD(model.parameters(), lr=0.1)
other.zero_grad()
print("3a. instance wrapper sees:", calls, "(the second optimizer's call is missed)")
del opt.zero_grad  # back to the class attribute

# 3b. patching the class attribute Optimizer.zero_grad: every optimizer that does not override it
calls.clear()
base_zero_grad = torch.optim.Optimizer.zero_grad


def patched(self, set_to_none=True):
    calls.append((type(self).__name__, set_to_none))
    return base_zero_grad(self, set_to_none)


torch.optim.Optimizer.zero_grad = patched
opt.zero_grad()
torch.optim.Adam(model.parameters()).zero_grad(set_to_none=False)
overriders = [c.__name__ for c in torch.optim.Optimizer.__subclasses__() if "zero_grad" in vars(c)]
model.zero_grad()  # Module.zero_grad is a different function: not seen
print("3b. Optimizer.zero_grad patch sees:", calls, "| built-in optimizers overriding zero_grad:", overriders)
torch.optim.Optimizer.zero_grad = base_zero_grad


# 3c. no patch at all: at every step pre-hook, is .grad the same tensor object as at the previous
#     step (a weakref, since id() values are reused once a tensor is freed) and what is its version?
def pattern(zero):
    m = nn.Linear(3, 1)
    o = torch.optim.SGD(m.parameters(), lr=0.01)
    seen, last = [], [None]

    def hook(o_, a, k):
        g = m.weight.grad
        same = last[0] is not None and last[0]() is g
        seen.append((id(g), same, g._version))
        last[0] = weakref.ref(g)

    o.register_step_pre_hook(hook)
    for _ in range(4):
        if zero == "set_to_none":
            o.zero_grad()
        elif zero == "zeros":
            o.zero_grad(set_to_none=False)
        nn.functional.mse_loss(m(x), y).backward()
        o.step()
    return (
        f"distinct id() values {len({i for i, _, _ in seen})}, same object as last step {[s for _, s, _ in seen]}, "
        f"versions {[v for _, _, v in seen]}"
    )


for zero in ("set_to_none", "zeros", "never"):
    print(f"3c. zero_grad {zero:>11}: {pattern(zero)}")

# 3d. the accumulation itself: grad norm at each step pre-hook when zero_grad is never called
m = nn.Linear(3, 1)
o = torch.optim.SGD(m.parameters(), lr=0.0)  # lr 0: the weights do not move, only .grad accumulates
norms = []
o.register_step_pre_hook(lambda o_, a, k: norms.append(round(m.weight.grad.norm().item(), 3)))
for _ in range(4):
    nn.functional.mse_loss(m(x), y).backward()
    o.step()
print("3d. grad norm at each step without zero_grad (same batch, lr 0):", norms)
