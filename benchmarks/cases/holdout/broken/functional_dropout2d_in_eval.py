"""Broken: a CNN applies F.dropout2d(..., training=True) in forward, so dropout runs in eval too.

Source: GitHub issue Coderx7/SimpleNet#2, "Functional Dropout in evaluation mode"
(https://github.com/Coderx7/SimpleNet/issues/2), found with the `issues` search: "a trained
network in the evaluation mode will give a different output on every run for the same example
because of the functional dropout ... `F.dropout2d(out, 0.1, training=True)`". (The same class of
bug as pytorch/pytorch#26338: functional dropout ignores model.eval().)

Bug: the functional dropout call is hard-wired to training mode; model.eval() does not switch it
off, so validation and inference randomly drop feature maps: predictions change from run to run
and are noisier than the trained model deserves.

Reproduction: the SimpleNet tail (conv features, global max pool, F.dropout2d(p, training=True),
flatten, classifier) on synthetic 3x16x16 images of 10 classes; p raised to 0.5 here (the
reported 0.1 shows the same non-determinism, only smaller); CrossEntropyLoss, Adam lr 1e-3,
batch 32.

Verified (verify.py, VERIFIED.md): two eval-mode passes over the same batch give different
outputs, and validation accuracy is below the same net with training=self.training (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Coderx7/SimpleNet/issues/2",
    "kind": "broken",
    "bug": "F.dropout2d(x, p, training=True) in forward: dropout stays on after model.eval()",
    "expect": {"ND106": "warn"},
    "consequences": ["ND401", "ND405"],
}


class SimpleNetTail(nn.Module):
    def __init__(self, fixed: bool) -> None:
        super().__init__()
        self.fixed = fixed
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(32, 10)

    def forward(self, x):
        out = self.features(x)
        out = nn.functional.max_pool2d(out, kernel_size=out.size()[2:])  # global max pooling
        out = nn.functional.dropout2d(out, 0.5, training=self.training if self.fixed else True)
        return self.classifier(out.view(out.size(0), -1))


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 3, 4, 4, generator=torch.Generator().manual_seed(4321)), size=16, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = protos[y] + 0.35 * torch.randn(n, 3, 16, 16, generator=g)
    return (x - 0.5) / 0.4, y


def build_model() -> nn.Module:
    return SimpleNetTail(fixed=False)


def build_data():
    x, y = _images(1500, 1)
    xv, yv = _images(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return SimpleNetTail(fixed=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["eval_nondeterministic", "worse_than_fix"],
    "margin": 0.03,
}
