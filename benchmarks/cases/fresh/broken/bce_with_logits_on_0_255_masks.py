"""Broken: binary segmentation masks stored as 0/255 go straight into nn.BCEWithLogitsLoss.

Source: MontaEllis/Pytorch-Medical-Segmentation issue #8 "Why is the value of BCEWithLogitsLoss
negative?" (https://github.com/MontaEllis/Pytorch-Medical-Segmentation/issues/8), found with the
`issues` search "BCELoss labels -1 and 1 instead of 0 and 1 negative loss". The maintainer:
"since your labels are not 0/1 ... your label is most likely a png image. Do normalisation on the
read process."

Bug: BCEWithLogitsLoss treats the target as a probability; with y = 255 the per-pixel loss
softplus(z) - 255 z is unbounded below, so the loss goes negative and keeps falling by pushing
foreground logits to +inf, while the background term is swamped: the model learns to call
everything foreground.

Reproduction: synthetic 1x24x24 images with 1-2 bright discs on a noisy background, masks 0/255
(float) as read from a PNG; a small fully convolutional net (3x3 conv stack, 1-channel logit
head); BCEWithLogitsLoss; Adam lr 1e-3; batch 16. Validation masks are 0/1 for the IoU.

Verified (verify.py): the training loss goes negative and after 3 epochs the validation IoU
stays below that of the same net trained on masks scaled to 0/1 (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/MontaEllis/Pytorch-Medical-Segmentation/issues/8",
    "kind": "broken",
    "bug": "binary segmentation masks with values 0/255 used as BCEWithLogitsLoss targets (negative loss)",
    "expect": {"ND102": "warn"},
    "consequences": ["ND201", "ND402", "ND404"],
}

SIZE = 24


def _scenes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    mask = torch.zeros(n, 1, SIZE, SIZE)
    for _ in range(2):
        cx, cy = torch.randint(4, SIZE - 4, (2, n, 1, 1), generator=g)
        r = torch.randint(2, 6, (n, 1, 1), generator=g)
        mask[:, 0] = torch.maximum(mask[:, 0], (((xx - cx) ** 2 + (yy - cy) ** 2) <= r**2).float())
    return mask + 0.4 * torch.randn(n, 1, SIZE, SIZE, generator=g), mask


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 1, 1),
    )


def _loaders(scale: float):
    x, m = _scenes(600, 1)
    xv, mv = _scenes(150, 2)
    train = DataLoader(
        TensorDataset(x, m * scale), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return train, DataLoader(TensorDataset(xv, mv), batch_size=75)


def build_data():
    return _loaders(255.0)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_data():
    return _loaders(1.0)


VERIFY = {
    "metric": "iou",
    "epochs": 3,
    "fix": {"build_data": fixed_data},
    "claims": ["negative_loss", "worse_than_fix"],
    "margin": 0.1,
}
