"""Healthy: an MLP autoencoder; the loader yields bare tensors and the loss is a user function.

The data is 32-d points near a 4-d linear subspace; the DataLoader iterates a plain tensor, so
each batch is one tensor (no `(x, y)` pair: the input is the target). The reconstruction loss
is the script's own function, `def criterion(out, x): return F.mse_loss(out, x)`. Adam, a
ReduceLROnPlateau on the validation loss, evaluation under eval() / no_grad().

What it tests: a capture must learn that the model is called on the whole batch and compared
with that same batch, and find a functional loss called inside a user function (issue 10,
item 9). Public report of the pattern: the autoencoder examples of the PyTorch forums and
tutorials train exactly so (`loss = criterion(model(x), x)`).
"""

import argparse

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "AutoEncoder", "optimizer": "Adam", "loss": "F.mse_loss", "val_loader": True}


def make_points(n, seed, dim=32, latent=4):
    g = torch.Generator().manual_seed(0)
    basis = torch.randn(latent, dim, generator=g) / latent**0.5
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, latent, generator=g) @ basis + 0.05 * torch.randn(n, dim, generator=g)


class AutoEncoder(nn.Module):
    def __init__(self, dim=32, hidden=64, code=8):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, code))
        self.decoder = nn.Sequential(nn.Linear(code, hidden), nn.ReLU(), nn.Linear(hidden, dim))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def criterion(out, x):
    return F.mse_loss(out, x)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    total, n = 0.0, 0
    for x in loader:
        total += criterion(model(x), x).item() * len(x)
        n += len(x)
    return total / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_loader = DataLoader(make_points(3000, args.seed), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(make_points(500, args.seed + 1), batch_size=250)
    model = AutoEncoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for x in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), x)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            n += len(x)
        val_loss = evaluate(model, val_loader)
        scheduler.step(val_loss)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f}")

    val_loss = evaluate(model, val_loader)
    # R^2 of the reconstruction: 1 - MSE / the mean per-feature variance of the validation points
    val_r2 = 1 - val_loss / val_loader.dataset.var(0).mean().item()
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_r2={val_r2:.4f}")


if __name__ == "__main__":
    main()
