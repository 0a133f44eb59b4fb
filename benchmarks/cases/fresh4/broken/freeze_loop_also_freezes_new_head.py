"""Broken: transfer learning where the freezing loop keeps only parameters named "fc*" trainable,
but the new head is called `classifier`: every parameter ends up with requires_grad=False.

Source: open-mmlab/mmdetection issue #4040 "Only update the parameters of my own structure?"
(https://github.com/open-mmlab/mmdetection/issues/4040), found with the `issues` search
"element 0 of tensors does not require grad after freezing layers requires_grad False new
classifier head": the user freezes everything except parameters whose name contains 'ATS' and
gets "RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn"
at loss.backward(); the maintainer's answer is that the parts meant to train were frozen too.

Bug: `for name, p in model.named_parameters(): if not name.startswith("fc"): p.requires_grad =
False`. The classifier is `model.classifier`, so the filter matches nothing, the whole model is
frozen, the loss has no grad_fn and backward() raises. The optimizer is still built over
model.parameters(), which torch accepts.

Reproduction: small conv backbone (two conv-BN-ReLU blocks, "pretrained" = randomly initialized
here) on 1x16x16 synthetic images of 4 shape classes, new Linear head, SGD lr 0.01 momentum 0.9,
batch 32. The fix tests the head's real name.

Verified (verify.py): training crashes on the first backward; the fixed filter trains the head.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/open-mmlab/mmdetection/issues/4040",
    "kind": "broken",
    "bug": "freeze loop keeps only names starting with 'fc' trainable but the head is 'classifier': all frozen",
    "expect": {"ND302": "warn"},
    "consequences": [],
}


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    x = 0.5 * torch.randn(n, 1, 16, 16, generator=g)
    for k in range(4):
        m = y == k
        if k == 0:
            x[m, :, 4:12, 7:9] += 1.5
        elif k == 1:
            x[m, :, 7:9, 4:12] += 1.5
        elif k == 2:
            x[m, :, 4:12, 4:12] += 0.8
        else:
            x[m, :, 2:6, 2:6] += 1.5
    return x, y


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.classifier = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.backbone(x))


def _frozen(head_prefix: str) -> nn.Module:
    model = Net()
    for name, p in model.named_parameters():
        if not name.startswith(head_prefix):
            p.requires_grad = False
    return model


def build_model() -> nn.Module:
    return _frozen("fc")  # the head is called "classifier"


def fixed_model() -> nn.Module:
    return _frozen("classifier")


def build_data():
    x, y = _images(1600, 1)
    xv, yv = _images(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_model": fixed_model},
    "claims": ["crash", "worse_than_fix"],
    "margin": 0.1,
}
