"""Healthy: a GAN with two Adam optimizers and MultiStepLR milestones counted in iterations.

The "real" data are 6-d samples of a fixed Gaussian (a seeded random mean and linear mixing).
Generator: 4-d noise -> MLP -> 6-d; discriminator: MLP -> one logit; BCEWithLogitsLoss with the
usual detached fake batch for the discriminator step. Both optimizers get a MultiStepLR whose
milestones are iteration counts (`--milestones 300 450`, detectron-style) and which is stepped
after every iteration, as it is meant to be. Progress lines report the distance between the
mean and the covariance of generated and real samples (6.72 and 1.00 at init; with the default arguments
1.00 and 0.71 after 500 iterations).
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Discriminator", "optimizer": "Adam", "loss": "BCEWithLogitsLoss", "val_loader": False}


class Generator(nn.Module):
    def __init__(self, z_dim=4, out_dim=6, hidden=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(z_dim, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, out_dim),
        )

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, in_dim=6, hidden=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x)


def stats_gap(fake, real):
    mean_err = (fake.mean(0) - real.mean(0)).norm().item()
    cov_err = (torch.cov(fake.T) - torch.cov(real.T)).norm().item() / torch.cov(real.T).norm().item()
    return mean_err, cov_err


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--milestones", type=int, nargs="+", default=[300, 450])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    mean = 2.0 * torch.randn(6, generator=g)
    mix = torch.randn(6, 6, generator=g) / 6**0.5
    real = torch.randn(3200, 6, generator=g) @ mix.T + mean
    loader = DataLoader(TensorDataset(real), batch_size=args.batch_size, shuffle=True, drop_last=True)

    net_g, net_d = Generator(), Discriminator()
    criterion = nn.BCEWithLogitsLoss()
    opt_d = torch.optim.Adam(net_d.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(net_g.parameters(), lr=args.lr, betas=(0.5, 0.999))
    sched_d = torch.optim.lr_scheduler.MultiStepLR(opt_d, milestones=args.milestones, gamma=0.3)
    sched_g = torch.optim.lr_scheduler.MultiStepLR(opt_g, milestones=args.milestones, gamma=0.3)

    with torch.no_grad():
        mean_err, cov_err = stats_gap(net_g(torch.randn(2000, 4)), real)
    print(f"init mean_err={mean_err:.4f} cov_err={cov_err:.4f}")
    it = 0
    for epoch in range(1, args.epochs + 1):
        d_total, g_total, n = 0.0, 0.0, 0
        for (xb,) in loader:
            ones, zeros = torch.ones(len(xb), 1), torch.zeros(len(xb), 1)
            fake = net_g(torch.randn(len(xb), 4))

            opt_d.zero_grad()
            d_loss = criterion(net_d(xb), ones) + criterion(net_d(fake.detach()), zeros)
            d_loss.backward()
            opt_d.step()

            opt_g.zero_grad()
            g_loss = criterion(net_d(fake), ones)
            g_loss.backward()
            opt_g.step()

            sched_d.step()
            sched_g.step()
            it += 1
            d_total += d_loss.item()
            g_total += g_loss.item()
            n += 1
        with torch.no_grad():
            mean_err, cov_err = stats_gap(net_g(torch.randn(2000, 4)), real)
        print(
            f"epoch {epoch} iter {it} d_loss={d_total / n:.4f} g_loss={g_total / n:.4f} "
            f"mean_err={mean_err:.4f} cov_err={cov_err:.4f}"
        )
    print(f"final d_loss={d_total / n:.4f} g_loss={g_total / n:.4f} mean_err={mean_err:.4f} cov_err={cov_err:.4f}")


if __name__ == "__main__":
    main()
