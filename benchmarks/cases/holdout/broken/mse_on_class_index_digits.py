"""Broken: digits classified by one output neuron regressing the class number with MSELoss.

Source: StackOverflow question "Predict MNIST digits only with one neuron in the output layer"
(mirrored at https://coderapp.vercel.app/answer/45861980), found with the `pages` search: the
asker wants "one neuron in the output layer which can directly predict digit ... if we give digit
3 as input, the output layer neuron should give output value close to 3".

Bug: treating the class index as a number imposes a false order and distance on the classes
(a 4-vs-9 mistake costs 25x a 4-vs-5 one) and rewards predicting the average digit when unsure;
rounding the regression output is a poor classifier compared with a 10-way softmax.

Reproduction: synthetic 10-class 28x28 digit-like images, a 784-128-1 ReLU MLP, MSELoss on the
label value as a float [N, 1], Adam lr 1e-3, batch 64.

Verified (verify.py, VERIFIED.md): rounded-prediction validation accuracy after 5 epochs is far
below the same MLP with 10 outputs and CrossEntropyLoss (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://coderapp.vercel.app/answer/45861980 (StackOverflow: Predict MNIST digits only with one neuron in the output layer)",
    "kind": "broken",
    "bug": "10-class classification regressed as one number: MSELoss on the class index",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND405"],
}


def _images(n: int, seed: int, as_float: bool):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.4 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return x.flatten(1), (y.float()[:, None] if as_float else y)


def _loaders(as_float: bool):
    x, y = _images(2000, 1, as_float)
    xv, yv = _images(500, 2, as_float)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 1))


def build_data():
    return _loaders(as_float=True)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def fixed_data():
    return _loaders(as_float=False)


def fixed_loss():
    return nn.CrossEntropyLoss()


def digit_accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    pred = out.argmax(1) if out.shape[1] > 1 else out[:, 0].round().clamp(0, 9).long()
    return (pred == y.reshape(-1).long()).float().mean().item()


VERIFY = {
    "metric": digit_accuracy,
    "epochs": 5,
    "fix": {"build_model": fixed_model, "build_data": fixed_data, "build_loss": fixed_loss},
    "claims": ["worse_than_fix"],
    "margin": 0.2,
}
