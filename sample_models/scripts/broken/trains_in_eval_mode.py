"""Broken (ND508): `model.eval()` is called once before training and `model.train()` never again.

The script evaluates the untrained model first ("baseline accuracy"), which calls `model.eval()`,
and the training loop never calls `model.train()`: every training step runs in eval mode. The
model has BatchNorm and dropout, so training normalizes with the running statistics (never
updated: still mean 0, variance 1) instead of each batch's, and dropout is off. The data is a
10-class teacher problem whose features have a large offset and scale (like raw tabular data).

How it shows: training still lowers the loss, but to a worse end point: after 5 epochs
train_loss=0.93 val_acc=0.668, against 0.79 / 0.780 with `model.train()` restored at the top of the
epoch. Nothing in the printed numbers says why.

Public reports: the PyTorch docs of `Module.eval()` / `Module.train()`: the mode is a flag on every
submodule that stays set until changed, so one `evaluate()` before the loop (baseline accuracy,
a sanity check) leaves the training in eval mode; the same family as broken/val_without_eval.py.
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND508": "warn"}
EXPECT_CAPTURE = {"model": "BNNet", "optimizer": "SGD", "loss": "CrossEntropyLoss", "val_loader": True}


def make_datasets(n_train=2000, n_val=500, dim=16, num_classes=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    w1, w2 = torch.randn(dim, 64, generator=g), torch.randn(64, num_classes, generator=g)
    x = torch.randn(n_train + n_val, dim, generator=g)
    y = (torch.tanh(x @ w1 / dim**0.5) @ w2).argmax(dim=1)
    raw = 5.0 + 3.0 * x  # unnormalized features: what BatchNorm is there for
    return TensorDataset(raw[:n_train], y[:n_train]), TensorDataset(raw[n_train:], y[n_train:])


class BNNet(nn.Module):
    def __init__(self, dim=16, hidden=64, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.BatchNorm1d(dim),
            nn.Linear(dim, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.net(x)


@torch.no_grad()
def evaluate(model, loader, criterion):
    model.eval()
    total, correct, n = 0.0, 0, 0
    for x, y in loader:
        logits = model(x)
        total += criterion(logits, y).item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        n += len(y)
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set, val_set = make_datasets(seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=250)
    model = BNNet()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

    _, baseline = evaluate(model, val_loader, criterion)  # calls model.eval() ...
    print(f"baseline val_acc={baseline:.4f}")
    for epoch in range(1, args.epochs + 1):
        # ... and the bug: no model.train() here
        total, n = 0.0, 0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            n += len(y)
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")

    val_loss, val_acc = evaluate(model, val_loader, criterion)
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
