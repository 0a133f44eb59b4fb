"""Recipe for healthy/mlp_classifier.py: the same model, data, loss and optimizer, written by hand.

What a user writes next to their training script so `nndoctor check` can build the pieces without
running the script: the model class and the data generator are imported from the script (the
equivalent of `from mlp_classifier import MLP, make_datasets` when the recipe sits beside it), the
loaders, loss and optimizer repeat the script's defaults (batch 64 shuffled, validation batch 256,
CrossEntropyLoss, Adam lr 1e-3). The script's StepLR is not part of a recipe.

`nndoctor check sample_models/scripts/healthy/mlp_classifier.py` (zero-code capture) should find
the same objects; tests compare the two reports.
"""

import importlib.util
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

SCRIPT = Path(__file__).resolve().parent.parent / "healthy" / "mlp_classifier.py"
NNDOCTOR = {"task": "classification", "num_classes": 10}
FIRES: dict[str, str] = {}


def _script():
    spec = importlib.util.spec_from_file_location("mlp_classifier_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines classes and functions only: main() runs under __main__
    return module


train_script = _script()


def build_model() -> nn.Module:
    return train_script.MLP()


def build_data() -> tuple[DataLoader, DataLoader]:
    train_set, val_set = train_script.make_datasets(seed=0)
    return DataLoader(train_set, batch_size=64, shuffle=True), DataLoader(val_set, batch_size=256)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
