"""Healthy: an EMA copy of the weights is validated; `model.train()` is set once before the loop.

A 3-class problem on 8 features: the class is the ring (radius band) a point's first two
coordinates fall in, the other six are distractors. An MLP with Dropout, Adam, MultiStepLR
(milestones at epochs 5 and 8, stepped once per epoch). After every optimizer step an
exponential moving average of the weights is updated in `ema_model` (a `copy.deepcopy` put in
eval mode once); validation runs on `ema_model`, so the training model never leaves training
mode and `model.train()` is called a single time, before the epoch loop. Per-epoch numbers are
appended to a CSV file (`--log-dir`, default a fresh temporary directory) and printed.
"""

import argparse
import copy
import csv
import os
import tempfile

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Sequential", "optimizer": "Adam", "loss": "CrossEntropyLoss", "val_loader": True}


def make_data(n, g):
    x = torch.randn(n, 8, generator=g)
    x[:, :2] *= 1.5
    r = x[:, :2].norm(dim=1)
    y = (r > 1.2).long() + (r > 2.2).long()
    return TensorDataset(x, y)


@torch.no_grad()
def ema_update(ema_model, model, decay):
    for p_ema, p in zip(ema_model.parameters(), model.parameters(), strict=True):
        p_ema.mul_(decay).add_(p.detach(), alpha=1.0 - decay)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--ema-decay", type=float, default=0.98)
    parser.add_argument("--log-dir", default="")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(make_data(4000, g), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(make_data(1000, g), batch_size=500)

    model = nn.Sequential(
        nn.Linear(8, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 3),
    )
    ema_model = copy.deepcopy(model).eval()
    for p in ema_model.parameters():
        p.requires_grad_(False)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[5, 8], gamma=0.2)

    log_dir = args.log_dir or tempfile.mkdtemp(prefix="ema_csv_")
    log_path = os.path.join(log_dir, "log.csv")
    with open(log_path, "w", newline="") as fh:
        csv.writer(fh).writerow(["epoch", "train_loss", "val_loss", "val_acc", "lr"])

    model.train()
    for epoch in range(1, args.epochs + 1):
        total, n = 0.0, 0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            ema_update(ema_model, model, args.ema_decay)
            total += loss.item() * len(yb)
            n += len(yb)
        scheduler.step()

        val_loss, correct, m = 0.0, 0, 0
        with torch.no_grad():
            for xb, yb in val_loader:
                logits = ema_model(xb)
                val_loss += criterion(logits, yb).item() * len(yb)
                correct += (logits.argmax(1) == yb).sum().item()
                m += len(yb)
        row = [epoch, total / n, val_loss / m, correct / m, optimizer.param_groups[0]["lr"]]
        with open(log_path, "a", newline="") as fh:
            csv.writer(fh).writerow(row)
        print(f"epoch {epoch} train_loss={row[1]:.4f} val_loss={row[2]:.4f} val_acc={row[3]:.4f} lr={row[4]:.1e}")
    print(f"final train_loss={row[1]:.4f} val_loss={row[2]:.4f} val_acc={row[3]:.4f}")
    print(f"log written to {log_path}")


if __name__ == "__main__":
    main()
