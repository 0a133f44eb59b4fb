"""Healthy: `optimizer.step(closure)` over a custom `Dataset` that standardizes in `__getitem__`.

A regression on 12 raw features of very different scales (one of them a constant column of
ones, as exported tables often carry), target a smooth function of them plus noise. The
`StandardizedTable` dataset computes the training mean and std once and standardizes every row
in `__getitem__` (`(x - mean) / (std + eps)`), the validation set reusing the training
statistics. `DataLoader(..., drop_last=True, num_workers=0)`. The step is taken the closure way:
`def closure(): optimizer.zero_grad(); loss = criterion(model(x), y); loss.backward(); return loss`
then `loss = optimizer.step(closure)`. SGD with momentum, PolynomialLR(power=2) per epoch, MSELoss,
R^2 on validation.
"""

import argparse

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Sequential", "optimizer": "SGD", "loss": "MSELoss", "val_loader": True}


class StandardizedTable(Dataset):
    def __init__(self, features, target, stats=None, eps=1e-6):
        self.features = torch.as_tensor(features, dtype=torch.float32)
        self.target = torch.as_tensor(target, dtype=torch.float32).unsqueeze(1)
        if stats is None:
            stats = (self.features.mean(0), self.features.std(0))
        self.mean, self.std = stats
        self.eps = eps

    def __len__(self):
        return len(self.features)

    def __getitem__(self, idx):
        x = (self.features[idx] - self.mean) / (self.std + self.eps)
        return x, self.target[idx]


def make_table(n, scales):
    raw = np.random.randn(n, len(scales)) * scales + 3.0 * scales
    raw[:, 0] = 1.0  # the intercept column every export carries
    z = (raw - 3.0 * scales) / scales
    y = np.sin(z[:, 1]) + 0.5 * z[:, 2] * z[:, 3] - 0.8 * z[:, 4] + 0.3 * z[:, 5] ** 2 + 0.1 * np.random.randn(n)
    return raw, (y - 0.3) / 1.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    scales = np.exp(np.random.uniform(-2.0, 3.0, size=12))
    x_tr, y_tr = make_table(3000, scales)
    x_va, y_va = make_table(800, scales)
    train_ds = StandardizedTable(x_tr, y_tr)
    val_ds = StandardizedTable(x_va, y_va, stats=(train_ds.mean, train_ds.std))
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=0)
    val_loader = DataLoader(val_ds, batch_size=200, num_workers=0)

    model = nn.Sequential(nn.Linear(12, 96), nn.Tanh(), nn.Linear(96, 96), nn.Tanh(), nn.Linear(96, 1))
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=args.epochs, power=2.0)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, batches = 0.0, 0
        for x, y in train_loader:

            def closure():
                optimizer.zero_grad()
                loss = criterion(model(x), y)  # noqa: B023
                loss.backward()
                return loss

            loss = optimizer.step(closure)
            total += loss.item()
            batches += 1
        scheduler.step()
        model.eval()
        sse, n, preds, targets = 0.0, 0, [], []
        with torch.no_grad():
            for x, y in val_loader:
                out = model(x)
                sse += criterion(out, y).item() * len(y)
                n += len(y)
                preds.append(out)
                targets.append(y)
        t = torch.cat(targets)
        r2 = 1.0 - ((torch.cat(preds) - t) ** 2).sum().item() / ((t - t.mean()) ** 2).sum().item()
        train_loss, val_loss = total / batches, sse / n
        print(
            f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_r2={r2:.4f} lr={scheduler.get_last_lr()[0]:.2e}"
        )
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_r2={r2:.4f}")


if __name__ == "__main__":
    main()
