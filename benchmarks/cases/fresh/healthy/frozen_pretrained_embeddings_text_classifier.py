"""Healthy: a text classifier on frozen "pretrained" word vectors (nn.Embedding.from_pretrained, freeze=True).

Source: the PyTorch nn.Embedding.from_pretrained reference
(https://pytorch.org/docs/stable/generated/torch.nn.Embedding.html), found with the `docs` search
"Embedding from_pretrained freeze True GloVe text classification": "freeze (bool, optional) -
If True, the tensor does not get updated in the learning process."

Setup: word vectors (vocab 300, dim 32) standing in for GloVe: each word's vector is its topic
direction plus noise, loaded with from_pretrained(freeze=True); documents of 24 words from 4
topics (topic words mixed with common words); mean-pooled embeddings -> Linear(32, 64) -> ReLU ->
Linear(64, 4); CrossEntropyLoss; Adam lr 1e-3 over the trainable parameters; batch 32.

Why it looks suspicious but is healthy: the embedding matrix (the model's largest parameter) has
requires_grad=False and never changes, on purpose; the head trains and the task is learned.

Verified (verify.py): validation accuracy far above chance (0.25) after 4 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch.org/docs/stable/generated/torch.nn.Embedding.html",
    "kind": "healthy",
    "bug": "healthy: frozen nn.Embedding.from_pretrained(freeze=True) vectors, mean-pool, trainable MLP head",
    "expect": {},
    "consequences": [],
}

VOCAB, DIM, TOPICS, LENGTH = 300, 32, 4, 24


def _vectors() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(23)
    topic_of_word = torch.randint(0, TOPICS + 1, (VOCAB,), generator=g)  # TOPICS = common words
    dirs = torch.cat([torch.randn(TOPICS, DIM, generator=g), torch.zeros(1, DIM)])
    return dirs[topic_of_word] + 0.7 * torch.randn(VOCAB, DIM, generator=g), topic_of_word


def _docs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    _, topic_of_word = _vectors()
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, TOPICS, (n,), generator=g)
    words = torch.zeros(n, LENGTH, dtype=torch.long)
    for k in range(TOPICS + 1):
        pool = (topic_of_word == k).nonzero()[:, 0]
        pick = pool[torch.randint(0, len(pool), (n, LENGTH), generator=g)]
        use = (y[:, None] == k) & (torch.rand(n, LENGTH, generator=g) < 0.3) if k < TOPICS else None
        words = torch.where(use, pick, words) if use is not None else torch.where(words == 0, pick, words)
    return words, y


class FrozenEmbeddingClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding.from_pretrained(_vectors()[0], freeze=True)
        self.head = nn.Sequential(nn.Linear(DIM, 64), nn.ReLU(), nn.Linear(64, TOPICS))

    def forward(self, words: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(words).mean(1))


def build_model() -> nn.Module:
    return FrozenEmbeddingClassifier()


def build_data():
    x, y = _docs(2000, 1)
    xv, yv = _docs(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam([p for p in params if p.requires_grad], lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.7}
