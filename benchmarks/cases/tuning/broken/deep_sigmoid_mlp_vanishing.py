"""Broken: an 8-hidden-layer MLP with sigmoid activations, trained with plain SGD.

Source: Dive into Deep Learning, "Numerical Stability and Initialization" (vanishing gradients
section, as translated and reviewed in d2l-ai/d2l-vi#986 and dsgiitr/d2l-pytorch#11,
https://github.com/dsgiitr/d2l-pytorch/pull/11), found with the `issues` search: "One major
culprit in the vanishing gradient problem is the choice of the activation functions ...
historically the sigmoid function".

Bug: sigmoid's derivative is at most 0.25, so backpropagation through 8 sigmoid layers shrinks
the gradient by 4^8 ~ 6.5e4 before it reaches the first layer (more where units saturate). The
first layers barely move, and with SGD the whole network learns very slowly.

Reproduction: synthetic 10-class 28x28 digit-like images (standardized, flattened), a
784-(128 x 8)-10 MLP with nn.Sigmoid after every hidden layer and Xavier (Glorot) init, the init
designed for sigmoid/tanh, so the init is not the problem; CrossEntropyLoss, SGD lr 0.1, batch 64.

Verified (verify.py, VERIFIED.md): validation accuracy after 3 epochs stays at chance while the
same MLP with ReLU activations and He init (the fix) learns the task.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/dsgiitr/d2l-pytorch/pull/11 (d2l: Numerical Stability and Initialization)",
    "kind": "broken",
    "bug": "8 sigmoid hidden layers: gradients vanish before the first layers (plain SGD)",
    "expect": {"ND301": "warn", "ND104": "warn"},
    "consequences": ["ND203", "ND402", "ND403", "ND404", "ND405"],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.4 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return ((x - 0.5) / 0.3).flatten(1), y


def _mlp(act: type[nn.Module]) -> nn.Module:
    layers, width = [], 784
    for _ in range(8):
        layers += [nn.Linear(width, 128), act()]
        width = 128
    model = nn.Sequential(*layers, nn.Linear(128, 10))
    for m in model:
        if isinstance(m, nn.Linear):  # each activation with the init the literature pairs it with
            if act is nn.ReLU:
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def build_model() -> nn.Module:
    return _mlp(nn.Sigmoid)


def build_data():
    x, y = _images(2000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1)


def fixed_model() -> nn.Module:
    return _mlp(nn.ReLU)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
