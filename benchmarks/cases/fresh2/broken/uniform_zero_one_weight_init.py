"""Broken: every Linear weight initialized with uniform_(0.0, 1.0) (all positive, mean 0.5), bias 0.

Source: Udacity deep-learning-v2-pytorch, weight-initialization notebook
(https://github.com/udacity/deep-learning-v2-pytorch/blob/master/weight-initialization/weight_initialization_exercise.ipynb),
found with the `issues` search "weights initialized uniform_(0, 1) all positive network not
learning" (the notebook is quoted in microsoft/vscode-python#5069): "let's see how well the neural
network trains using a uniform weight initialization, where low=0.0 and high=1.0 ...
m.weight.data.uniform_(0.0, 1.0); m.bias.data.fill_(0)"; the notebook's plot shows this baseline
training far worse than a centred init of scale 1/sqrt(n).

Bug: all-positive weights of mean 0.5 make every unit of a layer compute nearly the same sum of
its inputs, and each layer multiplies the activation scale by about 0.5 x fan-in (x128, x64):
the logits at initialization are in the thousands, the loss is huge, and the hidden units are
nearly collinear.

Reproduction: 64 standardized features of 10 classes (Gaussian clusters); MLP 64-256-128-10 with
ReLU, weights uniform_(0, 1), biases 0; CrossEntropyLoss; SGD lr 0.01; batch 64. The notebook
uses Fashion-MNIST with the same MLP shape (784-256-128-10).

Verified (verify.py): after 5 epochs the broken MLP's validation accuracy is far below the same
MLP with PyTorch's default init (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/udacity/deep-learning-v2-pytorch/blob/master/weight-initialization/weight_initialization_exercise.ipynb",
    "kind": "broken",
    "bug": "MLP with every Linear weight initialized uniform_(0, 1) (all positive) and zero biases",
    "expect": {"ND202": "warn"},
    "consequences": ["ND201", "ND203", "ND204", "ND301", "ND402", "ND404"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    centres = 0.6 * torch.randn(10, 64, generator=torch.Generator().manual_seed(4))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = centres[y] + torch.randn(n, 64, generator=g)
    return x / x.std(), y


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def build_model() -> nn.Module:
    model = _mlp()
    for m in model.modules():
        if isinstance(m, nn.Linear):
            m.weight.data.uniform_(0.0, 1.0)
            m.bias.data.fill_(0)
    return model


def build_data():
    x, y = _rows(4000, 1)
    xv, yv = _rows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.01)


def fixed_model() -> nn.Module:
    return _mlp()


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
