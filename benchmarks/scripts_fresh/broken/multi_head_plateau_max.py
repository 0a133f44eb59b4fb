"""Broken (ND502): `ReduceLROnPlateau(mode="max")` is fed the validation loss.

Twin of healthy/multi_head_weighted.py with one change: the scheduler was copied from a script
that monitored accuracy and kept `mode="max"`, but it is stepped with the validation loss. Every
epoch the loss goes down, which in "max" mode is no improvement, so each epoch after the first
multiplies the LR by 0.2: 2e-3, 4e-4, 8e-5, 1.6e-5, ... and training stalls after three epochs.

How it shows: the printed `lr` falls by x0.2 every epoch from epoch 2 on; the validation loss
stops improving early and ends well above the twin's.

Public reports: FunctionLab/selene#115 (ReduceLROnPlateau left in "max" mode after switching
the monitored metric from AUROC to loss), RMeli/gnina-torch#57 (fix: mode=max -> mode=min for a
loss), Lightning-AI/pytorch-lightning#673 (validation loss decreasing while the scheduler keeps
reducing the LR).

Which id: ND502 (the schedule drives the LR to under 1% of its peak in the first half).
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND502": "warn"}
EXPECT_CAPTURE = {"model": "TwoHeadNet", "optimizer": "Adam", "loss": "CrossEntropyLoss", "val_loader": True}


def make_rows(n, seed):
    g = torch.Generator().manual_seed(1234)  # the same task for every split
    w_cls = torch.randn(10, 3, generator=g)
    w_reg = torch.randn(10, generator=g)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 10, generator=g)
    label = (x @ w_cls).argmax(1)
    value = torch.sin(x @ w_reg / 3) + 0.1 * torch.randn(n, generator=g)
    return TensorDataset(x, label, value.unsqueeze(1))


class TwoHeadNet(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(10, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.cls_head = nn.Linear(hidden, 3)
        self.reg_head = nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.trunk(x)
        return self.cls_head(h), self.reg_head(h)


def evaluate(model, loader, ce, mse, reg_weight):
    model.eval()
    total, correct, sq, n = 0.0, 0, 0.0, 0
    with torch.no_grad():
        for x, label, value in loader:
            logits, pred = model(x)
            total += (ce(logits, label) + reg_weight * mse(pred, value)).item() * len(x)
            correct += (logits.argmax(1) == label).sum().item()
            sq += ((pred - value) ** 2).sum().item()
            n += len(x)
    return total / n, correct / n, sq / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--reg-weight", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_loader = DataLoader(make_rows(3000, args.seed), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(make_rows(1000, args.seed + 1), batch_size=250)
    model = TwoHeadNet()
    ce, mse = nn.CrossEntropyLoss(), nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="max", factor=0.2, patience=0
    )  # BUG: mode="max" for a loss

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for x, label, value in train_loader:
            optimizer.zero_grad()
            logits, pred = model(x)
            loss = ce(logits, label) + args.reg_weight * mse(pred, value)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            n += len(x)
        val_loss, val_acc, val_mse = evaluate(model, val_loader, ce, mse, args.reg_weight)
        scheduler.step(val_loss)
        lr = optimizer.param_groups[0]["lr"]
        print(
            f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} "
            f"val_mse={val_mse:.4f} lr={lr:.2e}"
        )
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} val_mse={val_mse:.4f}")


if __name__ == "__main__":
    main()
