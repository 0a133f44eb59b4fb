"""Healthy: the whole training loop lives under `if __name__ == "__main__":` (no main()).

A binary classifier on 12 tabular features whose label is a fixed nonlinear rule (an XOR of two
linear scores); the data is one TensorDataset split into train/validation with
`torch.utils.data.Subset` over a seeded permutation. BCEWithLogitsLoss, SGD with Nesterov
momentum, MultiStepLR at epochs 6 and 9. Everything (argparse included) is top-level code in the
`__main__` block, the way quick experiment scripts are often written.
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Sequential", "optimizer": "SGD", "loss": "BCEWithLogitsLoss", "val_loader": True}


def make_data(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 12, generator=g)
    a, b = torch.randn(12, generator=g), torch.randn(12, generator=g)
    y = (((x @ a) > 0) ^ ((x @ b) > 0)).float().unsqueeze(1)
    return TensorDataset(x, y)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    data = make_data(3000, args.seed)
    perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(7)).tolist()
    train_loader = DataLoader(Subset(data, perm[:2400]), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(Subset(data, perm[2400:]), batch_size=300)

    model = nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    criterion = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[6, 9], gamma=0.3)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            n += len(yb)
        scheduler.step()
        model.eval()
        val_loss, correct, m = 0.0, 0, 0
        with torch.no_grad():
            for xb, yb in val_loader:
                logits = model(xb)
                val_loss += criterion(logits, yb).item() * len(yb)
                correct += ((logits > 0).float() == yb).sum().item()
                m += len(yb)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss / m:.4f} val_acc={correct / m:.4f}")
    print(f"final train_loss={total / n:.4f} val_loss={val_loss / m:.4f} val_acc={correct / m:.4f}")
