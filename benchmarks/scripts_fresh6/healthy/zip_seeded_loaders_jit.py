"""Healthy: features and labels kept apart, zipped from two loaders with equally seeded shuffles.

The data comes as two arrays, as if read from two files (`features.npy`, `labels.npy`): 16 features
per row and a 4-class label (which of four prototype directions is closest, plus label noise). The
script builds one DataLoader per array, both `shuffle=True` with their own `torch.Generator()`;
both generators are re-seeded with the same per-epoch seed at the start of every epoch, so the two
permutations are identical in every epoch, and the loop iterates `zip(feature_loader,
label_loader)`. (Seeding them once only works by luck: with 8000 rows, a multiple of the batch
size, `zip` stops before the label sampler makes the final empty `randperm` draw that the exhausted
feature sampler makes, and from epoch 2 on the two orders differ; measured with torch 2.13.) The
model is a small MLP compiled with `torch.jit.script`. Adam with `CosineAnnealingLR` per epoch,
CrossEntropyLoss; validation over an ordinary `TensorDataset` loader under `torch.no_grad()`.
Prints one `epoch ...` line per epoch and a `final ...` line.
Reference for zipping two DataLoaders (each shuffles with its own random stream; the twin
`broken/zip_unseeded_labels.py` gives the label loader none):
https://www.duoke360.com/post/34645 and https://example-a.com/answer/74586633
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "ProtoMLP", "optimizer": "Adam", "loss": "CrossEntropyLoss", "val_loader": True}

N_FEATURES, N_CLASSES = 16, 4


class ProtoMLP(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(N_FEATURES, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, N_CLASSES)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.fc1(x))
        h = self.drop(torch.relu(self.fc2(h)))
        return self.out(h)


def make_arrays(n, gen, protos):
    x = torch.randn(n, N_FEATURES, generator=gen)
    y = (x @ protos.T).argmax(1)
    flip = torch.rand(n, generator=gen) < 0.05
    y[flip] = torch.randint(0, N_CLASSES, (int(flip.sum()),), generator=gen)
    return x, y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    protos = torch.randn(N_CLASSES, N_FEATURES, generator=gen)
    features, labels = make_arrays(12000, gen, protos)
    x_va, y_va = make_arrays(2000, gen, protos)

    feature_gen, label_gen = torch.Generator(), torch.Generator()
    feature_loader = DataLoader(features, batch_size=args.batch_size, shuffle=True, generator=feature_gen)
    label_loader = DataLoader(labels, batch_size=args.batch_size, shuffle=True, generator=label_gen)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=500)

    model = torch.jit.script(ProtoMLP(args.hidden))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    for epoch in range(1, args.epochs + 1):
        # same seed for both loaders every epoch: the two permutations match row for row
        feature_gen.manual_seed(args.seed * 1000 + epoch)
        label_gen.manual_seed(args.seed * 1000 + epoch)
        model.train()
        total, n = 0.0, 0
        for xb, yb in zip(feature_loader, label_loader):  # noqa: B905
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            n += len(yb)
        scheduler.step()
        train_loss = total / n

        model.eval()
        v_total, correct = 0.0, 0
        with torch.no_grad():
            for xb, yb in val_loader:
                out = model(xb)
                v_total += criterion(out, yb).item() * len(yb)
                correct += (out.argmax(1) == yb).sum().item()
        val_loss, val_acc = v_total / len(y_va), correct / len(y_va)
        print(f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
