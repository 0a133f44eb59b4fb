"""Global optimizer step hooks: signature, timing, optimizers created before the hook, LBFGS, GradScaler."""

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

torch.manual_seed(0)
events = []


closure_calls = 0


def pre(optimizer, args, kwargs):
    grads = [p.grad is not None for g in optimizer.param_groups for p in g["params"]]
    # (kind, class, len(args), kwargs keys, every grad set, args[0] is the optimizer, closure runs so far)
    events.append(
        ("pre", type(optimizer).__name__, len(args), sorted(kwargs), all(grads), args[0] is optimizer, closure_calls)
    )


snapshot = {}


def post(optimizer, args, kwargs):
    events.append(("post", type(optimizer).__name__))


def weights_pre(optimizer, args, kwargs):
    snapshot["w"] = [p.detach().clone() for g in optimizer.param_groups for p in g["params"]]


def weights_post(optimizer, args, kwargs):
    now = [p.detach() for g in optimizer.param_groups for p in g["params"]]
    snapshot["changed_between_pre_and_post"] = any(
        not torch.equal(a, b) for a, b in zip(snapshot["w"], now, strict=True)
    )


model = nn.Linear(4, 1)
x, y = torch.randn(8, 4), torch.randn(8, 1)
early = torch.optim.SGD(model.parameters(), lr=0.1)  # created BEFORE the hooks exist

h_pre = register_optimizer_step_pre_hook(pre)
h_post = register_optimizer_step_post_hook(post)
print("handles:", type(h_pre).__name__, h_pre.id, h_post.id)

# 1. an optimizer created before the hook; the weights as the pre-hook and the post-hook see them
h_wpre = register_optimizer_step_pre_hook(weights_pre)
h_wpost = register_optimizer_step_post_hook(weights_post)
nn.functional.mse_loss(model(x), y).backward()
early.step()
h_wpre.remove()
h_wpost.remove()
print(
    "1. SGD created before the hooks:",
    events,
    "| weights changed between pre- and post-hook:",
    snapshot["changed_between_pre_and_post"],
)
events.clear()

# 2. Adam created after, step called with no grads at all (grad None): the hook still fires
adam = torch.optim.Adam(nn.Linear(2, 2).parameters())
adam.step()
print("2. Adam.step() with every grad None:", events)
events.clear()

# 3. LBFGS with a closure: how often do the hooks fire, and how often does the closure run?
lbfgs = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)


def closure():
    global closure_calls
    closure_calls += 1
    lbfgs.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    return loss


lbfgs.step(closure)
print(f"3. LBFGS.step(closure): hook events {events}; closure ran {closure_calls} times")
events.clear()
closure_calls = 0

# 4. GradScaler on CPU: a normal step, then a step whose gradients contain inf
scaler = torch.amp.GradScaler("cpu")
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for label, poison in (("finite grads", False), ("inf in a grad", True)):
    opt.zero_grad()
    scaler.scale(nn.functional.mse_loss(model(x), y)).backward()
    if poison:
        model.bias.grad.fill_(float("inf"))
    scaler.step(opt)
    scaler.update()
    print(f"4. GradScaler.step ({label}): hook events {events}; scale now {scaler.get_scale()}")
    events.clear()

# 5. order: global hooks vs per-optimizer hooks
opt.register_step_pre_hook(lambda o, a, k: events.append(("per-optimizer pre",)))
opt.register_step_post_hook(lambda o, a, k: events.append(("per-optimizer post",)))
opt.step()
print("5. order:", [e[0] for e in events])
events.clear()


# 6. a custom optimizer subclass that overrides step() and calls super().step()
class ClippedSGD(torch.optim.SGD):
    def step(self, closure=None):
        for group in self.param_groups:
            torch.nn.utils.clip_grad_norm_(group["params"], 1.0)
        return super().step(closure)


clipped = ClippedSGD(model.parameters(), lr=0.1)  # SGD.step is already hooked (SGD instances exist)
clipped.step()
print("6. subclass whose step() calls super().step():", [e[0] for e in events])
events.clear()

# 7. a pre-hook may replace (args, kwargs); any other non-None return is an error
h_bad = register_optimizer_step_pre_hook(lambda o, a, k: 42)
try:
    opt.step()
except RuntimeError as exc:
    print("7. pre-hook returning 42:", str(exc)[:90])
h_bad.remove()
h_pre.remove()
h_post.remove()
events.clear()
opt.step()
print("8. after handle.remove():", events)
