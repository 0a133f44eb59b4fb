"""Broken (ND502): `ReduceLROnPlateau` fed the batch loss after every optimizer step.

Twin of healthy/multilabel_plateau.py with one change: `scheduler.step(loss.item())` moved into
the batch loop, next to `optimizer.step()`, where the other schedulers' `step()` usually goes.
With `patience=1`, two noisy batch losses without a new best are enough to halve the LR, and
batch losses fail to beat their running best most of the time: the LR halves every few steps.

How it shows (default arguments): the LR is 2.29e-08 after epoch 1 (base 3e-3) and
1.14e-08 from epoch 2; train_loss 1.1409 -> 1.1404 and val_f1 0.3325 in every epoch, vs the
twin's 0.1685 and 0.8491 (its LR stays 3e-3).

Which id: ND502 (an epoch-type schedule stepped per batch; the LR collapses early).
"""

import argparse

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND502": "warn"}
EXPECT_CAPTURE = {"model": "Tagger", "optimizer": "RAdam", "loss": "BCEWithLogitsLoss", "val_loader": True}

CONFIG = {"n_words": 40, "n_tags": 6, "hidden": 128, "epochs": 10, "batch_size": 64, "lr": 3e-3, "patience": 1}


class Tagger(nn.Module):
    def __init__(self, n_words, n_tags, hidden):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_words, hidden), nn.LayerNorm(hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )
        self.out = nn.Linear(hidden, n_tags)

    def forward(self, counts):
        return self.out(self.net(torch.log1p(counts)))


def make_docs(n, weights, cuts):
    counts = np.random.poisson(1.5, size=(n, weights.shape[0])).astype(np.float32)
    scores = np.log1p(counts) @ weights
    tags = (scores > cuts).astype(np.float32)
    return torch.from_numpy(counts), torch.from_numpy(tags)


def micro_f1(logits, tags):
    pred = (torch.sigmoid(logits) > 0.5).float()
    tp = (pred * tags).sum().item()
    fp = (pred * (1 - tags)).sum().item()
    fn = ((1 - pred) * tags).sum().item()
    return 2 * tp / max(2 * tp + fp + fn, 1.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    parser.add_argument("--lr", type=float, default=CONFIG["lr"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cfg = dict(CONFIG, epochs=args.epochs, lr=args.lr)

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    weights = np.random.randn(cfg["n_words"], cfg["n_tags"])
    cuts = np.quantile(
        np.log1p(np.random.poisson(1.5, (5000, cfg["n_words"]))) @ weights, [0.7, 0.75, 0.8, 0.85, 0.9, 0.93], axis=0
    ).diagonal()
    x_tr, t_tr = make_docs(2500, weights, cuts)
    x_va, t_va = make_docs(700, weights, cuts)
    train_loader = DataLoader(TensorDataset(x_tr, t_tr), batch_size=cfg["batch_size"], shuffle=True)
    val_loader = DataLoader(TensorDataset(x_va, t_va), batch_size=350)

    pos = t_tr.sum(0)
    criterion = nn.BCEWithLogitsLoss(pos_weight=(len(t_tr) - pos) / pos.clamp_min(1.0))
    model = Tagger(cfg["n_words"], cfg["n_tags"], cfg["hidden"])
    optimizer = torch.optim.RAdam(model.parameters(), lr=cfg["lr"])
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=cfg["patience"])

    for epoch in range(1, cfg["epochs"] + 1):
        model.train()
        total, n = 0.0, 0
        for counts, tags in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(counts), tags)
            loss.backward()
            optimizer.step()
            scheduler.step(loss.item())
            total += loss.item() * len(tags)
            n += len(tags)
        model.eval()
        with torch.no_grad():
            outs, targets, v_total = [], [], 0.0
            for counts, tags in val_loader:
                logits = model(counts)
                v_total += criterion(logits, tags).item() * len(tags)
                outs.append(logits)
                targets.append(tags)
        val_loss = v_total / len(val_loader.dataset)
        f1 = micro_f1(torch.cat(outs), torch.cat(targets))
        train_loss = total / n
        print(
            f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_f1={f1:.4f} lr={optimizer.param_groups[0]['lr']:.2e}"
        )
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_f1={f1:.4f}")


if __name__ == "__main__":
    main()
