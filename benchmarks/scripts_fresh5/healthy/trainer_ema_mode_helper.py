"""Healthy: a `Trainer` class with fit/train_epoch/evaluate, an EMA copy used for validation.

Three-class data from a fixed random two-layer "teacher" over 12 standardized Gaussian features,
one `TensorDataset` split with `torch.utils.data.random_split` (seeded generator) into 8000 train
and 2000 validation rows. The model is a BatchNorm + Dropout MLP. A `@dataclass` holds the config;
a small helper `set_mode(model, mode)` wraps `model.train(mode == "train")` and is called with
"train" at the top of `train_epoch()` and with "eval" in `evaluate()`. After every optimizer step
the `Trainer` updates an exponential-moving-average copy of the weights (`torch.lerp_` under
`torch.no_grad()`, buffers copied); validation runs on the EMA copy inside
`torch.inference_mode()`. AdamW with `OneCycleLR` stepped per batch, `nn.CrossEntropyLoss`.
Prints one `epoch ...` line per epoch and a `final ...` line.
Reference for the pattern its twin `broken/trainer_ema_mode_typo.py` gets wrong (a helper leaving
the model in eval mode during training): https://github.com/ServiceNow/LCFCN/issues/20
"""

import argparse
import copy
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "TabularNet", "optimizer": "AdamW", "loss": "CrossEntropyLoss", "val_loader": True}


@dataclass
class Config:
    epochs: int = 15
    lr: float = 3e-3
    batch_size: int = 64
    ema_decay: float = 0.98
    hidden: int = 192
    dropout: float = 0.2
    seed: int = 0


class TabularNet(nn.Module):
    def __init__(self, n_in, hidden, n_classes, dropout):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_in, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x):
        return self.layers(x)


def set_mode(model, mode):
    """Switch dropout / batch norm behaviour: mode is "train" or "eval"."""
    model.train(mode == "train")


def teacher_data(n, n_in, n_classes, gen):
    w1 = torch.randn(n_in, 32, generator=gen) / n_in**0.5
    w2 = torch.randn(32, n_classes, generator=gen) * 2.0
    x = torch.randn(n, n_in, generator=gen)
    y = (torch.tanh(x @ w1 * 2.0) @ w2).argmax(dim=1)
    return x, y


class Trainer:
    def __init__(self, model, cfg, train_loader, val_loader):
        self.model = model
        self.cfg = cfg
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.ema = copy.deepcopy(model).requires_grad_(False)
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-2)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=cfg.lr, total_steps=cfg.epochs * len(train_loader), pct_start=0.25
        )

    @torch.no_grad()
    def update_ema(self):
        for p_ema, p in zip(self.ema.parameters(), self.model.parameters(), strict=True):
            p_ema.lerp_(p, 1.0 - self.cfg.ema_decay)
        for b_ema, b in zip(self.ema.buffers(), self.model.buffers(), strict=True):
            b_ema.copy_(b)

    def train_epoch(self):
        set_mode(self.model, "train")
        total, n = 0.0, 0
        for x, y in self.train_loader:
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.criterion(self.model(x), y)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            self.update_ema()
            total += loss.item() * len(y)
            n += len(y)
        return total / n

    def evaluate(self, model):
        set_mode(model, "eval")
        total, correct, n = 0.0, 0, 0
        with torch.inference_mode():
            for x, y in self.val_loader:
                logits = model(x)
                total += self.criterion(logits, y).item() * len(y)
                correct += (logits.argmax(dim=1) == y).sum().item()
                n += len(y)
        return total / n, correct / n

    def fit(self):
        for epoch in range(1, self.cfg.epochs + 1):
            train_loss = self.train_epoch()
            val_loss, val_acc = self.evaluate(self.ema)
            lr = self.optimizer.param_groups[0]["lr"]
            print(
                f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} lr={lr:.2e}"
            )
        return train_loss, val_loss, val_acc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=Config.epochs)
    parser.add_argument("--lr", type=float, default=Config.lr)
    parser.add_argument("--batch-size", type=int, default=Config.batch_size)
    parser.add_argument("--seed", type=int, default=Config.seed)
    args = parser.parse_args()
    cfg = Config(epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, seed=args.seed)

    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    x, y = teacher_data(10000, 12, 3, gen)
    full = TensorDataset(x, y)
    train_set, val_set = random_split(full, [8000, 2000], generator=torch.Generator().manual_seed(cfg.seed))
    train_loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)

    model = TabularNet(12, cfg.hidden, 3, cfg.dropout)
    trainer = Trainer(model, cfg, train_loader, val_loader)
    train_loss, val_loss, val_acc = trainer.fit()
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
