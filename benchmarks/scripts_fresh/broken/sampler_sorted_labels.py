"""Broken (ND509): the custom Sampler shuffles, then stable-sorts the indices by label.

Twin of healthy/custom_sampler.py with one change: `EpochShuffleSampler.__iter__` sorts its
permutation by class label ("group similar samples"), so every epoch feeds all of class 0, then
all of class 1, ... The DataLoader has no `shuffle=` at all, so the usual "did you set
shuffle=True" review does not catch it.

How it shows: each stretch of steps drags the model toward the class it sees; the training loss
is high while it chases one class at a time and the final validation loss is far above the
twin's (0.88 vs 0.50) and the accuracy below it (0.80 vs 0.85).

Public reports: vlfeat/matconvnet#393 (a dataset ordered by label gives single-class batches;
the answer: "detrimental to the learning process"), huggingface/sentence-transformers#2920
(a label-grouping batch sampler producing single-class batches), jakubmonhart/mil_pytorch#7
(batches from a single class).

Which id: ND509 (training batches arrive in runs of one class).
"""

import argparse
import sys

import torch
from torch import nn
from torch.utils.data import DataLoader, Sampler, TensorDataset

FIRES = {"ND509": "warn"}
EXPECT_CAPTURE = {"model": "BlobMLP", "optimizer": "Adam", "loss": "CrossEntropyLoss", "val_loader": True}

CLASSES, DIM = 5, 16


def make_blobs(per_class, seed):
    g = torch.Generator().manual_seed(99)
    centers = 0.5 * torch.randn(CLASSES, DIM, generator=g)
    g = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    for c in range(CLASSES):  # stored class by class
        xs.append(centers[c] + torch.randn(per_class, DIM, generator=g))
        ys.append(torch.full((per_class,), c))
    return TensorDataset(torch.cat(xs), torch.cat(ys))


class EpochShuffleSampler(Sampler):
    def __init__(self, dataset, seed=0):
        self.n = len(dataset)
        self.labels = dataset.tensors[1]
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __len__(self):
        return self.n

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(self.n, generator=g)
        # BUG: "group similar samples for cache locality" -- a stable sort by label undoes the shuffle
        labels = self.labels[order]
        return iter(order[torch.argsort(labels, stable=True)].tolist())


class BlobMLP(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.fc1 = nn.Linear(DIM, hidden)
        self.fc2 = nn.Linear(hidden, CLASSES)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def evaluate(model, loader, criterion):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            total += criterion(logits, y).item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            n += len(y)
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set = make_blobs(500, args.seed)
    sampler = EpochShuffleSampler(train_set, seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
    val_loader = DataLoader(make_blobs(150, args.seed + 1), batch_size=250)
    model = BlobMLP()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.8)

    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
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
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
