"""Healthy: logistic (softmax) regression on sparse TF-IDF document vectors: 2000-dimensional
inputs with ~1% non-zero entries per row, each row L2-normalized, a single nn.Linear layer and
CrossEntropyLoss.

Source: "How To Implement Logistic Regression Text Classification In Python With Scikit-learn
and PyTorch" (https://spotintelligence.com/2023/02/22/logistic-regression-text-classification-python/),
found with the `pages` search "tf-idf bag of words logistic regression pytorch sparse high
dimensional input text classification": "text data is often very high-dimensional and sparse,
meaning many features are zero for most data points. Logistic regression can handle sparse
data well"; the PyTorch version is a Linear layer over the TF-IDF matrix.

Setup: synthetic corpus: 4 topics, each with its own word distribution over a 2000-word
vocabulary; 20 words per document; term counts * idf, rows L2-normalized (dense tensors, as
after `.toarray()`); Linear(2000, 4), CrossEntropyLoss, Adam lr 1e-2, batch 64.

Why healthy: per-element RMS is tiny (~0.02) and most columns are zero in a batch, but that is
the normal scale of unit-norm TF-IDF rows; a linear model on them is the classic text baseline.

Verified (verify.py): validation accuracy far above chance (1/4).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://spotintelligence.com/2023/02/22/logistic-regression-text-classification-python/",
    "kind": "healthy",
    "bug": "healthy: softmax regression on sparse L2-normalized 2000-d TF-IDF rows (~1% non-zero), Adam",
    "expect": {},
    "consequences": [],
}

VOCAB, TOPICS, WORDS = 2000, 4, 20


def _topic_probs() -> torch.Tensor:
    g = torch.Generator().manual_seed(80)
    base = torch.rand(VOCAB, generator=g) ** 4
    probs = 0.7 * (base / base.sum()).repeat(TOPICS, 1)
    for t in range(TOPICS):
        probs[t, torch.randperm(VOCAB, generator=g)[:150]] += 0.3 / 150  # topic words: 30% of the mass
    return probs


def _docs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    probs = _topic_probs()
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, TOPICS, (n,), generator=g)
    words = torch.multinomial(probs[y], WORDS, replacement=True, generator=g)
    counts = torch.zeros(n, VOCAB).scatter_add_(1, words, torch.ones(n, WORDS))
    df = (counts > 0).float().mean(0)
    tfidf = counts * torch.log(1.0 / (df + 1e-3))
    return tfidf / tfidf.norm(dim=1, keepdim=True).clamp_min(1e-8), y


def build_model() -> nn.Module:
    return nn.Linear(VOCAB, TOPICS)


def build_data():
    x, y = _docs(3000, 1)
    xv, yv = _docs(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.7}
