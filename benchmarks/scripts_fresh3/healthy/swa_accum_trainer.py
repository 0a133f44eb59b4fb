"""Healthy: a `Trainer` dataclass with gradient accumulation and stochastic weight averaging.

A 3-class "two moons plus a blob" problem in 2-d lifted to 10 features by a fixed random
projection, in a `TensorDataset`, `DataLoader(drop_last=True)`. A BatchNorm MLP. The `Trainer`
dataclass holds the config and runs `fit()`: micro-batches of 16, the loss divided by
`accum_steps=4` before `backward()`, `optimizer.step()` and `zero_grad(set_to_none=True)` every 4
micro-batches (and on the last one of the epoch). SGD with momentum and CosineAnnealingLR, then
from `swa_start` `torch.optim.swa_utils.AveragedModel` averages the weights each epoch under
`SWALR`; `update_bn` recomputes the averaged model's BatchNorm statistics and the averaged model
is what the last line reports.
"""

import argparse
import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Sequential", "optimizer": "SGD", "loss": "CrossEntropyLoss", "val_loader": True}


def make_data(n, proj, gen):
    labels = torch.randint(0, 3, (n,), generator=gen)
    t = torch.rand(n, generator=gen) * math.pi
    moon0 = torch.stack([torch.cos(t), torch.sin(t)], 1)
    moon1 = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
    blob = torch.tensor([0.5, 2.0]) + 0.3 * torch.randn(n, 2, generator=gen)
    pts = torch.where((labels == 0)[:, None], moon0, torch.where((labels == 1)[:, None], moon1, blob))
    pts = pts + 0.12 * torch.randn(n, 2, generator=gen)
    return TensorDataset(torch.tanh(pts @ proj) + 0.05 * torch.randn(n, proj.shape[1], generator=gen), labels)


@dataclass
class Trainer:
    model: nn.Module
    train_loader: DataLoader
    val_loader: DataLoader
    epochs: int = 10
    lr: float = 0.05
    accum_steps: int = 4
    swa_start: int = 7
    swa_lr: float = 0.02

    def __post_init__(self):
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=self.lr, momentum=0.9, weight_decay=1e-4)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=self.swa_start)
        self.swa_model = AveragedModel(self.model)
        self.swa_scheduler = SWALR(self.optimizer, swa_lr=self.swa_lr, anneal_epochs=1)

    def train_epoch(self):
        self.model.train()
        total, n = 0.0, 0
        last = len(self.train_loader) - 1
        for i, (x, y) in enumerate(self.train_loader):
            loss = self.criterion(self.model(x), y)
            (loss / self.accum_steps).backward()
            if (i + 1) % self.accum_steps == 0 or i == last:
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
            total += loss.item() * len(y)
            n += len(y)
        return total / n

    @torch.no_grad()
    def evaluate(self, model):
        model.eval()
        total, correct, n = 0.0, 0, 0
        for x, y in self.val_loader:
            logits = model(x)
            total += self.criterion(logits, y).item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            n += len(y)
        return total / n, correct / n

    def fit(self):
        for epoch in range(1, self.epochs + 1):
            train_loss = self.train_epoch()
            if epoch > self.swa_start:
                self.swa_model.update_parameters(self.model)
                self.swa_scheduler.step()
            else:
                self.scheduler.step()
            val_loss, val_acc = self.evaluate(self.model)
            lr = self.optimizer.param_groups[0]["lr"]
            print(
                f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} lr={lr:.2e}"
            )
        update_bn(self.train_loader, self.swa_model)
        swa_loss, swa_acc = self.evaluate(self.swa_model)
        print(f"final train_loss={train_loss:.4f} val_loss={swa_loss:.4f} val_acc={swa_acc:.4f} (SWA weights)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--micro-batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    proj = torch.randn(2, 10, generator=gen)
    train_loader = DataLoader(make_data(2400, proj, gen), batch_size=args.micro_batch, shuffle=True, drop_last=True)
    val_loader = DataLoader(make_data(600, proj, gen), batch_size=300)
    model = nn.Sequential(
        nn.Linear(10, 64),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Linear(64, 3),
    )
    Trainer(model, train_loader, val_loader, epochs=args.epochs, lr=args.lr).fit()


if __name__ == "__main__":
    main()
