"""Healthy: a tiny DistilBERT (DistilBertModel built from a DistilBertConfig, no download) trained
from scratch as a sequence classifier with the recipe's own linear head on the first token and
CrossEntropyLoss, AdamW with a transformer-style small learning rate (3e-4) and weight decay.

Source: huggingface/transformers pull request #1127 "DistilBERT"
(https://github.com/huggingface/transformers/pull/1127), found with the `issues` search
"DistilBertConfig train from scratch small model DistilBertModel": the release of DistilBERT
(a 6-layer BERT with the token-type embeddings and the pooler removed; its config names the
width `dim` and the FFN width `hidden_dim`).

Setup: vocabulary 50 (0 = pad, 1 = [CLS]), sequences of 20 with a random amount of right padding
(attention_mask passed); class (4) = which of four marker tokens occurs most often. DistilBertConfig
(dim 64, 2 layers, 4 heads, hidden_dim 128, dropout 0.1, attention_dropout 0.1), first-token
output -> Linear(64, 4). AdamW lr 3e-4, weight_decay 0.01, batch 32.

Why healthy: a stock post-LN transformer at a small LR looks slow to a heuristic, but
it learns the counting task within the budget; dropout makes train() and eval() differ by design.

Verified (verify.py): validation accuracy far above chance (1/4).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import DistilBertConfig, DistilBertModel

CASE = {
    "source": "https://github.com/huggingface/transformers/pull/1127",
    "kind": "healthy",
    "bug": "healthy: tiny DistilBERT from a config with padding masks, own CE head, AdamW lr 3e-4",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH = 50, 20


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(6, VOCAB, (n, LENGTH), generator=g)
    for c in range(4):
        for _ in range(4):
            pos = torch.randint(1, LENGTH, (n,), generator=g)
            put = torch.rand(n, generator=g) < 0.45
            ids[put, pos[put]] = 2 + c
    lengths = torch.randint(12, LENGTH + 1, (n,), generator=g)
    ids[torch.arange(LENGTH).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    ids[:, 0] = 1
    counts = torch.stack([(ids == 2 + c).sum(1) for c in range(4)], 1).float()
    return ids, (counts + 0.1 * torch.arange(4)).argmax(1)


class TinyDistilBert(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = DistilBertConfig(
            vocab_size=VOCAB,
            max_position_embeddings=LENGTH,
            dim=64,
            n_layers=2,
            n_heads=4,
            hidden_dim=128,
            dropout=0.1,
            attention_dropout=0.1,
            pad_token_id=0,
        )
        self.body = DistilBertModel(cfg)
        self.head = nn.Linear(64, 4)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.body(input_ids=ids, attention_mask=(ids != 0).long()).last_hidden_state
        return self.head(h[:, 0])


def build_model() -> nn.Module:
    return TinyDistilBert()


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=3e-4, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.6}
