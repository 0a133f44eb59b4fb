"""Broken (ND503): a hand-written binary cross-entropy on sigmoid outputs turns NaN once the model is sure.

The healthy twin is healthy/binary_classifier.py (BCEWithLogitsLoss). Here the loss is computed by
hand as -(y * log(p) + (1 - y) * log(1 - p)) with p = sigmoid(logit). Early on every logit is small
and this is the same loss. The data is separable, so the logits keep growing; once one of them
passes ~17, sigmoid rounds to exactly 1.0 in float32, log(1 - p) is -inf and (1 - y) * -inf is
0 * -inf = NaN for a correctly classified positive example. One NaN loss gives NaN gradients and
the optimizer writes NaN into every weight. Nothing checks that the loss is finite.

How it shows: epochs 1-3 are finite and improving (val_acc ~0.96-0.98), then in epoch 4 the
training loss, validation loss and everything after it are nan and validation accuracy falls to
0.498 (every comparison with NaN is False, so every prediction is class 0). The twin keeps
training: at its end 28% of training logits are beyond +-16.6 and its loss is finite.

The early-stopping code makes it worse to spot: NaN never beats the best validation loss, so three
NaN epochs later the script stops ("early stop at epoch 6"), reloads the epoch-3 weights and prints
a healthy-looking `final` line (val_acc ~0.98). Only the per-epoch log, or an observer watching the
loss at each step, shows that training blew up in epoch 4.

Public reports: the PyTorch BCELoss docstring explains why BCELoss clamps its log outputs at -100
("an infinite term in the loss equation is not desirable"); iiask.com/34l57025 ("BCELoss
computes NaN", fixed with BCEWithLogitsLoss or clamping); pytorch/pytorch#103316 discusses the
manual -log(sigmoid(x)) form versus binary_cross_entropy on very confident logits.
"""

import argparse
import copy

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND503": "fail"}
EXPECT_CAPTURE = {"model": "TabularNet", "optimizer": "Adam", "loss": None, "val_loader": True}


def make_tables(n_train=3000, n_val=1000, features=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(features, generator=g)
    x = torch.randn(n_train + n_val, features, generator=g)
    score = x @ w + 0.5 * x[:, 0] * x[:, 1]
    y = (score > 0).float().unsqueeze(1)
    return TensorDataset(x[:n_train], y[:n_train]), TensorDataset(x[n_train:], y[n_train:])


class TabularNet(nn.Module):
    def __init__(self, features=10, hidden=32):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.layers(x)  # one logit per row


def evaluate(model, loader, criterion):
    model.eval()
    loss, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            loss += criterion(logits, y).item() * len(y)
            correct += ((logits > 0).float() == y).sum().item()
            n += len(y)
    return loss / n, correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default="")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set, val_set = make_tables(seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=500)
    model = TabularNet()
    criterion = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    best_loss, best_state, bad_epochs = float("inf"), None, 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for x, y in train_loader:
            optimizer.zero_grad()
            p = torch.sigmoid(model(x))
            loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            n += len(y)
        scheduler.step()
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
        if val_loss < best_loss:
            best_loss, best_state, bad_epochs = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            bad_epochs += 1
            if bad_epochs >= args.patience:
                print(f"early stop at epoch {epoch}")
                break

    model.load_state_dict(best_state)
    val_loss, val_acc = evaluate(model, val_loader, criterion)
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
