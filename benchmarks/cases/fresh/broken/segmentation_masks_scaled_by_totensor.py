"""Broken: segmentation masks go through ToTensor (scaled by 1/255) and are cast to long: all zeros.

Source: pytorch/vision issue #2497 "Grayscale image mask is transformed in a performance
decreasing way with ToTensor()" (https://github.com/pytorch/vision/issues/2497), found with the
`issues` search "mask ToTensor divides by 255 then long() all zeros segmentation labels". The
labels were class indices 0..NUM_CLASSES; ToTensor rescaled them to [0, 1] and "the models could
not even overfit on a simple dataset"; replacing it with torch.tensor() fixed training.

Bug: ToTensor divides uint8 masks by 255, so class k becomes k/255 and `.long()` truncates every
pixel to class 0: the network is trained to predict background everywhere.

Reproduction: synthetic 1x24x24 images with 1-3 bright rectangles of 3 classes (class = the
rectangle's intensity level) on a noisy background; the training masks are built as
`(mask_uint8 / 255).long()` (what ToTensor + .long() gives); the validation masks are the true
class indices, as in the report's comparison run; a small fully convolutional net (3x3 conv
stack, 4-class 1x1 head); per-pixel CrossEntropyLoss; Adam lr 1e-3; batch 16.

Verified (verify.py): after 3 epochs the accuracy on the foreground pixels of the true validation
masks is 0.00 (everything predicted background) against 0.57 for the same net trained on the
unscaled masks (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/vision/issues/2497",
    "kind": "broken",
    "bug": "uint8 class-index masks scaled by ToTensor (/255) then .long(): every training pixel labelled 0",
    "expect": {"ND102": "warn"},
    "consequences": ["ND405"],
}

SIZE = 24


def _scenes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    img = 0.2 * torch.randn(n, 1, SIZE, SIZE, generator=g)
    mask = torch.zeros(n, SIZE, SIZE, dtype=torch.uint8)
    for _ in range(3):
        cls = torch.randint(1, 4, (n,), generator=g)
        x0, y0 = torch.randint(0, SIZE - 8, (2, n), generator=g)
        w, h = torch.randint(4, 9, (2, n), generator=g)
        for k in range(n):
            sl = (slice(int(y0[k]), int(y0[k] + h[k])), slice(int(x0[k]), int(x0[k] + w[k])))
            img[k, 0][sl] += 0.6 * float(cls[k])
            mask[k][sl] = int(cls[k])
    return img, mask


def _fcn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 4, 1),
    )


def build_model() -> nn.Module:
    return _fcn()


def _loaders(totensor_scaled: bool):
    x, m = _scenes(600, 1)
    xv, mv = _scenes(150, 2)
    y = (m.float() / 255).long() if totensor_scaled else m.long()
    train = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, mv.long()), batch_size=75)


def build_data():
    return _loaders(totensor_scaled=True)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_data():
    return _loaders(totensor_scaled=False)


def _foreground_accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    fg = y > 0
    return (out.argmax(1)[fg] == y[fg]).float().mean().item()


VERIFY = {
    "metric": _foreground_accuracy,
    "epochs": 3,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.4,
}
