"""Healthy: a tiny MPNet encoder with a sequence-classification head
(MPNetForSequenceClassification built from an MPNetConfig, no download), trained from scratch
with AdamW. MPNet uses relative position buckets in its attention and RoBERTa-style position
ids that skip the padding id.

Source: huggingface/transformers pull request #8971 "MPNet: Masked and Permuted Pre-training
for Language Understanding" (https://github.com/huggingface/transformers/pull/8971), found with
the `issues` search "MPNetForSequenceClassification fine-tuning classification": the PR that
added MPNetModel and its MPNetForSequenceClassification head (dense + tanh + out_proj on the
first token) to transformers.

Setup: vocabulary 60, sequences of 20 tokens; ids 0-3 are specials (0 = <s>, 1 = pad), content
ids 8-59; each sequence holds two copies of one of three marker tokens (ids 4, 5, 6) and the
label is which one. MPNetConfig(hidden 64, 2 layers, 4 heads, intermediate 128, max positions
40, 3 labels), HF's init. AdamW lr 1e-3, weight decay 0.01, batch 32.

Why healthy: a stock encoder with its own init and head, fed full-length sequences (no pad
ids, so no position is masked).

Verified (verify.py): validation accuracy well above the 1/3 chance level.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import MPNetConfig, MPNetForSequenceClassification

CASE = {
    "source": "https://github.com/huggingface/transformers/pull/8971",
    "kind": "healthy",
    "bug": "healthy: tiny MPNetForSequenceClassification from a config (relative position buckets), AdamW 1e-3",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH = 60, 20


def _sequences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(8, VOCAB, (n, LENGTH), generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    for i in range(n):
        pos = torch.randperm(LENGTH - 1, generator=g)[:2] + 1
        x[i, pos] = 4 + y[i]
    x[:, 0] = 0  # <s>
    return x, y


class TinyMPNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = MPNetConfig(
            vocab_size=VOCAB,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=40,
            num_labels=3,
        )
        self.mpnet = MPNetForSequenceClassification(cfg)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.mpnet(input_ids=ids).logits


def build_model() -> nn.Module:
    return TinyMPNet()


def build_data():
    x, y = _sequences(1500, 1)
    xv, yv = _sequences(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.8}
