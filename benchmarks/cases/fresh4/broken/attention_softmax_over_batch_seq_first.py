"""Broken: attention pooling over a sequence-first GRU's outputs ([time, batch, hidden]) whose
softmax runs over dim=1, the batch, instead of dim=0, the time steps.

Source: ssw-nlp-study-group/nlp_study pull request #2 "修复softmax轴数bug" (fix the softmax axis bug,
https://github.com/ssw-nlp-study-group/nlp_study/pull/2), found with the `issues` search
"attention pooling softmax dim=0 over batch instead of sequence bug": "axis 0 is the letter
sequence axis, axis 1 is the batch; the softmax should run along axis 0 to give attention over
the sequence". The code before the fix normalized the attention scores along the batch.

Bug: the weights of sentence b at step t are exp(s[t, b]) / sum over the batch of exp(s[t, :]).
Each sentence's pooled vector depends on which other sentences share its batch, the weights of one
sentence no longer sum to one over its own tokens, and predictions change with the batch
composition and size.

Reproduction: 20-token sequences over 30 symbols, label = which of 4 marker tokens occurs (once,
at a random position, among filler tokens). Embedding(30, 32) -> GRU(32, 64) run sequence-first
(the input is transposed to [T, B]) -> Linear(64, 1) scores -> softmax(dim=1) -> weighted sum
over time -> Linear(64, 4); CrossEntropyLoss, Adam lr 3e-3, batch 32.

Verified (verify.py): a sample's eval-mode output changes when the rest of its batch changes
(batch_dependent); softmax(dim=0) is the fix. On this easy task the accuracy does not suffer
(both reach 1.0, also when validated in batches of 400 instead of the training batch of 32): the
bug shows as cross-sample dependence, not as a lower score, which is what ND304 claims to find.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/ssw-nlp-study-group/nlp_study/pull/2",
    "kind": "broken",
    "bug": "attention pooling on [T, B, H] GRU outputs with softmax(dim=1): weights normalized over the batch",
    "expect": {"ND304": "warn"},
    "consequences": ["ND405"],
}

VOCAB, LENGTH, CLASSES = 30, 20, 4


def _sequences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(CLASSES + 1, VOCAB, (n, LENGTH), generator=g)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    pos = torch.randint(0, LENGTH, (n,), generator=g)
    x[torch.arange(n), pos] = 1 + y
    return x, y


class AttentionClassifier(nn.Module):
    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim
        self.embed = nn.Embedding(VOCAB, 32)
        self.gru = nn.GRU(32, 64)  # sequence-first
        self.score = nn.Linear(64, 1)
        self.fc = nn.Linear(64, CLASSES)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.embed(tokens.t()))  # [T, B, H]
        weights = torch.softmax(self.score(h), dim=self.dim)  # dim=1 is the batch
        return self.fc((weights * h).sum(0))


def build_model() -> nn.Module:
    return AttentionClassifier(dim=1)


def fixed_model() -> nn.Module:
    return AttentionClassifier(dim=0)


def build_data():
    x, y = _sequences(2000, 1)
    xv, yv = _sequences(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["batch_dependent"],
}
