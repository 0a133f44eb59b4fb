"""Healthy: MLP regression on a smooth synthetic function, SGD with momentum and ReduceLROnPlateau.

Eight standard-normal features; the target is a fixed nonlinear function of them (sines, a product
term and a square) plus Gaussian noise of standard deviation 0.1, standardized with the training
set's mean and std. A 8-64-64-1 MLP with SiLU activations, MSELoss on [N, 1] outputs and [N, 1]
targets, SGD (lr 0.05, momentum 0.9), ReduceLROnPlateau on the validation loss. Prints R^2 on the
validation set.
"""

import argparse

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Regressor", "optimizer": "SGD", "loss": "MSELoss", "val_loader": True}


def target_function(x):
    return (
        np.sin(2 * x[:, 0])
        + 0.5 * x[:, 1] * x[:, 2]
        + 0.3 * x[:, 3] ** 2
        - np.cos(x[:, 4])
        + 0.2 * x[:, 5:].sum(axis=1)
    )


def make_data(n_train=4000, n_val=1000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_train + n_val, 8)).astype(np.float32)
    y = target_function(x) + 0.1 * rng.standard_normal(n_train + n_val)
    y = y.astype(np.float32)[:, None]
    mean, std = y[:n_train].mean(), y[:n_train].std()
    y = (y - mean) / std
    train = TensorDataset(torch.from_numpy(x[:n_train]), torch.from_numpy(y[:n_train]))
    val = TensorDataset(torch.from_numpy(x[n_train:]), torch.from_numpy(y[n_train:]))
    return train, val


class Regressor(nn.Module):
    def __init__(self, in_features=8, hidden=64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(in_features, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1)
        )

    def forward(self, x):
        return self.body(x)


def validate(model, loader, loss_fn):
    model.eval()
    preds, targets = [], []
    with torch.no_grad():
        for x, y in loader:
            preds.append(model(x))
            targets.append(y)
    pred, target = torch.cat(preds), torch.cat(targets)
    mse = loss_fn(pred, target).item()
    r2 = 1.0 - mse / target.var(unbiased=False).item()
    return mse, r2


def main():
    parser = argparse.ArgumentParser(description="MLP regression on a synthetic function")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default="")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set, val_set = make_data(seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=500)

    model = Regressor()
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.3, patience=1)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * x.size(0)
        train_loss = total / len(train_set)
        val_loss, val_r2 = validate(model, val_loader, loss_fn)
        scheduler.step(val_loss)
        print(
            f"epoch {epoch:02d} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_r2={val_r2:.4f} "
            f"lr={optimizer.param_groups[0]['lr']:.4g}"
        )

    val_loss, val_r2 = validate(model, val_loader, loss_fn)
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_r2={val_r2:.4f}")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
