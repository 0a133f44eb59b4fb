"""Broken: batch-first token batches fed to nn.TransformerEncoderLayer built with the default
batch_first=False, so self-attention runs across the samples of the batch.

Source: Exorust/TorchLeet issue #5 "In h3, we should pass batch_first=True to
TransformerEncoderLayer" (https://github.com/Exorust/TorchLeet/issues/5), found with the `issues`
search "nn.TransformerEncoder batch_first False input shape batch seq mixing samples": "Torch by
default uses batch_first=False for the TransformerEncoderLayer, resulting in high training loss and
test error."

Bug: the inputs are [batch, seq, d_model] but the layer reads them as [seq, batch, d_model]: each
position attends over the same position of the other samples in the batch and never over its own
sequence; a sample's output depends on its batch-mates.

Reproduction: sequences of 12 tokens from a vocabulary of 4; the class (2) says whether the last
token equals the first (half the sequences by construction), which needs attention between the
two positions; Embedding(4, 32) + learned positions (std 1), a 2-layer TransformerEncoder of
TransformerEncoderLayer(32, 4, 64, dropout 0), mean over the token axis, Linear(32, 2); CrossEntropyLoss; AdamW lr 1e-3; batch 32 (validation 200 per batch).

Verified (verify.py): a sample's eval-mode output changes when its batch-mates change, and after
6 epochs validation accuracy is far below the same model with batch_first=True (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/Exorust/TorchLeet/issues/5",
    "kind": "broken",
    "bug": "batch-first batches fed to a TransformerEncoderLayer left at batch_first=False (attention over the batch)",
    "expect": {"ND304": "warn"},
    "consequences": ["ND402", "ND404", "ND405"],
}

VOCAB, LENGTH, CLASSES = 4, 12, 2


def _sequences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, VOCAB, (n, LENGTH), generator=g)
    same = torch.rand(n, generator=g) < 0.5
    x[same, -1] = x[same, 0]
    return x, (x[:, 0] == x[:, -1]).long()  # does the sequence end with the token it starts with?


class TokenClassifier(nn.Module):
    def __init__(self, batch_first: bool) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 32)
        self.pos = nn.Parameter(torch.randn(LENGTH, 32))
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=batch_first)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(32, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encoder(self.embed(x) + self.pos)
        return self.head(h.mean(1))


def build_model() -> nn.Module:
    return TokenClassifier(batch_first=False)


def build_data():
    x, y = _sequences(2000, 1)
    xv, yv = _sequences(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return TokenClassifier(batch_first=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 8,
    "fix": {"build_model": fixed_model},
    "claims": ["batch_dependent", "worse_than_fix"],
    "margin": 0.15,
}
