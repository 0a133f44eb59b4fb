"""Broken: evaluation every N steps switches to eval mode and the loop never switches back.

Twin of `healthy/json_steps_warmup.py` with one change: the `model.train()` after
`evaluate(...)` is missing (there is one `model.train()` above the step loop), so from the first
evaluation (step 100) on the remaining 500 of 600 steps train with Dropout off and BatchNorm
normalizing with its running statistics instead of the batch's. Shows in the printed numbers:
after the first evaluation the training loss drops below the validation loss and the gap keeps
growing, against the twin's. Check: ND508 (training forwards in eval mode). Public reports:
"model.eval() then forgot model.train()" threads on the PyTorch forums and Stack Overflow.
"""

import argparse
import json
import sys

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND508": "warn"}
EXPECT_CAPTURE = {"model": "SensorNet", "optimizer": "AdamW", "loss": "CrossEntropyLoss", "val_loader": True}

DEFAULTS = {
    "lr": 2e-3,
    "weight_decay": 1e-2,
    "batch_size": 64,
    "max_steps": 600,
    "warmup_steps": 60,
    "eval_every": 100,
    "hidden": 128,
    "dropout": 0.3,
}


class SensorNet(nn.Module):
    def __init__(self, n_in, hidden, n_classes, dropout):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_in, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


def make_data(n, centres, rng):
    labels = rng.integers(0, len(centres), size=n)
    x = centres[labels] + rng.normal(0.0, 1.6, size=(n, centres.shape[1]))
    x[:, :4] += np.sin(x[:, 4:8]) * 1.5
    return torch.tensor(x, dtype=torch.float32), torch.tensor(labels, dtype=torch.long)


def lr_at(step, cfg):
    if step < cfg["warmup_steps"]:
        return cfg["lr"] * (step + 1) / cfg["warmup_steps"]
    frac = (step - cfg["warmup_steps"]) / max(1, cfg["max_steps"] - cfg["warmup_steps"])
    return cfg["lr"] * (1.0 - 0.9 * frac)


def progress(step, total, loss, width=30):
    filled = int(width * step / total)
    sys.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {step}/{total} loss {loss:.3f}")
    sys.stdout.flush()


def evaluate(model, loader, criterion):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            total += criterion(logits, y).item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            n += len(y)
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=str, default="{}", help="JSON object overriding the defaults")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cfg = {**DEFAULTS, **json.loads(args.config)}

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    centres = rng.normal(0.0, 1.0, size=(5, 24))
    x_tr, y_tr = make_data(4000, centres, rng)
    x_va, y_va = make_data(1000, centres, rng)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=cfg["batch_size"], shuffle=False, drop_last=True)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=500)

    model = SensorNet(24, cfg["hidden"], 5, cfg["dropout"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    criterion = nn.CrossEntropyLoss()

    model.train()
    data_iter = iter(train_loader)
    running, seen, interval = 0.0, 0, 0
    for step in range(cfg["max_steps"]):
        try:
            x, y = next(data_iter)
        except StopIteration:
            data_iter = iter(train_loader)
            x, y = next(data_iter)
        for g in optimizer.param_groups:
            g["lr"] = lr_at(step, cfg)
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        running += loss.item()
        seen += 1
        if step % 10 == 0:
            progress(step + 1, cfg["max_steps"], loss.item())
        if (step + 1) % cfg["eval_every"] == 0:
            interval += 1
            val_loss, val_acc = evaluate(model, val_loader, criterion)
            train_loss = running / seen
            running, seen = 0.0, 0
            sys.stdout.write("\n")
            print(
                f"epoch {interval} step={step + 1} train_loss={train_loss:.4f} val_loss={val_loss:.4f} "
                f"val_acc={val_acc:.4f} lr={optimizer.param_groups[0]['lr']:.2e}"
            )
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
