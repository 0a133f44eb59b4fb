"""Broken (ND501): a GAN with two optimizers; the generator's gradients are never zeroed.

A small GAN learns a 2-d ring of 8 Gaussians. It has the usual two optimizers (Adam for the
discriminator `net_d`, Adam for the generator `net_g`) and the usual loop: discriminator step on
real and detached fake samples, then generator step. The discriminator is zeroed with
`net_d.zero_grad()` before its backward; the line `net_g.zero_grad()` before the generator's
backward is missing. `net_d.zero_grad()` clears only the discriminator's parameters, so every
generator step uses the sum of all generator gradients since the start.

How it shows: hardly in the printed numbers. Adam normalizes the update, so the summed gradient
moves the generator along the running sum of every gradient since the start (a stale direction)
rather than blowing up: after 4 epochs d_loss=1.10 g_loss=0.93 (the twin with `net_g.zero_grad()`
restored: 1.18 / 0.74). The gradients of `net_g` at each `opt_g.step()` are the same tensors as at
the previous step, only added to. A watcher that follows only the first optimizer to step (the
discriminator's, zeroed every time) sees nothing wrong.

Public reports: the DCGAN example in pytorch/examples calls `netD.zero_grad()` and
`netG.zero_grad()` separately, once before each network's backward, for this reason; the missing
`zero_grad()` of broken/no_zero_grad.py (its docstring lists reports), here on one of two optimizers.
"""

import argparse
import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND501": "warn"}
EXPECT_CAPTURE = {"model": "Generator", "optimizer": "Adam", "loss": "BCEWithLogitsLoss", "val_loader": False}
# two optimizers: a capture at the first step picks the generator's (--optimizer opt_g)
CAPTURE_PICK = {"optimizer": "opt_g"}


def ring(n, seed):
    g = torch.Generator().manual_seed(seed)
    angle = torch.randint(0, 8, (n,), generator=g).float() * (2 * math.pi / 8)
    centres = torch.stack([angle.cos(), angle.sin()], dim=1) * 2.0
    return TensorDataset(centres + 0.05 * torch.randn(n, 2, generator=g))


class Generator(nn.Module):
    def __init__(self, noise=8, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(noise, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    loader = DataLoader(ring(4096, seed=args.seed), batch_size=args.batch_size, shuffle=True)
    net_g, net_d = Generator(), Discriminator()
    criterion = nn.BCEWithLogitsLoss()
    opt_d = torch.optim.Adam(net_d.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(net_g.parameters(), lr=args.lr, betas=(0.5, 0.999))

    for epoch in range(1, args.epochs + 1):
        d_sum = g_sum = 0.0
        for (real,) in loader:
            n = real.shape[0]
            fake = net_g(torch.randn(n, 8))
            net_d.zero_grad()
            err_d = criterion(net_d(real), torch.ones(n, 1)) + criterion(net_d(fake.detach()), torch.zeros(n, 1))
            err_d.backward()
            opt_d.step()
            # the bug: net_g.zero_grad() is missing here
            err_g = criterion(net_d(fake), torch.ones(n, 1))
            err_g.backward()
            opt_g.step()
            d_sum += err_d.item()
            g_sum += err_g.item()
        with torch.no_grad():
            radius = net_g(torch.randn(1000, 8)).norm(dim=1).mean().item()
        print(f"epoch {epoch} d_loss={d_sum / len(loader):.4f} g_loss={g_sum / len(loader):.4f} radius={radius:.3f}")

    print(f"final d_loss={d_sum / len(loader):.4f} g_loss={g_sum / len(loader):.4f} radius={radius:.3f}")


if __name__ == "__main__":
    main()
