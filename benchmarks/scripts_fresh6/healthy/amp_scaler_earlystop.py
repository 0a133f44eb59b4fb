"""Healthy: CPU bf16 autocast with a `torch.amp.GradScaler`, early stopping on a saved best checkpoint.

Regression of a smooth 10-d target (sums of sines and products of the features, plus noise) with a
LayerNorm + SiLU MLP. The loop is the AMP recipe written for a GPU and kept on `device = "cpu"`:
the forward and loss under `torch.autocast(device_type="cpu", dtype=torch.bfloat16)`, a
`torch.amp.GradScaler("cpu")` (enabled), `scaler.scale(loss).backward()`,
`scaler.step(optimizer)`, `scaler.update()`. SGD with Nesterov momentum, `ExponentialLR` per
epoch, MSELoss. Early stopping with patience 3: the best model is saved with `torch.save` into a
`tempfile.TemporaryDirectory()` and loaded back at the end. Prints one `epoch ...` line per epoch
(with the scaler's current scale) and a `final ...` line for the restored best weights.
Reference for the scaler recipe (its twin `broken/amp_scaler_step_bypassed.py` calls
`optimizer.step()` directly on the scaled gradients):
https://github.com/IAHispano/Applio/pull/860
"""

import argparse
import os
import tempfile

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Regressor", "optimizer": "SGD", "loss": "MSELoss", "val_loader": True}

N_FEATURES = 10


class Regressor(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(N_FEATURES, hidden),
            nn.LayerNorm(hidden),
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.SiLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(1)


def make_rows(n, gen):
    x = torch.rand(n, N_FEATURES, generator=gen) * 2 - 1
    y = (
        torch.sin(3 * x[:, 0])
        + x[:, 1] * x[:, 2]
        + 0.5 * torch.cos(2 * x[:, 3] + x[:, 4])
        + 0.3 * x[:, 5] ** 2
        - 0.4 * x[:, 6]
        + 0.05 * torch.randn(n, generator=gen)
    )
    return x, y


def evaluate(model, loader, criterion, device):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad(), torch.autocast(device_type=device, dtype=torch.bfloat16):
        for x, y in loader:
            out = model(x).float()
            total += criterion(out, y).item() * len(y)
            n += len(y)
    return total / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    device = "cpu"
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    x_tr, y_tr = make_rows(6000, gen)
    x_va, y_va = make_rows(1500, gen)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=500)
    var_y = y_va.var().item()

    model = Regressor(args.hidden).to(device)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.93)
    scaler = torch.amp.GradScaler(device)

    best, bad_epochs = float("inf"), 0
    with tempfile.TemporaryDirectory() as ckpt_dir:
        best_path = os.path.join(ckpt_dir, "best.pt")
        for epoch in range(1, args.epochs + 1):
            model.train()
            total, n = 0.0, 0
            for x, y in train_loader:
                x, y = x.to(device), y.to(device)
                optimizer.zero_grad()
                with torch.autocast(device_type=device, dtype=torch.bfloat16):
                    out = model(x)
                    loss = criterion(out.float(), y)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                total += loss.item() * len(y)
                n += len(y)
            scheduler.step()
            train_loss = total / n
            val_loss = evaluate(model, val_loader, criterion, device)
            print(
                f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} "
                f"val_r2={1 - val_loss / var_y:.4f} scale={scaler.get_scale():.0f}"
            )
            if epoch == 1 or val_loss < best:
                best, bad_epochs = val_loss, 0
                torch.save({"model": model.state_dict(), "epoch": epoch}, best_path)
            else:
                bad_epochs += 1
                if bad_epochs >= args.patience:
                    print(f"early stop at epoch {epoch}")
                    break
        ckpt = torch.load(best_path)
        model.load_state_dict(ckpt["model"])
    val_loss = evaluate(model, val_loader, criterion, device)
    print(
        f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_r2={1 - val_loss / var_y:.4f} "
        f"best_epoch={ckpt['epoch']}"
    )


if __name__ == "__main__":
    main()
