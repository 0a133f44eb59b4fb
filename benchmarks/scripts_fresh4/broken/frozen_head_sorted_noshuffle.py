"""Broken: class-sorted training data with `shuffle=False`: the head chases one class at a time.

Twin of `healthy/frozen_backbone_head.py` with one change: the training `DataLoader` is built
with `shuffle=False` over storage generated class by class (600 rows of class 0, then class 1,
...). Every epoch walks 19 batches of class 0, then of class 1, and so on; the linear head with
momentum is pushed towards the current class and ends each epoch predicting mostly the last one.
Shows in the printed numbers: epoch-1 validation accuracy 0.25 (chance) and loss far above ln 4,
ending well below the twin's accuracy. Check: ND509 (data order). Public reports: Stack Overflow
"validation accuracy stuck at 1/num_classes, forgot shuffle=True".
"""

import argparse

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND509": "warn"}
EXPECT_CAPTURE = {
    "model": "FrozenEncoderClassifier",
    "optimizer": "SGD",
    "loss": "CrossEntropyLoss",
    "val_loader": True,
}


class FrozenEncoderClassifier(nn.Module):
    def __init__(self, n_in, width, n_classes):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(n_in, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU())
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def class_by_class(n_per_class, centres, rng):
    xs, ys = [], []
    for label, centre in enumerate(centres):
        xs.append(centre + rng.normal(0.0, 1.2, size=(n_per_class, centres.shape[1])))
        ys.append(np.full(n_per_class, label))
    return torch.tensor(np.concatenate(xs), dtype=torch.float32), torch.tensor(np.concatenate(ys), dtype=torch.long)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    centres = rng.normal(0.0, 0.6, size=(4, 32))
    x_tr, y_tr = class_by_class(600, centres, rng)
    x_va, y_va = class_by_class(200, centres, rng)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=False)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=200)

    model = FrozenEncoderClassifier(32, 256, 4)
    model.backbone.requires_grad_(False)
    optimizer = torch.optim.SGD(model.head.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[6, 9], gamma=0.2)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.05)

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
        scheduler.step()
        model.eval()
        v_total, correct = 0.0, 0
        with torch.no_grad():
            for x, y in val_loader:
                logits = model(x)
                v_total += criterion(logits, y).item() * len(y)
                correct += (logits.argmax(dim=1) == y).sum().item()
        train_loss, val_loss, val_acc = total / n, v_total / len(y_va), correct / len(y_va)
        print(f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
