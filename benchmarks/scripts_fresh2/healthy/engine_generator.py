"""Healthy: an `Engine` class fed by a plain generator of batches (no DataLoader).

A regression of a smooth 10-d function (sines and a product term plus noise), arrays made with
numpy (`np.random.seed` and `torch.manual_seed`). `batches()` is a generator that shuffles the
indices with a numpy RandomState each epoch and yields `(x, y)` tensors. The model is an MLP with
LayerNorm and GELU. AdamW with two parameter groups (weight decay for the weight matrices, none
for biases and LayerNorm parameters), `CosineAnnealingWarmRestarts(T_0=2, T_mult=2)` stepped per
batch with a fractional epoch (the documented way), `clip_grad_value_(0.5)`, and
`optimizer.zero_grad(set_to_none=True)` at the end of each step rather than the start. The
`Engine` owns the model, optimizer and scheduler and has `train_epoch()`, `validate()` and `fit()`;
a `--overfit-batch` debugging flag (off by default) makes it train on its first batch only.
"""

import argparse

import numpy as np
import torch
from torch import nn

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Regressor", "optimizer": "AdamW", "loss": "MSELoss", "val_loader": False}


class Regressor(nn.Module):
    def __init__(self, n_in=10, hidden=96):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, hidden),
            nn.LayerNorm(hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.LayerNorm(hidden),
            nn.GELU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def target(x):
    return np.sin(2.0 * x[:, 0]) + 0.5 * x[:, 1] * x[:, 2] + np.cos(x[:, 3] - x[:, 4]) + 0.3 * x[:, 5:].sum(1)


def make_arrays(n):
    x = np.random.randn(n, 10).astype(np.float32)
    y = (target(x) + 0.1 * np.random.randn(n)).astype(np.float32)
    return x, y


def batches(x, y, batch_size, shuffle=False, rng=None):
    idx = np.arange(len(x))
    if shuffle:
        rng.shuffle(idx)
    for start in range(0, len(idx), batch_size):
        sel = idx[start : start + batch_size]
        yield torch.from_numpy(x[sel]), torch.from_numpy(y[sel])


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for _name, p in model.named_parameters():
        (no_decay if p.ndim < 2 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


class Engine:
    def __init__(self, model, train_xy, val_xy, args):
        self.model = model
        self.train_xy, self.val_xy = train_xy, val_xy
        self.args = args
        self.rng = np.random.RandomState(args.seed)
        self.criterion = nn.MSELoss()
        self.optimizer = torch.optim.AdamW(param_groups(model, 0.01), lr=args.lr)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(self.optimizer, T_0=2, T_mult=2)
        self.steps_per_epoch = -(-len(train_xy[0]) // args.batch_size)
        self.first_batch = None

    def train_epoch(self, epoch):
        self.model.train()
        total, n = 0.0, 0
        for i, (xb, yb) in enumerate(batches(*self.train_xy, self.args.batch_size, True, self.rng)):
            if self.args.overfit_batch:  # debugging aid: can the model memorize one batch?
                if self.first_batch is None:
                    self.first_batch = (xb, yb)
                xb, yb = self.first_batch
            loss = self.criterion(self.model(xb), yb)
            loss.backward()
            nn.utils.clip_grad_value_(self.model.parameters(), 0.5)
            self.optimizer.step()
            self.scheduler.step(epoch + i / self.steps_per_epoch)
            self.optimizer.zero_grad(set_to_none=True)
            total += loss.item() * len(yb)
            n += len(yb)
        return total / n

    @torch.no_grad()
    def validate(self):
        self.model.eval()
        se, n = 0.0, 0
        for xb, yb in batches(*self.val_xy, 500):
            se += ((self.model(xb) - yb) ** 2).sum().item()
            n += len(yb)
        mse = se / n
        return mse, 1.0 - mse / float(np.var(self.val_xy[1]))

    def fit(self):
        for epoch in range(self.args.epochs):
            train_loss = self.train_epoch(epoch)
            val_loss, r2 = self.validate()
            lr = self.optimizer.param_groups[0]["lr"]
            print(f"epoch {epoch + 1} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_r2={r2:.4f} lr={lr:.2e}")
        print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_r2={r2:.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overfit-batch", action="store_true", help="train on the first batch only")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    train_xy, val_xy = make_arrays(4000), make_arrays(1000)
    Engine(Regressor(), train_xy, val_xy, args).fit()


if __name__ == "__main__":
    main()
