"""Broken: an MNIST MLP with a softmax output is trained with MSE against one-hot labels.

Source: GitHub issue FluxML/model-zoo#8, "MNIST is using MSE loss"
(https://github.com/FluxML/model-zoo/issues/8), found with the `issues` search: "MNIST is a
classification problem, it has a softmax output layer. It should be using cross entropy loss."

Bug: MSE on softmax probabilities has a gradient that vanishes when the softmax saturates and is
small everywhere (bounded by the squared error on [0, 1] values), so SGD moves the logits a
fraction of what cross-entropy would; confidently wrong predictions barely get corrected.

Reproduction: synthetic 10-class 28x28 digit-like images, a 784-32-10 ReLU MLP with a final
softmax (the model-zoo MLP), MSELoss against one-hot float targets, SGD lr 0.1, batch 64.

Verified (verify.py, VERIFIED.md): validation accuracy after 3 epochs is far below the same MLP
trained with CrossEntropyLoss on its logits (the fix), same seed and budget.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/FluxML/model-zoo/issues/8",
    "kind": "broken",
    "bug": "MSELoss between softmax probabilities and one-hot labels for 10-class classification",
    "expect": {"ND103": "warn"},
    "consequences": ["ND402", "ND403", "ND404", "ND405"],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.4 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return x.flatten(1), nn.functional.one_hot(y, 10).float()


def _mlp(softmax: bool) -> nn.Module:
    return nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10), *([nn.Softmax(dim=1)] if softmax else []))


def build_model() -> nn.Module:
    return _mlp(softmax=True)


def build_data():
    x, y = _images(2000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1)


def fixed_model() -> nn.Module:
    return _mlp(softmax=False)


def fixed_loss():
    return nn.CrossEntropyLoss()  # accepts the one-hot (probability) targets directly


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_model": fixed_model, "build_loss": fixed_loss},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
