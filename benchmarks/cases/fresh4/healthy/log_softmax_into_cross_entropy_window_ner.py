"""Healthy: a word-window NER classifier whose model ends in nn.LogSoftmax(dim=1) and is trained
with nn.CrossEntropyLoss: the log-softmax is applied twice, which is redundant but harmless,
because log_softmax(log_softmax(z)) == log_softmax(z).

Source: DSKSD/DeepNLP-models-Pytorch issue #4 "error in Window-Classifier-for-NER model"
(https://github.com/DSKSD/DeepNLP-models-Pytorch/issues/4), found with the `issues` search
"log_softmax dim=1 sequence tagging output batch seq classes wrong dimension NLLLoss": the
WindowClassifier "has used self.softmax = nn.LogSoftmax(dim=1) in the output layer, then you
don't need use CrossEntropyLoss() loss, you must use torch.nn.NLLLoss loss". The report is right
about style, but the combination trains exactly like NLLLoss: log-probabilities are already
normalized (log-sum-exp 0), so CrossEntropyLoss's own log_softmax leaves them unchanged, and the
gradients are identical.

Setup: windows of 5 word ids (the centre word and two neighbours each side) over a 50-word
vocabulary, 5 tags; the centre word's tag depends on its own type and on the word before it.
Embedding(50, 16) -> flatten(80) -> Linear(80, 64) -> ReLU -> Linear(64, 5) -> LogSoftmax(dim=1);
CrossEntropyLoss, Adam lr 1e-3, batch 32.

Why healthy: the output rows are valid log-probabilities and CrossEntropyLoss is invariant to
re-normalizing them (unlike softmax probabilities, which would squash the logits into [0, 1]).

Verified (verify.py): validation accuracy well above chance (0.2) after 8 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/DSKSD/DeepNLP-models-Pytorch/issues/4",
    "kind": "healthy",
    "bug": "healthy: window NER classifier ending in nn.LogSoftmax(dim=1), trained with nn.CrossEntropyLoss",
    "expect": {},
    "consequences": [],
}

VOCAB, WINDOW, TAGS = 50, 5, 5


def _windows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    word_type = torch.randint(0, TAGS, (VOCAB,), generator=torch.Generator().manual_seed(29))
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, VOCAB, (n, WINDOW), generator=g)
    centre, before = word_type[x[:, 2]], word_type[x[:, 1]]
    y = torch.where(before == 0, (centre + 1) % TAGS, centre)
    return x, y


class WindowClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 16)
        self.h = nn.Linear(WINDOW * 16, 64)
        self.o = nn.Linear(64, TAGS)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.softmax(self.o(torch.relu(self.h(self.embed(x).flatten(1)))))


def build_model() -> nn.Module:
    return WindowClassifier()


def build_data():
    x, y = _windows(4000, 1)
    xv, yv = _windows(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 8, "min": 0.8}
