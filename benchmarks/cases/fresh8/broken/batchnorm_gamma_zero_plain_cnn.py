"""Broken: every BatchNorm2d weight (gamma) of a plain, non-residual CNN initialized to zero. The
zero-gamma trick (Goyal et al.; torchvision's ``zero_init_residual``) is meant only for the last
BN of each *residual* block, where the identity shortcut still carries the signal. Applied to
every BN of a Conv-BN-ReLU stack without shortcuts, each BN outputs exactly beta = 0, the ReLU
after it outputs 0 and passes no gradient (ReLU'(0) = 0 in PyTorch), so no convolution or BN
parameter ever receives a gradient: only the head's bias learns, and the model predicts the
class prior.

Source: tensorpack/tensorpack issue #420 "Why initialize BN parameter gamma with zeros"
(https://github.com/tensorpack/tensorpack/issues/420), found with the `issues` search
"zero_init_residual BatchNorm weight zero without residual connection network does not train":
the asker notes that with gamma = 0 "the output of BN layer will be zeros as well"; the answer
(and the quoted paper) explains it only works on the last BN of a residual block, where the
shortcut keeps the signal.

Reproduction: 1x12x12 synthetic images of 4 classes (a bright bar in one of four orientations,
plus noise), a 3-block Conv-BN-ReLU CNN (8-16-16 channels), global average pooling, Linear head;
``nn.init.zeros_`` on every BatchNorm2d weight, as a loop over ``model.modules()`` does it.
Adam lr 1e-3, batch 32, CrossEntropyLoss. The fix keeps the default gamma = 1.

Verified (verify.py): the zero-gamma model stays at chance; the fixed one learns the bars.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/tensorpack/tensorpack/issues/420",
    "kind": "broken",
    "bug": "every BatchNorm2d weight of a plain (non-residual) Conv-BN-ReLU CNN zero-initialized: all activations 0, no gradient",
    "expect": {"ND202": "warn", "ND203": "warn"},
    "consequences": ["ND302", "ND402", "ND404", "ND405"],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    x = 0.5 * torch.randn(n, 1, 12, 12, generator=g)
    idx = torch.arange(12)
    for i in range(n):
        off = int(torch.randint(2, 10, (1,), generator=g))
        c = int(y[i])
        if c == 0:
            x[i, 0, off, :] += 1.5
        elif c == 1:
            x[i, 0, :, off] += 1.5
        elif c == 2:
            x[i, 0, idx, idx] += 1.5
        else:
            x[i, 0, idx, 11 - idx] += 1.5
    return x, y


class PlainCNN(nn.Module):
    def __init__(self, zero_gamma: bool = True) -> None:
        super().__init__()
        layers, c_in = [], 1
        for c_out in (8, 16, 16):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(16, 4)
        if zero_gamma:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    nn.init.zeros_(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


def build_model() -> nn.Module:
    return PlainCNN(zero_gamma=True)


def fixed_model() -> nn.Module:
    return PlainCNN(zero_gamma=False)


def build_data():
    x, y = _images(1200, 1)
    xv, yv = _images(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix", "frozen:features"],
    "margin": 0.3,
}
