"""Broken: an autoencoder's encoder creates its nn.Linear layers inside the forward pass.

Source: GitHub issue Lightning-AI/pytorch-lightning#6554, "pytorch lightning: optimizer got an
empty parameter list" (https://github.com/Lightning-AI/pytorch-lightning/issues/6554), found with
the `issues` search: a VAE whose `encoder()` runs `z = nn.Linear(8, 32)(inp)` and
`nn.Linear(32, h_dim)(z)` on every call.

Bug: a layer constructed in forward() is a fresh, randomly initialized module on every call: it
is never registered, never reaches the optimizer, and gives a different output every time the
model runs, even in eval mode. Here the decoder is registered, so the optimizer is not empty and
no error is raised; the decoder just chases a random, changing code.

Reproduction: 8-d signals lying on a 2-d curved manifold, an autoencoder whose encoder builds
Linear(8, 32) and Linear(32, 2) inside forward and whose decoder (2-32-8) is a registered
nn.Sequential, MSELoss against the input, Adam lr 1e-3, batch 32.

Verified (verify.py, VERIFIED.md): two eval passes on the same batch give different outputs and
the reconstruction R^2 stays far below the same autoencoder with the encoder layers created in
__init__ (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Lightning-AI/pytorch-lightning/issues/6554",
    "kind": "broken",
    "bug": "nn.Linear layers instantiated inside forward(): new random weights on every call",
    "expect": {"ND107": "warn"},
    "consequences": ["ND106", "ND201", "ND402", "ND404"],
}


class AutoEncoder(nn.Module):
    def __init__(self, fixed: bool) -> None:
        super().__init__()
        self.fixed = fixed
        if fixed:
            self.enc1, self.enc2 = nn.Linear(8, 32), nn.Linear(32, 2)
        self.decoder = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 8))

    def encoder(self, inp):
        if self.fixed:
            return self.enc2(torch.relu(self.enc1(inp)))
        z = nn.Linear(8, 32)(inp)  # BUG: a new layer on every call
        return nn.Linear(32, 2)(torch.relu(z))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def _signals(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(n, 2, generator=g) * 2 - 1
    mix = torch.randn(4, 8, generator=torch.Generator().manual_seed(13))
    feats = torch.cat([u, torch.sin(3 * u)], 1) @ mix
    return feats + 0.05 * torch.randn(n, 8, generator=g)


def build_model() -> nn.Module:
    return AutoEncoder(fixed=False)


def build_data():
    x, xv = _signals(2000, 1), _signals(400, 2)
    train = DataLoader(TensorDataset(x, x), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, xv), batch_size=400)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return AutoEncoder(fixed=True)


VERIFY = {
    "metric": "r2",
    "epochs": 10,
    "fix": {"build_model": fixed_model},
    "claims": ["eval_nondeterministic", "worse_than_fix"],
    "margin": 0.3,
}
