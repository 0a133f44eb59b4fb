"""Broken: a ReLU applied to the classifier's output layer, so the logits fed to
nn.CrossEntropyLoss are clipped at zero. A logit that is 0 for an input passes no gradient, so
the model cannot push the wrong classes below the right one by lowering them, only by raising
the right one where its unit is alive; classes whose output unit is dead for a region of the
input cannot be learned there.

Source: "Why does using ReLU after the linear layers lower the accuracy" (xue-jishu.com, a
translated Stack Overflow question;
https://xue-jishu.com/wei-shen-me-zai-xian-xing-ceng-hou-shi-yong-relu-ji-huo-han-shu-hui-dao-zhi-zhun-que-lyu-xia),
found with the `pages` search "ReLU after last linear layer before CrossEntropyLoss classifier
not learning": a FashionMNIST CNN with Adam lr 1e-3 and CrossEntropyLoss drops from 90% to 50%
accuracy when `out = self.relu(out)` is uncommented after the last Linear layer.

Reproduction: 20 standardized features, 10 classes from Gaussian class means, MLP 20-64-10 whose
forward ends in ReLU, Adam lr 1e-3, batch 64. The fix returns the last Linear's output.

Verified (verify.py): the fixed model ends more accurate (0.990 vs 0.892 at 4 epochs).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://xue-jishu.com/wei-shen-me-zai-xian-xing-ceng-hou-shi-yong-relu-ji-huo-han-shu-hui-dao-zhi-zhun-que-lyu-xia",
    "kind": "broken",
    "bug": "ReLU after the classifier's last Linear layer: non-negative, partly dead logits into CrossEntropyLoss",
    "expect": {"ND103": "warn", "ND203": "warn"},
    "consequences": ["ND402", "ND404", "ND405"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    means = 1.2 * torch.randn(10, 20, generator=torch.Generator().manual_seed(7))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return means[y] + torch.randn(n, 20, generator=g), y


class Classifier(nn.Module):
    def __init__(self, relu_out: bool = True) -> None:
        super().__init__()
        self.fc1 = nn.Linear(20, 64)
        self.fc2 = nn.Linear(64, 10)
        self.relu = nn.ReLU()
        self.relu_out = relu_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.fc2(self.relu(self.fc1(x)))
        if self.relu_out:
            out = self.relu(out)
        return out


def build_model() -> nn.Module:
    return Classifier(relu_out=True)


def fixed_model() -> nn.Module:
    return Classifier(relu_out=False)


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.05,
}
