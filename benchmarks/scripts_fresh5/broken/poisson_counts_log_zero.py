"""Broken: `torch.log` of a count feature that is zero for one row: NaN gradients mid-epoch.

Twin of `healthy/poisson_counts_resume.py` with one change: the model takes `torch.log(counts)`
instead of `torch.log1p(counts)`. Counts are Poisson with rate 9, so a zero is rare: one row of
the 8000 training rows has one. It arrives at step 62 of the 125 steps of epoch 1 (measured with a
probe copy of the script, `/tmp/sf5_probe_poisson.py`, not part of the set): the feature is -inf,
the first Tanh saturates so the loss is still finite (0.0185), but the gradient is NaN
(0 slope x -inf input); `clip_grad_value_` passes NaN through, Adam writes it into the weights,
and from step 63 on every loss is NaN. Shows in the printed numbers: train_loss, val_loss and
val_dev are nan from epoch 1 to 18, across the checkpoint resume (twin: val_dev 1.3857 against the
constant-rate baseline's null_dev 3.3850). Check: ND503 (non-finite values during training).
Public report: https://runebook.dev/en/docs/pytorch/generated/torch.log (torch.log of 0 gives -inf,
then NaN spreads through training; add an epsilon or use log1p).
"""

import argparse
import os
import tempfile

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND503": "fail"}
EXPECT_CAPTURE = {"model": "CountRegressor", "optimizer": "Adam", "loss": "PoissonNLLLoss", "val_loader": True}

N_DENSE, N_COUNT = 6, 2


class CountRegressor(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(N_DENSE + N_COUNT, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1)
        )

    def forward(self, x):
        dense, counts = x[:, :N_DENSE], x[:, N_DENSE:]
        feats = torch.cat([dense, torch.log(counts) - 2.0], dim=1)
        return self.net(feats).squeeze(1)


def make_rows(n, gen):
    dense = torch.randn(n, N_DENSE, generator=gen)
    counts = torch.poisson(torch.full((n, N_COUNT), 9.0), generator=gen)
    log_rate = (
        0.6 * torch.sin(dense[:, 0] * 1.5)
        + 0.4 * dense[:, 1] * dense[:, 2]
        + 0.5 * (torch.log1p(counts[:, 0]) - 2.3)
        - 0.3 * (torch.log1p(counts[:, 1]) - 2.3)
        + 1.0
    )
    y = torch.poisson(log_rate.exp(), generator=gen)
    return torch.cat([dense, counts], dim=1), y


def deviance(log_rate, y):
    """Mean Poisson deviance of predicted log-rates."""
    mu = log_rate.exp()
    term = torch.where(y > 0, y * torch.log(y.clamp(min=1) / mu), torch.zeros_like(y))
    return (2 * (term - (y - mu))).mean().item()


def build(args):
    model = CountRegressor(args.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    return model, optimizer, scheduler


def run_epoch(model, optimizer, loader, criterion):
    model.train()
    total, n = 0.0, 0
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), 1.0)
        optimizer.step()
        total += loss.item() * len(y)
        n += len(y)
    return total / n


def validate(model, loader, criterion):
    model.eval()
    outs, ys, total = [], [], 0.0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            total += criterion(out, y).item() * len(y)
            outs.append(out)
            ys.append(y)
    out, y = torch.cat(outs), torch.cat(ys)
    return total / len(y), deviance(out, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=18)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--hidden", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    x_tr, y_tr = make_rows(8000, gen)
    x_va, y_va = make_rows(1500, gen)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=500)
    null_dev = deviance(torch.full_like(y_va, y_tr.mean().log().item()), y_va)

    criterion = nn.PoissonNLLLoss(log_input=True)
    model, optimizer, scheduler = build(args)
    resume_at = args.epochs // 2
    with tempfile.TemporaryDirectory() as ckpt_dir:
        ckpt_path = os.path.join(ckpt_dir, "last.pt")
        epoch = 1
        while epoch <= args.epochs:
            train_loss = run_epoch(model, optimizer, train_loader, criterion)
            scheduler.step()
            val_loss, val_dev = validate(model, val_loader, criterion)
            print(
                f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} "
                f"val_dev={val_dev:.4f} null_dev={null_dev:.4f}"
            )
            if epoch == resume_at:
                state = {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "epoch": epoch,
                }
                torch.save(state, ckpt_path)
                model, optimizer, scheduler = build(args)
                ckpt = torch.load(ckpt_path)
                model.load_state_dict(ckpt["model"])
                optimizer.load_state_dict(ckpt["optimizer"])
                scheduler.load_state_dict(ckpt["scheduler"])
                epoch = ckpt["epoch"]
                print(f"resumed from {os.path.basename(ckpt_path)} at epoch {epoch}")
            epoch += 1
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_dev={val_dev:.4f} null_dev={null_dev:.4f}")


if __name__ == "__main__":
    main()
