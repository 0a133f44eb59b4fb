"""Broken: embeddings L2-normalized with ``F.normalize(h, dim=0)`` on a [batch, features] tensor,
i.e. each feature column is divided by its norm over the batch instead of each sample's vector
by its own norm. A sample's output then depends on the other samples in its batch, and the
scale of every feature shrinks with the batch size (1/sqrt(B)).

Source: alireza-nasiri/SoundCLR issue #4 "Normalizing possible wrong axis"
(https://github.com/alireza-nasiri/SoundCLR/issues/4), found with the `issues` search
"F.normalize dim=0 instead of dim=1 embeddings normalized over batch": "You specify dim=0 for
every F.normalize(). Is it normalizing along with the batch size axis? The shape of y_rep is
B x 2048. If you want to normalize each embedding on a unit hypersphere, should it be through
dim=1?"

Reproduction: 16 standardized features, 6 classes, encoder MLP 16-64-32, F.normalize(h, dim=0),
then a cosine-style classifier (Linear 32-6 on the normalized embedding, logits x 10), Adam
lr 1e-3, batch 16 (the validation loader uses batch 500, so the embedding scale changes between
training and evaluation; at training batch 64 the end accuracy was 0.914 vs 0.952, too close). The fix normalizes over dim=1.

Verified (verify.py): outputs change when the other samples of the batch change, and the fixed
control ends more accurate.
"""

import torch
import torch.nn.functional as F  # noqa: N812 - the universal alias
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/alireza-nasiri/SoundCLR/issues/4",
    "kind": "broken",
    "bug": "F.normalize(embeddings, dim=0) on [batch, features]: normalized over the batch, not per sample",
    "expect": {"ND304": "warn"},
    "consequences": ["ND106", "ND405"],
}


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    means = torch.randn(6, 16, generator=torch.Generator().manual_seed(11))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 6, (n,), generator=g)
    return means[y] + torch.randn(n, 16, generator=g), y


class CosineNet(nn.Module):
    def __init__(self, norm_dim: int = 0) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 32))
        self.classifier = nn.Linear(32, 6)
        self.norm_dim = norm_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.normalize(self.encoder(x), dim=self.norm_dim)
        return 10.0 * self.classifier(h)


def build_model() -> nn.Module:
    return CosineNet(norm_dim=0)


def fixed_model() -> nn.Module:
    return CosineNet(norm_dim=1)


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(1000, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=500)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["batch_dependent", "worse_than_fix"],
    "margin": 0.1,
}
