"""Broken (ND503): the loss is `mse(log(pred), log(price))` with `pred = relu(net(x))`; a prediction reaches 0.

A house-price style regression: 12 standardized features, a positive target spanning two orders
of magnitude (log-normal, `price = exp(f(x))`). The author trains on the log scale for a
relative error, but takes the log of the model's prediction, kept "positive" by a final ReLU
and started near the mean price by initializing the output bias to it. SGD with momentum and a
StepLR per epoch. The fix is to let the network predict `log(price)` directly (or use
`softplus(...) + eps`).

Bug: small targets pull their predictions down along a gradient `2 (log p - log y) / p` that
grows as `p` shrinks; a step overshoots, the ReLU clips a prediction to exactly 0, and
`log(0) = -inf` makes the loss infinite (the ReLU's backward zeroes the infinite gradient of
those rows, so the weights stay finite and the run limps on).

How it shows (default arguments): train_loss inf in epochs 5 and 6, val_loss inf in epochs 4 and
5; the run never learns (final val_rel_err 4.1141). The same script with the network predicting
`log(price)` (output `self.out(...).exp()`, bias started at the mean log price) ends at val_loss
0.0519, val_rel_err 0.1981.

Which id: ND503 (the loss and then the weights turn non-finite during training).
"""

import argparse

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND503": "fail"}
EXPECT_CAPTURE = {"model": "PriceNet", "optimizer": "SGD", "loss": None, "val_loader": True}


class PriceNet(nn.Module):
    def __init__(self, n_in=12, hidden=64, init_price=1.0):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.out = nn.Linear(hidden, 1)
        nn.init.constant_(self.out.bias, init_price)

    def forward(self, x):
        return F.relu(self.out(self.body(x))).squeeze(-1)


def make_data(n, w, g):
    x = torch.randn(n, 12, generator=g)
    log_price = 3.0 + x @ w + 0.3 * torch.sin(3 * x[:, 0]) + 0.05 * torch.randn(n, generator=g)
    return TensorDataset(x, log_price.exp())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    w = 0.35 * torch.randn(12, generator=g)
    train_ds, val_ds = make_data(4000, w, g), make_data(1000, w, g)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=500)

    model = PriceNet(init_price=float(train_ds.tensors[1].mean()))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = F.mse_loss(torch.log(model(xb)), torch.log(yb))
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            n += len(yb)
        scheduler.step()
        model.eval()
        se, rel, m = 0.0, 0.0, 0
        with torch.no_grad():
            for xb, yb in val_loader:
                pred = model(xb)
                se += F.mse_loss(torch.log(pred), torch.log(yb), reduction="sum").item()
                rel += ((pred - yb).abs() / yb).sum().item()
                m += len(yb)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={se / m:.4f} val_rel_err={rel / m:.4f}")
    print(f"final train_loss={total / n:.4f} val_loss={se / m:.4f} val_rel_err={rel / m:.4f}")


if __name__ == "__main__":
    main()
