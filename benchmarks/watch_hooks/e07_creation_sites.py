"""Where was the model / optimizer / DataLoader created (file:line in the user's script)? Patched
__init__ methods walking sys._getframe, versus traceback.extract_stack, and what each costs."""

# Timings are CPU time of this thread (time.thread_time): on a shared machine wall time is inflated
# at random by other jobs, CPU time much less so.

import statistics
import sys
import time
import traceback
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

HERE = __file__
sites = {}


def user_site(instance, skip=2):
    """First frame outside torch that is not an __init__ running for `instance` (super().__init__ chains)."""
    frame = sys._getframe(skip)
    while frame is not None:
        code = frame.f_code
        if not code.co_filename.startswith(TORCH_DIR) and not (
            code.co_name == "__init__" and frame.f_locals.get("self") is instance
        ):
            return f"{code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno}"
        frame = frame.f_back
    return None


TORCH_DIR = torch.__file__.rsplit("/", 1)[0]
orig_module_init = nn.Module.__init__
orig_opt_init = torch.optim.Optimizer.__init__
orig_loader_init = DataLoader.__init__


def module_init(self, *args, **kwargs):
    orig_module_init(self, *args, **kwargs)
    sites[id(self)] = user_site(self)


def opt_init(self, *args, **kwargs):
    orig_opt_init(self, *args, **kwargs)
    sites[id(self)] = user_site(self)


def loader_init(self, *args, **kwargs):
    orig_loader_init(self, *args, **kwargs)
    sites[id(self)] = user_site(self)


nn.Module.__init__ = module_init
torch.optim.Optimizer.__init__ = opt_init
DataLoader.__init__ = loader_init


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU())  # submodules: this line
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.body(x))


def main():
    model = Net()  # the model: this line
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(torch.randn(8, 4)), batch_size=4)
    return model, optimizer, loader


model, optimizer, loader = main()
print("1. model      ", sites[id(model)], "| model.body", sites[id(model.body)], "| model.head", sites[id(model.head)])
print("   optimizer  ", sites[id(optimizer)], "| DataLoader", sites[id(loader)])
lines = Path(HERE).read_text().splitlines()
print("   source of the model's site:", lines[int(sites[id(model)].split(":")[1]) - 1].strip())


# 2. cost: building a 400-module model with the patch, with traceback.extract_stack instead, and plain
def build():
    return nn.Sequential(*[m for _ in range(200) for m in (nn.Linear(64, 64), nn.ReLU())])


def stack_init(self, *args, **kwargs):
    orig_module_init(self, *args, **kwargs)
    sites[id(self)] = traceback.extract_stack(limit=None)[-3]


timings = {"plain": [], "sys._getframe walk": [], "traceback.extract_stack": []}
for _ in range(15):
    for name, init in (
        ("plain", orig_module_init),
        ("sys._getframe walk", module_init),
        ("traceback.extract_stack", stack_init),
    ):
        nn.Module.__init__ = init
        t0 = time.thread_time()
        build()
        timings[name].append(time.thread_time() - t0)
nn.Module.__init__ = orig_module_init
base = statistics.median(timings["plain"])
print("2. building 401 modules (Linear init dominates 'plain'):")
for name, values in timings.items():
    t = statistics.median(values)
    print(f"   {name:24s} {t * 1e3:7.2f} ms  ({(t - base) / 401 * 1e6:+7.2f} us per module)")
torch.optim.Optimizer.__init__ = orig_opt_init
DataLoader.__init__ = orig_loader_init
