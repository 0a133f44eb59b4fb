"""Healthy: one step per pair of batches from two loaders, `enumerate(zip(loader_a, loader_b))`.

Two "sites" record the same 5-class problem (20 features) with a different offset and scale
each. A shared encoder with a per-site input adapter classifies both; every step takes one batch
from each site's loader, adds the two `F.cross_entropy(..., label_smoothing=0.1)` losses and makes
one `backward()`. Before training the script prints the shape of one batch of each loader, as
people do. NAdam, CyclicLR (triangular, `cycle_momentum=False`) stepped per batch, a
`@torch.no_grad()` `evaluate()` per site with `argmax` accuracy.
"""

import argparse

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "TwoSiteNet", "optimizer": "NAdam", "loss": "F.cross_entropy", "val_loader": True}


class TwoSiteNet(nn.Module):
    def __init__(self, n_in=20, hidden=96, n_classes=5):
        super().__init__()
        self.adapters = nn.ModuleList([nn.Linear(n_in, hidden), nn.Linear(n_in, hidden)])
        self.encoder = nn.Sequential(nn.GELU(), nn.Linear(hidden, hidden), nn.GELU())
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x, site=0):
        return self.head(self.encoder(self.adapters[site](x)))


def make_site(n, protos, offset, scale, gen):
    labels = torch.randint(0, protos.shape[0], (n,), generator=gen)
    x = protos[labels] + 1.2 * torch.randn(n, protos.shape[1], generator=gen)
    return TensorDataset(x * scale + offset, labels)


@torch.no_grad()
def evaluate(model, loader, site):
    model.eval()
    loss_sum, correct, n = 0.0, 0, 0
    for x, y in loader:
        logits = model(x, site)
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
        n += len(y)
    return loss_sum / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    protos = torch.randn(5, 20, generator=gen)
    sites = [(0.0, 1.0), (4.0, 3.0)]
    train = [make_site(2000, protos, o, s, gen) for o, s in sites]
    val = [make_site(500, protos, o, s, gen) for o, s in sites]
    loader_a = DataLoader(train[0], batch_size=args.batch_size, shuffle=True)
    loader_b = DataLoader(train[1], batch_size=args.batch_size, shuffle=True)
    val_loaders = [DataLoader(v, batch_size=250) for v in val]

    xa, ya = next(iter(loader_a))
    xb, yb = next(iter(loader_b))  # noqa: RUF059
    print(f"site A batch {tuple(xa.shape)} labels {tuple(ya.shape)}; site B batch {tuple(xb.shape)}")

    model = TwoSiteNet()
    optimizer = torch.optim.NAdam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CyclicLR(
        optimizer, base_lr=args.lr / 10, max_lr=args.lr, step_size_up=len(loader_a), cycle_momentum=False
    )
    for epoch in range(1, args.epochs + 1):
        model.train()
        running = 0.0
        for step, ((x_a, y_a), (x_b, y_b)) in enumerate(zip(loader_a, loader_b)):  # noqa: B905
            loss_a = F.cross_entropy(model(x_a, 0), y_a, label_smoothing=0.1)
            loss_b = F.cross_entropy(model(x_b, 1), y_b, label_smoothing=0.1)
            loss = loss_a + loss_b
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += loss.item()
            if step % 20 == 0:
                print(f"  epoch {epoch} step {step:3d} loss_a {loss_a.item():.3f} loss_b {loss_b.item():.3f}")
        (va_loss, va_acc), (vb_loss, vb_acc) = (evaluate(model, val_loaders[s], s) for s in (0, 1))
        train_loss = running / (step + 1)
        val_loss, val_acc = (va_loss + vb_loss) / 2, (va_acc + vb_acc) / 2
        print(
            f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} "
            f"val_acc_a={va_acc:.4f} val_acc_b={vb_acc:.4f}"
        )
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
