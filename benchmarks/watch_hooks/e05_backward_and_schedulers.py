"""Which tensor backward() is called on (Tensor.backward vs torch.autograd.backward patches, autograd
graph hooks), and how to see scheduler.step() and the LR."""

import warnings

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook

torch.manual_seed(0)
model = nn.Linear(4, 2)
x, y = torch.randn(8, 4), torch.randint(0, 2, (8,))

# 1. patch Tensor.backward and torch.autograd.backward; call backward three ways
seen = []
orig_tensor_backward = torch.Tensor.backward
orig_autograd_backward = torch.autograd.backward


def tensor_backward(self, *args, **kwargs):
    seen.append(("Tensor.backward", tuple(self.shape), type(self.grad_fn).__name__))
    return orig_tensor_backward(self, *args, **kwargs)


def autograd_backward(tensors, *args, **kwargs):
    first = tensors[0] if isinstance(tensors, (list, tuple)) else tensors
    seen.append(("autograd.backward", tuple(first.shape), type(first.grad_fn).__name__))
    return orig_autograd_backward(tensors, *args, **kwargs)


torch.Tensor.backward = tensor_backward
torch.autograd.backward = autograd_backward
nn.functional.cross_entropy(model(x), y).backward()
torch.autograd.backward(nn.functional.cross_entropy(model(x), y))
torch.autograd.grad(nn.functional.cross_entropy(model(x), y), model.weight)
scaler = torch.amp.GradScaler("cpu")
scaler.scale(nn.functional.cross_entropy(model(x), y)).backward()
torch.Tensor.backward = orig_tensor_backward
torch.autograd.backward = orig_autograd_backward
print("1. loss.backward(), autograd.backward(loss), autograd.grad(loss, w), scaler.scale(loss).backward():")
for entry in seen:
    print("  ", entry)

# 2. the loss's autograd node: a hook on loss.grad_fn fires at the start of backward, before any
#    parameter gradient exists; a post-accumulate-grad hook fires per parameter as its .grad is final
order = []
loss = nn.functional.cross_entropy(model(x), y)
loss.grad_fn.register_prehook(lambda grad_outputs: order.append(("loss node pre-hook", model.weight.grad is None)))
for name, p in model.named_parameters():
    p.register_post_accumulate_grad_hook(lambda param, name=name: order.append((f"{name} grad ready", True)))
model.zero_grad()
loss.backward()
print("2. autograd graph hooks in firing order (label, weight.grad still None / ready):", order)

# 3. LR schedulers: which classes define their own step(), and patching LRScheduler.step
from torch.optim import lr_scheduler as sched  # noqa: E402

own_step = sorted(
    c.__name__
    for c in vars(sched).values()
    if isinstance(c, type) and issubclass(c, sched.LRScheduler) and "step" in vars(c)
)
print("3. schedulers with their own step():", own_step)

calls = []
base_step = sched.LRScheduler.step
plateau_step = sched.ReduceLROnPlateau.step
in_step = [0]


def traced(original):
    def step(self, *args, **kwargs):
        in_step[0] += 1
        try:
            return original(self, *args, **kwargs)
        finally:
            in_step[0] -= 1
            if in_step[0] == 0:  # outermost only: SequentialLR/ChainedScheduler call their children
                calls.append((type(self).__name__, self.optimizer.param_groups[0]["lr"]))

    return step


sched.LRScheduler.step = traced(base_step)
sched.ReduceLROnPlateau.step = traced(plateau_step)
sched.SequentialLR.step = traced(vars(sched.SequentialLR)["step"])
opt = torch.optim.SGD(model.parameters(), lr=0.1)
step_lr = sched.StepLR(opt, step_size=1, gamma=0.5)
print("   calls recorded while constructing StepLR:", calls)
calls.clear()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    step_lr.step()  # before any optimizer.step(): PyTorch warns
    opt.step()
    step_lr.step()
print("   StepLR.step twice:", calls, "| warning:", [str(w.message)[:60] for w in caught])
calls.clear()
opt2 = torch.optim.SGD(model.parameters(), lr=1.0)
seq = sched.SequentialLR(
    opt2, [sched.LinearLR(opt2, start_factor=0.1, total_iters=2), sched.ExponentialLR(opt2, 0.9)], milestones=[2]
)
calls.clear()
for _ in range(3):
    opt2.step()
    seq.step()
print("   SequentialLR stepped 3 times, outermost calls only:", [(n, round(lr, 4)) for n, lr in calls])
calls.clear()
plateau = sched.ReduceLROnPlateau(opt2, patience=0)
for metric in (1.0, 2.0, 3.0):
    plateau.step(metric)
print("   ReduceLROnPlateau:", [(n, round(lr, 4)) for n, lr in calls])
sched.LRScheduler.step, sched.ReduceLROnPlateau.step = base_step, plateau_step

# 4. without any scheduler patch: the LR each optimizer step actually used, from the step pre-hook
lrs = []
handle = register_optimizer_step_pre_hook(lambda o, a, k: lrs.append(o.param_groups[0]["lr"]))
opt3 = torch.optim.SGD(model.parameters(), lr=1e-3)
per_epoch = sched.StepLR(opt3, step_size=4, gamma=0.5)  # meant per epoch ...
for _ in range(10):
    opt3.step()
    per_epoch.step()  # ... stepped per batch
handle.remove()
print("4. LR used by each of 10 optimizer steps:", [f"{lr:.2e}" for lr in lrs])
