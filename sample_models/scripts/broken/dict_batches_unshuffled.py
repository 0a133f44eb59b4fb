"""Broken (ND509): class-sorted samples served as dict batches (`batch["label"]`) with shuffle=False.

The dataset returns `{"features": x, "label": y}` per sample (the way a `datasets`-style or
JSON-lines dataset does); the default collate stacks them into a dict batch. The samples are
stored class by class (one file per class) and the training loader has `shuffle=False`, so the
first epoch shows the model 10 long runs of one label each. Otherwise the MLP, Adam and
cross-entropy setup of healthy/mlp_classifier.py.

How it shows: the training loss of the first epoch is above ln(10) (the model chases one class
after another) and the validation accuracy ends well below a shuffled run's. A check that looks
for labels only in `(x, y)` tuples sees no labels in these batches.

Public reports: the same bug as broken/unshuffled_sorted_classes.py (its docstring lists them),
written with dict batches.
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

FIRES = {"ND509": "warn"}
EXPECT_CAPTURE = {"model": "DictMLP", "optimizer": "Adam", "loss": "CrossEntropyLoss", "val_loader": True}


class SortedRecords(Dataset):
    def __init__(self, n, seed, dim=20, num_classes=10):
        g = torch.Generator().manual_seed(0)
        w1, w2 = torch.randn(dim, 64, generator=g), torch.randn(64, num_classes, generator=g)
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(n, dim, generator=g)
        y = (torch.tanh(x @ w1 / dim**0.5) @ w2).argmax(dim=1)
        order = torch.argsort(y, stable=True)  # stored class by class
        self.x, self.y = x[order], y[order]

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return {"features": self.x[i], "label": self.y[i]}


class DictMLP(nn.Module):
    def __init__(self, in_dim=20, hidden=128, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.net(x)


@torch.no_grad()
def evaluate(model, loader, criterion):
    model.eval()
    total, correct, n = 0.0, 0, 0
    for batch in loader:
        logits = model(batch["features"])
        total += criterion(logits, batch["label"]).item() * len(batch["label"])
        correct += (logits.argmax(1) == batch["label"]).sum().item()
        n += len(batch["label"])
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_loader = DataLoader(SortedRecords(2000, seed=args.seed), batch_size=args.batch_size, shuffle=False)
    val_loader = DataLoader(SortedRecords(500, seed=args.seed + 1), batch_size=250)
    model = DictMLP()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for batch in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(batch["features"]), batch["label"])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch["label"])
            n += len(batch["label"])
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")

    val_loss, val_acc = evaluate(model, val_loader, criterion)
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
