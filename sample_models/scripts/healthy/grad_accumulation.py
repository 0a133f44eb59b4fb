"""Healthy: gradient accumulation done right on a 3-arm spiral (small micro-batches, SGD).

The data is the classic 2-d spiral with three interleaved arms (one class per arm, a little noise).
Memory-bound scripts split an effective batch of 64 into 8 micro-batches of 8 and call
optimizer.step() once per 8 backward passes. Each micro-batch loss is divided by the number of
accumulation steps, so the accumulated gradient is the mean over the effective batch (the same
gradient a batch of 64 gives) and the LR tuned for batch 64 stays right. A trailing partial group
at the end of an epoch is stepped too, scaled by its own size. SGD with momentum and a StepLR.
"""

import argparse
import math

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "SpiralNet", "optimizer": "SGD", "loss": "CrossEntropyLoss", "val_loader": True}


class Spiral(Dataset):
    def __init__(self, n_per_class, arms=3, noise=0.15, seed=0):
        g = torch.Generator().manual_seed(seed)
        xs, ys = [], []
        for arm in range(arms):
            r = torch.linspace(0.05, 1.0, n_per_class)
            theta = arm * 2 * math.pi / arms + 4.0 * r + noise * torch.randn(n_per_class, generator=g)
            xs.append(torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1))
            ys.append(torch.full((n_per_class,), arm))
        self.x = torch.cat(xs) * 2.0
        self.y = torch.cat(ys)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class SpiralNet(nn.Module):
    def __init__(self, hidden=64, classes=3):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, classes)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.out(self.act(self.fc2(self.act(self.fc1(x)))))


def evaluate(model, loader, loss_fn):
    model.eval()
    loss, correct, total = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss += loss_fn(out, y).item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
            total += len(y)
    return loss / total, correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--micro-batch", type=int, default=8)
    ap.add_argument("--accum-steps", type=int, default=8, help="micro-batches per optimizer step")
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", default="")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    train_loader = DataLoader(Spiral(600, seed=args.seed), batch_size=args.micro_batch, shuffle=True)
    val_loader = DataLoader(Spiral(300, seed=args.seed + 1), batch_size=300)
    model = SpiralNet()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)

    n_batches = len(train_loader)
    for epoch in range(args.epochs):
        model.train()
        optimizer.zero_grad()
        epoch_loss, seen = 0.0, 0
        for i, (x, y) in enumerate(train_loader):
            group_start = i - i % args.accum_steps
            group_size = min(args.accum_steps, n_batches - group_start)  # the last group may be short
            loss = loss_fn(model(x), y)
            (loss / group_size).backward()
            epoch_loss += loss.item() * len(y)
            seen += len(y)
            if (i + 1) % args.accum_steps == 0 or i + 1 == n_batches:
                optimizer.step()
                optimizer.zero_grad()
        scheduler.step()
        val_loss, val_acc = evaluate(model, val_loader, loss_fn)
        print(
            f"epoch {epoch + 1}: train_loss={epoch_loss / seen:.4f} val_loss={val_loss:.4f} "
            f"val_acc={val_acc:.4f} lr={scheduler.get_last_lr()[0]:.4f}"
        )

    val_loss, val_acc = evaluate(model, val_loader, loss_fn)
    print(f"final train_loss={epoch_loss / seen:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
