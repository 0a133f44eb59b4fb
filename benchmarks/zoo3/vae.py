"""Zoo3: a variational autoencoder (Kingma & Welling, 2014) in plain PyTorch, with its own ELBO loss.

The paper's MLP VAE for binary images: encoder 1024 -> 400 -> (mu, log-variance) of a 16-d
Gaussian latent (the paper's hidden 400 and tanh were ReLU in later reference code; ReLU here,
as PyTorch's example), a reparameterized sample z = mu + sigma * eps in training (z = mu in
eval), decoder 16 -> 400 -> 1024 Bernoulli logits. PyTorch's default initialization.

Data: the zoo's binary shape masks (`_synthetic.shape_masks`, 32x32, one to three discs or
rectangles), the image is both input and target. Loss: the negative ELBO per image, the
Bernoulli reconstruction term (binary cross-entropy with logits summed over the 1024 pixels)
plus the KL divergence of the posterior from N(0, I), averaged over the batch. Optimizer as in
the PyTorch example: Adam lr 1e-3, batch 128.
"""

import torch
from _data import shape_masks, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset

NNDOCTOR = {"task": "regression"}
LATENT = 16


class VAE(nn.Module):
    def __init__(self, pixels: int = 1024, hidden: int = 400, latent: int = LATENT) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, pixels))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        return self.decoder(z).view_as(x), mu, logvar


class NegativeELBO(nn.Module):
    """Bernoulli reconstruction NLL (summed over pixels) + KL(q(z|x) || N(0, I)), mean over the batch."""

    def forward(self, output: tuple[torch.Tensor, torch.Tensor, torch.Tensor], target: torch.Tensor) -> torch.Tensor:
        logits, mu, logvar = output
        recon = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (recon + kl) / target.shape[0]


def build_model() -> nn.Module:
    return VAE()


def build_data() -> tuple[DataLoader, DataLoader]:
    _, train = shape_masks(2048, seed=100)
    _, val = shape_masks(512, seed=101)
    return shuffled(TensorDataset(train, train), batch_size=128), DataLoader(TensorDataset(val, val), batch_size=256)


def build_loss() -> nn.Module:
    return NegativeELBO()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
