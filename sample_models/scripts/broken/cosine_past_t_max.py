"""Broken (ND502): CosineAnnealingLR with T_max = one epoch of batches, stepped per batch for many epochs.

The schedule is meant to anneal over the whole run, `T_max = epochs * len(train_loader)`, but the
script passes `T_max=len(train_loader)`. CosineAnnealingLR is not a restart schedule: past T_max
it keeps following the cosine, so the LR reaches 0 at the end of epoch 1 and climbs back to the
base LR over epoch 2, falls again in epoch 3, and so on. Otherwise a small MLP regressor
(SGD with momentum, MSE) on a smooth 8-d function.

How it shows: the LR printed at the end of each epoch goes 0 -> 0.1 -> 0 -> 0.1; the validation
loss of epoch 2, trained at a climbing LR, is worse than epoch 1's (0.1525 vs 0.1470), and every
other epoch repeats the anneal.

Public reports: the torch docstring of CosineAnnealingLR says it anneals "without restarts" with
T_cur = t growing with every call, so past T_max the cosine climbs back (restarts on purpose are
CosineAnnealingWarmRestarts); T_max given in epochs or in one epoch's batches while the scheduler
is stepped per batch for the whole run is the usual way to get there.
"""

import argparse
import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND502": "warn"}
EXPECT_CAPTURE = {"model": "Regressor", "optimizer": "SGD", "loss": "MSELoss", "val_loader": True}


def make_datasets(n_train=2048, n_val=512, dim=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_train + n_val, dim, generator=g)
    y = (torch.sin(x[:, :4]).sum(1, keepdim=True) + 0.5 * x[:, 4:5] * x[:, 5:6]) / math.sqrt(2)
    y = y + 0.05 * torch.randn(y.shape, generator=g)
    return TensorDataset(x[:n_train], y[:n_train]), TensorDataset(x[n_train:], y[n_train:])


class Regressor(nn.Module):
    def __init__(self, dim=8, hidden=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1)
        )

    def forward(self, x):
        return self.net(x)


@torch.no_grad()
def evaluate(model, loader, criterion):
    model.eval()
    total, n = 0.0, 0
    for x, y in loader:
        total += criterion(model(x), y).item() * len(y)
        n += len(y)
    return total / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set, val_set = make_datasets(seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)
    model = Regressor()
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    # the bug: one epoch of batches, meant to be args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=len(train_loader))

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(y)
            n += len(y)
        val_loss = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} lr={scheduler.get_last_lr()[0]:.2e}")

    val_loss = evaluate(model, val_loader, criterion)
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f}")


if __name__ == "__main__":
    main()
