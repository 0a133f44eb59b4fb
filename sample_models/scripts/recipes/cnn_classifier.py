"""Recipe for healthy/cnn_classifier.py: StrokeCNN on noisy stroke images, SGD with Nesterov momentum.

Imports StrokeCNN and the StrokeImages data set from the script and repeats its defaults: training
batch 32 shuffled (2000 images, seed 1), one validation batch of 3000 images (seed 1001),
CrossEntropyLoss, SGD lr 0.02, momentum 0.9, Nesterov, weight decay 5e-4. The script's
CosineAnnealingLR is not part of a recipe.
"""

import importlib.util
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

SCRIPT = Path(__file__).resolve().parent.parent / "healthy" / "cnn_classifier.py"
NNDOCTOR = {"task": "classification", "num_classes": 4}
FIRES: dict[str, str] = {}


def _script():
    spec = importlib.util.spec_from_file_location("cnn_classifier_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train_script = _script()


def build_model() -> nn.Module:
    return train_script.StrokeCNN()


def build_data() -> tuple[DataLoader, DataLoader]:
    train = DataLoader(train_script.StrokeImages(2000, seed=1), batch_size=32, shuffle=True)
    val = DataLoader(train_script.StrokeImages(3000, seed=1001), batch_size=3000)
    return train, val


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.02, momentum=0.9, nesterov=True, weight_decay=5e-4)
