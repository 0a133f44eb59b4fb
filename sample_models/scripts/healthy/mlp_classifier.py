"""Healthy: an MLP classifier on a synthetic 10-class problem, trained with Adam and StepLR.

The inputs are 20-d Gaussian vectors; the label is the argmax of a fixed random two-layer "teacher"
network, so the classes are learnable but not linearly separable. The samples are generated one
class after another (as data often arrives, one file per class) and the training loader shuffles
them. Adam at 1e-3, StepLR halving the LR every 4 epochs (stepped once per epoch), dropout 0.1,
validation under model.eval() and torch.no_grad() after every epoch.
"""

import argparse
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "MLP", "optimizer": "Adam", "loss": "CrossEntropyLoss", "val_loader": True}


def make_datasets(n_train=3000, n_val=1000, dim=20, num_classes=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    teacher_w1 = torch.randn(dim, 64, generator=g)
    teacher_w2 = torch.randn(64, num_classes, generator=g)

    def sample(n):
        x = torch.randn(n, dim, generator=g)
        y = (torch.tanh(x @ teacher_w1 / dim**0.5) @ teacher_w2).argmax(dim=1)
        order = torch.argsort(y, stable=True)  # grouped by class, like one file per class
        return TensorDataset(x[order], y[order])

    return sample(n_train), sample(n_val)


class MLP(nn.Module):
    def __init__(self, in_dim=20, hidden=128, num_classes=10, dropout=0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.net(x)


def evaluate(model, loader, criterion):
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            total_loss += criterion(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return total_loss / count, correct / count


def main():
    parser = argparse.ArgumentParser(description="Train an MLP on a synthetic 10-class problem.")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default="", help="write the final state_dict here")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set, val_set = make_datasets(seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)

    model = MLP()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)

    for epoch in range(1, args.epochs + 1):
        start = time.time()
        model.train()
        running, seen = 0.0, 0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            running += loss.item() * len(y)
            seen += len(y)
        scheduler.step()
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        print(
            f"epoch {epoch}/{args.epochs} train_loss={running / seen:.4f} val_loss={val_loss:.4f} "
            f"val_acc={val_acc:.4f} lr={scheduler.get_last_lr()[0]:.2e} ({time.time() - start:.1f}s)"
        )

    val_loss, val_acc = evaluate(model, val_loader, criterion)
    print(f"final train_loss={running / seen:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
