"""Zoo3: a bidirectional GRU with additive attention pooling (Yang et al. 2016) in plain PyTorch, Adam.

The word-level encoder of a hierarchical attention network: embedding 64 (padding id 0), a
one-layer bidirectional GRU (64 per direction), additive attention u_t = tanh(W h_t + b),
a_t = softmax_t(u_t . c) over the real (unpadded) tokens with a learned context vector c, the
attention-weighted sum of the GRU states, dropout 0.2 and a linear head. PyTorch's default
initialization (uniform within 1/sqrt(hidden) for the GRU), context vector normal(0, 0.1).

Task: does the sentence contain the marker token (`_synthetic.marker_sequences`, 8-32 tokens
padded to 32, vocabulary 1000), dict batches with attention masks. The HAN recipe: cross-entropy;
Adam lr 1e-3 (the paper's SGD with momentum is usually replaced by Adam in reimplementations),
batch 64.
"""

import torch
from _data import DictDataset, marker_sequences, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader

NNDOCTOR = {"task": "classification", "num_classes": 2}
VOCAB = 1000


class AttentionGRU(nn.Module):
    def __init__(self, vocab: int = VOCAB, dim: int = 64, hidden: int = 64, classes: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim, padding_idx=0)
        self.gru = nn.GRU(dim, hidden, batch_first=True, bidirectional=True)
        self.project = nn.Linear(2 * hidden, 2 * hidden)
        self.context = nn.Parameter(0.1 * torch.randn(2 * hidden))
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(self.embedding(ids))  # [batch, time, 2 * hidden]
        scores = torch.tanh(self.project(states)) @ self.context
        weights = scores.masked_fill(mask == 0, float("-inf")).softmax(dim=1)
        pooled = (weights.unsqueeze(-1) * states).sum(dim=1)
        return self.head(self.dropout(pooled))


def build_model() -> nn.Module:
    return AttentionGRU()


def build_data() -> tuple[DataLoader, DataLoader]:
    train = DictDataset(**marker_sequences(2048, seed=150, vocab=VOCAB))
    val = DictDataset(**marker_sequences(512, seed=151, vocab=VOCAB))
    return shuffled(train, batch_size=64), DataLoader(val, batch_size=128)


def forward(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    return model(batch["input_ids"], batch["attention_mask"]), batch["labels"]


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
