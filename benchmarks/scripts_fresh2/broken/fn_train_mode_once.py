"""Broken (ND508): `model.train()` is called once before the epoch loop; `evaluate()` calls `model.eval()`.

Twin of healthy/fn_epoch_steplr.py with one change: the `model.train()` line moved out of
`train_one_epoch` to just above the epoch loop ("set the mode once"). `evaluate()` switches the
model to eval mode after epoch 1 and nothing switches it back, so from epoch 2 on every training
step runs with Dropout off and BatchNorm normalizing with its frozen running statistics.

How it shows (default arguments): the validation loss is above the twin's in epochs 2-8
(epoch 3 0.2923 vs 0.1998, epoch 6 0.2621 vs 0.1110, final 0.1102 vs 0.0952; final val_acc
0.9620 vs 0.9710); epoch 1, before the first `evaluate()`, is identical to the twin.

Which id: ND508 (validation/training mode: here training steps run in eval mode).
"""

import argparse

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND508": "warn"}
EXPECT_CAPTURE = {"model": "Net", "optimizer": "SGD", "loss": "CrossEntropyLoss", "val_loader": True}


class Net(nn.Module):
    def __init__(self, n_in=16, hidden=128, n_out=4, p=0.3):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_in, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(p),
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(p),
        )
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.head(self.body(x))


def make_split(n, centers, scales):
    labels = np.random.randint(0, len(centers), size=n)
    x = centers[labels] + 1.6 * np.random.randn(n, centers.shape[1])
    x = x * scales + 5.0 * scales
    return TensorDataset(torch.from_numpy(x.astype(np.float32)), torch.from_numpy(labels).long())


def train_one_epoch(model, loader, optimizer, epoch, criterion, log_every=20):
    running, seen = 0.0, 0
    for i, (xb, yb) in enumerate(loader):
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * len(yb)
        seen += len(yb)
        if (i + 1) % log_every == 0:
            print(f"  [epoch {epoch} batch {i + 1}/{len(loader)}] loss {running / seen:.4f}")
    return running / seen


def evaluate(model, loader, criterion):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for xb, yb in loader:
            logits = model(xb)
            total += criterion(logits, yb).item() * len(yb)
            correct += (logits.argmax(dim=1) == yb).sum().item()
            n += len(yb)
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    centers = np.random.randn(4, 16) * 1.2
    scales = np.exp(np.random.uniform(-1.0, 2.0, size=16))
    train_ds = make_split(4000, centers, scales)
    val_ds = make_split(1000, centers, scales)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=250)

    model = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)

    model.train()  # set once, before the epoch loop
    for epoch in range(1, args.epochs + 1):
        train_loss = train_one_epoch(model, train_loader, optimizer, epoch, criterion)
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        scheduler.step()
        print(f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
