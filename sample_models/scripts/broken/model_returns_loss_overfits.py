"""Broken (ND507): a model that returns its own loss (`output["loss"]`) overfits 200 noisy samples.

The model follows the HuggingFace convention: `forward(features, labels=None)` returns a dict with
`"logits"` and, when labels are given, `"loss"` (a `CrossEntropyLoss` built inside `forward`). The
script never calls a loss itself: training backpropagates `out["loss"]` and validation averages
it. The data is the 10-class teacher problem of broken/small_data_overfits.py, 200 training
samples with 10% wrong labels; a wide MLP, Adam at 3e-3, no regularization, no early stopping.

How it shows: the training loss falls towards 0 over the epochs while the validation loss bottoms
out after a few epochs and then climbs well above its minimum: the model memorizes the noise.
A watcher that only counts losses called outside the model sees no validation loss at all here.

Public reports: the overfitting curve of broken/small_data_overfits.py (its docstring names the
reports). The HuggingFace Trainer computes its `eval_loss` from `outputs["loss"]` the same way, so
every model written in that convention hands its validation loss back inside its output.
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND507": "warn"}
EXPECT_CAPTURE = {"model": "ClassifierWithLoss", "optimizer": "Adam", "loss": None, "val_loader": True}


def make_datasets(n_train=200, n_val=1000, dim=20, num_classes=10, label_noise=0.1, seed=0):
    g = torch.Generator().manual_seed(seed)
    w1 = torch.randn(dim, 64, generator=g)
    w2 = torch.randn(64, num_classes, generator=g)
    x = torch.randn(n_train + n_val, dim, generator=g)
    y = (torch.tanh(x @ w1 / dim**0.5) @ w2).argmax(dim=1)
    flip = torch.rand(n_train, generator=g) < label_noise
    y_train = y[:n_train].clone()
    y_train[flip] = torch.randint(0, num_classes, (int(flip.sum()),), generator=g)
    return TensorDataset(x[:n_train], y_train), TensorDataset(x[n_train:], y[n_train:])


class ClassifierWithLoss(nn.Module):
    def __init__(self, in_dim=20, hidden=256, num_classes=10):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)
        )

    def forward(self, features, labels=None):
        logits = self.layers(features)
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = nn.CrossEntropyLoss()(logits, labels)
        return out


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    total, correct, n = 0.0, 0, 0
    for x, y in loader:
        out = model(x, labels=y)
        total += out["loss"].item() * len(y)
        correct += (out["logits"].argmax(1) == y).sum().item()
        n += len(y)
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set, val_set = make_datasets(seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=500)
    model = ClassifierWithLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for x, y in train_loader:
            optimizer.zero_grad()
            out = model(x, labels=y)
            out["loss"].backward()
            optimizer.step()
            total += out["loss"].item() * len(y)
            n += len(y)
        val_loss, val_acc = evaluate(model, val_loader)
        print(f"epoch {epoch:2d} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")

    val_loss, val_acc = evaluate(model, val_loader)
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
