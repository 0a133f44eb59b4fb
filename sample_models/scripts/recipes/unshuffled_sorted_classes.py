"""Recipe for broken/unshuffled_sorted_classes.py: the class-sorted training data with shuffle=False.

The bug of that script lives in an object a recipe can hand over (the training DataLoader, built over
samples ordered class by class and not shuffled), so a pre-flight check can see it without running
the loop: every batch of 64 holds one class (two at a class boundary). Model, loss and optimizer are
the script's: MLP, CrossEntropyLoss, Adam lr 1e-3.

Must fire: ND109 unshuffled-training-data (planned, not built yet) on the recipe, as ND509
class-ordered-batches (planned) on the running script. Until ND109 exists the single-class batches
show only indirectly; measured with nndoctor at this commit: ND403 warn (the range test on one-class
batches suggests an LR 200x higher) and ND405 warn (training 71% vs validation 43%); everything
else passes or skips.
"""

import importlib.util
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

SCRIPT = Path(__file__).resolve().parent.parent / "broken" / "unshuffled_sorted_classes.py"
NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES = {"ND109": "warn"}


def _script():
    spec = importlib.util.spec_from_file_location("unshuffled_sorted_classes_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train_script = _script()


def build_model() -> nn.Module:
    return train_script.MLP()


def build_data() -> tuple[DataLoader, DataLoader]:
    train_set, val_set = train_script.make_datasets(seed=0)
    return DataLoader(train_set, batch_size=64, shuffle=False), DataLoader(val_set, batch_size=256)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
