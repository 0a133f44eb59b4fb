"""Zoo: an embedding + LSTM sequence classifier in plain PyTorch, trained with Adam.

nn.Embedding(32, 32) -> a single-layer nn.LSTM (hidden 64, batch_first) -> the final hidden state
-> nn.Linear(64, 3). PyTorch's default initialization throughout (LSTM weights uniform in
+-1/sqrt(hidden), embedding N(0, 1)). The task needs memory over the whole sequence: in 24 tokens
of noise, three signal tokens occur a few times each and the label is the one that occurs most
often (see `_synthetic.majority_sequences`). Adam lr 3e-3, no gradient clipping, batch 64,
cross-entropy. A stock recurrent classifier trained sensibly:
nndoctor must stay quiet.
"""

import torch
from _synthetic import majority_sequences, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset

NNDOCTOR = {"task": "classification", "num_classes": 3}
FIRES: dict[str, str] = {}

VOCAB = 32


class LSTMClassifier(nn.Module):
    def __init__(self, vocab: int = VOCAB, embed: int = 32, hidden: int = 64, classes: int = 3) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(self.embedding(ids))
        return self.head(h[-1])


def build_model() -> nn.Module:
    return LSTMClassifier()


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(*majority_sequences(2048, seed=0, vocab=VOCAB))
    val = TensorDataset(*majority_sequences(512, seed=1, vocab=VOCAB))
    return shuffled(train, batch_size=64), DataLoader(val, batch_size=128)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=3e-3)
