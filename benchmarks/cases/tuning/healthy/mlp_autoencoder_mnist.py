"""Healthy: a fully connected MNIST autoencoder (MSE, Adam lr 1e-3, weight_decay 1e-5, batch 128).

Source: the gist "autoencoder_pytorch_cuda.py"
(https://gist.github.com/bigsnarfdude/7f0af699b10290b95d4852b59bf72c0b), found with the `docs`
search: encoder 784-128-64-12-3 and decoder 3-12-64-128-784 with ReLU and a final Tanh/Sigmoid,
MSELoss, Adam(lr=1e-3, weight_decay=1e-5), batch 128, pixels min-max normalized to [0, 1].

Setup: that architecture with a Sigmoid output for [0, 1] pixels, trained to reconstruct
synthetic 28x28 digit-like images (input = target).

Why healthy: the output range (0, 1) matches the pixel targets, MSE on matching shapes, a
standard Adam setting with a tiny weight decay.

Verified (verify.py, VERIFIED.md): reconstruction R^2 on validation images rises well above 0
(the mean image) in 5 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://gist.github.com/bigsnarfdude/7f0af699b10290b95d4852b59bf72c0b",
    "kind": "healthy",
    "bug": "healthy: MLP autoencoder 784-128-64-12-3 with sigmoid output, MSE, Adam lr 1e-3 wd 1e-5",
    "expect": {},
    "consequences": [],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return (protos[y] + 0.1 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1).flatten(1)


class Autoencoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(784, 128),
            nn.ReLU(True),
            nn.Linear(128, 64),
            nn.ReLU(True),
            nn.Linear(64, 12),
            nn.ReLU(True),
            nn.Linear(12, 3),
        )
        self.decoder = nn.Sequential(
            nn.Linear(3, 12),
            nn.ReLU(True),
            nn.Linear(12, 64),
            nn.ReLU(True),
            nn.Linear(64, 128),
            nn.ReLU(True),
            nn.Linear(128, 784),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


def build_model() -> nn.Module:
    return Autoencoder()


def build_data():
    x, xv = _images(4000, 1), _images(500, 2)
    train = DataLoader(TensorDataset(x, x), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, xv), batch_size=500)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3, weight_decay=1e-5)


VERIFY = {"metric": "r2", "epochs": 5, "min": 0.3}
