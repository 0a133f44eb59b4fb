"""Broken: a GRU sequence tagger whose F.log_softmax normalizes over the time axis (dim=1 of a
[batch, time, tags] output) instead of the tags; the flattened scores go to nn.NLLLoss.

Source: pytorch/pytorch issue #27626 "Cross entropy with sequence log_softmax not (almost) equal
to 1" (https://github.com/pytorch/pytorch/issues/27626), found with the `issues` search
"log_softmax dim=1 sequence tagging output batch seq classes wrong dimension NLLLoss": the user
passes a [minibatch, sequence_length, K-tag] tensor to the loss, whose log_softmax runs over
dim 1, and finds that the "probabilities" of a token do not sum to 1. dim=1 is the class axis
only for [N, C] (or [N, C, T]) tensors; for a batch-first [N, T, C] tagger it is time.

Bug: log_softmax(scores, dim=1) makes, for each tag, a distribution over the positions of the
sentence. After reshape(-1, C) NLLLoss reads rows that are not log-probabilities over tags, so
the model is trained to make a tag likely at this position relative to other positions rather
than relative to the other tags; the per-token argmax is a poor tagger.

Reproduction: NER-like tagging of 24-token sentences over a 40-word vocabulary: ten entity
words carry one of five entity tags, every other word is "O" (tag 0) unless it follows an entity
word (continuation tag 6), so the GRU needs the previous token and most tokens are "O".
Embedding(40, 32) -> GRU(32, 64, batch_first) -> Linear(64, 7), log_softmax(dim=1), NLLLoss on
the flattened [N*T, 7] scores, Adam lr 3e-3, batch 32. The original is a sequence CE question.

Verified (verify.py): the same tagger with log_softmax(dim=-1) tags the validation tokens
(almost) perfectly in the same budget, while the broken one keeps several percent of token errors
(margin 0.05: the time-normalized scores still rank tags correctly at most positions).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/pytorch/issues/27626",
    "kind": "broken",
    "bug": "batch-first [N, T, C] tagger with log_softmax(dim=1): normalized over time, not over tags, into NLLLoss",
    "expect": {"ND103": "warn"},
    "consequences": ["ND402", "ND404"],
}

VOCAB, LENGTH, TAGS = 40, 24, 7


def _sentences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    word_tag = torch.zeros(VOCAB, dtype=torch.long)
    word_tag[:10] = 1 + torch.arange(10) % 5  # ten entity words of five types; the rest are "O" words
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, VOCAB, (n, LENGTH), generator=g)
    tag = word_tag[x]
    after_entity = torch.cat([torch.zeros(n, 1, dtype=torch.bool), tag[:, :-1] > 0], 1)
    y = torch.where((tag == 0) & after_entity, torch.full_like(tag, 6), tag)  # 6: continuation
    return x, y


class Tagger(nn.Module):
    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim
        self.embed = nn.Embedding(VOCAB, 32)
        self.gru = nn.GRU(32, 64, batch_first=True)
        self.out = nn.Linear(64, TAGS)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.embed(tokens))
        return nn.functional.log_softmax(self.out(h), dim=self.dim)  # [N, T, C]; dim=1 is time


def build_model() -> nn.Module:
    return Tagger(dim=1)


def fixed_model() -> nn.Module:
    return Tagger(dim=-1)


def build_data():
    x, y = _sentences(2000, 1)
    xv, yv = _sentences(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def forward(model, batch):
    x, y = batch
    return model(x).reshape(-1, TAGS), y.reshape(-1)


def build_loss():
    return nn.NLLLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.05,
}
