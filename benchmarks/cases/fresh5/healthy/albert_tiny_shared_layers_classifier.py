"""Healthy: a tiny ALBERT (AlbertModel from an AlbertConfig, no download) with cross-layer
parameter sharing (4 layers, one shared layer group) and a factorized embedding (16 -> 32),
trained from scratch with the recipe's own CrossEntropyLoss on a linear head over the first
token.

Source: huggingface/transformers pull request #20717 "Added resources for albert architecture"
(https://github.com/huggingface/transformers/pull/20717), found with the `issues` search
"AlbertConfig AlbertForSequenceClassification train from scratch small config shared layers":
the ALBERT documentation resources (text classification with AlbertForSequenceClassification);
ALBERT's two design points are the factorized embedding and one set of layer weights reused at
every depth.

Setup: vocabulary 40 (0 = pad, 1 = [CLS]), sequences of 16; class = which of 3 marker tokens
occurs most often; AlbertConfig(embedding_size 16, hidden 32, 4 layers, 1 hidden group, 2 heads,
intermediate 64, ALBERT's default dropout 0); pooled first-token output -> Linear(32, 3); AdamW lr 1e-3,
weight_decay 0.01, batch 64.

Why healthy: one transformer layer applied four times gets the summed gradient of four uses;
the factorized embedding has a small width. Both are ALBERT by design.

Verified (verify.py): validation accuracy far above chance (1/3).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import AlbertConfig, AlbertModel

CASE = {
    "source": "https://github.com/huggingface/transformers/pull/20717",
    "kind": "healthy",
    "bug": "healthy: tiny ALBERT from a config (shared layers, factorized embedding), own CE head, AdamW",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH = 40, 16


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, VOCAB, (n, LENGTH), generator=g)
    for c in range(3):
        for _ in range(3):
            pos = torch.randint(1, LENGTH, (n,), generator=g)
            put = torch.rand(n, generator=g) < 0.5
            ids[put, pos[put]] = 2 + c
    ids[:, 0] = 1
    counts = torch.stack([(ids == 2 + c).sum(1) for c in range(3)], 1).float()
    return ids, (counts + 0.1 * torch.arange(3)).argmax(1)


class TinyAlbert(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = AlbertConfig(
            vocab_size=VOCAB,
            embedding_size=16,
            hidden_size=32,
            num_hidden_layers=4,
            num_hidden_groups=1,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=LENGTH,
            pad_token_id=0,
        )
        self.albert = AlbertModel(cfg, add_pooling_layer=False)
        self.head = nn.Linear(32, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.albert(input_ids=ids).last_hidden_state
        return self.head(h[:, 0])


def build_model() -> nn.Module:
    return TinyAlbert()


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 6, "min": 0.6}
