"""Healthy: the classic pytorch/examples MNIST Net (Dropout2d, F.dropout(training=self.training), log_softmax + NLL).

Source: the pytorch/examples MNIST model as published in
https://huggingface.co/student/Pytorch_MNIST_Image_Recognition/blame/main/model.py, found with the
`docs` search.

Setup (as in the example): Conv2d(1, 10, 5) -> max_pool2d(2) -> ReLU; Conv2d(10, 20, 5) ->
Dropout2d -> max_pool2d(2) -> ReLU; view(-1, 320); Linear(320, 50) -> ReLU ->
F.dropout(training=self.training); Linear(50, 10); log_softmax(dim=1); F.nll_loss; SGD lr 0.01
momentum 0.5; batch 64; inputs normalized with mean 0.1307 / std 0.3081.

Why healthy: log_softmax paired with NLLLoss is the correct pairing; the functional dropout is
tied to self.training, and Dropout2d is a module, so model.eval() turns both off.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 4 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://huggingface.co/student/Pytorch_MNIST_Image_Recognition/blame/main/model.py (pytorch/examples MNIST Net)",
    "kind": "healthy",
    "bug": "healthy: pytorch/examples MNIST Net with dropout in train mode only, log_softmax + NLLLoss",
    "expect": {},
    "consequences": [],
}


def _images(n: int, seed: int):
    protos = nn.functional.interpolate(
        torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(1234)), size=28, mode="bilinear"
    )
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (protos[y] + 0.5 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return (x - 0.1307) / 0.3081, y


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = torch.relu(nn.functional.max_pool2d(self.conv1(x), 2))
        x = torch.relu(nn.functional.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = torch.relu(self.fc1(x))
        x = nn.functional.dropout(x, training=self.training)
        return nn.functional.log_softmax(self.fc2(x), dim=1)


def build_model() -> nn.Module:
    return Net()


def build_data():
    x, y = _images(6000, 1)
    xv, yv = _images(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.NLLLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.5)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.6}
