"""Broken: features and labels zipped from two loaders, the label loader shuffles with another random stream.

Twin of `healthy/zip_seeded_loaders_jit.py` with one change: the label loader is built without
`generator=label_gen`, so it shuffles with the global RNG while the feature loader uses its
re-seeded generator. Every batch pairs 64 feature rows with the labels of 64 other rows: the
labels are noise to the model, in every epoch anew, and nothing can be learned. Shows in the
printed numbers: train_loss 1.3720 in epoch 1 and 1.3671 at the end (0.4% lower; the label
entropy of these class shares is 1.368, ln 4 = 1.386; the twin goes 0.5345 -> 0.2707), val_acc
0.23-0.32 in every epoch, 0.3030 at the end (the largest validation class is 0.301 of the rows;
twin 0.9435).
Check: ND504 (the training loss does not fall: flat).
Public reports (pages): https://www.duoke360.com/post/34645 (zipping two DataLoaders, each with
shuffle=True) and https://example-a.com/answer/74586633 (which generator a shuffling DataLoader
draws its order from).
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND504": "warn"}
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
    label_loader = DataLoader(labels, batch_size=args.batch_size, shuffle=True)
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
