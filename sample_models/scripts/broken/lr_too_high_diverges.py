"""Broken (ND504, diverging): linear regression with plain SGD at a learning rate just past the stable limit.

Eight correlated features (a shared factor plus noise, the way size, rooms and floor area of a house
move together), standardized; the target is a linear function of them plus noise, standardized. The
model is a single nn.Linear, the loss MSE, plain SGD without momentum at lr=0.16, batch 100.

For MSE on a linear model, SGD is stable only while lr < 2 / lambda_max of the loss's Hessian
(2 * X^T X / n including the bias). The features' correlation puts lambda_max at 13.2, so the limit
is 0.151: lr=0.15 converges (loss ~0.01), lr=0.16 does not. Along the top eigen-direction every
step multiplies the error by |1 - lr * lambda_max| = 1.115, so the loss grows geometrically while
staying finite for the default 8 epochs (at lr=0.2 it overflows to inf by epoch 5).

How it shows: the training loss rises in every epoch, from ~3.5 in epoch 1 to ~3e8 in epoch 8, and
the validation loss with it; the R^2 goes hugely negative. No NaN within the default run.

Public reports: "Why is my loss function increasing with each epoch?" (fixeme.com: a one-feature
linear regression with SGD whose loss multiplies ~3.5x per epoch until the LR is lowered); "Why can
the learning rate make the loss increase in stochastic gradient descent?" (ai.stackexchange.com
#9914, the L = theta^2 example).
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND504": "warn", "ND505": "warn"}
EXPECT_CAPTURE = {"model": "PriceModel", "optimizer": "SGD", "loss": "MSELoss", "val_loader": True}


def make_data(n_train=2000, n_val=500, features=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    n = n_train + n_val
    shared = torch.randn(n, 1, generator=g)
    x = shared + 0.5 * torch.randn(n, features, generator=g)
    w = torch.randn(features, 1, generator=g)
    y = x @ w + 0.3 * torch.randn(n, 1, generator=g)
    x_mean, x_std = x[:n_train].mean(0), x[:n_train].std(0)
    y_mean, y_std = y[:n_train].mean(), y[:n_train].std()
    x, y = (x - x_mean) / x_std, (y - y_mean) / y_std
    return TensorDataset(x[:n_train], y[:n_train]), TensorDataset(x[n_train:], y[n_train:])


class PriceModel(nn.Module):
    def __init__(self, features=8):
        super().__init__()
        self.linear = nn.Linear(features, 1)

    def forward(self, x):
        return self.linear(x)


def validate(model, loader, loss_fn):
    model.eval()
    with torch.no_grad():
        losses, counts, ys = [], [], []
        for x, y in loader:
            losses.append(loss_fn(model(x), y).item() * len(y))
            counts.append(len(y))
            ys.append(y)
    mse = sum(losses) / sum(counts)
    return mse, 1.0 - mse / torch.cat(ys).var(unbiased=False).item()


def main():
    parser = argparse.ArgumentParser(description="Linear regression on correlated features")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default="")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set, val_set = make_data(seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=args.batch_size)
    model = PriceModel()
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        train_loss = total / len(train_loader)
        val_loss, val_r2 = validate(model, val_loader, loss_fn)
        print(f"epoch {epoch} train_loss={train_loss:.4g} val_loss={val_loss:.4g} val_r2={val_r2:.4g}")

    val_loss, val_r2 = validate(model, val_loader, loss_fn)
    print(f"final train_loss={train_loss:.4g} val_loss={val_loss:.4g} val_r2={val_r2:.4g}")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
