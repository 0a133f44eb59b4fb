"""Broken: a VAE's optimizer is given only the encoder's parameters; the decoder never trains.

Source: GitHub issue zdebruine/MMVAE#39, "Shared VAE Optimizer Only Given Encoder Parameters"
(https://github.com/zdebruine/MMVAE/issues/39), found with the `issues` search: "The optimizer
for the shared VAE portion of the model is only being given the parameters of the encoder
portion and not both the encoder & decoder portions."

Bug: loss.backward() computes gradients for the decoder too, but optimizer.step() never applies
them, so the decoder keeps its random initial weights while the encoder tries to compensate:
reconstructions stay poor.

Reproduction: 20-d data on a 2-d non-linear manifold, a VAE (encoder 20-64-(mu, logvar) 2-d,
decoder 2-64-20), the reconstruction MSE plus the KL term computed in the loss from the model's
(recon, mu, logvar) output, Adam lr 1e-3 built over the encoder parameters only (the recipe's
build_optimizer keeps the encoder's tensors, as `Adam(model.encoder.parameters())` does in the
training script), batch 64.

Verified (verify.py, VERIFIED.md): every decoder parameter is unchanged after training and the
reconstruction R^2 stays far below the same VAE with all parameters in the optimizer (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/zdebruine/MMVAE/issues/39",
    "kind": "broken",
    "bug": "optimizer built over the encoder's parameters only: the decoder never updates",
    "expect": {"ND302": "warn"},
    "consequences": ["ND402", "ND404"],
}


class VAE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 4))
        self.decoder = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 20))

    def forward(self, x):
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        return torch.cat([self.decoder(z), mu, logvar], dim=1)


class VAELoss(nn.Module):
    def forward(self, out, x):
        recon, mu, logvar = out[:, :20], out[:, 20:22], out[:, 22:24]
        kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1).mean()
        return nn.functional.mse_loss(recon, x) + 0.01 * kl


def _data(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(n, 2, generator=g)
    mix = torch.randn(6, 20, generator=torch.Generator().manual_seed(17)) / 6**0.5
    return torch.cat([u, torch.tanh(2 * u), u.prod(1, keepdim=True), u[:, :1] ** 2], 1) @ mix


def build_model() -> nn.Module:
    return VAE()


def build_data():
    x, xv = _data(3000, 1), _data(500, 2)
    train = DataLoader(TensorDataset(x, x), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, xv), batch_size=500)


def build_loss():
    return VAELoss()


N_ENCODER_TENSORS = 4  # encoder: 2 Linear layers x (weight, bias), registered first


def build_optimizer(params):
    encoder_params = list(params)[:N_ENCODER_TENSORS]  # BUG: Adam(model.encoder.parameters())
    return torch.optim.Adam(encoder_params, lr=1e-3)


def fixed_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def recon_r2(out: torch.Tensor, x: torch.Tensor) -> float:
    recon = out[:, :20]
    return 1 - ((recon - x) ** 2).sum().item() / ((x - x.mean(0)) ** 2).sum().item()


VERIFY = {
    "metric": recon_r2,
    "epochs": 5,
    "fix": {"build_optimizer": fixed_optimizer},
    "claims": ["frozen:decoder.", "worse_than_fix"],
    "margin": 0.2,
}
