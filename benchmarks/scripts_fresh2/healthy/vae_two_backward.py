"""Healthy: a VAE whose two loss terms get two `backward()` calls (`retain_graph=True` on the first).

The data are 64-pixel binary patterns: each is one of 6 seeded random prototypes with 4% of its
pixels flipped, plus a frame of 12 pixels that is always on. The VAE (MLP encoder to a mean and
log-variance of 8 latents, reparameterization, MLP decoder to 64 logits) is trained with the
reconstruction term `F.binary_cross_entropy_with_logits(..., reduction="sum") / batch` and the KL
term, back-propagated separately: `recon.backward(retain_graph=True)` then `kl.backward()`, one
`optimizer.step()` after both, as in many VAE and multi-loss scripts. Adam, a SequentialLR
(LinearLR warm-up for 2 epochs, then StepLR) stepped per epoch; anomaly detection is switched off
explicitly with `torch.autograd.set_detect_anomaly(False)` (a leftover from debugging).
"""

import argparse

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "VAE", "optimizer": "Adam", "loss": "F.binary_cross_entropy_with_logits", "val_loader": True}


class VAE(nn.Module):
    def __init__(self, n_in=64, hidden=128, z_dim=8):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, z_dim)
        self.logvar = nn.Linear(hidden, z_dim)
        self.dec = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, n_in))

    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.dec(z), mu, logvar


def make_data(n, prototypes, g):
    idx = torch.randint(0, len(prototypes), (n,), generator=g)
    x = prototypes[idx].clone()
    flip = torch.rand(n, 64, generator=g) < 0.04
    x[flip] = 1.0 - x[flip]
    x[:, :12] = 1.0  # the frame
    return TensorDataset(x)


def recon_loss(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)


def kl_loss(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / len(mu)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.autograd.set_detect_anomaly(False)
    g = torch.Generator().manual_seed(args.seed)
    prototypes = (torch.rand(6, 64, generator=g) < 0.5).float()
    train_loader = DataLoader(make_data(3000, prototypes, g), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(make_data(600, prototypes, g), batch_size=300)

    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=2)
    decay = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, decay], milestones=[2])

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for (xb,) in train_loader:
            optimizer.zero_grad()
            logits, mu, logvar = model(xb)
            recon = recon_loss(logits, xb)
            kl = kl_loss(mu, logvar)
            recon.backward(retain_graph=True)
            kl.backward()
            optimizer.step()
            total += (recon.item() + kl.item()) * len(xb)
            n += len(xb)
        scheduler.step()

        model.eval()
        val_total, val_rec, m = 0.0, 0.0, 0
        with torch.no_grad():
            for (xb,) in val_loader:
                logits, mu, logvar = model(xb)
                rec = recon_loss(logits, xb).item()
                val_rec += rec * len(xb)
                val_total += (rec + kl_loss(mu, logvar).item()) * len(xb)
                m += len(xb)
        print(
            f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_total / m:.4f} val_recon={val_rec / m:.4f} "
            f"lr={optimizer.param_groups[0]['lr']:.2e}"
        )
    print(f"final train_loss={total / n:.4f} val_loss={val_total / m:.4f} val_recon={val_rec / m:.4f}")


if __name__ == "__main__":
    main()
