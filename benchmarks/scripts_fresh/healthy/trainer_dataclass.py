"""Healthy: a Trainer class (fit / train_epoch / evaluate) configured by a dataclass.

Four-class points in 8 dimensions, labelled by a fixed random teacher network, served by a
`Dataset` subclass that returns `(features, label)` tuples; `random_split` carves out the
validation set. The Trainer owns the model, an Adam optimizer, a ReduceLROnPlateau on the
validation loss, early stopping with a patience, and saves the best checkpoint to `--ckpt-dir`
(default under `tempfile.gettempdir()`). The script ends with `sys.exit(main())`.
"""

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, random_split

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "PointNet", "optimizer": "Adam", "loss": "CrossEntropyLoss", "val_loader": True}


@dataclass
class Config:
    epochs: int = 12
    batch_size: int = 64
    lr: float = 3e-3
    patience: int = 4
    seed: int = 0
    ckpt_dir: str = os.path.join(tempfile.gettempdir(), "trainer_dataclass_ckpt")


class TeacherPoints(Dataset):
    def __init__(self, n=4000, dim=8, classes=4, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, dim, generator=g)
        w1 = torch.randn(dim, 16, generator=g)
        w2 = torch.randn(16, classes, generator=g)
        self.y = (torch.tanh(self.x @ w1) @ w2).argmax(1)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, idx):
        return self.x[idx], self.y[idx]


class PointNet(nn.Module):
    def __init__(self, dim=8, hidden=64, classes=4):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, classes)
        )

    def forward(self, x):
        return self.net(x)


class Trainer:
    def __init__(self, model, cfg, train_loader, val_loader):
        self.cfg = cfg
        self.model = model
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(self.optimizer, mode="min", factor=0.5, patience=1)

    def train_epoch(self):
        self.model.train()
        total, n = 0.0, 0
        for x, y in self.train_loader:
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(x), y)
            loss.backward()
            self.optimizer.step()
            total += loss.item() * len(y)
            n += len(y)
        return total / n

    @torch.no_grad()
    def evaluate(self):
        self.model.eval()
        total, correct, n = 0.0, 0, 0
        for x, y in self.val_loader:
            logits = self.model(x)
            total += self.criterion(logits, y).item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            n += len(y)
        return total / n, correct / n

    def fit(self):
        os.makedirs(self.cfg.ckpt_dir, exist_ok=True)
        path = os.path.join(self.cfg.ckpt_dir, "best.pt")
        best, bad = float("inf"), 0
        for epoch in range(1, self.cfg.epochs + 1):
            train_loss = self.train_epoch()
            val_loss, val_acc = self.evaluate()
            self.scheduler.step(val_loss)
            lr = self.optimizer.param_groups[0]["lr"]
            print(
                f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} lr={lr:.2e}"
            )
            if val_loss < best:
                best, bad = val_loss, 0
                torch.save(self.model.state_dict(), path)
            else:
                bad += 1
                if bad >= self.cfg.patience:
                    print(f"early stop after epoch {epoch}")
                    break
        self.model.load_state_dict(torch.load(path))
        return self.evaluate()


def main():
    defaults = Config()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--ckpt-dir", default=defaults.ckpt_dir)
    args = parser.parse_args()
    cfg = Config(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed, ckpt_dir=args.ckpt_dir)

    torch.manual_seed(cfg.seed)
    data = TeacherPoints(seed=cfg.seed)
    train_set, val_set = random_split(data, [3200, 800], generator=torch.Generator().manual_seed(cfg.seed))
    train_loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)
    trainer = Trainer(PointNet(), cfg, train_loader, val_loader)
    val_loss, val_acc = trainer.fit()
    print(f"final val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
