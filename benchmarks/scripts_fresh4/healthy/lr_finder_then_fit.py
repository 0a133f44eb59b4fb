"""Healthy: a hand-written learning-rate range test before training, then a StepLR fit.

Three interleaved noisy spirals in 2-d plus 8 weak features from a fixed random map (seeded), in a
`TensorDataset`. Before training, the script runs its own LR finder: it saves the model and
optimizer state (`copy.deepcopy(...state_dict())`), raises the LR of SGD (momentum 0.9)
exponentially from 1e-4 to 10 over at most 100 batches, records the smoothed loss, stops once it
exceeds 4x the best, picks a tenth of the LR at the lowest smoothed loss, and restores both
states. It then trains with the picked LR, `StepLR(step_size=4, gamma=0.3)` per epoch,
`nn.CrossEntropyLoss`, a ReLU MLP. Prints the finder's pick, then one line per epoch.
"""

import argparse
import copy
import math

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Sequential", "optimizer": "SGD", "loss": "CrossEntropyLoss", "val_loader": True}


def spirals(n, lift, rng):
    labels = rng.integers(0, 3, size=n)
    r = rng.uniform(0.1, 1.0, size=n)
    theta = 7.0 * r + labels * 2 * math.pi / 3 + rng.normal(0.0, 0.25, size=n)
    xy = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    x = np.concatenate([xy, 0.3 * np.tanh(xy @ lift)], axis=1)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(labels, dtype=torch.long)


def find_lr(model, optimizer, criterion, loader, start=1e-4, end=10.0, max_batches=100):
    saved_model = copy.deepcopy(model.state_dict())
    saved_opt = copy.deepcopy(optimizer.state_dict())
    factor = (end / start) ** (1.0 / (max_batches - 1))
    lr, best, smooth, history = start, float("inf"), None, []
    model.train()
    batches = iter(loader)
    for i in range(max_batches):
        try:
            x, y = next(batches)
        except StopIteration:
            batches = iter(loader)
            x, y = next(batches)
        for g in optimizer.param_groups:
            g["lr"] = lr
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        smooth = loss.item() if smooth is None else 0.9 * smooth + 0.1 * loss.item()
        corrected = smooth / (1 - 0.9 ** (i + 1))
        history.append((lr, corrected))
        best = min(best, corrected)
        if corrected > 4 * best or not math.isfinite(corrected):
            break
        lr *= factor
    model.load_state_dict(saved_model)
    optimizer.load_state_dict(saved_opt)
    best_lr = min(history, key=lambda item: item[1])[0]
    return best_lr / 10, len(history)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    lift = rng.normal(0.0, 2.0, size=(2, 8))
    x_tr, y_tr = spirals(3000, lift, rng)
    x_va, y_va = spirals(900, lift, rng)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=300)

    model = nn.Sequential(nn.Linear(10, 48), nn.ReLU(), nn.Linear(48, 48), nn.ReLU(), nn.Linear(48, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    picked, tried = find_lr(model, optimizer, criterion, train_loader)
    for g in optimizer.param_groups:
        g["lr"] = picked
        g["initial_lr"] = picked
    print(f"lr finder: {tried} batches, picked lr={picked:.3e}")
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.3)

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
        with torch.no_grad():
            logits = torch.cat([model(x) for x, _ in val_loader])
            val_loss = criterion(logits, y_va).item()
            val_acc = (logits.argmax(1) == y_va).float().mean().item()
        train_loss = total / n
        print(
            f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} "
            f"lr={optimizer.param_groups[0]['lr']:.2e}"
        )
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
