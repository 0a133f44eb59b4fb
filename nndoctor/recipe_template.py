"""The commented recipe template `nndoctor init` writes."""

TEMPLATE = '''"""nndoctor recipe: tells nndoctor how to build your model and data.

Run it with:  nndoctor check path/to/this_file.py
Only build_model() and build_data() are required; delete what you do not need.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def build_model() -> nn.Module:
    """Return a freshly initialized model (nndoctor works on a copy; yours is never changed)."""
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 3))


def build_data():
    """Return a training loader, or (train_loader, val_loader), or {"train": ..., "val": ...}.

    Batches are (inputs, targets); inputs may be a tensor, a tuple or a dict of tensors.
    Use the same preprocessing as your training script.
    """
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(512, 20, generator=generator)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    train = DataLoader(TensorDataset(x[:400], y[:400]), batch_size=32, shuffle=True)
    val = DataLoader(TensorDataset(x[400:], y[400:]), batch_size=64)
    return train, val


def build_loss():
    """Optional: loss(output, target) -> scalar tensor. Inferred from the targets when absent."""
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    """Optional: your optimizer (default: Adam, lr 1e-3)."""
    return torch.optim.Adam(params, lr=1e-3)


# Optional: how one batch becomes (output, target), when batches are not simply (x, y).
# def forward(model, batch):
#     x, y = batch["image"], batch["label"]
#     return model(x), y


# Optional hints; nndoctor infers them from the loss, the output and the targets.
NNDOCTOR = {"task": "classification", "num_classes": 3}
'''
