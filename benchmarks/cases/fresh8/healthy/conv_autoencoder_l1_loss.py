"""Healthy: a convolutional autoencoder trained with an L1 (mean absolute error) reconstruction
loss instead of MSE. L1's gradient has a constant magnitude per pixel (sign only), so the loss
falls more linearly than MSE and does not flatten near zero; the output is a plain linear conv
(no sigmoid) on standardized images.

Source: AtSourav "L2-vs-L1-vs-CB-loss-in-deep-CNN-based-AE-on-cifar10"
(https://git.luolix.top/AtSourav/L2-vs-L1-vs-CB-loss-in-deep-CNN-based-AE-on-cifar10), found with
the `pages` search "convolutional autoencoder L1 loss reconstruction pytorch": a deep CNN
autoencoder on CIFAR-10 trained with L1, L2 and continuous-Bernoulli losses; the L1 one trains
and gives reconstructions similar to L2.

Setup: 1x16x16 synthetic images (sums of 2 random oriented Gaussian blobs plus light noise),
standardized; encoder conv 1-16 (stride 2) - conv 16-32 (stride 2) - conv 32-8 (the 8x4x4
bottleneck); decoder ConvTranspose 8-32 (stride 2) - ConvTranspose 32-16 (stride 2) - conv 16-1,
ReLU between layers, linear output. nn.L1Loss, Adam lr 2e-3, batch 32. The target is the input.

Why healthy: the standard autoencoder recipe with a robust loss; its loss scale and curve shape
differ from MSE's.

Verified (verify.py): validation R^2 of the reconstructions well above the start.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://git.luolix.top/AtSourav/L2-vs-L1-vs-CB-loss-in-deep-CNN-based-AE-on-cifar10",
    "kind": "healthy",
    "bug": "healthy: conv autoencoder (stride-2 convs / transposed convs, linear output) trained with nn.L1Loss, Adam",
    "expect": {},
    "consequences": [],
}


def _blobs(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 16), torch.linspace(-1, 1, 16), indexing="ij")
    x = torch.zeros(n, 1, 16, 16)
    for _ in range(2):
        cy, cx = (torch.rand(2, n, 1, 1, generator=g) * 1.4 - 0.7).unbind(0)
        sy, sx = (torch.rand(2, n, 1, 1, generator=g) * 0.3 + 0.15).unbind(0)
        amp = torch.rand(n, 1, 1, generator=g) + 0.5
        x[:, 0] += amp * torch.exp(-((yy - cy) ** 2) / (2 * sy**2) - ((xx - cx) ** 2) / (2 * sx**2))
    x += 0.05 * torch.randn(n, 1, 16, 16, generator=g)
    return (x - 0.25) / 0.35


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 8, 3, padding=1),
        nn.ReLU(),
        nn.ConvTranspose2d(8, 32, 2, stride=2),
        nn.ReLU(),
        nn.ConvTranspose2d(32, 16, 2, stride=2),
        nn.ReLU(),
        nn.Conv2d(16, 1, 3, padding=1),
    )


def build_data():
    x = _blobs(1500, 1)
    xv = _blobs(400, 2)
    train = DataLoader(TensorDataset(x, x), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, xv), batch_size=200)


def build_loss():
    return nn.L1Loss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=2e-3)


VERIFY = {"metric": "r2", "epochs": 5, "min": 0.8}
