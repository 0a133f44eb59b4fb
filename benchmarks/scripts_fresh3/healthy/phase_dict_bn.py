"""Healthy: the torchvision fine-tuning tutorial's loop, `for phase in ["train", "val"]`.

Six classes on 24 numpy-made features (class prototypes plus noise, 5% of the labels flipped),
one `TensorDataset` cut into train and validation with `torch.utils.data.random_split`. A
residual MLP with BatchNorm and Dropout. `train_model()` walks a `dataloaders` dict; each phase
sets the mode (`model.train()` / `model.eval()`), wraps the forward in
`torch.set_grad_enabled(phase == "train")`, counts `torch.sum(preds == labels.data)` and keeps
`copy.deepcopy(model.state_dict())` of the best validation accuracy, which is loaded at the end.
SGD with momentum and weight decay, StepLR(step_size=4, gamma=0.3) stepped after the train phase.
"""

import argparse
import copy
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "ResMLP", "optimizer": "SGD", "loss": "CrossEntropyLoss", "val_loader": True}


class Block(nn.Module):
    def __init__(self, width, p):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.bn = nn.BatchNorm1d(width)
        self.drop = nn.Dropout(p)

    def forward(self, x):
        return x + self.drop(torch.relu(self.bn(self.fc(x))))


class ResMLP(nn.Module):
    def __init__(self, n_in=24, width=128, n_classes=6, depth=2, p=0.2):
        super().__init__()
        self.stem = nn.Linear(n_in, width)
        self.blocks = nn.Sequential(*[Block(width, p) for _ in range(depth)])
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


def make_dataset(n, n_features=24, n_classes=6, flip=0.05):
    protos = np.random.randn(n_classes, n_features)
    labels = np.random.randint(0, n_classes, size=n)
    x = protos[labels] + 1.3 * np.random.randn(n, n_features)
    noisy = np.random.rand(n) < flip
    labels[noisy] = np.random.randint(0, n_classes, size=noisy.sum())
    return TensorDataset(torch.tensor(x, dtype=torch.float32), torch.tensor(labels))


def train_model(model, dataloaders, criterion, optimizer, scheduler, num_epochs):
    since = time.time()
    best_model_wts = copy.deepcopy(model.state_dict())
    best_acc = 0.0
    for epoch in range(1, num_epochs + 1):
        stats = {}
        for phase in ["train", "val"]:
            if phase == "train":
                model.train()
            else:
                model.eval()
            running_loss = 0.0
            running_corrects = 0
            for inputs, labels in dataloaders[phase]:
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    _, preds = torch.max(outputs, 1)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += torch.sum(preds == labels.data)
            if phase == "train":
                scheduler.step()
            n = len(dataloaders[phase].dataset)
            stats[phase] = (running_loss / n, running_corrects.double().item() / n)
            if phase == "val" and stats[phase][1] > best_acc:
                best_acc = stats[phase][1]
                best_model_wts = copy.deepcopy(model.state_dict())
        print(
            f"epoch {epoch} train_loss={stats['train'][0]:.4f} train_acc={stats['train'][1]:.4f} "
            f"val_loss={stats['val'][0]:.4f} val_acc={stats['val'][1]:.4f} lr={scheduler.get_last_lr()[0]:.2e}"
        )
    print(f"training complete in {time.time() - since:.1f}s, best val_acc {best_acc:.4f}")
    model.load_state_dict(best_model_wts)
    return model, stats


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--val-frac", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    full = make_dataset(3000)
    train_ds, val_ds = random_split(
        full, [1 - args.val_frac, args.val_frac], generator=torch.Generator().manual_seed(args.seed)
    )
    dataloaders = {
        "train": DataLoader(train_ds, batch_size=args.batch_size, shuffle=True),
        "val": DataLoader(val_ds, batch_size=256),
    }
    model = ResMLP()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.3)
    model, stats = train_model(model, dataloaders, criterion, optimizer, scheduler, args.epochs)
    print(f"final train_loss={stats['train'][0]:.4f} val_loss={stats['val'][0]:.4f} val_acc={stats['val'][1]:.4f}")


if __name__ == "__main__":
    main()
