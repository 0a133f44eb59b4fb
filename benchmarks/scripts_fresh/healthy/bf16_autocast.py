"""Healthy: a regression MLP trained under CPU bfloat16 autocast with HuberLoss.

A smooth 6-d function plus noise, from a `Dataset` subclass that standardizes its features with
statistics of the training split computed once. Forward and loss run inside
`torch.autocast("cpu", dtype=torch.bfloat16)`; the weights stay float32. SGD with momentum,
CosineAnnealingLR stepped per epoch, a `@torch.no_grad()` evaluate that reports R^2.
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Regressor", "optimizer": "SGD", "loss": "HuberLoss", "val_loader": True}


def target_fn(x):
    return torch.sin(x[:, 0]) * x[:, 1] + 0.5 * x[:, 2] ** 2 - x[:, 3] * x[:, 4] + 0.3 * x[:, 5]


class SmoothTable(Dataset):
    def __init__(self, n, seed, stats=None):
        g = torch.Generator().manual_seed(seed)
        raw = 3.0 * torch.rand(n, 6, generator=g) + 1.0
        self.y = (target_fn(raw) + 0.05 * torch.randn(n, generator=g)).unsqueeze(1)
        self.stats = stats if stats is not None else (raw.mean(0), raw.std(0))
        self.x = raw

    def __len__(self):
        return len(self.y)

    def __getitem__(self, idx):
        mean, std = self.stats
        return (self.x[idx] - mean) / std, self.y[idx]


class Regressor(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(6, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1)
        )

    def forward(self, x):
        return self.net(x)


@torch.no_grad()
def evaluate(model, loader, criterion):
    model.eval()
    total, sq, ys = 0.0, 0.0, []
    for x, y in loader:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            pred = model(x)
            loss = criterion(pred.float(), y)
        total += loss.item() * len(y)
        sq += ((pred.float() - y) ** 2).sum().item()
        ys.append(y)
    y_all = torch.cat(ys)
    return total / len(y_all), 1.0 - sq / ((y_all - y_all.mean()) ** 2).sum().item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--n-train", type=int, default=1601)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set = SmoothTable(args.n_train, args.seed)
    val_set = SmoothTable(600, args.seed + 1, stats=train_set.stats)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=200)
    model = Regressor()
    criterion = nn.HuberLoss(delta=1.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for x, y in train_loader:
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                pred = model(x)
                loss = criterion(pred.float(), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            n += len(y)
        scheduler.step()
        val_loss, val_r2 = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_r2={val_r2:.4f}")
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_r2={val_r2:.4f}")


if __name__ == "__main__":
    main()
