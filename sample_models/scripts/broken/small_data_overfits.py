"""Broken (ND507): a wide MLP trained for 40 epochs on 200 samples with 10% wrong labels memorizes them.

The same kind of 10-class problem as healthy/mlp_classifier.py, but the training set has only 200
samples (the validation set 1000) and 10% of the training labels are wrong (annotation noise). A
20-512-512-10 MLP (~280k parameters), no dropout, no weight decay, Adam 1e-3 for 40 epochs, no early
stopping.

How it shows: a gap that opens over the epochs. The training loss goes to ~0.01 and keeps falling;
the validation loss bottoms out within the first ~10 epochs and then climbs steadily (it ends well
above its minimum) while validation accuracy stays flat around 0.5-0.6: from that point on the
model is fitting the noise in 200 samples. The last epochs only make the model worse on new data.

Public reports: the classic overfitting curve ("Why does training loss keep falling while
validation loss rises?", datarekha.com; "My test loss is increasing but train loss is decreasing",
thepinehillsnews.com); the fixes are early stopping, weight decay/dropout, more data or a smaller
model.
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND507": "warn"}
EXPECT_CAPTURE = {"model": "WideMLP", "optimizer": "Adam", "loss": "CrossEntropyLoss", "val_loader": True}


def make_datasets(n_train=200, n_val=1000, dim=20, num_classes=10, label_noise=0.1, seed=0):
    g = torch.Generator().manual_seed(seed)
    w1 = torch.randn(dim, 64, generator=g)
    w2 = torch.randn(64, num_classes, generator=g)
    x = torch.randn(n_train + n_val, dim, generator=g)
    y = (torch.tanh(x @ w1 / dim**0.5) @ w2).argmax(dim=1)
    flip = torch.rand(n_train, generator=g) < label_noise
    y_train = y[:n_train].clone()
    y_train[flip] = torch.randint(0, num_classes, (int(flip.sum()),), generator=g)
    return TensorDataset(x[:n_train], y_train), TensorDataset(x[n_train:], y[n_train:])


class WideMLP(nn.Module):
    def __init__(self, in_dim=20, hidden=512, num_classes=10):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)
        )

    def forward(self, x):
        return self.layers(x)


def evaluate(model, loader, criterion):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            total += criterion(out, y).item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
            n += len(y)
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default="")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set, val_set = make_datasets(seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=500)
    model = WideMLP()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

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
        train_loss = total / n
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        _, train_acc = evaluate(model, train_loader, criterion)
        print(
            f"epoch {epoch:2d} train_loss={train_loss:.4f} train_acc={train_acc:.4f} "
            f"val_loss={val_loss:.4f} val_acc={val_acc:.4f}"
        )

    val_loss, val_acc = evaluate(model, val_loader, criterion)
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
