"""Healthy: a tied-weights autoencoder: the decoder reuses the encoder's weight matrix
transposed (`F.linear(h, W.t())`), with its own bias, trained with MSE on reconstruction.

Source: PyTorch forum "How to create and train a tied autoencoder?"
(https://discuss.pytorch.org/t/how-to-create-and-train-a-tied-autoencoder/2585), found with the
`pages` search "tied weights autoencoder decoder uses encoder weight transpose pytorch": use the
functional interface, `out_encoder = F.linear(x, W)`, `out_decoder = F.linear(y, W.t())`.

Setup: 64-d inputs lying near an 8-d subspace (plus noise), standardized; encoder W (16 x 64) +
bias, tanh; decoder F.linear(h, W.t(), b_dec); MSELoss against the input; Adam lr 3e-3, batch 128.
The target is the input itself.

Why healthy: one parameter used twice (its gradient is the sum of both uses); a standard PCA-like
autoencoder.

Verified (verify.py): reconstruction R^2 on held-out data.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://discuss.pytorch.org/t/how-to-create-and-train-a-tied-autoencoder/2585",
    "kind": "healthy",
    "bug": "healthy: tied autoencoder, decoder = F.linear(h, W.t()) of the encoder weight, MSE reconstruction",
    "expect": {},
    "consequences": [],
}


def _rows(n: int, seed: int) -> torch.Tensor:
    basis = torch.randn(8, 64, generator=torch.Generator().manual_seed(50)) / 8**0.5
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 8, generator=g) @ basis + 0.1 * torch.randn(n, 64, generator=g)


class TiedAutoencoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Linear(64, 16)
        self.decoder_bias = nn.Parameter(torch.zeros(64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.encoder(x))
        return nn.functional.linear(h, self.encoder.weight.t(), self.decoder_bias)


def build_model() -> nn.Module:
    return TiedAutoencoder()


def build_data():
    x, xv = _rows(4000, 1), _rows(800, 2)
    train = DataLoader(TensorDataset(x, x), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, xv), batch_size=400)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


VERIFY = {"metric": "r2", "epochs": 8, "min": 0.7}
