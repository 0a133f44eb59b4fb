"""Healthy: a two-head model (tuple output) trained on a weighted sum of two losses.

Ten tabular features; each row has a class (3 classes, from a fixed teacher) and a continuous
target (a smooth function of the same features). A shared trunk feeds a classification head and
a regression head; `forward` returns the tuple `(logits, value)`. The loss is
`CrossEntropyLoss + 0.5 * MSELoss`. Adam, ReduceLROnPlateau on the validation loss (factor 0.2,
no patience), per-epoch metrics for both heads.
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
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
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.2, patience=0)

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
