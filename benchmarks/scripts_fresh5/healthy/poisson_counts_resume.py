"""Healthy: Poisson count regression, checkpoint to a temporary directory, resume into fresh objects.

Each row has 6 standardized Gaussian features and 2 raw count features (visits, purchases; Poisson
with rate about 9, so a zero is rare but possible). The target is a Poisson count whose log-rate is
a smooth function of all of them. The model takes `log1p` of the count columns inside `forward`
and outputs the log-rate; the loss is `nn.PoissonNLLLoss(log_input=True)`. Adam,
`CosineAnnealingLR` per epoch over all epochs, `torch.nn.utils.clip_grad_value_(..., 1.0)`.
Halfway through, the script saves model, optimizer, scheduler and epoch with `torch.save` into a
`tempfile.TemporaryDirectory()`, builds a new model / optimizer / scheduler, loads the checkpoint
and continues (as a job that is pre-empted and restarted would). Prints the validation deviance
per epoch against the constant-rate baseline's (`null_dev`).
Reference for log1p / an epsilon before a log of values that can be 0 (its twin
`broken/poisson_counts_log_zero.py` uses torch.log): https://runebook.dev/en/docs/pytorch/generated/torch.log
"""

import argparse
import os
import tempfile

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
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
        feats = torch.cat([dense, torch.log1p(counts) - 2.0], dim=1)
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
