"""Broken: a DLRM-style ReLU MLP whose biases start at large negative values: dead units.

Source: GitHub pull request facebookresearch/dlrm#358, "switched bias initialization to initialize
to zeros per standard Xavier" (https://github.com/facebookresearch/dlrm/pull/358), found with the
`issues` search: "the bias may be initialized to a large negative value, leading to a negative
input to Relu. This prevents any training, as all derivatives are zero afterward."

Bug: with biases far below the typical pre-activation (here about -4 standard deviations) almost
every hidden ReLU outputs 0 for every input, so almost no gradient flows and the few live units
carry everything: the model barely learns.

Reproduction: a click-prediction MLP on 13 dense standardized features (DLRM's bottom MLP input)
with a binary label from a non-linear rule, 13-256-128-1 ReLU MLP with weights N(0, 2/fan_in) and
biases N(-4 * sqrt(2), 0.5) (pre-activations have std ~ sqrt(2)), BCEWithLogitsLoss, SGD lr 0.1,
batch 128.

Verified (verify.py, VERIFIED.md): validation AUC stays near 0.5 while zero biases (the fix, the
PR's change) learn the rule.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/facebookresearch/dlrm/pull/358",
    "kind": "broken",
    "bug": "hidden biases initialized far negative: the ReLU units are dead from the start",
    "expect": {"ND203": "warn"},
    "consequences": ["ND202", "ND301", "ND302", "ND402", "ND404", "ND405"],
}


def _clicks(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 13, generator=g)
    logit = 1.5 * x[:, 0] * x[:, 1] + x[:, 2] - 0.8 * x[:, 3] ** 2 + 0.8
    return x, (logit + 0.5 * torch.randn(n, generator=g) > 0).float()[:, None]


def _mlp(dead: bool) -> nn.Module:
    model = nn.Sequential(nn.Linear(13, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 1))
    g = torch.Generator().manual_seed(0)
    for m in model:
        if isinstance(m, nn.Linear):
            with torch.no_grad():
                m.weight.normal_(0, (2 / m.in_features) ** 0.5, generator=g)
                if dead and m.out_features > 1:
                    m.bias.normal_(-4 * 2**0.5, 0.5, generator=g)
                else:
                    m.bias.zero_()
    return model


def build_model() -> nn.Module:
    return _mlp(dead=True)


def build_data():
    x, y = _clicks(6000, 1)
    xv, yv = _clicks(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=1000)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.1)


def fixed_model() -> nn.Module:
    return _mlp(dead=False)


VERIFY = {
    "metric": "auc",
    "epochs": 3,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
