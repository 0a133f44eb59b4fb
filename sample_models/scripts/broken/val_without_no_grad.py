"""Broken (ND508): validation runs without torch.no_grad(), so autograd records every forward pass.

The healthy twin is healthy/cnn_classifier.py; this copy drops the `with torch.no_grad():` around the
validation loop (model.eval() is still called). Every validation forward pass builds an autograd
graph and keeps the activations it would need for a backward pass that never comes, here for one
batch of all 3000 validation images.

How it shows: not in the metrics. Every printed number (losses, accuracies, LR) is identical to the
twin's, digit for digit, because grad mode does not change the forward arithmetic. It shows in
memory: the process's peak RSS is higher by about the size of the activations autograd saves for
one validation batch (~80-100 MB here; benchmarks/scripts_verify.py measures it). On a GPU the
same thing is the classic "CUDA out of memory during validation, but training fits". A check must look at grad mode
(torch.is_grad_enabled() or output.requires_grad during the evaluation forward passes), not at the
numbers.

Public reports: hszhao/semseg#60 ("out of memory" during validation, fixed by torch.no_grad()),
skorch-dev/skorch#218 (memory grows with every validation batch), OpenNMT/OpenNMT-py#1141,
facebookresearch/fairchem#199 (validation memory higher than training until no_grad).
"""

import argparse
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

FIRES = {"ND508": "warn"}
EXPECT_CAPTURE = {"model": "StrokeCNN", "optimizer": "SGD", "loss": "CrossEntropyLoss", "val_loader": True}

CLASSES = ("horizontal", "vertical", "diagonal", "anti-diagonal")
NUM_CLASSES = len(CLASSES)


class StrokeImages(Dataset):
    """Noisy 16x16 images with one stroke each; generated once from a seed."""

    def __init__(self, n, size=16, length=7, noise=0.7, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.images = noise * torch.randn(n, 1, size, size, generator=g)
        self.labels = torch.randint(0, len(CLASSES), (n,), generator=g)
        steps = torch.arange(length)
        for i in range(n):
            r, c = torch.randint(length, size - length, (2,), generator=g).tolist()
            brightness = 1.0 + torch.rand(1, generator=g).item()
            label = self.labels[i].item()
            if label == 0:
                rows, cols = torch.full_like(steps, r), c + steps - length // 2
            elif label == 1:
                rows, cols = r + steps - length // 2, torch.full_like(steps, c)
            elif label == 2:
                rows, cols = r + steps - length // 2, c + steps - length // 2
            else:
                rows, cols = r + steps - length // 2, c - steps + length // 2
            self.images[i, 0, rows, cols] += brightness

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.images[index], self.labels[index]


def conv_block(c_in, c_out):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class StrokeCNN(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.features = nn.Sequential(conv_block(1, 16), conv_block(16, 32))
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(32 * 4 * 4, num_classes))

    def forward(self, x):
        return self.head(self.features(x))


def evaluate(model, loader, criterion):
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for images, labels in loader:
        logits = model(images)
        total_loss += criterion(logits, labels).item() * len(labels)
        correct += (logits.argmax(1) == labels).sum().item()
        count += len(labels)
    return total_loss / count, correct / count


def train_one_epoch(model, loader, criterion, optimizer):
    model.train()
    total_loss, count = 0.0, 0
    for images, labels in loader:
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(labels)
        count += len(labels)
    return total_loss / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--val-batch-size", type=int, default=3000)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", default="")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_loader = DataLoader(StrokeImages(2000, seed=args.seed), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(StrokeImages(3000, seed=args.seed + 1000), batch_size=args.val_batch_size)

    model = StrokeCNN()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=args.lr, momentum=args.momentum, nesterov=True, weight_decay=args.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        train_loss = train_one_epoch(model, train_loader, criterion, optimizer)
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step()
        print(
            f"epoch {epoch + 1}/{args.epochs} train_loss={train_loss:.4f} val_loss={val_loss:.4f} "
            f"val_acc={val_acc:.4f} lr={lr:.4f} time={time.perf_counter() - t0:.1f}s"
        )

    val_loss, val_acc = evaluate(model, val_loader, criterion)
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
