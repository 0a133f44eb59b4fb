"""Healthy: transfer learning with a frozen convolutional backbone and a new trainable Linear head.

Source: PyTorch tutorial "Transfer Learning for Computer Vision", section "ConvNet as fixed
feature extractor" (https://pytorch.org/tutorials/beginner/transfer_learning_tutorial.html, cited
in Spandan-Madan/Pytorch_fine_tuning_Tutorial#8), found with the `issues` search: freeze all
parameters with `param.requires_grad = False`, replace `model.fc` with a new nn.Linear (whose
parameters require grad), and optimize only `model_conv.fc.parameters()` with SGD lr 0.001
momentum 0.9.

Setup: a backbone "pretrained" in build_model on a related 12-class task (40 Adam steps on
synthetic 3x16x16 textures, a stand-in for ImageNet weights, no download), then frozen; a new
Linear(32, 5) head for a 5-class target task; CrossEntropyLoss; SGD lr 0.001 momentum 0.9 over
the head's parameters only (as in the tutorial); batch 32. The backbone has no BatchNorm, so its
frozen state is the same in train and eval mode.

Why healthy: the frozen parameters have requires_grad=False on purpose and are correctly left out
of the optimizer; the head is registered, trainable and optimized.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance (0.2) after 5 epochs,
with every backbone weight unchanged.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch.org/tutorials/beginner/transfer_learning_tutorial.html",
    "kind": "healthy",
    "bug": "healthy: frozen (requires_grad=False) pretrained-like backbone, new Linear head, SGD on the head only",
    "expect": {},
    "consequences": [],
}


def _textures(n: int, classes: int, seed: int, proto_seed: int):
    protos = nn.functional.interpolate(
        torch.rand(classes, 3, 4, 4, generator=torch.Generator().manual_seed(proto_seed)), size=16, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, classes, (n,), generator=g)
    x = protos[y] + 0.4 * torch.randn(n, 3, 16, 16, generator=g)
    return (x - 0.5) / 0.45, y


class TransferNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.fc = nn.Linear(32, 12)

    def forward(self, x):
        return self.fc(self.features(x))


def build_model() -> nn.Module:
    model = TransferNet()
    x, y = _textures(640, 12, seed=100, proto_seed=500)  # "pretraining" on a related task
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for i in range(40):
        xb, yb = x[i % 20 * 32 : (i % 20 + 1) * 32], y[i % 20 * 32 : (i % 20 + 1) * 32]
        opt.zero_grad()
        nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(32, 5)  # new head: requires_grad=True by default
    return model


def build_data():
    x, y = _textures(1000, 5, seed=1, proto_seed=600)
    xv, yv = _textures(250, 5, seed=2, proto_seed=600)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=250)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD([p for p in params if p.requires_grad], lr=0.001, momentum=0.9)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.5}
