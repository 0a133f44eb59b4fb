"""Broken: an MLP ends in nn.Softmax and its probabilities go into nn.CrossEntropyLoss.

Source: PyTorch forums, "Cross Entropy loss is not decreasing"
(https://discuss.pytorch.org/t/cross-entropy-loss-is-not-decreasing/43814/16), found with the
`pages` search. The accepted answer's first fix: "Check if you pass the softmax into the
CrossEntropy loss"; the poster's loss hovered at 2.30 (chance for 10 classes).

Bug: CrossEntropyLoss applies log-softmax itself, so the model computes softmax twice. The loss
cannot fall below -log(e/(e+9)) = 1.46 and the gradient reaching the logits is squeezed through a
second softmax Jacobian, so an SGD-trained MLP on MNIST-like 28x28 images learns far slower.

Reproduction: synthetic 10-class 28x28 "digit" images (smooth class templates + noise), the
poster's kind of model (784-128-64-10 ReLU MLP + Softmax), SGD lr 0.05, batch 64.

Verified (verify.py, VERIFIED.md): after 3 epochs the broken model's validation accuracy stays far
below the same MLP without the final Softmax (the fix), trained from the same seed.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://discuss.pytorch.org/t/cross-entropy-loss-is-not-decreasing/43814/16",
    "kind": "broken",
    "bug": "nn.Softmax output fed to nn.CrossEntropyLoss (softmax applied twice)",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND403", "ND404", "ND405"],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.4 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return x.flatten(1), y


def _mlp(softmax: bool) -> nn.Module:
    layers = [nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)]
    return nn.Sequential(*layers, *([nn.Softmax(dim=1)] if softmax else []))


def build_model() -> nn.Module:
    return _mlp(softmax=True)


def build_data():
    x, y = _images(2000, seed=1)
    xv, yv = _images(500, seed=2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=256)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05)


def fixed_model() -> nn.Module:
    return _mlp(softmax=False)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
