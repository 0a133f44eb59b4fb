"""Healthy: house-price regression with normalized inputs and price/1e6 targets (8-(10-10)-1, Adam, MSE).

Source: James McCaffrey, "Neural Regression Using PyTorch: Defining a Network"
(https://jamesmccaffrey.wordpress.com/2021/02/25/neural-regression-using-pytorch-defining-a-network/),
found with the `pages` search: predict a house price from area, air conditioning, style and
school (8 encoded inputs), an 8-(10-10)-1 network, MSELoss, Adam, batches of 10 over 200 items;
the series normalizes the area and divides the price by 1,000,000.

Setup: 800 synthetic houses (area normalized, one-hot style and school, binary AC), price =
f(features) in dollars / 1e6 (targets around 0.2-0.6 with spread ~0.1); the article's 8-10-10-1
tanh network (Xavier init), MSELoss, Adam lr 0.01, batch 10.

Why healthy: inputs on unit scale, targets scaled to order 1, a linear output for a real-valued
target, MSE on matching [N, 1] shapes.

Verified (verify.py, VERIFIED.md): validation R^2 well above 0.5 after 10 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://jamesmccaffrey.wordpress.com/2021/02/25/neural-regression-using-pytorch-defining-a-network/",
    "kind": "healthy",
    "bug": "healthy: 8-(10-10)-1 tanh regression on normalized inputs, price/1e6 targets, Adam, MSE",
    "expect": {},
    "consequences": [],
}


def _houses(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    area = torch.rand(n, generator=g) * 0.6 + 0.1  # area / 10,000 sq ft
    ac = (torch.rand(n, generator=g) < 0.5).float()
    style = nn.functional.one_hot(torch.randint(0, 3, (n,), generator=g), 3).float()
    school = nn.functional.one_hot(torch.randint(0, 3, (n,), generator=g), 3).float()
    x = torch.cat([area[:, None], ac[:, None], style, school], 1)
    price = (
        0.1
        + 0.6 * area
        + 0.05 * ac
        + style @ torch.tensor([0.0, 0.03, 0.06])
        + school @ torch.tensor([0.02, 0.0, 0.05])
    )
    price = price + 0.1 * area * ac + 0.01 * torch.randn(n, generator=g)
    return x, price[:, None]


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hid1, self.hid2, self.oupt = nn.Linear(8, 10), nn.Linear(10, 10), nn.Linear(10, 1)
        for layer in (self.hid1, self.hid2, self.oupt):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        return self.oupt(torch.tanh(self.hid2(torch.tanh(self.hid1(x)))))


def build_model() -> nn.Module:
    return Net()


def build_data():
    x, y = _houses(800, 1)
    xv, yv = _houses(200, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=10, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=0.01)


VERIFY = {"metric": "r2", "epochs": 10, "min": 0.5}
