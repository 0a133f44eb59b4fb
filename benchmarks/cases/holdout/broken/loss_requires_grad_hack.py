"""Broken: the graph is cut before the loss, and `loss.requires_grad = True` hides the error.

Source: GitHub issue ronghuaiyang/arcface-pytorch#56, "RuntimeError: element 0 of tensors does not
require grad and does not have a grad_fn" (https://github.com/ronghuaiyang/arcface-pytorch/issues/56),
found with the `issues` search: "to solve this problem, i add a line code ... loss.requires_grad =
True and then it do not report errors. but when i train, the loss is not decline, and the acc is
always zero".

Bug: somewhere between the model and the loss the autograd graph was broken (here the embedding
is turned into a new tensor with torch.tensor(...), as the arcface margin code path did through
a numpy round trip). PyTorch correctly refuses to backpropagate; setting requires_grad on the
loss makes loss a new leaf, backward() succeeds and computes nothing: no parameter gets a
gradient, nothing trains.

Reproduction: a face-embedding stand-in: 10 identities of 64-d features, an MLP embedding net
(64-128-32) followed by a cosine classifier head, CrossEntropyLoss wrapped so that the logits
pass through torch.tensor(...) and the loss gets requires_grad=True, SGD lr 0.1 momentum 0.9.

Verified (verify.py, VERIFIED.md): no parameter changes during training and accuracy stays at
chance, while the same model without the graph cut (the fix) learns the identities.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/ronghuaiyang/arcface-pytorch/issues/56",
    "kind": "broken",
    "bug": "logits re-wrapped with torch.tensor() (graph cut) and loss.requires_grad = True: nothing trains",
    "expect": {"ND302": "warn"},
    "consequences": ["ND301", "ND303", "ND402", "ND404", "ND405"],
}


class FaceNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 32))
        self.centres = nn.Parameter(torch.randn(10, 32))

    def forward(self, x):
        e = nn.functional.normalize(self.embed(x), dim=1)
        return 10 * e @ nn.functional.normalize(self.centres, dim=1).t()  # scaled cosine logits


class DetachedCE(nn.Module):
    def forward(self, logits, target):
        logits = torch.tensor(logits.detach().numpy())  # BUG: graph cut (numpy round trip)
        loss = nn.functional.cross_entropy(logits, target)
        loss.requires_grad = True  # BUG: silences "element 0 of tensors does not require grad"
        return loss


def _faces(n: int, seed: int):
    centres = torch.randn(10, 64, generator=torch.Generator().manual_seed(23))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return centres[y] + 1.2 * torch.randn(n, 64, generator=g), y


def build_model() -> nn.Module:
    return FaceNet()


def build_data():
    x, y = _faces(2000, 1)
    xv, yv = _faces(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return DetachedCE()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def fixed_loss():
    return nn.CrossEntropyLoss()


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_loss": fixed_loss},
    "claims": ["frozen:", "worse_than_fix"],
    "margin": 0.4,
}
