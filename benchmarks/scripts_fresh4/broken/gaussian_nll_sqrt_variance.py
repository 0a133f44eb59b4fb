"""Broken: the std head is `sqrt(1 + raw)`: once the NLL pushes a variance below 0, the loss is NaN.

Twin of `healthy/gaussian_nll_std_head.py` with one change in `GaussianNLL.std_of`: the raw
output is read as "variance minus one" (so that it starts near unit variance) and the standard
deviation is `torch.sqrt(1.0 + raw)` instead of `softplus(raw) + 1e-3`. Nothing keeps
`1 + raw` positive; the data's low-noise region (std 0.03 near x0 = 0) pulls the predicted
variance towards 0, an Adam step overshoots, and `sqrt` of a negative number is NaN. The first
ten steps are finite; from step 11 of epoch 1 the loss is NaN, the NaN gradient reaches every
weight, and every printed number is nan from epoch 1 on (the twin: val_rmse 0.3689). Check:
ND503 (non-finite loss during training). Public reports: "NaN loss with heteroscedastic /
Gaussian NLL, predicted variance negative" threads on the PyTorch forums and Stack Overflow.
"""

import argparse
import math

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND503": "fail"}
EXPECT_CAPTURE = {"model": "MeanScaleNet", "optimizer": "Adam", "loss": "GaussianNLL", "val_loader": True}


class MeanScaleNet(nn.Module):
    def __init__(self, n_in, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.out = nn.Linear(hidden, 2)

    def forward(self, x):
        return self.out(self.net(x))


class GaussianNLL(nn.Module):
    def std_of(self, raw):
        return torch.sqrt(1.0 + raw)

    def forward(self, pred, target):
        mean, std = pred[:, 0], self.std_of(pred[:, 1])
        return (torch.log(std) + 0.5 * ((target - mean) / std) ** 2).mean() + 0.5 * math.log(2 * math.pi)


def make_data(n, rng):
    x = rng.uniform(-1.0, 1.0, size=(n, 8))
    mean = np.sin(2.5 * x[:, 0]) + 0.5 * x[:, 1] * x[:, 2]
    std = 0.03 + 0.57 * np.abs(x[:, 0])
    y = mean + std * rng.normal(size=n)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x_tr, y_tr = make_data(4000, rng)
    x_va, y_va = make_data(1000, rng)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=500)

    model = MeanScaleNet(8, 64)
    criterion = GaussianNLL()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.85)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            n += len(y)
        scheduler.step()
        model.eval()
        v_total, sq, inside = 0.0, 0.0, 0.0
        with torch.no_grad():
            for x, y in val_loader:
                pred = model(x)
                v_total += criterion(pred, y).item() * len(y)
                mean, std = pred[:, 0], criterion.std_of(pred[:, 1])
                sq += ((mean - y) ** 2).sum().item()
                inside += ((mean - y).abs() <= std).float().sum().item()
        train_loss, val_loss = total / n, v_total / len(y_va)
        rmse, coverage = math.sqrt(sq / len(y_va)), inside / len(y_va)
        print(
            f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_rmse={rmse:.4f} "
            f"val_cover={coverage:.4f}"
        )
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_rmse={rmse:.4f} val_cover={coverage:.4f}")


if __name__ == "__main__":
    main()
