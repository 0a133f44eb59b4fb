"""Broken (ND503): the contrastive distance is `(a - b).pow(2).sum(1).sqrt()`, NaN gradient at distance 0.

Twin of healthy/siamese_contrastive.py with one change: `ContrastiveLoss.distance` is written
out by hand instead of `F.pairwise_distance`. The forward is the same number, but the derivative
of `sqrt` at 0 is inf, and a tenth of the positive pairs are the anchor itself (distance exactly
0): the backward multiplies inf by the zero difference, the gradient is NaN, and the first such
batch writes NaN into every weight. The loss itself is finite at that step; everything after
it is NaN.

How it shows (default arguments): train_loss and val_loss are nan from epoch 1, val_acc 0.4880
(chance; NaN distances never pass the threshold) vs the twin's 1.0000.

Which id: ND503 (NaN/Inf during training; here it appears first in the gradients).
"""

import argparse

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, Dataset

FIRES = {"ND503": "fail"}
EXPECT_CAPTURE = {"model": "Embedder", "optimizer": "Adagrad", "loss": "ContrastiveLoss", "val_loader": True}


class PairDataset(Dataset):
    def __init__(self, centers, n, seed, p_aug=0.9):
        g = torch.Generator().manual_seed(seed)
        k, d = centers.shape
        a_cls = torch.randint(0, k, (n,), generator=g)
        same = torch.rand(n, generator=g) < 0.5
        other = (a_cls + torch.randint(1, k, (n,), generator=g)) % k
        b_cls = torch.where(same, a_cls, other)
        self.x1 = centers[a_cls] + 0.7 * torch.randn(n, d, generator=g)
        fresh = centers[b_cls] + 0.7 * torch.randn(n, d, generator=g)
        augmented = self.x1 + 0.3 * torch.randn(n, d, generator=g)
        keep_anchor = torch.rand(n, generator=g) >= p_aug
        self.x2 = torch.where(same[:, None], torch.where(keep_anchor[:, None], self.x1, augmented), fresh)
        self.same = same.float()

    def __len__(self):
        return len(self.same)

    def __getitem__(self, i):
        return self.x1[i], self.x2[i], self.same[i]


class Embedder(nn.Module):
    def __init__(self, d=32, hidden=128, out=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, out)
        )

    def forward(self, x):
        return self.net(x)


class ContrastiveLoss(nn.Module):
    def __init__(self, margin=2.0):
        super().__init__()
        self.margin = margin

    def distance(self, a, b):
        return (a - b).pow(2).sum(dim=1).sqrt()

    def forward(self, a, b, same):
        d = self.distance(a, b)
        return (same * d.pow(2) + (1 - same) * F.relu(self.margin - d).pow(2)).mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    centers = 1.2 * torch.randn(10, 32)
    train_loader = DataLoader(PairDataset(centers, 4000, seed=1), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(PairDataset(centers, 1000, seed=2), batch_size=250)

    model = Embedder()
    criterion = ContrastiveLoss(margin=2.0)
    optimizer = torch.optim.Adagrad(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[4, 6], gamma=0.3)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for x1, x2, same in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x1), model(x2), same)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(same)
            n += len(same)
        scheduler.step()
        model.eval()
        v_total, correct, m = 0.0, 0, 0
        with torch.no_grad():
            for x1, x2, same in val_loader:
                e1, e2 = model(x1), model(x2)
                v_total += criterion(e1, e2, same).item() * len(same)
                pred_same = (F.pairwise_distance(e1, e2) < criterion.margin / 2).float()
                correct += (pred_same == same).sum().item()
                m += len(same)
        train_loss, val_loss, val_acc = total / n, v_total / m, correct / m
        print(f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
