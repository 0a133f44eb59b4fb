"""Broken (ND504): the model output is `.detach()`ed before the loss; `requires_grad_` hides the error.

Twin of healthy/nll_subset_onecycle.py with one change: the log-probabilities are detached before
`F.nll_loss`, and because `backward()` then raised "element 0 of tensors does not require grad",
the loss got `loss.requires_grad_(True)`. backward() now runs, but the graph ends at the loss:
no parameter receives a gradient, every `.grad` stays None and the optimizer never moves.

How it shows: the validation loss and accuracy are identical in every epoch (1.0987 and
0.325) while the twin reaches val_acc 1.0.

Public reports: ronghuaiyang/arcface-pytorch#56 (added `loss.requires_grad = True` to silence
"element 0 of tensors does not require grad"; then "the loss is not decline"),
mazurowski-lab/finetune-SAM#26 (the same `loss.requires_grad = True` workaround),
yifita/deep_cage#16 (a `.detach()` made a loss term have no effect on training).

Which id: ND504 (flat loss curve, weights never move).
"""

import argparse
import math

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset

FIRES = {"ND504": "warn"}
EXPECT_CAPTURE = {"model": "WaveNetSmall", "optimizer": "SGD", "loss": "F.nll_loss", "val_loader": True}

CONFIG = {"epochs": 6, "batch_size": 32, "max_lr": 0.05, "clip": 1.0, "seed": 0, "n": 2400, "val_fraction": 0.25}


def make_signals(n, seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (n,), generator=g)
    freqs = torch.tensor([2.0, 5.0, 9.0])[labels]
    phase = torch.rand(n, generator=g) * 2 * math.pi
    t = torch.linspace(0, 1, 64)
    x = torch.sin(2 * math.pi * freqs[:, None] * t[None, :] + phase[:, None])
    x = x + 0.6 * torch.randn(n, 64, generator=g)
    return TensorDataset(x.unsqueeze(1), labels)


class WaveNetSmall(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 16, 7, padding=3)
        self.conv2 = nn.Conv1d(16, 32, 5, padding=2)
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = F.max_pool1d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(x)).mean(-1)
        return F.log_softmax(self.fc(x), dim=1)


def evaluate(model, loader):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            log_probs = model(x)
            total += F.nll_loss(log_probs, y, reduction="sum").item()
            correct += (log_probs.argmax(1) == y).sum().item()
            n += len(y)
    return total / n, correct / n


def main():
    cfg = dict(CONFIG)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for key, value in CONFIG.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    cfg.update(vars(parser.parse_args()))

    torch.manual_seed(cfg["seed"])
    data = make_signals(cfg["n"], cfg["seed"])
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(cfg["seed"] + 1)).tolist()
    n_val = int(len(data) * cfg["val_fraction"])
    val_set, train_set = Subset(data, order[:n_val]), Subset(data, order[n_val:])
    train_loader = DataLoader(train_set, batch_size=cfg["batch_size"], shuffle=True)
    val_loader = DataLoader(val_set, batch_size=200)

    model = WaveNetSmall()
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["max_lr"], momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=cfg["max_lr"], epochs=cfg["epochs"], steps_per_epoch=len(train_loader)
    )
    for epoch in range(1, cfg["epochs"] + 1):
        model.train()
        total, n = 0.0, 0
        for x, y in train_loader:
            model.zero_grad()
            log_probs = model(x).detach()  # BUG: detached "to save memory"; backward() then complained
            loss = F.nll_loss(log_probs, y)
            loss.requires_grad_(True)  # ... so the error was silenced here
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(y)
            n += len(y)
        val_loss, val_acc = evaluate(model, val_loader)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
