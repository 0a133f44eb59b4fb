"""Broken: a wide classifier trained on 15 images per class with no regularization memorizes them.

Source: GitHub issue davidsandberg/facenet#956, "Accuracy reaching 100%"
(https://github.com/davidsandberg/facenet/issues/956), found with the `issues` search: "I am
training on my own dataset, 92 classes approx. 15 images per class ... the training accuracy is
reaching 100%"; the answer: "ur dataset is too small for this deep network ... only 92*15 images
can still cause overfit".

Bug: ~1,400 training images for 92 classes and a model with far more parameters than samples, no
weight decay, dropout or augmentation: the training accuracy goes to 100% while accuracy on new
images of the same people stays far lower, a large and growing generalization gap.

Reproduction: 92 "identities" with 15 training and 5 validation face-embedding-like samples each
(128-d, identity centre + large per-image variation), a 128-512-512-92 ReLU MLP (330k parameters for 1,380 images), no
regularization, CrossEntropyLoss, Adam lr 1e-3, batch 64.

Verified (verify.py, VERIFIED.md): after 20 epochs training accuracy is near 100% while validation
accuracy is far lower (train - val gap above 0.3).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/davidsandberg/facenet/issues/956",
    "kind": "broken",
    "bug": "92 classes x 15 images, a 330k-parameter MLP, no regularization: memorizes the training set",
    "expect": {"ND405": "warn"},
    "consequences": ["ND401"],
}


def _faces(per_class: int, seed: int):
    centres = torch.randn(92, 128, generator=torch.Generator().manual_seed(29))
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(92).repeat_interleave(per_class)
    return centres[y] + 3.5 * torch.randn(len(y), 128, generator=g), y


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(128, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 92))


def build_data():
    x, y = _faces(15, 1)
    xv, yv = _faces(5, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=460)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 20, "claims": ["gap:0.3"]}
