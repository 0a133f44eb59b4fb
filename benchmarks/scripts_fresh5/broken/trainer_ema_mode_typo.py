"""Broken: a mode helper called with a misspelled mode keeps the model in eval mode while it trains.

Twin of `healthy/trainer_ema_mode_helper.py` with one change: `train_epoch()` calls
`set_mode(self.model, "training")`. The helper does `model.train(mode == "train")`, so the call is
`model.train(False)`: all 1875 training steps (125 per epoch, 15 epochs) run with Dropout off and
BatchNorm normalizing with its running statistics, which are never updated (they stay at mean 0,
variance 1). The EMA copy is validated in eval mode, as in the twin. Shows in the printed numbers:
the training loss falls far below the twin's and below the validation loss (final train_loss
0.0812 vs the twin's 0.2803; train minus val -0.123 vs the twin's +0.028). The validation numbers
are not worse here (val_acc 0.9190 vs 0.9025): on this data the regularization was not needed, so
the bug is silent in the metric. Check: ND508 (training forwards in eval mode).
Public reports: https://github.com/ServiceNow/LCFCN/issues/20 (a helper leaves the model in
eval() and the loss is computed and backpropagated in eval mode) and
https://github.com/ThilinaRajapakse/simpletransformers/issues/941 (model left in eval mode after
evaluation during training).
"""

import argparse
import copy
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

FIRES = {"ND508": "warn"}
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
        set_mode(self.model, "training")
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
