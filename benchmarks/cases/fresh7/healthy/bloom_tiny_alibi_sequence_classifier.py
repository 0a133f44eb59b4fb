"""Healthy: a tiny BLOOM (BloomForSequenceClassification built from a BloomConfig, no download)
trained from scratch: a causal decoder with ALiBi attention biases instead of position
embeddings, LayerNorm on the word embeddings, and a classification head read at the last
non-padding token (found from pad_token_id), AdamW lr 5e-4, CrossEntropyLoss on its logits.

Source: huggingface/transformers pull request #17639 "Add `BloomForSequenceClassification` and
`BloomForTokenClassification` classes" (https://github.com/huggingface/transformers/pull/17639),
found with the `issues` search "BloomConfig ALiBi small model sequence classification from
scratch": the sequence-classification head for BLOOM, added to use the smaller BLOOM models on
classification tasks.

Setup: vocabulary 50 (0 = pad), sequences of 20 with a random amount of right padding (attention
mask passed); class (3) = which of three marker tokens occurs most often. BloomConfig(hidden 64,
2 layers, 4 heads, pad_token_id 0, num_labels 3). Batch 32.

Why healthy: a stock decoder with no position embeddings at all (ALiBi) and a head that reads a
single, data-dependent position; both look odd to a heuristic and train fine.

Verified (verify.py): validation accuracy far above the 1/3 chance level.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import BloomConfig, BloomForSequenceClassification

CASE = {
    "source": "https://github.com/huggingface/transformers/pull/17639",
    "kind": "healthy",
    "bug": "healthy: tiny BLOOM (ALiBi, last-token head) from a config with right padding, AdamW lr 5e-4",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH = 50, 20


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, VOCAB, (n, LENGTH), generator=g)
    for c in range(3):
        for _ in range(4):
            pos = torch.randint(0, LENGTH, (n,), generator=g)
            put = torch.rand(n, generator=g) < 0.45
            ids[put, pos[put]] = 1 + c
    lengths = torch.randint(12, LENGTH + 1, (n,), generator=g)
    ids[torch.arange(LENGTH).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    counts = torch.stack([(ids == 1 + c).sum(1) for c in range(3)], 1).float()
    return ids, (counts + 0.1 * torch.arange(3)).argmax(1)


class TinyBloom(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = BloomConfig(vocab_size=VOCAB, hidden_size=64, n_layer=2, n_head=4, pad_token_id=0, num_labels=3)
        self.net = BloomForSequenceClassification(cfg)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.net(input_ids=ids, attention_mask=(ids != 0).long()).logits


def build_model() -> nn.Module:
    return TinyBloom()


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(600, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=5e-4, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 5, "min": 0.6}
