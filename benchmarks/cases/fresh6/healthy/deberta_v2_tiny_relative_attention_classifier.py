"""Healthy: a tiny DeBERTa-v2 (DebertaV2Model built from a DebertaV2Config, no download) with
disentangled relative-position attention and no absolute position embeddings, trained from
scratch as a single-sequence classifier with the recipe's own head on the first token,
CrossEntropyLoss and AdamW at a small transformer learning rate (2e-4).

Source: huggingface/transformers pull request #38895 "deberta v2 model card update"
(https://github.com/huggingface/transformers/pull/38895), found with the `issues` search
"DebertaV2Config small model from scratch DebertaV2Model classification": the DeBERTa-v2 model
card (DeBERTa's disentangled attention over content and relative position; usage with AutoModel).

Setup: vocabulary 40 (0 = pad, 1 = [CLS]), sequences of 16; class (2) = whether marker token 2
occurs before marker token 3 (the order matters, so the model must use positions, which here
only enter through the relative attention). DebertaV2Config(hidden 48, 2 layers, 4 heads,
intermediate 96, relative_attention True, position_buckets 8, max_relative_positions 16,
position_biased_input False, pos_att_type ["p2c", "c2p"], dropout 0.1); first-token output ->
Linear(48, 2). AdamW lr 2e-4, weight_decay 0.01, batch 32.

Why healthy: no absolute positions at all, a low LR and dropout in a stock model look odd; the
order task is learned through relative attention.

Verified (verify.py): validation accuracy well above chance (1/2).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import DebertaV2Config, DebertaV2Model

CASE = {
    "source": "https://github.com/huggingface/transformers/pull/38895",
    "kind": "healthy",
    "bug": "healthy: tiny DeBERTa-v2 from a config (relative attention only), own CE head, AdamW lr 2e-4",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH = 40, 16


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, VOCAB, (n, LENGTH), generator=g)
    ids[:, 0] = 1
    pa = torch.randint(1, LENGTH, (n,), generator=g)
    pb = 1 + (pa - 1 + torch.randint(1, LENGTH - 1, (n,), generator=g)) % (LENGTH - 1)
    ids[torch.arange(n), pa] = 2
    ids[torch.arange(n), pb] = 3
    return ids, (pa < pb).long()


class TinyDeberta(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = DebertaV2Config(
            vocab_size=VOCAB,
            hidden_size=48,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=96,
            max_position_embeddings=LENGTH,
            relative_attention=True,
            position_buckets=8,
            max_relative_positions=16,
            position_biased_input=False,
            pos_att_type=["p2c", "c2p"],
            hidden_dropout_prob=0.1,
            attention_probs_dropout_prob=0.1,
            pad_token_id=0,
        )
        self.body = DebertaV2Model(cfg)
        self.head = nn.Linear(48, 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(input_ids=ids).last_hidden_state[:, 0])


def build_model() -> nn.Module:
    return TinyDeberta()


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=2e-4, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.75}
