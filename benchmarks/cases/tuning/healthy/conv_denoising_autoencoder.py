"""Healthy: a convolutional denoising autoencoder (Conv2d encoder, ConvTranspose2d decoder, MSE, Adam).

Source: jensnesten/Denoising-Autoencoder (https://github.com/jensnesten/Denoising-Autoencoder),
found with the `docs` search: encoder Conv2d(1, 16, 3, stride=2, padding=1), ReLU,
Conv2d(16, 32, 3, stride=2, padding=1), ReLU, Conv2d(32, 64, 7); decoder ConvTranspose2d(64, 32, 7),
ReLU, ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), ReLU,
ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), Sigmoid; MSELoss; Adam; batch 64.

Setup: that network; inputs are synthetic 28x28 images with added Gaussian noise, targets the
clean images; Adam lr 1e-3; batch 32 (64 in the repository) to keep the run short.

Why healthy: encoder/decoder shapes line up exactly (28 -> 14 -> 7 -> 1 -> 7 -> 14 -> 28),
sigmoid output for [0, 1] targets, MSE on identical shapes.

Verified (verify.py, VERIFIED.md): denoised-reconstruction R^2 on validation images rises well
above 0 in 4 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/jensnesten/Denoising-Autoencoder",
    "kind": "healthy",
    "bug": "healthy: conv denoising autoencoder (stride-2 convs / transposed convs, sigmoid, MSE, Adam)",
    "expect": {},
    "consequences": [],
}


def _pairs(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    clean = (protos[y] + 0.05 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    noisy = (clean + 0.3 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return noisy, clean


class Autoencoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 64, 7),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 7),
            nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


def build_model() -> nn.Module:
    return Autoencoder()


def build_data():
    x, y = _pairs(2000, 1)
    xv, yv = _pairs(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "r2", "epochs": 4, "min": 0.3}
