"""Broken: a keypoint head copies its input with torch.tensor(...), cutting the backbone off the graph.

Source: GitHub issue open-mmlab/mmpose#2788, "[Bug] Add new loss can't backward"
(https://github.com/open-mmlab/mmpose/issues/2788), found with the `issues` search: the modified
head ran `pre_cls1 = torch.tensor(pre_cls, device=gt_x.device)` (PyTorch itself warns "To copy
construct from a tensor, it is recommended to use sourceTensor.clone().detach()").

Bug: torch.tensor(t) makes a new leaf tensor with no history: everything before it (the
backbone) receives no gradient and keeps its random init, while the layers after it still train,
so the loss falls a little and hides the problem.

Reproduction: 2-d keypoint regression from 1x24x24 heat-blob images (the blob's centre is the
target, standardized), a conv backbone (2 conv-pool blocks) whose features reach a linear head
through torch.tensor(features), MSELoss, Adam lr 1e-3, batch 32.

Verified (verify.py, VERIFIED.md): every backbone parameter is unchanged after training and the
validation R^2 stays below the same model with the copy removed (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/open-mmlab/mmpose/issues/2788",
    "kind": "broken",
    "bug": "features copied with torch.tensor(...) before the head: the backbone gets no gradient",
    "expect": {"ND302": "warn"},
    "consequences": ["ND301", "ND402", "ND405"],
}


class KeypointNet(nn.Module):
    def __init__(self, cut: bool) -> None:
        super().__init__()
        self.cut = cut
        self.backbone = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Linear(16 * 6 * 6, 2)

    def forward(self, x):
        feats = self.backbone(x)
        if self.cut:
            feats = torch.tensor(feats, device=x.device)  # BUG: a new leaf, no history
        return self.head(feats)


def _blobs(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    centre = torch.rand(n, 2, generator=g) * 16 + 4
    yy, xx = torch.meshgrid(torch.arange(24.0), torch.arange(24.0), indexing="ij")
    d2 = (yy - centre[:, 0, None, None]) ** 2 + (xx - centre[:, 1, None, None]) ** 2
    img = torch.exp(-d2 / 8) + 0.1 * torch.randn(n, 24, 24, generator=g)
    return img[:, None], (centre - 12) / 4.6


def build_model() -> nn.Module:
    return KeypointNet(cut=True)


def build_data():
    x, y = _blobs(1500, 1)
    xv, yv = _blobs(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.MSELoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return KeypointNet(cut=False)


VERIFY = {
    "metric": "r2",
    "epochs": 5,
    "fix": {"build_model": fixed_model},
    "claims": ["frozen:backbone.", "worse_than_fix"],
    "margin": 0.15,
}
