"""Healthy: a binary classifier whose validation data streams from an IterableDataset.

The training set is an ordinary map-style TensorDataset; the validation samples come from an
`IterableDataset` that generates them on the fly (the way a sharded or streamed evaluation set is
read), so the validation DataLoader has no `len()`. Adam, BCEWithLogitsLoss, evaluation under
model.eval() and torch.no_grad() each epoch.

What it tests: code that writes `if loader:` calls `len()` on a DataLoader, which raises
TypeError for an IterableDataset without `__len__`; `nndoctor check` on this script crashed that
way before (issue 10, item 7). Public report of the pattern: pytorch/pytorch documents that
`len(dataloader)` over an IterableDataset is only an estimate or raises.
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "RuleNet", "optimizer": "Adam", "loss": "BCEWithLogitsLoss", "val_loader": True}

DIM = 10


def rule(x):
    return ((x[:, 0] + x[:, 1] * x[:, 2] - 0.5 * x[:, 3]) > 0).float().unsqueeze(1)


class ValidationStream(IterableDataset):
    """Yields `n` fresh (x, y) samples from a fixed seed every time it is iterated."""

    def __init__(self, n, seed):
        self.n, self.seed = n, seed

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed)
        for _ in range(self.n):
            x = torch.randn(1, DIM, generator=g)
            yield x[0], rule(x)[0]


class RuleNet(nn.Module):
    def __init__(self, dim=DIM, hidden=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)
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
        correct += ((logits > 0).float() == y).sum().item()
        n += len(y)
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    x = torch.randn(3000, DIM, generator=g)
    train_loader = DataLoader(TensorDataset(x, rule(x)), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(ValidationStream(1000, seed=args.seed + 1), batch_size=250)
    model = RuleNet()
    criterion = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            n += len(yb)
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")

    val_loss, val_acc = evaluate(model, val_loader, criterion)
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
