"""Healthy: the pytorch/examples MLP variational autoencoder: encoder to (mu, logvar),
reparameterization, decoder logits, loss = BCE (summed over pixels) + KL divergence, Adam 1e-3.

Source: pytorch/examples vae/main.py (https://github.com/pytorch/examples/blob/main/vae/main.py),
found with the `code` search "pytorch examples vae reparameterize KLD binary_cross_entropy
reduction sum" (several copies of its loss_function: "BCE = F.binary_cross_entropy(recon_x, x,
reduction='sum'); KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())").

Setup: 64-"pixel" images with intensities in [0, 1] (sigmoids of a 4-factor random linear model:
smooth blobs like MNIST strokes); encoder 64-128 then two heads to a 4-d mu and logvar; decoder
4-128-64 producing logits; the forward returns one tensor [B, 64 + 4 + 4] = (recon logits, mu,
logvar) so the loss can split it (the example returns a tuple); loss = BCE-with-logits summed
over pixels + KLD, divided by the batch size (the example's per-sample sum); Adam lr 1e-3;
batch 128. The metric is the R^2 of sigmoid(recon logits) against the input.

Why healthy: BCE on [0, 1] targets with logits, the standard KL term, the example's optimizer.

Verified (verify.py): validation reconstruction R^2 well above 0 after 8 epochs, and the loss falls.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/examples/blob/main/vae/main.py",
    "kind": "healthy",
    "bug": "healthy: MLP VAE (reparameterization, BCE-with-logits summed + KL), Adam 1e-3, [0, 1] inputs",
    "expect": {},
    "consequences": [],
}

PIXELS, LATENT = 64, 4


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    basis = 3 * torch.randn(LATENT, PIXELS, generator=torch.Generator().manual_seed(41))
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, LATENT, generator=g)
    x = torch.sigmoid(z @ basis - 1.0 + 0.3 * torch.randn(n, PIXELS, generator=g))
    return x, x.clone()


class VAE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(PIXELS, 128)
        self.fc21 = nn.Linear(128, LATENT)
        self.fc22 = nn.Linear(128, LATENT)
        self.fc3 = nn.Linear(LATENT, 128)
        self.fc4 = nn.Linear(128, PIXELS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = nn.functional.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        recon = self.fc4(nn.functional.relu(self.fc3(z)))
        return torch.cat([recon, mu, logvar], 1)


class VAELoss(nn.Module):
    def forward(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        recon, mu, logvar = out[:, :PIXELS], out[:, PIXELS : PIXELS + LATENT], out[:, PIXELS + LATENT :]
        bce = nn.functional.binary_cross_entropy_with_logits(recon, x, reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (bce + kld) / len(x)


def recon_r2(out: torch.Tensor, x: torch.Tensor) -> float:
    pred = torch.sigmoid(out[:, :PIXELS])
    return 1.0 - ((pred - x) ** 2).sum().item() / ((x - x.mean(0)) ** 2).sum().item()


def build_model() -> nn.Module:
    return VAE()


def build_data():
    x, y = _images(4000, 1)
    xv, yv = _images(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return VAELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": recon_r2, "epochs": 8, "min": 0.4}
